"""Waivers: accepted risks with a reason, an owner and an expiry date, applied when reports render.

A waiver never changes a finding: the report shows a matching FAIL or WARN as WAIVED and counts it
apart. After its expiry date a waiver no longer applies, so the finding counts again and the
expired waiver is itself reported (InSpec's lesson: waivers expire; mute lists that never do
confuse their users).

File format (YAML), referenced by `waivers:` in the inventory's defaults.yaml
(inventories/demo/waivers.yaml is a real one):

    waivers:
      - check: ABC-004              # check id, shell-style wildcards allowed (ABC-00?)
        target: "lab-psc/*:22"      # pattern over the finding's target key site/host[:port][#resource]
        reason: Jump host migration planned for Q1
        owner: Phòng CNTT — Nguyễn Văn A
        expires: 2027-03-31         # last day the waiver applies
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from p06audit.errors import ConfigFileError
from p06audit.model import Finding, Status
from p06audit.yamlfile import read_yaml, validate_node

WAIVABLE = frozenset({Status.FAIL, Status.WARN})


class WaiverError(ConfigFileError):
    """A waiver file that cannot be read or validated; the message names file, line and field."""


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str = Field(pattern=r"^[A-Z0-9*?\[\]-]+$")
    target: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    def matches(self, finding: Finding) -> bool:
        return fnmatchcase(finding.check_id, self.check) and fnmatchcase(finding.target.key, self.target)

    def expired_on(self, day: date) -> bool:
        """The expiry date is the last day the waiver applies."""
        return day > self.expires


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: tuple[Waiver, ...] = ()


@dataclass(frozen=True)
class WaiverOutcome:
    """Which findings (by index) a waiver covers, and which waivers are expired or unused."""

    waived: dict[int, Waiver]
    expired: tuple[tuple[Waiver, int], ...]
    unused: tuple[Waiver, ...]


@dataclass(frozen=True)
class WaiverSet:
    waivers: tuple[Waiver, ...] = ()
    source: str | None = None

    def apply(self, findings: Sequence[Finding], day: date) -> WaiverOutcome:
        """Match every waivable finding to the first active waiver; report expired and unused ones."""
        active = [w for w in self.waivers if not w.expired_on(day)]
        waived: dict[int, Waiver] = {}
        for index, finding in enumerate(findings):
            if finding.status not in WAIVABLE:
                continue
            waiver = next((w for w in active if w.matches(finding)), None)
            if waiver is not None:
                waived[index] = waiver
        used = set(waived.values())
        expired = tuple(
            (w, sum(1 for f in findings if f.status in WAIVABLE and w.matches(f)))
            for w in self.waivers
            if w.expired_on(day)
        )
        return WaiverOutcome(waived, expired, tuple(w for w in active if w not in used))


def load_waivers(path: Path) -> WaiverSet:
    """Read and validate a waiver file; raise WaiverError naming file:line and the field."""
    parsed = validate_node(WaiverFile, path, read_yaml(path, WaiverError), error=WaiverError)
    return WaiverSet(parsed.waivers, str(path))
