"""The types every layer speaks: targets, observations, findings and runs.

Observations are frozen dataclasses produced by collectors; findings and runs are strict pydantic
models because they cross the wire (report.json, history, Celery).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"


class Status(enum.StrEnum):
    PASS = "PASS"  # noqa: S105 - a finding status, not a password
    FAIL = "FAIL"
    WARN = "WARN"
    ERROR = "ERROR"
    SKIP = "SKIP"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse, so severities compare naturally."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}

_STRICT = ConfigDict(frozen=True, extra="forbid")


class Target(BaseModel):
    """What a finding is about: a host, an address, a port, or a resource such as a file."""

    model_config = _STRICT

    site: str
    host: str | None = None
    address: str | None = None
    port: int | None = None
    resource: str | None = None

    @classmethod
    def trusted(cls, site: str, resource: str) -> Target:
        """A site-level target from two strings the caller built (100,000s of certificates):
        validation would only copy them. See `Finding.trusted`."""
        values = {"site": site, "host": None, "address": None, "port": None, "resource": resource}
        return _trusted(cls, values, {"site", "resource"})

    @property
    def key(self) -> str:
        """Stable identity used to compare runs (history, diff, waivers)."""
        where = self.host or self.address or "-"
        if self.port is not None:
            where += f":{self.port}"
        if self.resource:
            where += f"#{self.resource}"
        return f"{self.site}/{where}"


class Finding(BaseModel):
    model_config = _STRICT

    check_id: str
    title: str
    family: str
    status: Status
    severity: Severity
    target: Target
    summary: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remediation: str = ""
    controls: tuple[str, ...] = ()
    scanner: str = "local"

    @property
    def site(self) -> str:
        return self.target.site

    @classmethod
    def trusted(cls, values: dict[str, Any]) -> Finding:
        """A finding from values already of the declared types, every field given (the runner's
        check metadata and typed Outcomes): validating would only copy them, a second of the rules
        stage at 100,000 certificates, and pydantic's `model_construct` is slower still. Anything
        read from outside (report.json, history, Celery) goes through validation."""
        return _trusted(cls, values, set(values))


_new = object.__new__
_set = object.__setattr__
ModelT = TypeVar("ModelT", bound=BaseModel)


def _trusted(cls: type[ModelT], values: dict[str, Any], given: set[str]) -> ModelT:
    """An instance of `cls` holding `values` (every field, each of its declared type) as they are,
    as if built from the fields in `given` (the others at their defaults)."""
    model = _new(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", given)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


class SiteInfo(BaseModel):
    """The site facts reports need (compliance depends on the security level)."""

    model_config = _STRICT

    name: str
    kind: str
    province: str
    security_level: int
    hosts: tuple[str, ...] = ()


class Run(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    id: str
    started: datetime
    finished: datetime
    tool_version: str
    inventory: str
    sites: list[SiteInfo] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)

    @property
    def duration_seconds(self) -> float:
        return (self.finished - self.started).total_seconds()


@dataclass(frozen=True)
class Observation:
    """Base of every collector's typed record of what was seen."""

    target: Target


@dataclass(frozen=True)
class CollectionFailed(Observation):
    """The collector could not observe `expected` for this target; every check reading it is ERROR."""

    expected: type[Observation]
    reason: str


@dataclass(frozen=True)
class Outcome:
    """What a rule concluded; the runner adds the check's metadata to make a Finding."""

    status: Status
    summary: str
    evidence: dict[str, Any] | None = None
    severity: Severity | None = None
    target: Target | None = None
