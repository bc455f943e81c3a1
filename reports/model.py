"""The report.json wire model: strict pydantic, committed as schemas/report.schema.json.

The document is the Assessment as recorded: the run's findings (each with its message key and
parameters, so any past report re-renders in either language), and what was decided about them:
waivers in force and applied, what is new since the previous run, compliance per site and
province under the recorded legal basis, root causes, the exit verdict and the per-site trend.
Field meanings: docs/report-json.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from p06audit.guidance.compliance import ControlStatus
from p06audit.model import Severity, Status
from p06audit.records import FindingRecord, MessageRecord, SiteRecord

REPORT_SCHEMA_VERSION = "2.0"
_WIRE = ConfigDict(extra="forbid", frozen=True)

EffectiveStatus = Literal["PASS", "FAIL", "WARN", "ERROR", "SKIP", "WAIVED"]
EFFECTIVE_STATUSES: tuple[EffectiveStatus, ...] = ("FAIL", "ERROR", "WARN", "WAIVED", "SKIP", "PASS")
Lang = Literal["vi", "en"]


class RunInfo(BaseModel):
    model_config = _WIRE
    id: str
    started: datetime
    finished: datetime
    duration_seconds: float
    tool_version: str
    inventory: str
    errors: tuple[str, ...] = Field(default=(), description="what could not run, in the report's language")
    error_messages: tuple[MessageRecord, ...] = Field(default=(), description="the same, as message keys")


class WaiverEntry(BaseModel):
    """A waiver as written in the waiver file, with how many findings it matched in this run."""

    model_config = _WIRE
    check: str
    target: str
    reason: str
    owner: str
    expires: date
    matched: int = 0


class ReportFinding(FindingRecord):
    """A finding exactly as the run recorded it, its text in the report's language, and what the
    assessment decided about it."""

    model_config = _WIRE
    title: str
    summary: str
    remediation: str = Field(
        description="what to do: the check's fix, or for an ERROR how to make it checkable"
    )
    controls: tuple[str, ...] = Field(default=(), description="guidance controls the check evidences")
    key: str = Field(
        description="target key site/host[:port][#resource]; with check_id, identity across runs"
    )
    waiver: WaiverEntry | None = Field(default=None, description="the active waiver covering it, if any")
    new: bool | None = Field(
        default=None, description="a problem absent from the previous run; null: no previous"
    )

    @property
    def effective_status(self) -> EffectiveStatus:
        return "WAIVED" if self.waiver is not None else self.status.value


class FixedFinding(BaseModel):
    """A problem of the previous run whose check now passes."""

    model_config = _WIRE
    check_id: str
    key: str
    title: str
    previous_status: Status


class Summary(BaseModel):
    model_config = _WIRE
    total: int
    by_status: dict[EffectiveStatus, int]
    by_severity: dict[Severity, dict[EffectiveStatus, int]]
    new: int | None = None
    fixed: int | None = None


class ControlResultOut(BaseModel):
    model_config = _WIRE
    control: str
    status: ControlStatus
    advisory: bool
    counted: bool
    counts: dict[Status, int]
    waived: int


class SiteComplianceOut(BaseModel):
    model_config = _WIRE
    site: str
    province: str
    kind: str
    level: int
    percent: float
    compliant: int
    counted: int
    controls: tuple[ControlResultOut, ...]
    manual: tuple[str, ...]


class ProvinceComplianceOut(BaseModel):
    model_config = _WIRE
    province: str
    sites: tuple[str, ...]
    percent: float
    compliant: int
    counted: int


class ComplianceOut(BaseModel):
    model_config = _WIRE
    legal_basis: str
    sites: tuple[SiteComplianceOut, ...]
    provinces: tuple[ProvinceComplianceOut, ...]
    manual_controls: tuple[str, ...]


class WaiversOut(BaseModel):
    model_config = _WIRE
    source: str | None = None
    error: str | None = Field(default=None, description="why the waiver file could not be applied")
    in_force: tuple[WaiverEntry, ...] = Field(
        default=(), description="every waiver the run was assessed with (a re-render applies these)"
    )
    applied: tuple[WaiverEntry, ...] = ()
    expired: tuple[WaiverEntry, ...] = ()
    unused: tuple[WaiverEntry, ...] = ()


class RootCauseOut(BaseModel):
    """One thing to fix at a site: a check's problem and every target it applies to, worst first."""

    model_config = _WIRE
    site: str
    check_id: str
    family: str
    status: Status
    severity: Severity
    title: str
    remediation: str
    findings: tuple[int, ...] = Field(description="indices into `findings`")
    targets: tuple[str, ...] = Field(description="target keys, as in findings[].key")


class VerdictOut(BaseModel):
    model_config = _WIRE
    exit_code: int
    fail_on: Severity
    fail_on_warn: bool = Field(default=False, description="a WARN at or above fail_on fails the run too")
    allow_errors: bool = Field(
        default=False, description="targets not examined did not make the run exit 5 (--allow-errors)"
    )
    not_examined: int = Field(default=0, description="unwaived root-cause ERRORs: targets not examined")
    reason: str
    reason_message: MessageRecord


class TrendPoint(BaseModel):
    model_config = _WIRE
    run: str
    percent: float


class ReportDocument(BaseModel):
    """Top of report.json. `schema_version` comes first; readers refuse versions they do not know."""

    model_config = _WIRE
    schema_version: Literal["2.0"] = "2.0"
    generated: datetime
    language: Lang
    timezone: str
    run: RunInfo
    previous_run: str | None = None
    sites: tuple[SiteRecord, ...]
    summary: Summary
    verdict: VerdictOut
    compliance: ComplianceOut
    root_causes: tuple[RootCauseOut, ...] = ()
    waivers: WaiversOut
    findings: tuple[ReportFinding, ...]
    fixed: tuple[FixedFinding, ...] = ()
    trend: dict[str, tuple[TrendPoint, ...]] = Field(default_factory=dict)
