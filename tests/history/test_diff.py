"""diff_runs: every (check, target) lands in the right bucket, and an ERROR never passes for a fix."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from p06audit.history import diff_runs, finding_key
from p06audit.model import Severity, Status
from tests.history.factory import finding, make_run


def keys(changes: tuple) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [c.key for c in changes]


def test_two_runs_of_a_changed_lab_give_each_bucket() -> None:
    old = make_run(
        0,
        [
            finding("TLS-001", Status.FAIL, Severity.HIGH),  # fixed
            finding("TLS-002", Status.FAIL, Severity.MEDIUM),  # still failing
            finding("TLS-008", Status.WARN, Severity.LOW),  # severity escalates
            finding("SSH-001", Status.FAIL, Severity.HIGH, host="db", port=22),  # host now unreachable
            finding(
                "NET-002", Status.FAIL, Severity.LOW, host="kiosk", site="lab-psc", port=None
            ),  # host removed
            finding("NET-001", Status.PASS, Severity.HIGH),  # regresses
            finding("SIGN-001", Status.SKIP, Severity.LOW, port=None),  # stays quiet
        ],
    )
    new = make_run(
        1,
        [
            finding("TLS-001", Status.PASS, Severity.HIGH),
            finding("TLS-002", Status.FAIL, Severity.MEDIUM),
            finding("TLS-008", Status.WARN, Severity.CRITICAL),
            finding("SSH-001", Status.ERROR, Severity.HIGH, host="db", port=22),
            finding("NET-001", Status.FAIL, Severity.HIGH),
            finding("TLS-004", Status.WARN, Severity.LOW, host="db"),  # brand new target
            finding("SIGN-001", Status.PASS, Severity.LOW, port=None),
        ],
    )
    diff = diff_runs(old, new)
    assert (diff.old_run, diff.new_run) == (old.id, new.id)
    assert keys(diff.new) == [("NET-001", "lab-dc/portal:443"), ("TLS-004", "lab-dc/db:443")]
    assert keys(diff.fixed) == [("TLS-001", "lab-dc/portal:443")]
    assert keys(diff.still_failing) == [("TLS-002", "lab-dc/portal:443")]
    assert keys(diff.changed_severity) == [("TLS-008", "lab-dc/portal:443")]
    change = diff.changed_severity[0]
    assert change.before is not None and change.after is not None
    assert (change.before.severity, change.after.severity) == (Severity.LOW, Severity.CRITICAL)
    assert keys(diff.not_rechecked) == [("SSH-001", "lab-dc/db:22"), ("NET-002", "lab-psc/kiosk")]
    assert diff.not_rechecked[1].after is None and diff.not_rechecked[1].latest.status is Status.FAIL
    assert diff.has_changes


def test_identical_runs_have_no_changes_but_list_what_still_fails() -> None:
    findings = [finding("TLS-001", Status.FAIL), finding("NET-001", Status.PASS)]
    diff = diff_runs(make_run(0, findings), make_run(1, findings))
    assert not diff.has_changes
    assert keys(diff.still_failing) == [("TLS-001", "lab-dc/portal:443")]


def test_duplicate_keys_in_one_run_are_judged_by_the_worst_finding() -> None:
    old = make_run(0, [finding("TLS-005", Status.PASS)])
    new = make_run(1, [finding("TLS-005", Status.PASS), finding("TLS-005", Status.FAIL, Severity.LOW)])
    assert keys(diff_runs(old, new).new) == [("TLS-005", "lab-dc/portal:443")]


STATUSES = st.sampled_from(list(Status))
SEVERITIES = st.sampled_from(list(Severity))
SIDE = st.dictionaries(
    st.sampled_from(["TLS-001", "TLS-002", "NET-001", "SSH-001"]), st.tuples(STATUSES, SEVERITIES)
)


@given(SIDE, SIDE)
def test_every_key_lands_in_at_most_one_bucket_by_the_documented_rules(before: dict, after: dict) -> None:  # type: ignore[type-arg]
    old = make_run(0, [finding(c, s, v) for c, (s, v) in before.items()])
    new = make_run(1, [finding(c, s, v) for c, (s, v) in after.items()])
    diff = diff_runs(old, new)
    buckets = [diff.new, diff.fixed, diff.still_failing, diff.changed_severity, diff.not_rechecked]
    seen = [c.key for bucket in buckets for c in bucket]
    assert len(seen) == len(set(seen))
    failing = {Status.FAIL, Status.WARN}
    for check, (status, _) in after.items():
        key = finding_key(finding(check, status))
        was_failing = check in before and before[check][0] in failing
        if status in failing and not was_failing:
            assert key in keys(diff.new)
    for check, (status, severity) in before.items():
        if status not in failing:
            continue
        key = finding_key(finding(check, status))
        now = after.get(check)
        if now is None or now[0] in (Status.ERROR, Status.SKIP):
            assert key in keys(diff.not_rechecked)
        elif now[0] is Status.PASS:
            assert key in keys(diff.fixed)
        elif now[1] is severity:
            assert key in keys(diff.still_failing)
        else:
            assert key in keys(diff.changed_severity)
