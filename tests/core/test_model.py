"""Domain records: findings cross the report.json / Celery edge and come back equal; text renders."""

from __future__ import annotations

from datetime import UTC, datetime

from p06audit.model import Finding, Outcome, Run, Severity, SiteInfo, Status, Target
from p06audit.records import RunRecord
from p06audit.registry import AppliesTo, CheckSpec
from p06audit.runner import make_finding
from p06audit.text import say


def spec() -> CheckSpec:
    return CheckSpec(
        id="TST-001",
        family="tst",
        severity=Severity.HIGH,
        observes=object,  # type: ignore[arg-type]
        applies_to=AppliesTo(),
        rule=lambda o, c: None,
        module="tests",
    )


def test_a_finding_takes_the_outcome_s_severity_and_copies_its_evidence() -> None:
    evidence = {"days_left": 3}
    finding = make_finding(
        spec(),
        Target(site="dc"),
        Outcome(Status.WARN, say("core.detail", text="soon"), evidence, Severity.LOW),
    )
    assert finding.severity is Severity.LOW and finding.evidence == evidence
    assert finding.evidence is not evidence  # a rule may reuse its dict: the finding keeps its own


def test_a_run_survives_the_wire_unchanged() -> None:
    """report.json, history and Celery carry runs as RunRecord; what comes back equals what left."""
    moment = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    nested = say("core.not_examined", reason=say("core.collector_timeout", seconds=60), checks=["TST-001"])
    finding = Finding(
        check_id="TST-000",
        family="tst",
        status=Status.ERROR,
        severity=Severity.HIGH,
        target=Target(site="dc", host="h", address="127.0.1.3", port=22, resource="a.pem#1F"),
        message=nested,
        evidence={"blocked": ["TST-001"], "when": moment.isoformat()},
        blocked=("TST-001",),
    )
    run = Run(
        id="20261204T080000Z-abc123",
        started=moment,
        finished=moment,
        tool_version="0.1.0",
        inventory="/inv",
        sites=[SiteInfo("dc", "provincial_dc", "P", 3, ("h",))],
        findings=[finding],
        errors=[say("core.collector_failed", family="tst", error="boom")],
    )
    back = RunRecord.model_validate_json(RunRecord.of(run).model_dump_json()).to_run()
    assert back == run
    assert back.findings[0].summary == (
        "This target could not be examined: no result within 60 s. Checks that could not run: TST-001."
    )
