"""What the authenticated collector read on a host: the raw output of each fixed probe command."""

from __future__ import annotations

from dataclasses import dataclass

from audit.model import Observation

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

    def brief(self, limit: int = 300) -> str:
        """A short, single-paragraph account of a failed probe for summaries and evidence."""
        text = " / ".join(line.strip() for line in (self.stderr or self.stdout).splitlines() if line.strip())
        if self.exit_status is None:
            return "did not finish in time"
        return f"exit {self.exit_status}: {text[:limit]}" if text else f"exit {self.exit_status}"


@dataclass(frozen=True)
class HostFacts(Observation):
    """Every probe run over one authenticated session (only those the selected checks need)."""

    results: tuple[CommandResult, ...]

    def result(self, probe: str) -> CommandResult | None:
        return next((r for r in self.results if r.probe == probe), None)
