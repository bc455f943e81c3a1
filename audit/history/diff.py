"""What changed between two runs, keyed by (check, target): a pure function over two Runs.

A finding is failing when it is FAIL or WARN. It is fixed only when the newer run checked it and
saw PASS; a failing finding the newer run could not check (ERROR), skipped or did not cover is
"not rechecked", because an ERROR is never counted as a PASS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from p06audit.assessment import finding_key
from p06audit.model import Finding, Run, Status

FindingKey = tuple[str, str]
FAILING = frozenset({Status.FAIL, Status.WARN})


def _weight(finding: Finding) -> tuple[bool, bool, int]:
    return (finding.status in FAILING, finding.status is Status.FAIL, finding.severity.rank)


def index_findings(findings: Iterable[Finding]) -> dict[FindingKey, Finding]:
    """One finding per key; if a run holds several for the same key, the worst one speaks for it."""
    index: dict[FindingKey, Finding] = {}
    for finding in findings:
        key = finding_key(finding)
        if key not in index or _weight(finding) > _weight(index[key]):
            index[key] = finding
    return index


@dataclass(frozen=True)
class Change:
    key: FindingKey
    before: Finding | None
    after: Finding | None

    @property
    def check_id(self) -> str:
        return self.key[0]

    @property
    def target_key(self) -> str:
        return self.key[1]

    @property
    def latest(self) -> Finding:
        """The newest finding known for this key (the older one when the newer run lacks it)."""
        found = self.after or self.before
        assert found is not None, "a change always has at least one side"
        return found


@dataclass(frozen=True)
class RunDiff:
    old_run: str
    new_run: str
    new: tuple[Change, ...]
    fixed: tuple[Change, ...]
    still_failing: tuple[Change, ...]
    changed_severity: tuple[Change, ...]
    not_rechecked: tuple[Change, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.fixed or self.changed_severity or self.not_rechecked)


def _ordered(changes: list[Change]) -> tuple[Change, ...]:
    return tuple(sorted(changes, key=lambda c: (-c.latest.severity.rank, c.key)))


def diff_runs(old: Run, new: Run) -> RunDiff:
    before = index_findings(old.findings)
    after = index_findings(new.findings)
    buckets: dict[str, list[Change]] = {
        "new": [],
        "fixed": [],
        "still_failing": [],
        "changed_severity": [],
        "not_rechecked": [],
    }
    for key in before.keys() | after.keys():
        was, now = before.get(key), after.get(key)
        was_failing = was is not None and was.status in FAILING
        now_failing = now is not None and now.status in FAILING
        if now_failing and not was_failing:
            bucket = "new"
        elif was_failing and now_failing:
            assert was is not None and now is not None
            bucket = "still_failing" if was.severity is now.severity else "changed_severity"
        elif was_failing and now is not None and now.status is Status.PASS:
            bucket = "fixed"
        elif was_failing:
            bucket = "not_rechecked"
        else:
            continue
        buckets[bucket].append(Change(key, was, now))
    return RunDiff(
        old_run=old.id,
        new_run=new.id,
        new=_ordered(buckets["new"]),
        fixed=_ordered(buckets["fixed"]),
        still_failing=_ordered(buckets["still_failing"]),
        changed_severity=_ordered(buckets["changed_severity"]),
        not_rechecked=_ordered(buckets["not_rechecked"]),
    )
