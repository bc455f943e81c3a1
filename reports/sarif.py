"""report.sarif: the run as SARIF 2.1.0, for code-scanning dashboards and SIEMs that read it.

Rules are the check catalogue (every installed check, with its title, remediation, severity and
the guidance controls it evidences); each finding is a result whose location is a logical location
`site/host:port` (its target key), never a file. FAIL and WARN are `kind: fail` with a level from
the severity; PASS is `pass`, SKIP `notApplicable`, and an ERROR is `open` (not decided). A waived
finding keeps its kind and carries an accepted external suppression with the waiver's reason.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from p06audit.guidance.catalogue import Catalogue
from p06audit.model import Severity, Status
from p06audit.registry import REGISTRY
from p06audit.reports.model import ReportDocument, ReportFinding
from p06audit.text import Message, Renderer

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "p06audit/check-target/v1"
# GitHub code scanning's convention (`security-severity`, 0.0-10.0) so its dashboards rank them.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
KINDS = {
    Status.FAIL: "fail",
    Status.WARN: "fail",
    Status.PASS: "pass",
    Status.SKIP: "notApplicable",
    Status.ERROR: "open",
}
LOCALES = {"vi": "vi-VN", "en": "en-US"}


def level(status: Status, severity: Severity) -> str:
    """SARIF requires `none` for every kind but `fail`."""
    if KINDS[status] != "fail":
        return "none"
    if status is Status.FAIL and severity.at_least(Severity.HIGH):
        return "error"
    return "warning" if severity.at_least(Severity.MEDIUM) else "note"


def _rules(doc: ReportDocument, catalogue: Catalogue) -> list[dict[str, Any]]:
    render = Renderer(doc.language, doc.timezone)
    rules = []
    for check in REGISTRY.catalogue():
        severity = check.severity or Severity.HIGH
        remediation = render(Message(f"{check.id}.remediation"))
        rules.append(
            {
                "id": check.id,
                "shortDescription": {"text": render(Message(f"{check.id}.title"))},
                "help": {"text": remediation},
                "defaultConfiguration": {
                    "level": "error" if check.severity is None else level(Status.FAIL, severity)
                },
                "properties": {
                    "family": check.family,
                    "severity": check.severity.value if check.severity else None,
                    "security-severity": SECURITY_SEVERITY[severity],
                    "tags": sorted({"security", check.family, *check.tags}),
                    "controls": list(catalogue.controls_for_check(check.id)),
                    "root_cause": check.severity is None,
                },
            }
        )
    return rules


def _result(finding: ReportFinding, rule_index: dict[str, int]) -> dict[str, Any]:
    target = finding.target
    result: dict[str, Any] = {
        "ruleId": finding.check_id,
        "kind": KINDS[finding.status],
        "level": level(finding.status, finding.severity),
        "message": {"text": finding.summary or finding.title},
        "locations": [
            {
                "logicalLocations": [
                    {
                        "fullyQualifiedName": finding.key,
                        "name": finding.key.split("/", 1)[-1],
                        "kind": "resource",
                    }
                ]
            }
        ],
        "partialFingerprints": {
            FINGERPRINT: hashlib.sha256(f"{finding.check_id}\n{finding.key}".encode()).hexdigest()
        },
        "properties": {
            "status": finding.status.value,
            "severity": finding.severity.value,
            "site": target.site,
            "host": target.host,
            "address": target.address,
            "port": target.port,
            "resource": target.resource,
            "title": finding.title,
            "remediation": finding.remediation,
            "controls": list(finding.controls),
            "new": finding.new,
            "blocked": list(finding.blocked),
            "evidence": finding.evidence,
        },
    }
    if finding.check_id in rule_index:
        result["ruleIndex"] = rule_index[finding.check_id]
    if finding.waiver is not None:
        waiver = finding.waiver
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{waiver.reason} ({waiver.owner}, until {waiver.expires.isoformat()})",
            }
        ]
    return result


def render_sarif(doc: ReportDocument, catalogue: Catalogue) -> bytes:
    rules = _rules(doc, catalogue)
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    run = doc.run
    examined_all = doc.verdict.not_examined == 0 and not run.errors
    document = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "p06audit",
                        "version": run.tool_version,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"p06audit/{run.inventory}/{run.id}"},
                "language": LOCALES[doc.language],
                "invocations": [
                    {
                        "executionSuccessful": examined_all,
                        "exitCode": doc.verdict.exit_code,
                        "exitCodeDescription": doc.verdict.reason,
                        "startTimeUtc": run.started.isoformat(),
                        "endTimeUtc": run.finished.isoformat(),
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": text}} for text in run.errors
                        ],
                    }
                ],
                "results": [_result(f, rule_index) for f in doc.findings],
                "properties": {"run_id": run.id, "legal_basis": doc.compliance.legal_basis},
            }
        ],
    }
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode(
        "utf-8"
    )
