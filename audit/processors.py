"""Side concerns of a run (progress, history, notification) as nornir processors.

nornir calls `task_started`, `task_instance_completed` and the rest around the per-host collection
tasks; the runner calls the same hooks around the batch collectors (one nmap per site, one sslyze
scanner), so a processor sees every collector. After the run, the pipeline hands each processor the
Assessment (`assessed`) and, once the reports are on disk, their directory (`reported`): history is
recorded and the digest mailed there, never inside check code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from p06audit.assessment import Assessment


class AuditProcessor:
    """nornir's Processor protocol with no-op hooks, plus the run's own events."""

    def planned(self, steps: int) -> None:
        """The run will report `steps` completions: one per host each collector examines."""

    def task_started(self, task: Any) -> None:
        pass

    def task_completed(self, task: Any, result: Any) -> None:
        pass

    def task_instance_started(self, task: Any, host: Any) -> None:
        pass

    def task_instance_completed(self, task: Any, host: Any, result: Any) -> None:
        pass

    def subtask_instance_started(self, task: Any, host: Any) -> None:
        pass

    def subtask_instance_completed(self, task: Any, host: Any, result: Any) -> None:
        pass

    def target_examined(self, family: str, host: str, detail: str, first: bool) -> None:
        """A batch collector finished `detail` (a host, or one endpoint of it); `first` when it is
        the first report of `host`, which counts as one completion."""

    def batch_completed(self, family: str, targets: int) -> None:
        """A batch collector finished; `targets` hosts it did not report one by one complete now."""

    def assessed(self, assessment: Assessment) -> None:
        """The run was assessed; reports are about to be written."""

    def reported(self, assessment: Assessment, directory: Path) -> None:
        """The reports of `assessment` are complete in `directory`."""


class Processors:
    """Fans every hook out to a list of processors (nornir's own `Processors` does this for tasks)."""

    def __init__(self, processors: Sequence[AuditProcessor] = ()) -> None:
        self.members = tuple(processors)

    def planned(self, steps: int) -> None:
        for p in self.members:
            p.planned(steps)

    def target_examined(self, family: str, host: str, detail: str, first: bool) -> None:
        for p in self.members:
            p.target_examined(family, host, detail, first)

    def batch_completed(self, family: str, targets: int) -> None:
        for p in self.members:
            p.batch_completed(family, targets)

    def assessed(self, assessment: Assessment) -> None:
        for p in self.members:
            p.assessed(assessment)

    def reported(self, assessment: Assessment, directory: Path) -> None:
        for p in self.members:
            p.reported(assessment, directory)
