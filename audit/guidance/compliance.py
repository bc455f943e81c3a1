"""Findings → control statuses per site, by its security level, and compliance percentages.

A control applicable at a site's level is COMPLIANT when all its evidence passed, NON-COMPLIANT on
any FAIL, NOT EVIDENCED on any ERROR or when no check produced evidence (never counted as
compliant), PARTIAL when only warnings remain, NOT APPLICABLE outside its levels or when every
check skipped. Waived findings (accepted risks) are left out of the evaluation and counted apart.
A root-cause ERROR (a target that could not be examined) is evidence, as an ERROR, for every
control of the checks it blocked: those controls are NOT EVIDENCED, never compliant.
Percentage = compliant controls / counted controls, where advisory, not-applicable and manual
(no automated evidence) controls are not counted.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from p06audit.guidance.catalogue import Catalogue, default_catalogue
from p06audit.model import Finding, SiteInfo, Status


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


def evaluate_site(
    catalogue: Catalogue, site: SiteInfo, findings: Sequence[Finding], waived: Collection[int] = ()
) -> SiteCompliance:
    """Control results for one site; `waived` holds indices into `findings` that a waiver covers."""
    waived = frozenset(waived)
    by_check: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(findings):
        if f.target.site == site.name:
            for check_id in (f.check_id, *f.blocked):
                by_check[check_id].append(i)
    results = []
    for control in catalogue.controls.values():
        if not control.automated:
            continue
        evidence = {i for check in control.checks for i in by_check.get(check, ())}
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


def evaluate(
    sites_info: Sequence[SiteInfo],
    findings: Sequence[Finding],
    catalogue: Catalogue | None = None,
    waived: Collection[int] = (),
) -> ComplianceReport:
    """Compliance of every site, pooled per province; `waived` indexes `findings`."""
    catalogue = catalogue or default_catalogue()
    sites = tuple(evaluate_site(catalogue, s, findings, waived) for s in sites_info)
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
