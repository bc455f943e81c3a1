"""Turn a finished Run (plus waivers, the previous run and the trend) into the report document.

Everything every output shows is decided here once, so the HTML, JSON, JUnit and CSV never
disagree: which findings are waived, which are new, the counts and the compliance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from audit.guidance.catalogue import Catalogue
from audit.guidance.compliance import ComplianceReport, evaluate
from audit.model import Finding, Run, Severity, Status
from audit.waivers import Waiver, WaiverSet
from reports.model import (
    EFFECTIVE_STATUSES,
    ComplianceOut,
    ControlResultOut,
    FixedFinding,
    Lang,
    ProvinceComplianceOut,
    ReportDocument,
    ReportFinding,
    RunInfo,
    SiteComplianceOut,
    Summary,
    TrendPoint,
    WaiverEntry,
    WaiversOut,
)

PROBLEMS = frozenset({Status.FAIL, Status.WARN, Status.ERROR})
Trend = Mapping[str, Sequence[tuple[str, float]]]


def finding_key(finding: Finding) -> tuple[str, str]:
    """Identity of a finding across runs (history, diff, 'new since')."""
    return finding.check_id, finding.target.key


def _entry(waiver: Waiver, matched: int) -> WaiverEntry:
    return WaiverEntry(matched=matched, **waiver.model_dump())


def _findings(run: Run, waived: Mapping[int, Waiver], previous: Run | None) -> list[ReportFinding]:
    before = {finding_key(f): f.status for f in previous.findings} if previous else None
    out = []
    for index, finding in enumerate(run.findings):
        new = None
        if before is not None:
            new = finding.status in PROBLEMS and before.get(finding_key(finding)) not in PROBLEMS
        waiver = waived.get(index)
        out.append(
            ReportFinding(
                **dict(finding),
                key=finding.target.key,
                waiver=_entry(waiver, 1) if waiver else None,
                new=new,
            )
        )
    return out


def _fixed(run: Run, previous: Run | None) -> list[FixedFinding]:
    if previous is None:
        return []
    now = {finding_key(f): f.status for f in run.findings}
    return [
        FixedFinding(check_id=f.check_id, key=f.target.key, title=f.title, previous_status=f.status)
        for f in previous.findings
        if f.status in (Status.FAIL, Status.WARN) and now.get(finding_key(f)) is Status.PASS
    ]


def _summary(findings: Sequence[ReportFinding], fixed: int | None) -> Summary:
    by_status = Counter(f.effective_status for f in findings)
    by_severity = {
        severity: {
            s: sum(1 for f in findings if f.severity is severity and f.effective_status == s)
            for s in EFFECTIVE_STATUSES
        }
        for severity in Severity
    }
    new = sum(1 for f in findings if f.new) if fixed is not None else None
    return Summary(
        total=len(findings),
        by_status={s: by_status.get(s, 0) for s in EFFECTIVE_STATUSES},
        by_severity=by_severity,
        new=new,
        fixed=fixed,
    )


def _compliance(report: ComplianceReport, basis: str) -> ComplianceOut:
    return ComplianceOut(
        legal_basis=basis,
        sites=tuple(
            SiteComplianceOut(
                site=s.site,
                province=s.province,
                kind=s.kind,
                level=s.level,
                percent=s.percent,
                compliant=s.compliant,
                counted=s.counted,
                controls=tuple(
                    ControlResultOut(
                        control=r.control_id,
                        status=r.status,
                        advisory=r.advisory,
                        counted=r.counted,
                        counts=r.counts,
                        waived=r.waived,
                    )
                    for r in s.results
                ),
                manual=s.manual,
            )
            for s in report.sites
        ),
        provinces=tuple(
            ProvinceComplianceOut(
                province=p.province,
                sites=p.sites,
                percent=p.percent,
                compliant=p.compliant,
                counted=p.counted,
            )
            for p in report.provinces
        ),
        manual_controls=report.manual_controls,
    )


def build_document(
    run: Run,
    *,
    catalogue: Catalogue,
    lang: Lang = "vi",
    legal_basis: str | None = None,
    waivers: WaiverSet | None = None,
    waiver_error: str | None = None,
    previous: Run | None = None,
    trend: Trend | None = None,
) -> ReportDocument:
    """The report document; waivers are judged as of the day the run finished."""
    basis = catalogue.basis(legal_basis).id
    waiver_set = waivers or WaiverSet()
    outcome = waiver_set.apply(run.findings, run.finished.date())
    findings = _findings(run, outcome.waived, previous)
    fixed = _fixed(run, previous)
    applied = Counter(outcome.waived.values())
    return ReportDocument(
        generated=datetime.now(UTC),
        language=lang,
        run=RunInfo(
            id=run.id,
            started=run.started,
            finished=run.finished,
            duration_seconds=run.duration_seconds,
            tool_version=run.tool_version,
            inventory=run.inventory,
            errors=tuple(run.errors),
        ),
        previous_run=previous.id if previous else None,
        sites=tuple(run.sites),
        summary=_summary(findings, len(fixed) if previous else None),
        compliance=_compliance(evaluate(run, catalogue, outcome.waived.keys()), basis),
        waivers=WaiversOut(
            source=waiver_set.source,
            error=waiver_error,
            applied=tuple(_entry(w, n) for w, n in applied.items()),
            expired=tuple(_entry(w, n) for w, n in outcome.expired),
            unused=tuple(_entry(w, 0) for w in outcome.unused),
        ),
        findings=tuple(findings),
        fixed=tuple(fixed),
        trend={
            site: tuple(TrendPoint(run=r, percent=p) for r, p in points)
            for site, points in (trend or {}).items()
        },
    )
