"""A rich progress bar as a run processor (never inside check code): one step per host a per-host
collector examined (nornir's task events) and one per batch collector."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from p06audit.processors import AuditProcessor


class ProgressProcessor(AuditProcessor):
    def __init__(self, enabled: bool = True) -> None:
        console = Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]auditing[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}", markup=False),
            console=console,
            transient=True,
            disable=not enabled or not console.is_terminal,
        )
        self._task = self._progress.add_task("", total=None)

    def __enter__(self) -> ProgressProcessor:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def planned(self, steps: int) -> None:
        self._progress.update(self._task, total=steps + 1)

    def task_instance_completed(self, task: Any, host: Any, result: Any) -> None:
        self._progress.update(self._task, advance=1, description=f"{task.name} {host.name}")

    def batch_completed(self, family: str, targets: int) -> None:
        self._progress.update(self._task, advance=1, description=family)
