"""What the authenticated collector read on a host: the raw output of each fixed probe command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from p06audit.model import Observation
from p06audit.text import Message, say

MISSING_TOOL = 127


@dataclass(frozen=True)
class CommandResult:
    """One probe's output. `exit_status` None: it did not finish within its time limit."""

    probe: str
    exit_status: int | None
    stdout: str
    stderr: str
    truncated: bool = False

    @property
    def missing(self) -> bool:
        """The host lacks the tool this probe needs (the probe's `need` exits 127)."""
        return self.exit_status == MISSING_TOOL

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    def brief(self, limit: int = 300) -> Message:
        """A short, single-paragraph account of a failed probe for summaries."""
        if self.exit_status is None:
            return say("host.probe_timeout")
        text = self.output(limit)
        if text:
            return say("host.probe_exit", status=self.exit_status, output=text)
        return say("host.probe_exit_quiet", status=self.exit_status)

    def output(self, limit: int = 300) -> str:
        """What the command printed (its errors first), as one line."""
        return " / ".join(line.strip() for line in (self.stderr or self.stdout).splitlines() if line.strip())[
            :limit
        ]

    def facts(self) -> dict[str, Any]:
        """A failed probe as evidence: how it ended and what it said."""
        return {"probe": self.probe, "exit_status": self.exit_status, "output": self.output()}


@dataclass(frozen=True)
class HostFacts(Observation):
    """Every probe run over one authenticated session (only those the selected checks need)."""

    results: tuple[CommandResult, ...]

    def result(self, probe: str) -> CommandResult | None:
        return next((r for r in self.results if r.probe == probe), None)
