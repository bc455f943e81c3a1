"""The types every layer speaks inside a run: targets, observations, outcomes, findings and runs.

All are plain slotted dataclasses: a run builds 100,000s of them, and nothing inside a run needs
validation. Data crossing an edge (report.json, history, Celery) goes through the pydantic models
of `p06audit.records`, which validate on the way in.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from p06audit.text import Message, english

SCHEMA_VERSION = "2.0"


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


@dataclass(frozen=True, slots=True)
class Target:
    """What a finding is about: a host, an address, a port, or a resource such as a file."""

    site: str
    host: str | None = None
    address: str | None = None
    port: int | None = None
    resource: str | None = None

    @property
    def key(self) -> str:
        """Stable identity used to compare runs (history, diff, waivers)."""
        where = self.host or self.address or "-"
        if self.port is not None:
            where += f":{self.port}"
        if self.resource:
            where += f"#{self.resource}"
        return f"{self.site}/{where}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A check's verdict on one target. Its title and remediation are the check's (checks.yaml);
    its summary is `message`, rendered in the report's language when shown."""

    check_id: str
    family: str
    status: Status
    severity: Severity
    target: Target
    message: Message
    evidence: dict[str, Any] = field(default_factory=dict)
    scanner: str = "local"
    blocked: tuple[str, ...] = ()  # a root-cause ERROR: the checks it kept from running

    @property
    def site(self) -> str:
        return self.target.site

    @property
    def folded(self) -> bool:
        """One finding standing for many items (a family folds a verdict shared by 9,870
        certificates into one): its evidence holds `count` and a `sample` of their resources."""
        count = self.evidence.get("count")
        return isinstance(count, int) and count > 0 and isinstance(self.evidence.get("sample"), list)

    @property
    def items(self) -> int:
        """How many items the finding stands for: a folded finding's count, any other 1."""
        return int(self.evidence["count"]) if self.folded else 1

    @property
    def summary(self) -> str:
        """The summary in English (logs, tests, plain terminal lines)."""
        return english(self.message)


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """The site facts reports need (compliance depends on the security level)."""

    name: str
    kind: str
    province: str
    security_level: int
    hosts: tuple[str, ...] = ()


@dataclass(slots=True)
class Run:
    """One audit as the runner returns it: what was found, on which sites, and what failed to run."""

    id: str
    started: datetime
    finished: datetime
    tool_version: str
    inventory: str
    sites: list[SiteInfo] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)

    @property
    def duration_seconds(self) -> float:
        return (self.finished - self.started).total_seconds()


@dataclass(frozen=True)
class Observation:
    """Base of every collector's typed record of what was seen."""

    target: Target


@dataclass(frozen=True)
class CollectionFailed(Observation):
    """The collector could not observe `expected` for this target at all: the target was not examined."""

    expected: type[Observation]
    reason: Message | str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a rule concluded: a status and a message; the runner adds the check's metadata."""

    status: Status
    message: Message
    evidence: dict[str, Any] | None = None
    severity: Severity | None = None
    target: Target | None = None

    @property
    def summary(self) -> str:
        """The message in English (tests and logs)."""
        return english(self.message)
