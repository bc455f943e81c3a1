"""The Assessment: everything every output shows about a run, decided once, right after the runner.

Which findings are waived (waivers judged on the day the run finished, in the inventory's time
zone), what is new or fixed since the previous run, compliance per site and province under the
run's legal basis, the root causes to fix first, and the exit verdict. History, the renderers,
the digest, `diff` and `report` read this (or what report.json recorded of it), never the inventory
from disk again: a re-render of an old run uses the waivers and legal basis recorded with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from p06audit.exitcodes import EXIT_FINDINGS, EXIT_NOT_EXAMINED, EXIT_OK
from p06audit.guidance.catalogue import Catalogue, default_catalogue
from p06audit.guidance.compliance import ComplianceReport, evaluate
from p06audit.model import Finding, Run, Severity, Status, Target
from p06audit.text import DEFAULT_TIMEZONE, Lang, Message, say
from p06audit.waivers import Waiver, WaiverSet

PROBLEMS = frozenset({Status.FAIL, Status.WARN, Status.ERROR})
WARN_WORD = "warn"
Trend = Mapping[str, Sequence[tuple[str, float]]]


def finding_key(finding: Finding) -> tuple[str, str]:
    """Identity of a finding across runs (history, diff, 'new since')."""
    return finding.check_id, finding.target.key


@dataclass(frozen=True)
class Fixed:
    """A problem of the previous run whose check now passes on the same target."""

    check_id: str
    key: str
    previous_status: Status


@dataclass(frozen=True)
class Comparison:
    """What changed since the previous run of the same inventory."""

    previous_id: str
    new: frozenset[int]  # indices of findings that are problems now and were not before
    fixed: tuple[Fixed, ...]


@dataclass(frozen=True)
class RootCause:
    """One thing to fix at a site: a check's problem, with every target it applies to.

    Ordered by severity, then by how many targets share it: the fix-first list of the report."""

    site: str
    check_id: str
    family: str
    status: Status
    severity: Severity
    findings: tuple[int, ...]
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class ExitPolicy:
    """What makes a run exit non-zero: an unwaived FAIL at or above `fail_on` (and a WARN there too
    when `warn`); a target that could not be examined, unless `allow_errors`."""

    fail_on: Severity = Severity.HIGH
    warn: bool = False
    allow_errors: bool = False

    @classmethod
    def parse_fail_on(cls, text: str) -> tuple[Severity, bool]:
        """`high`, `high,warn` or `warn` (= `high,warn`) as (severity, warn); ValueError names the
        words it accepts."""
        words = [w.strip().lower() for w in text.split(",") if w.strip()]
        severities = [w for w in words if w in Severity.__members__.values()]
        unknown = [w for w in words if w != WARN_WORD and w not in severities]
        if unknown or len(severities) > 1 or not words:
            allowed = ", ".join(s.value for s in Severity)
            raise ValueError(
                f"'{text}' is not a severity: give one of {allowed}, optionally followed by ',warn'"
            )
        return (Severity(severities[0]) if severities else Severity.HIGH), WARN_WORD in words

    def describe(self) -> str:
        """The policy as --fail-on spells it."""
        return f"{self.fail_on.value},{WARN_WORD}" if self.warn else self.fail_on.value


@dataclass(frozen=True)
class Verdict:
    code: int
    reason: Message
    failing: int = 0
    not_examined: int = 0


@dataclass(frozen=True)
class WaiverResult:
    """The waivers in force for the run, and what they did to it."""

    waivers: WaiverSet
    waived: Mapping[int, Waiver]
    expired: tuple[tuple[Waiver, int], ...]
    unused: tuple[Waiver, ...]
    error: str | None = None


@dataclass(frozen=True)
class Assessment:
    run: Run
    legal_basis: str
    timezone: str
    language: Lang
    policy: ExitPolicy
    waivers: WaiverResult
    compliance: ComplianceReport
    root_causes: tuple[RootCause, ...]
    verdict: Verdict
    previous: Comparison | None = None
    trend: Trend = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return self.run.findings

    @property
    def fail_on(self) -> Severity:
        return self.policy.fail_on

    def waiver_of(self, index: int) -> Waiver | None:
        return self.waivers.waived.get(index)

    def is_new(self, index: int) -> bool | None:
        return None if self.previous is None else index in self.previous.new

    def site_percentages(self) -> dict[str, float]:
        """Compliance % per site as the report shows it (what history stores and the trend draws)."""
        return {s.site: s.percent for s in self.compliance.sites}


def local_day(run: Run, timezone: str) -> date:
    """The day the run finished, where the inventory is (a waiver's last day is a local day)."""
    return run.finished.astimezone(ZoneInfo(timezone)).date()


def compare(run: Run, previous: Run | None) -> Comparison | None:
    if previous is None:
        return None
    before = {finding_key(f): f.status for f in previous.findings}
    now = {finding_key(f): f.status for f in run.findings}
    new = frozenset(
        i
        for i, f in enumerate(run.findings)
        if f.status in PROBLEMS and before.get(finding_key(f)) not in PROBLEMS
    )
    fixed = tuple(
        Fixed(f.check_id, f.target.key, f.status)
        for f in previous.findings
        if f.status in (Status.FAIL, Status.WARN) and now.get(finding_key(f)) is Status.PASS
    )
    return Comparison(previous.id, new, fixed)


def root_causes(findings: Sequence[Finding], waived: Mapping[int, Waiver]) -> tuple[RootCause, ...]:
    """Problems grouped by (site, check, status), worst first, then the widest first."""
    groups: dict[tuple[str, str, Status], list[int]] = {}
    for i, f in enumerate(findings):
        if f.status in PROBLEMS and i not in waived:
            groups.setdefault((f.target.site, f.check_id, f.status), []).append(i)
    causes = []
    for (site, check_id, status), members in groups.items():
        first = findings[members[0]]
        worst = max((findings[i].severity for i in members), key=lambda s: s.rank)
        causes.append(
            RootCause(
                site=site,
                check_id=check_id,
                family=first.family,
                status=status,
                severity=worst,
                findings=tuple(members),
                targets=tuple(dict.fromkeys(findings[i].target for i in members)),
            )
        )
    order = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2}
    causes.sort(key=lambda c: (c.site, -c.severity.rank, order[c.status], -len(c.targets), c.check_id))
    return tuple(causes)


def not_examined(findings: Sequence[Finding], waived: Mapping[int, Waiver]) -> int:
    """Unwaived root-cause ERRORs: targets a family could not examine at all."""
    return sum(
        1 for i, f in enumerate(findings) if f.blocked and f.status is Status.ERROR and i not in waived
    )


def verdict(
    findings: Sequence[Finding],
    waived: Mapping[int, Waiver],
    policy: ExitPolicy,
    run_errors: Sequence[Message] = (),
) -> Verdict:
    """Exit 1 when an unwaived FAIL (or with `warn` a WARN) at or above `fail_on` remains; else 5
    when a target could not be examined or part of the run failed (`run_errors`), unless the policy
    allows errors; else 0. The reason names both when both are true."""
    statuses = {Status.FAIL, Status.WARN} if policy.warn else {Status.FAIL}
    failing = sum(
        1
        for i, f in enumerate(findings)
        if f.status in statuses and f.severity.at_least(policy.fail_on) and i not in waived
    )
    missed = not_examined(findings, waived)
    what = say("core.verdict_what_warn" if policy.warn else "core.verdict_what_fail")
    reasons = []
    if failing:
        reasons.append(say("core.verdict_failing", count=failing, what=what, severity=policy.fail_on.value))
    if missed or run_errors:
        key = "core.verdict_errors_allowed" if policy.allow_errors else "core.verdict_not_examined"
        reasons.append(say(key, count=missed, errors=len(run_errors)))
    if failing:
        code = EXIT_FINDINGS
    elif (missed or run_errors) and not policy.allow_errors:
        code = EXIT_NOT_EXAMINED
    else:
        code = EXIT_OK
    if not failing:
        reasons.insert(0, say("core.verdict_clean", what=what, severity=policy.fail_on.value))
    reason = reasons[0] if len(reasons) == 1 else say("core.verdict_and", first=reasons[0], second=reasons[1])
    return Verdict(code, reason, failing, missed)


def assess(
    run: Run,
    *,
    legal_basis: str | None = None,
    waivers: WaiverSet | None = None,
    waiver_error: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    language: Lang = "vi",
    policy: ExitPolicy | None = None,
    previous: Run | None = None,
    comparison: Comparison | None = None,
    trend: Trend | None = None,
    catalogue: Catalogue | None = None,
) -> Assessment:
    """The one assessment of `run`; every argument is what the run was made with, never re-read.
    `comparison` is a recorded comparison with the previous run (a re-render has no previous Run);
    `trend` holds the earlier points of each site, this run's point is added."""
    chosen = catalogue or default_catalogue()
    exit_policy = policy or ExitPolicy()
    basis = chosen.basis(legal_basis).id
    waiver_set = waivers or WaiverSet()
    applied = waiver_set.apply(run.findings, local_day(run, timezone))
    compliance = evaluate(run.sites, run.findings, chosen, applied.waived.keys())
    return Assessment(
        run=run,
        legal_basis=basis,
        timezone=timezone,
        language=language,
        policy=exit_policy,
        waivers=WaiverResult(waiver_set, applied.waived, applied.expired, applied.unused, waiver_error),
        compliance=compliance,
        root_causes=root_causes(run.findings, applied.waived),
        verdict=verdict(run.findings, applied.waived, exit_policy, run.errors),
        previous=comparison or compare(run, previous),
        trend=_with_this_run(run.id, compliance, trend or {}),
    )


def _with_this_run(
    run_id: str, compliance: ComplianceReport, earlier: Trend
) -> dict[str, list[tuple[str, float]]]:
    """Per site, the earlier (run, compliance %) points, oldest first, ending with this run."""
    return {
        s.site: [*((r, p) for r, p in earlier.get(s.site, ()) if r != run_id), (run_id, s.percent)]
        for s in compliance.sites
    }
