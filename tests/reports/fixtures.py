"""Fixture runs built from audit.model objects, as a real run would record them, and the one
helper that assesses a fixture run and writes its reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from p06audit import reports
from p06audit.assessment import Trend, assess
from p06audit.model import Finding, Run, Severity, SiteInfo, Status, Target
from p06audit.text import say
from p06audit.waivers import WaiverSet

FINISHED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
XSS_SCRIPT = "<script>window.__xss = 'script';</script>"
XSS_IMG = '"><img src=x onerror="window.__xss=\'img\'">'
XSS_URL = "javascript:window.__xss='url'"
VIETNAMESE = "Sở Thông tin và Truyền thông tỉnh Thừa Thiên Huế — đường truyền số liệu chuyên dùng"

SITES = [
    SiteInfo(
        name="dc-hue",
        kind="provincial_dc",
        province="Thừa Thiên Huế",
        security_level=3,
        hosts=("portal", "db"),
    ),
    SiteInfo(
        name="psc-hue",
        kind="public_service_centre",
        province="Thừa Thiên Huế",
        security_level=2,
        hosts=("kiosk",),
    ),
]


def finding(
    check_id: str,
    status: Status,
    *,
    site: str = "dc-hue",
    host: str = "portal",
    port: int | None = 443,
    severity: Severity = Severity.HIGH,
    evidence: dict[str, Any] | None = None,
    summary: str | None = None,
    resource: str | None = None,
) -> Finding:
    family = {"NET": "network", "TLS": "tls", "SSH": "ssh", "HOST": "host", "SIGN": "signing"}[
        check_id.split("-")[0]
    ]
    return Finding(
        check_id=check_id,
        family=family,
        status=status,
        severity=severity,
        target=Target(site=site, host=host, address="127.0.6.1", port=port, resource=resource),
        message=say("core.detail", text=summary or f"{check_id} {status.value.lower()}"),
        evidence=evidence or {},
    )


def make_run(
    findings: list[Finding], run_id: str = "20261120T080000Z-abc123", errors: tuple[str, ...] = ()
) -> Run:
    return Run(
        id=run_id,
        started=FINISHED - timedelta(minutes=2),
        finished=FINISHED,
        tool_version="0.1.0",
        inventory="/nonexistent/inventories/fixture",
        sites=SITES,
        findings=findings,
        errors=[say("core.detail", text=e) for e in errors],
    )


def signing_evidence(holder: str, serial: str, not_after: date, days_left: int) -> dict[str, Any]:
    return {
        "holder": holder,
        "unit": "Văn phòng UBND tỉnh",
        "issuer": "CN=Cục Chứng thực số và Bảo mật thông tin",
        "serial": serial,
        "not_before": (not_after - timedelta(days=3 * 365)).isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": days_left,
        "file": f"/certs/{serial}.cer",
    }


def rich_run() -> Run:
    """Every status, both sites, waivable findings, signing certificates and hostile evidence."""
    today = FINISHED.date()
    hostile = {"banner": XSS_SCRIPT, "subject": XSS_IMG, "crl_url": XSS_URL, "note": VIETNAMESE}
    return make_run(
        [
            finding("TLS-001", Status.PASS),
            finding("TLS-002", Status.FAIL, evidence={"accepted": ["TLSv1.0", "TLSv1.1"]}),
            finding("TLS-003", Status.PASS),
            finding("TLS-008", Status.WARN, severity=Severity.HIGH, evidence={"days_left": 12}),
            finding(
                "TLS-006", Status.ERROR, host="db", evidence=hostile, summary=f"Could not check: {XSS_SCRIPT}"
            ),
            finding("NET-004", Status.FAIL, site="psc-hue", host="kiosk", port=22, evidence={"port": 22}),
            finding("NET-002", Status.PASS, site="psc-hue", host="kiosk", port=None),
            finding("SSH-002", Status.SKIP, site="psc-hue", host="kiosk", port=22),
            finding(
                "SIGN-001",
                Status.FAIL,
                severity=Severity.CRITICAL,
                port=None,
                resource="a.cer",
                evidence=signing_evidence("Nguyễn Văn Ánh", "0A1B", today - timedelta(days=20), -20),
            ),
            finding(
                "SIGN-002",
                Status.WARN,
                port=None,
                resource="b.cer",
                evidence=signing_evidence("Trần Thị Bích Ngọc", "0C2D", today + timedelta(days=5), 5),
            ),
            finding(
                "SIGN-001",
                Status.PASS,
                port=None,
                resource="c.cer",
                evidence=signing_evidence("Lê Hoàng Phúc", "0E3F", today + timedelta(days=200), 200),
            ),
        ]
    )


def write_outputs(
    run: Run,
    directory: Path,
    *,
    formats: Sequence[str] = ("json", "html"),
    lang: str | None = None,
    previous: Run | None = None,
    trend: Trend | None = None,
    waivers: WaiverSet | None = None,
    waiver_error: str | None = None,
    legal_basis: str | None = None,
) -> dict[str, Path]:
    """Assess `run` as the pipeline would, with these inputs, and write its reports."""
    assessment = assess(
        run,
        legal_basis=legal_basis,
        waivers=waivers,
        waiver_error=waiver_error,
        language="en" if lang == "en" else "vi",
        previous=previous,
        trend=trend,
    )
    return reports.write_outputs(assessment, directory, formats=formats, lang=lang)
