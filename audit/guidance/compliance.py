"""Findings → control statuses per site, by its security level, and compliance percentages.

A control applicable at a site's level is COMPLIANT when all its evidence passed, NON-COMPLIANT on
any FAIL, NOT EVIDENCED on any ERROR or when no check produced evidence (never counted as
compliant), PARTIAL when only warnings remain, NOT APPLICABLE outside its levels or when every
check skipped. Waived findings (accepted risks) are left out of the evaluation and counted apart.
Percentage = compliant controls / counted controls, where advisory, not-applicable and manual
(no automated evidence) controls are not counted.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from audit.guidance.catalogue import Catalogue, Control, default_catalogue
from audit.model import Finding, Run, SiteInfo, Status
from audit.waivers import WaiverSet, run_waivers


class ControlStatus(enum.StrEnum):
    COMPLIANT = "COMPLIANT"
    NON_COMPLIANT = "NON-COMPLIANT"
    PARTIAL = "PARTIAL"
    NOT_EVIDENCED = "NOT EVIDENCED"
    NOT_APPLICABLE = "NOT APPLICABLE"


@dataclass(frozen=True)
class ControlResult:
    control_id: str
    status: ControlStatus
    advisory: bool
    counted: bool
    counts: dict[Status, int]
    waived: int


@dataclass(frozen=True)
class SiteCompliance:
    site: str
    province: str
    kind: str
    level: int
    results: tuple[ControlResult, ...]
    manual: tuple[str, ...]

    @property
    def counted(self) -> int:
        return sum(1 for r in self.results if r.counted)

    @property
    def compliant(self) -> int:
        return sum(1 for r in self.results if r.counted and r.status is ControlStatus.COMPLIANT)

    @property
    def percent(self) -> float:
        return percent(self.compliant, self.counted)


@dataclass(frozen=True)
class ProvinceCompliance:
    province: str
    sites: tuple[str, ...]
    compliant: int
    counted: int

    @property
    def percent(self) -> float:
        return percent(self.compliant, self.counted)


@dataclass(frozen=True)
class ComplianceReport:
    sites: tuple[SiteCompliance, ...]
    provinces: tuple[ProvinceCompliance, ...]
    manual_controls: tuple[str, ...]


def percent(part: int, whole: int) -> float:
    """Nothing counted means nothing shown compliant: 0 %, never a division error or 100 %."""
    return round(100.0 * part / whole, 1) if whole else 0.0


def control_status(statuses: Collection[Status], waived: int) -> ControlStatus:
    """The status of one applicable control from the statuses of its non-waived findings."""
    present = set(statuses)
    if not present:
        return ControlStatus.NOT_EVIDENCED
    if present == {Status.SKIP}:
        return ControlStatus.NOT_APPLICABLE if not waived else ControlStatus.NOT_EVIDENCED
    if Status.FAIL in present:
        return ControlStatus.NON_COMPLIANT
    if Status.ERROR in present:
        return ControlStatus.NOT_EVIDENCED
    if Status.WARN in present:
        return ControlStatus.PARTIAL
    return ControlStatus.COMPLIANT


def _evidence(control: Control, by_check: dict[str, list[int]], by_control: dict[str, list[int]]) -> set[int]:
    """Findings the catalogue maps to the control, plus those that name it themselves (plugins)."""
    found = {i for check in control.checks for i in by_check.get(check, ())}
    return found | set(by_control.get(control.id, ()))


def evaluate_site(
    catalogue: Catalogue, site: SiteInfo, findings: Sequence[Finding], waived: Collection[int] = ()
) -> SiteCompliance:
    """Control results for one site; `waived` holds indices into `findings` that a waiver covers."""
    waived = frozenset(waived)
    by_check: dict[str, list[int]] = defaultdict(list)
    by_control: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(findings):
        if f.target.site == site.name:
            by_check[f.check_id].append(i)
            for control_id in f.controls:
                by_control[control_id].append(i)
    results = []
    for control in catalogue.controls.values():
        if not control.automated:
            continue
        evidence = _evidence(control, by_check, by_control)
        live = [findings[i].status for i in evidence if i not in waived]
        n_waived = len(evidence) - len(live)
        if not control.applies_at(site.security_level):
            status = ControlStatus.NOT_APPLICABLE
        else:
            status = control_status(live, n_waived)
        advisory = control.advisory_at(site.security_level)
        counted = not advisory and status is not ControlStatus.NOT_APPLICABLE
        results.append(ControlResult(control.id, status, advisory, counted, dict(Counter(live)), n_waived))
    manual = tuple(
        c.id for c in catalogue.controls.values() if not c.automated and c.applies_at(site.security_level)
    )
    return SiteCompliance(site.name, site.province, site.kind, site.security_level, tuple(results), manual)


def evaluate(run: Run, catalogue: Catalogue | None = None, waived: Collection[int] = ()) -> ComplianceReport:
    """Compliance of every site of the run, pooled per province."""
    catalogue = catalogue or default_catalogue()
    sites = tuple(evaluate_site(catalogue, s, run.findings, waived) for s in run.sites)
    provinces = []
    for province in sorted({s.province for s in sites}):
        members = [s for s in sites if s.province == province]
        provinces.append(
            ProvinceCompliance(
                province,
                tuple(s.site for s in members),
                sum(s.compliant for s in members),
                sum(s.counted for s in members),
            )
        )
    manual = tuple(c.id for c in catalogue.controls.values() if not c.automated)
    return ComplianceReport(sites, tuple(provinces), manual)


def site_compliance_percentages(run: Run, *, waivers: WaiverSet | None = None) -> dict[str, float]:
    """Compliance % per site, as the report shows it (what run history stores and the trend draws).

    `waivers=None` applies the waiver file of the run's inventory, exactly as the report does.
    """
    waiver_set = waivers if waivers is not None else run_waivers(run)[0]
    waived = waiver_set.apply(run.findings, run.finished.date()).waived.keys()
    return {s.site: s.percent for s in evaluate(run, waived=waived).sites}
