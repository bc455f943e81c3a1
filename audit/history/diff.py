"""What changed between two runs, keyed by (check, target): a pure function over two Runs.

A finding is failing when it is FAIL or WARN. It is fixed only when the newer run checked it and
saw PASS; a failing finding the newer run could not check (ERROR), skipped or did not cover is
"not rechecked", because an ERROR is never counted as a PASS.

Changes are counted in items as well as findings: a folded finding stands for many certificates
or rows (`Finding.items`), so a fold of 27 failing certificates that passes now is 27 items fixed,
and a fold that shrinks from 27 to 3 is still failing with 24 fixed. A per-item finding of the older
run that the newer run folded into a PASS of the same check at the same site is fixed too.

Root causes: a target that was an ERROR (its `<PREFIX>-000`, or one check's ERROR) and now
answers is "now checked", never "fixed"; a target that answered before and is an ERROR now is
"not checked now".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from p06audit.assessment import finding_key
from p06audit.model import Finding, Run, Status
from p06audit.text import Message, say

FindingKey = tuple[str, str]
FAILING = frozenset({Status.FAIL, Status.WARN})
CHECKED = frozenset({Status.PASS, Status.FAIL, Status.WARN})
SECTIONS = (
    "new",
    "fixed",
    "changed_severity",
    "not_rechecked",
    "now_checked",
    "not_checked_now",
    "still_failing",
)


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
class _Side:
    """Everything one run says about one key."""

    worst: Finding
    failing_items: int
    checked: bool  # a PASS, FAIL or WARN says the check ran on it
    error: bool


def _sides(findings: Iterable[Finding]) -> dict[FindingKey, _Side]:
    grouped: dict[FindingKey, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding_key(finding), []).append(finding)
    return {
        key: _Side(
            max(same, key=_weight),
            sum(f.items for f in same if f.status in FAILING),
            any(f.status in CHECKED for f in same),
            any(f.status is Status.ERROR for f in same),
        )
        for key, same in grouped.items()
    }


@dataclass(frozen=True)
class Change:
    key: FindingKey
    before: Finding | None
    after: Finding | None
    items: int = 1  # items the change is about (failing now, or before when not failing now)
    fixed_items: int = 0  # items failing before that are not failing now
    new_items: int = 0  # items failing now that were not failing before

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
    now_checked: tuple[Change, ...] = ()
    not_checked_now: tuple[Change, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(
            self.new
            or self.fixed
            or self.changed_severity
            or self.not_rechecked
            or self.now_checked
            or self.not_checked_now
            or self.fixed_items
        )

    @property
    def fixed_items(self) -> int:
        """Items fixed, one by one: whole findings fixed and items gone from folds still failing."""
        return sum(c.fixed_items for name in SECTIONS for c in getattr(self, name))

    @property
    def new_items(self) -> int:
        return sum(c.new_items for name in SECTIONS for c in getattr(self, name))

    def items(self, section: str) -> int:
        """Items a section stands for (a folded finding counts its items)."""
        return sum(c.items for c in getattr(self, section))


def _ordered(changes: list[Change]) -> tuple[Change, ...]:
    return tuple(sorted(changes, key=lambda c: (-c.latest.severity.rank, c.key)))


def _examined_hosts(findings: Iterable[Finding]) -> set[tuple[str, str | None]]:
    """(site, host) pairs some check ran on (PASS, FAIL or WARN) in a run."""
    return {(f.target.site, f.target.host) for f in findings if f.status in CHECKED}


def _folded_passes(findings: Iterable[Finding]) -> set[tuple[str, str]]:
    """(check, site) of folded PASS findings: items of that check at that site now pass."""
    return {(f.check_id, f.target.site) for f in findings if f.folded and f.status is Status.PASS}


def _bucket(
    was: _Side | None, now: _Side | None, absorbed: bool, answered: bool
) -> tuple[str, int, int] | None:
    """The section of one key, with the items it fixed and the items it made fail."""
    before_failing = was.failing_items if was else 0
    now_failing = now.failing_items if now else 0
    if now_failing and not before_failing:
        return "new", 0, now_failing
    if before_failing and now_failing:
        assert was is not None and now is not None
        same = was.worst.severity is now.worst.severity
        fewer, more = max(0, before_failing - now_failing), max(0, now_failing - before_failing)
        return ("still_failing" if same else "changed_severity"), fewer, more
    if before_failing:
        if (now is not None and now.checked and not now.error) or (now is None and absorbed):
            return "fixed", before_failing, 0
        return "not_rechecked", 0, 0
    if was is not None and was.error and not was.checked:
        if (now is not None and now.checked and not now.error) or (now is None and (absorbed or answered)):
            return "now_checked", 0, 0
        return None
    if now is not None and now.error and not now.checked:
        return "not_checked_now", 0, 0
    return None


def diff_runs(old: Run, new: Run) -> RunDiff:
    before = _sides(old.findings)
    after = _sides(new.findings)
    folded_passes = _folded_passes(new.findings)
    answering = _examined_hosts(new.findings)
    buckets: dict[str, list[Change]] = {name: [] for name in SECTIONS}
    for key in before.keys() | after.keys():
        was, now = before.get(key), after.get(key)
        latest = (now or was).worst  # type: ignore[union-attr]
        absorbed = was is not None and not was.worst.folded and (key[0], latest.target.site) in folded_passes
        answered = (
            was is not None
            and bool(was.worst.blocked)
            and (latest.target.site, latest.target.host) in answering
        )
        placed = _bucket(was, now, absorbed, answered)
        if placed is None:
            continue
        name, fixed_items, new_items = placed
        items = (now.failing_items if now else 0) or (was.failing_items if was else 0) or 1
        buckets[name].append(
            Change(key, was.worst if was else None, now.worst if now else None, items, fixed_items, new_items)
        )
    ordered = {name: _ordered(changes) for name, changes in buckets.items()}
    return RunDiff(old_run=old.id, new_run=new.id, **ordered)


def summary(diff: RunDiff) -> Message:
    """The change in one sentence an officer reads: items fixed and new one by one, targets
    checked again or lost, what still fails."""
    counts = (
        ("fixed", diff.fixed_items),
        ("new", diff.new_items),
        ("now_checked", len(diff.now_checked)),
        ("not_rechecked", diff.items("not_rechecked")),
        ("not_checked_now", len(diff.not_checked_now)),
        ("still", diff.items("still_failing") + diff.items("changed_severity")),
    )
    parts = [say(f"core.diff_part_{name}", count=count) for name, count in counts if count]
    if not parts:
        return say("core.diff_no_change", old=diff.old_run)
    return say("core.diff_summary", old=diff.old_run, parts=parts)
