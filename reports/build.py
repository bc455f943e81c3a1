"""The Assessment as the report document (report.json), and a recorded document back as an Assessment.

Everything every output shows comes from the Assessment, decided once, so HTML, JSON, JUnit and
CSV never disagree. Text is rendered here in the report's language from each finding's message;
the message itself is kept, so `p06audit report RUN/report.json --lang en` renders the same run
in English with the waivers, legal basis and comparison recorded with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from p06audit.assessment import Assessment, Comparison, ExitPolicy, Fixed, assess
from p06audit.guidance.catalogue import Catalogue
from p06audit.guidance.compliance import ComplianceReport
from p06audit.model import Finding, Run, Severity, Status
from p06audit.records import FindingRecord, MessageRecord, SiteRecord
from p06audit.reports.model import (
    EFFECTIVE_STATUSES,
    ComplianceOut,
    ControlResultOut,
    FixedFinding,
    ProvinceComplianceOut,
    ReportDocument,
    ReportFinding,
    RootCauseOut,
    RunInfo,
    SiteComplianceOut,
    Summary,
    TrendPoint,
    VerdictOut,
    WaiverEntry,
    WaiversOut,
)
from p06audit.text import Lang, Message, Renderer
from p06audit.waivers import Waiver, WaiverSet


class Texts:
    """A finding's words in one language: its check's title, remediation and its summary."""

    def __init__(self, lang: Lang, timezone: str) -> None:
        self.render = Renderer(lang, timezone)

    def title(self, check_id: str) -> str:
        return self.render(Message(f"{check_id}.title"))

    def remediation(self, finding: Finding) -> str:
        """How to fix it, or for an ERROR how to make the check possible (never the FAIL fix)."""
        if finding.blocked:
            return self.render(Message(f"{finding.check_id}.remediation"))
        name = "error_remediation" if finding.status is Status.ERROR else "remediation"
        return self.render(Message(f"{finding.check_id}.{name}"))

    def summary(self, finding: Finding) -> str:
        return self.render(finding.message)


def _entry(waiver: Waiver, matched: int) -> WaiverEntry:
    return WaiverEntry(matched=matched, **waiver.model_dump())


def _findings(assessment: Assessment, texts: Texts, catalogue: Catalogue) -> list[ReportFinding]:
    out = []
    for index, finding in enumerate(assessment.findings):
        waiver = assessment.waiver_of(index)
        out.append(
            ReportFinding(
                **FindingRecord.fields_of(finding),
                title=texts.title(finding.check_id),
                summary=texts.summary(finding),
                remediation=texts.remediation(finding),
                controls=tuple(
                    dict.fromkeys(
                        c
                        for check in (finding.check_id, *finding.blocked)
                        for c in catalogue.controls_for_check(check)
                    )
                ),
                key=finding.target.key,
                waiver=_entry(waiver, 1) if waiver else None,
                new=assessment.is_new(index),
            )
        )
    return out


def _summary(findings: Sequence[ReportFinding], fixed: int | None) -> Summary:
    by_status = Counter(f.effective_status for f in findings)
    pairs = Counter((f.severity, f.effective_status) for f in findings)
    by_severity = {severity: {s: pairs[severity, s] for s in EFFECTIVE_STATUSES} for severity in Severity}
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


def _waivers(assessment: Assessment) -> WaiversOut:
    result = assessment.waivers
    applied = Counter(result.waived.values())
    return WaiversOut(
        source=result.waivers.source,
        error=result.error,
        in_force=tuple(_entry(w, applied.get(w, 0)) for w in result.waivers.waivers),
        applied=tuple(_entry(w, n) for w, n in applied.items()),
        expired=tuple(_entry(w, n) for w, n in result.expired),
        unused=tuple(_entry(w, 0) for w in result.unused),
    )


def build_document(assessment: Assessment, catalogue: Catalogue, lang: Lang | None = None) -> ReportDocument:
    """report.json's document for `assessment`, its text in `lang` (default: the assessment's)."""
    language: Lang = lang or assessment.language
    texts = Texts(language, assessment.timezone)
    run = assessment.run
    findings = _findings(assessment, texts, catalogue)
    comparison = assessment.previous
    fixed = [
        FixedFinding(
            check_id=f.check_id, key=f.key, title=texts.title(f.check_id), previous_status=f.previous_status
        )
        for f in (comparison.fixed if comparison else ())
    ]
    keys = [f.key for f in findings]
    return ReportDocument(
        generated=datetime.now(UTC),
        language=language,
        timezone=assessment.timezone,
        run=RunInfo(
            id=run.id,
            started=run.started,
            finished=run.finished,
            duration_seconds=run.duration_seconds,
            tool_version=run.tool_version,
            inventory=run.inventory,
            errors=tuple(texts.render(e) for e in run.errors),
            error_messages=tuple(MessageRecord.of(e) for e in run.errors),
        ),
        previous_run=comparison.previous_id if comparison else None,
        sites=tuple(SiteRecord.of(s) for s in run.sites),
        summary=_summary(findings, len(fixed) if comparison else None),
        verdict=VerdictOut(
            exit_code=assessment.verdict.code,
            fail_on=assessment.policy.fail_on,
            fail_on_warn=assessment.policy.warn,
            allow_errors=assessment.policy.allow_errors,
            not_examined=assessment.verdict.not_examined,
            reason=texts.render(assessment.verdict.reason),
            reason_message=MessageRecord.of(assessment.verdict.reason),
        ),
        compliance=_compliance(assessment.compliance, assessment.legal_basis),
        root_causes=tuple(
            RootCauseOut(
                site=c.site,
                check_id=c.check_id,
                family=c.family,
                status=c.status,
                severity=c.severity,
                title=texts.title(c.check_id),
                remediation=texts.remediation(run.findings[c.findings[0]]),
                findings=c.findings,
                targets=tuple(dict.fromkeys(keys[i] for i in c.findings)),
            )
            for c in assessment.root_causes
        ),
        waivers=_waivers(assessment),
        findings=tuple(findings),
        fixed=tuple(fixed),
        trend={
            site: tuple(TrendPoint(run=r, percent=p) for r, p in points)
            for site, points in assessment.trend.items()
        },
    )


def recorded_assessment(doc: ReportDocument, catalogue: Catalogue) -> Assessment:
    """The Assessment a report.json recorded: its findings, waivers in force, legal basis, time
    zone, comparison with its previous run and trend, re-assessed exactly as when it was written."""
    run = Run(
        id=doc.run.id,
        started=doc.run.started,
        finished=doc.run.finished,
        tool_version=doc.run.tool_version,
        inventory=doc.run.inventory,
        sites=[s.to_site() for s in doc.sites],
        findings=[f.to_finding() for f in doc.findings],
        errors=[e.to_message() for e in doc.run.error_messages],
    )
    waivers = WaiverSet(
        tuple(Waiver(**w.model_dump(exclude={"matched"})) for w in doc.waivers.in_force), doc.waivers.source
    )
    comparison = None
    if doc.previous_run is not None:
        comparison = Comparison(
            doc.previous_run,
            frozenset(i for i, f in enumerate(doc.findings) if f.new),
            tuple(Fixed(f.check_id, f.key, f.previous_status) for f in doc.fixed),
        )
    return assess(
        run,
        legal_basis=doc.compliance.legal_basis,
        waivers=waivers,
        waiver_error=doc.waivers.error,
        timezone=doc.timezone,
        language=doc.language,
        policy=ExitPolicy(doc.verdict.fail_on, doc.verdict.fail_on_warn, doc.verdict.allow_errors),
        comparison=comparison,
        trend={site: [(p.run, p.percent) for p in points] for site, points in doc.trend.items()},
        catalogue=catalogue,
    )
