"""Findings and runs as they cross an edge (report.json, the Celery wire): strict pydantic models.

Inside a run everything is a plain dataclass (`p06audit.model`); anything read from outside is
validated here on the way in, and converted back to the dataclasses the engine speaks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from p06audit.model import SCHEMA_VERSION, Finding, Run, Severity, SiteInfo, Status, Target
from p06audit.text import Message

_RECORD = ConfigDict(extra="forbid", frozen=True)


class MessageRecord(BaseModel):
    """A message key and its parameters; nested messages are `{"message": {...}}` parameters."""

    model_config = _RECORD
    key: str = Field(pattern=r"^[A-Za-z0-9_-]+\.[a-z0-9_.]+$")
    params: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, message: Message) -> MessageRecord:
        return cls.model_validate(message.to_json())

    def to_message(self) -> Message:
        return Message.from_json(self.model_dump())


class TargetRecord(BaseModel):
    model_config = _RECORD
    site: str
    host: str | None = None
    address: str | None = None
    port: int | None = None
    resource: str | None = None

    @classmethod
    def of(cls, target: Target) -> TargetRecord:
        return cls(
            site=target.site,
            host=target.host,
            address=target.address,
            port=target.port,
            resource=target.resource,
        )

    def to_target(self) -> Target:
        return Target(self.site, self.host, self.address, self.port, self.resource)


class FindingRecord(BaseModel):
    model_config = _RECORD
    check_id: str
    family: str
    status: Status
    severity: Severity
    target: TargetRecord
    message: MessageRecord
    evidence: dict[str, Any] = Field(default_factory=dict)
    scanner: str = "local"
    blocked: tuple[str, ...] = Field(default=(), description="checks a root-cause ERROR kept from running")

    @classmethod
    def fields_of(cls, finding: Finding) -> dict[str, Any]:
        return {
            "check_id": finding.check_id,
            "family": finding.family,
            "status": finding.status,
            "severity": finding.severity,
            "target": TargetRecord.of(finding.target),
            "message": MessageRecord.of(finding.message),
            "evidence": finding.evidence,
            "scanner": finding.scanner,
            "blocked": finding.blocked,
        }

    def to_finding(self) -> Finding:
        return Finding(
            check_id=self.check_id,
            family=self.family,
            status=self.status,
            severity=self.severity,
            target=self.target.to_target(),
            message=self.message.to_message(),
            evidence=dict(self.evidence),
            scanner=self.scanner,
            blocked=self.blocked,
        )


class SiteRecord(BaseModel):
    model_config = _RECORD
    name: str
    kind: str
    province: str
    security_level: int
    hosts: tuple[str, ...] = ()

    @classmethod
    def of(cls, site: SiteInfo) -> SiteRecord:
        return cls(
            name=site.name,
            kind=site.kind,
            province=site.province,
            security_level=site.security_level,
            hosts=site.hosts,
        )

    def to_site(self) -> SiteInfo:
        return SiteInfo(self.name, self.kind, self.province, self.security_level, self.hosts)


class RunRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    id: str
    started: datetime
    finished: datetime
    tool_version: str
    inventory: str
    sites: list[SiteRecord] = Field(default_factory=list)
    findings: list[FindingRecord] = Field(default_factory=list)
    errors: list[MessageRecord] = Field(default_factory=list)

    @classmethod
    def of(cls, run: Run) -> RunRecord:
        return cls(
            id=run.id,
            started=run.started,
            finished=run.finished,
            tool_version=run.tool_version,
            inventory=run.inventory,
            sites=[SiteRecord.of(s) for s in run.sites],
            findings=[FindingRecord(**FindingRecord.fields_of(f)) for f in run.findings],
            errors=[MessageRecord.of(e) for e in run.errors],
        )

    def to_run(self) -> Run:
        return Run(
            id=self.id,
            started=self.started,
            finished=self.finished,
            tool_version=self.tool_version,
            inventory=self.inventory,
            sites=[s.to_site() for s in self.sites],
            findings=[f.to_finding() for f in self.findings],
            errors=[e.to_message() for e in self.errors],
        )
