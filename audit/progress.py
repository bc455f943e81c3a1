"""The run's progress as a processor (never inside check code): one step per host each collector
examines, fed by nornir's task events (per-host collectors) and by batch collectors reporting each
host or endpoint as they finish it (`CollectContext.examined`).

At a terminal it is a rich bar naming the last host or endpoint; piped (cron, systemd) or with
`-v` it is a plain log line per host and endpoint (logger `p06audit.progress`, level INFO).
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from p06audit.processors import AuditProcessor

log = logging.getLogger("p06audit.progress")
COLLECT_TASK_PREFIX = "collect-"


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
        self._done = 0
        self._total: int | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> ProgressProcessor:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def planned(self, steps: int) -> None:
        self._total = steps + 1  # the rules, applied once everything is collected
        self._progress.update(self._task, total=self._total)

    def _step(self, advance: int, description: str) -> None:
        with self._lock:
            self._done += advance
            done = self._done
        self._progress.update(self._task, advance=advance, description=description)
        log.info("%s (%d/%s)", description, done, self._total if self._total is not None else "?")

    def task_instance_completed(self, task: Any, host: Any, result: Any) -> None:
        family = str(task.name).removeprefix(COLLECT_TASK_PREFIX)
        failed = " (not examined)" if getattr(result, "failed", False) else ""
        self._step(1, f"{family}: {host.name}{failed}")

    def target_examined(self, family: str, host: str, detail: str, first: bool) -> None:
        where = detail if detail == host else f"{host} {detail}"
        self._step(1 if first else 0, f"{family}: {where}")

    def batch_completed(self, family: str, targets: int) -> None:
        if targets:
            self._step(targets, family)
