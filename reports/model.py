"""The report.json wire model: strict pydantic, committed as schemas/report.schema.json.

The document carries the run itself (findings untouched, so any past report can be re-rendered)
plus what the report derived from it: waivers applied, what is new since the previous run,
compliance per site and province, and the per-site trend. Field meanings: docs/report-json.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from audit.guidance.compliance import ControlStatus
from audit.model import Finding, Run, Severity, SiteInfo, Status

REPORT_SCHEMA_VERSION = "1.0"
_WIRE = ConfigDict(extra="forbid", frozen=True, strict=True)

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
    errors: tuple[str, ...] = ()


class WaiverEntry(BaseModel):
    """A waiver as written in the waiver file, with how many findings it matched in this run."""

    model_config = _WIRE
    check: str
    target: str
    reason: str
    owner: str
    expires: date
    matched: int = 0


class ReportFinding(Finding):
    """A finding exactly as the run recorded it, plus what the report derived about it."""

    model_config = _WIRE
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

    def as_finding(self) -> Finding:
        return Finding.model_validate(self.model_dump(exclude={"key", "waiver", "new"}))


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
    applied: tuple[WaiverEntry, ...] = ()
    expired: tuple[WaiverEntry, ...] = ()
    unused: tuple[WaiverEntry, ...] = ()


class TrendPoint(BaseModel):
    model_config = _WIRE
    run: str
    percent: float


class ReportDocument(BaseModel):
    """Top of report.json. `schema_version` comes first; readers refuse versions they do not know."""

    model_config = _WIRE
    schema_version: Literal["1.0"] = "1.0"
    generated: datetime
    language: Lang
    run: RunInfo
    previous_run: str | None = None
    sites: tuple[SiteInfo, ...]
    summary: Summary
    compliance: ComplianceOut
    waivers: WaiversOut
    findings: tuple[ReportFinding, ...]
    fixed: tuple[FixedFinding, ...] = ()
    trend: dict[str, tuple[TrendPoint, ...]] = Field(default_factory=dict)

    def to_run(self) -> Run:
        """The run as recorded, so a past report re-renders (and diffs) like a fresh one."""
        return Run(
            id=self.run.id,
            started=self.run.started,
            finished=self.run.finished,
            tool_version=self.run.tool_version,
            inventory=self.run.inventory,
            sites=list(self.sites),
            findings=[f.as_finding() for f in self.findings],
            errors=list(self.run.errors),
        )
