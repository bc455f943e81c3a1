"""report.ocsf.json: every finding as an OCSF Detection Finding (class 2004), as Prowler emits them.

A JSON array, one event per finding: `status_code` is the finding's status (PASS, FAIL, WARN,
ERROR, SKIP), `status` New or Suppressed (waived), `severity_id` from the check's severity, the
target as a resource grouped by site, the check id as `metadata.event_code`, and what OCSF has no
field for (guidance controls, the waiver, "new since the previous run") under `unmapped`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from p06audit.model import Severity
from p06audit.reports.model import ReportDocument, ReportFinding

OCSF_VERSION = "1.5.0"
CATEGORY_FINDINGS = 2
CLASS_DETECTION_FINDING = 2004
ACTIVITY_CREATE = 1
TYPE_CREATE = CLASS_DETECTION_FINDING * 100 + ACTIVITY_CREATE
STATUS_NEW, STATUS_SUPPRESSED = 1, 3
SEVERITY_IDS = {
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}


def _ms(moment: datetime) -> int:
    """OCSF timestamps are milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def _resource(finding: ReportFinding) -> dict[str, Any]:
    target = finding.target
    kind = "endpoint" if target.port is not None else "resource" if target.resource else "host"
    labels = [
        f"{name}:{value}" for name, value in (("address", target.address), ("port", target.port)) if value
    ]
    resource: dict[str, Any] = {
        "uid": finding.key,
        "name": target.host or target.resource or target.site,
        "type": kind,
        "group": {"name": target.site},
        "data": {
            "evidence": finding.evidence,
            **({"blocked": list(finding.blocked)} if finding.blocked else {}),
        },
    }
    if labels:
        resource["labels"] = labels
    return resource


@dataclass(frozen=True)
class _RunPart:
    """What every event of one run shares, worked out once (a run may hold 100,000 findings)."""

    time: int
    time_dt: str
    metadata: dict[str, Any]
    unmapped: dict[str, Any]

    @classmethod
    def of(cls, doc: ReportDocument) -> _RunPart:
        product = {
            "name": "p06audit",
            "uid": "p06audit",
            "vendor_name": "p06audit",
            "version": doc.run.tool_version,
        }
        return cls(
            _ms(doc.run.finished),
            doc.run.finished.isoformat(),
            {
                "product": product,
                "profiles": ["datetime"],
                "version": OCSF_VERSION,
                "correlation_uid": doc.run.id,
            },
            {"run_id": doc.run.id, "inventory": doc.run.inventory, "legal_basis": doc.compliance.legal_basis},
        )


def _event(run: _RunPart, finding: ReportFinding) -> dict[str, Any]:
    severity_id, severity = SEVERITY_IDS[finding.severity]
    waived = finding.waiver is not None
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_FINDINGS,
        "category_name": "Findings",
        "class_uid": CLASS_DETECTION_FINDING,
        "class_name": "Detection Finding",
        "type_uid": TYPE_CREATE,
        "type_name": "Detection Finding: Create",
        "time": run.time,
        "time_dt": run.time_dt,
        "message": finding.summary,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": STATUS_SUPPRESSED if waived else STATUS_NEW,
        "status": "Suppressed" if waived else "New",
        "status_code": finding.status.value,
        "status_detail": finding.summary,
        "finding_info": {
            "uid": f"p06audit-{finding.check_id}-{finding.key}",
            "title": finding.title,
            "desc": finding.summary,
            "types": [finding.family],
            "created_time": run.time,
            "created_time_dt": run.time_dt,
        },
        "resources": [_resource(finding)],
        "remediation": {"desc": finding.remediation},
        "metadata": {"event_code": finding.check_id, **run.metadata},
        "unmapped": {
            **run.unmapped,
            "controls": list(finding.controls),
            "new": finding.new,
            "waiver": finding.waiver.model_dump(mode="json") if waived and finding.waiver else None,
        },
    }
    return event


def render_ocsf(doc: ReportDocument) -> bytes:
    run = _RunPart.of(doc)
    events = [_event(run, f) for f in doc.findings]
    return (json.dumps(events, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode("utf-8")
