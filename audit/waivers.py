"""Waivers: accepted risks with a reason, an owner and an expiry date, applied when reports render.

A waiver never changes a finding: the report shows a matching FAIL or WARN as WAIVED and counts it
apart. After its expiry date a waiver no longer applies, so the finding counts again and the
expired waiver is itself reported (InSpec's lesson: waivers expire; mute lists that never do
confuse their users).

File format (YAML), referenced by `waivers:` in the inventory's defaults.yaml:

    waivers:
      - check: NET-004              # check id, shell-style wildcards allowed (SSH-00?)
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

from audit.errors import AuditError, ConfigFileError
from audit.inventory import load_inventory
from audit.model import Finding, Run, Status
from audit.yamlfile import read_yaml, validate_node

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


def run_waivers(run: Run) -> tuple[WaiverSet, str | None]:
    """The waivers of the run's inventory (defaults.yaml `waivers:`), and why they are unusable if so.

    A broken waiver file must not cost a run its report or history: the caller shows the problem.
    """
    if not Path(run.inventory).is_dir():
        return WaiverSet(), None
    try:
        inventory = load_inventory(run.inventory)
        path = inventory.resolve(inventory.defaults.waivers)
        return (load_waivers(path), None) if path is not None else (WaiverSet(), None)
    except AuditError as exc:
        return WaiverSet(), str(exc)
