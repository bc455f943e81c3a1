"""p06audit.prom: the run in Prometheus' text format, for node_exporter's textfile collector.

Copy or link it into the collector's directory (`--collector.textfile.directory`); every metric
carries the inventory's name, so several inventories can be exported side by side.

- `p06audit_certificate_expiry_timestamp_seconds`: per certificate (signing and TLS) its notAfter;
  the certificates are those in the evidence of checks tagged `certificate_expiry` or
  `certificate_register` in their family's checks.yaml (a mapping with `not_after`, and `serial`,
  `subject` or `holder`, `issuer` when known), so alerts can say "expires in under 30 days".
- `p06audit_findings`: per site, findings by (effective) status and severity.
- `p06audit_targets_not_examined`: per site, targets a family could not examine at all.
- `p06audit_run_start_timestamp_seconds`, `p06audit_run_duration_seconds`, `p06audit_run_exit_code`
  and `p06audit_run_info` (run id and version as labels).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from p06audit.model import Severity
from p06audit.registry import REGISTRY
from p06audit.reports.model import EFFECTIVE_STATUSES, ReportDocument, ReportFinding

CERTIFICATE_TAGS = ("certificate_expiry", "certificate_register")
CERTIFICATE_LABELS = ("inventory", "site", "target", "check", "serial", "subject", "issuer")


def certificates(evidence: Any) -> Iterator[dict[str, Any]]:
    """Every mapping with a `not_after` inside a finding's evidence (a TLS finding lists the
    endpoint's chain; a signing finding is about one certificate)."""
    if isinstance(evidence, dict):
        if isinstance(evidence.get("not_after"), str):
            yield evidence
        for value in evidence.values():
            if isinstance(value, dict | list):
                yield from certificates(value)
    elif isinstance(evidence, list):
        for item in evidence:
            yield from certificates(item)


def _expiry(doc: ReportDocument, inventory: str) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(
        "p06audit_certificate_expiry_timestamp_seconds",
        "notAfter of each signing and TLS certificate the run read, as a Unix timestamp",
        labels=CERTIFICATE_LABELS,
    )
    checks = frozenset().union(*(REGISTRY.tagged(tag) for tag in CERTIFICATE_TAGS))
    seen: set[tuple[str, ...]] = set()
    for finding in doc.findings:
        if finding.check_id not in checks:
            continue
        for cert in certificates(finding.evidence):
            try:
                expires = datetime.fromisoformat(cert["not_after"]).timestamp()
            except ValueError:
                continue
            labels = (
                inventory,
                finding.target.site,
                finding.key,
                finding.check_id,
                str(cert.get("serial") or ""),
                str(cert.get("subject") or cert.get("holder") or ""),
                str(cert.get("issuer") or ""),
            )
            identity = (labels[1], labels[2], labels[4], labels[5], cert["not_after"])
            if identity not in seen:
                seen.add(identity)
                metric.add_metric(labels, expires)
    return metric


def _findings(findings: Iterable[ReportFinding], sites: Iterable[str], inventory: str) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(
        "p06audit_findings",
        "Findings of the run per site, effective status (WAIVED included) and severity",
        labels=("inventory", "site", "status", "severity"),
    )
    counts = Counter((f.target.site, f.effective_status, f.severity) for f in findings)
    for site in sites:
        for status in EFFECTIVE_STATUSES:
            for severity in Severity:
                metric.add_metric((inventory, site, status, severity.value), counts[site, status, severity])
    return metric


def _not_examined(doc: ReportDocument, sites: Iterable[str], inventory: str) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(
        "p06audit_targets_not_examined",
        "Targets a family could not examine at all (root-cause ERRORs), per site",
        labels=("inventory", "site"),
    )
    counts = Counter(f.target.site for f in doc.findings if f.blocked and f.effective_status == "ERROR")
    for site in sites:
        metric.add_metric((inventory, site), counts[site])
    return metric


def _run(doc: ReportDocument, inventory: str) -> list[Metric]:
    run = doc.run

    def gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
        metric = GaugeMetricFamily(name, text, labels=("inventory",))
        metric.add_metric((inventory,), value)
        return metric

    info = GaugeMetricFamily(
        "p06audit_run_info", "The run described (always 1)", labels=("inventory", "run_id", "version")
    )
    info.add_metric((inventory, run.id, run.tool_version), 1)
    return [
        info,
        gauge(
            "p06audit_run_start_timestamp_seconds",
            "When the run started, as a Unix timestamp",
            run.started.timestamp(),
        ),
        gauge("p06audit_run_duration_seconds", "How long the run took", run.duration_seconds),
        gauge(
            "p06audit_run_exit_code",
            "The exit code the run's verdict gives (see p06audit --help)",
            doc.verdict.exit_code,
        ),
    ]


class _Families(Collector):
    """A prometheus_client collector over metrics already built."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return iter(self.metrics)


def render_prometheus(doc: ReportDocument) -> bytes:
    inventory = doc.run.inventory.rstrip("/").rsplit("/", 1)[-1]
    sites = [s.name for s in doc.sites]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        _Families(
            [
                *_run(doc, inventory),
                _findings(doc.findings, sites, inventory),
                _not_examined(doc, sites, inventory),
                _expiry(doc, inventory),
            ]
        )
    )
    return generate_latest(registry)
