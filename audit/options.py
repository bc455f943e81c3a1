"""Run-wide settings shared by collectors and rules (thresholds live here, with safe defaults)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from p06audit.family import FamilyOptions

OptionsT = TypeVar("OptionsT", bound=FamilyOptions)


def default_state_dir() -> Path:
    """Pinned host keys, history and the run lock live here (XDG state dir unless overridden)."""
    if os.environ.get("P06AUDIT_STATE_DIR"):
        return Path(os.environ["P06AUDIT_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "p06audit"


@dataclass(frozen=True)
class RunOptions:
    timeout: float = 10.0
    workers: int = 8
    state_dir: Path = field(default_factory=default_state_dir)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    checks: frozenset[str] | None = None
    families: frozenset[str] | None = None
    allow_wide_scope: bool = False
    scanner: str = "local"
    family_options: Mapping[str, FamilyOptions] = field(default_factory=dict)  # by family name

    def of(self, kind: type[OptionsT]) -> OptionsT:
        """A family's own options (its defaults when the run set none)."""
        for value in self.family_options.values():
            if isinstance(value, kind):
                return value
        return kind()

    def selects(self, check_id: str, family: str) -> bool:
        chosen_family = self.families is None or family in self.families
        return chosen_family and (self.checks is None or check_id in self.checks)
