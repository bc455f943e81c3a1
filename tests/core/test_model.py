"""The unvalidated fast paths build exactly what validation would (they skip it at 100,000 items)."""

from __future__ import annotations

from audit.model import Finding, Outcome, Severity, Status, Target
from audit.registry import AppliesTo, CheckSpec
from audit.runner import make_finding
from audit.wording import days


def test_trusted_target_is_the_validated_one() -> None:
    fast, checked = Target.trusted("dc", "/certs/a.pem#1F"), Target(site="dc", resource="/certs/a.pem#1F")
    assert fast == checked and hash(fast) == hash(checked) and fast.key == checked.key
    assert fast.model_dump() == checked.model_dump()
    assert fast.model_fields_set == checked.model_fields_set == {"site", "resource"}


def spec() -> CheckSpec:
    return CheckSpec(
        "TST-001",
        "t",
        Severity.HIGH,
        "tst",
        ("VN-NET-02",),
        "fix it",
        object,
        AppliesTo(),
        lambda o, c: None,
        "tests",
    )  # type: ignore[arg-type]


def test_a_typed_outcome_takes_the_fast_path_and_equals_a_validated_finding() -> None:
    evidence = {"days_left": 3}
    finding = make_finding(spec(), Target(site="dc"), Outcome(Status.WARN, "soon", evidence, Severity.LOW))
    validated = Finding.model_validate(finding.model_dump())
    assert finding == validated and finding.model_dump_json() == validated.model_dump_json()
    assert finding.severity is Severity.LOW and finding.evidence is not evidence  # copied, like validation


def test_an_untyped_outcome_is_validated_and_coerced() -> None:
    """A plugin's rule may hand a plain string for a status: validation turns it into the enum."""
    outcome = Outcome("FAIL", "plain strings", {"n": 1})  # type: ignore[arg-type]
    finding = make_finding(spec(), Target(site="dc"), outcome)
    assert finding.status is Status.FAIL


def test_day_counts_read_as_english() -> None:
    assert [days(n) for n in (1, -1, 0, 2, 35)] == ["1 day", "-1 day", "0 days", "2 days", "35 days"]
