"""The scanner side: a Celery worker that audits the sites routed to its queue, and nothing else.

The task names a site; the hosts come from the scanner's own copy of the inventory, so a message on
the broker can never point a scanner at an address its operators did not list. The audit itself is
`Runner.execute()` on that one site: the same code path as a local run.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery import states  # a plain module of names; the Celery app itself is imported by broker.make_app
from pydantic import ValidationError

from p06audit.distributed.broker import DEFAULT_VISIBILITY_TIMEOUT, TASK_NAME, make_app
from p06audit.distributed.sites import restrict, site_digest
from p06audit.distributed.wire import SiteResult, SiteTask, task_id
from p06audit.errors import AuditError
from p06audit.inventory import Inventory
from p06audit.model import Run
from p06audit.records import MessageRecord, RunRecord
from p06audit.runner import Runner
from p06audit.text import Message, english, say

if TYPE_CHECKING:
    from celery import Celery, Task

log = logging.getLogger(__name__)


class ScannerError(AuditError):
    """A task this scanner refuses to run because it is malformed or not addressed to it."""


def scanner_name(queue: str, name: str | None = None) -> str:
    """The worker's node name, `name@host`; it is what findings record as their scanner."""
    chosen = name or queue
    return chosen if "@" in chosen else f"{chosen}@{socket.gethostname()}"


@dataclass(frozen=True)
class ScannerWorker:
    """Audits the sites of `inventory` routed to `queue`, answering as `name`."""

    inventory: Inventory
    queue: str
    name: str
    state_dir: Path
    allow_wide_scope: bool = False

    def audit(self, payload: object, delivered_as: str) -> dict[str, Any]:
        """One site task in, the JSON of a SiteResult out."""
        try:
            task = SiteTask.model_validate(payload)
        except ValidationError as exc:
            raise ScannerError(
                f"refusing a malformed site task ({exc.error_count()} invalid fields)"
            ) from None
        if delivered_as != task_id(task.run_id, task.site):
            raise ScannerError(f"refusing task {delivered_as!r}: its id does not match its run and site")
        problem = self._refusal(task)
        if problem is not None:
            log.warning("run %s: refusing site %s: %s", task.run_id, task.site, english(problem))
            return self._answer(task, error=problem)
        log.info("run %s: auditing site %s", task.run_id, task.site)
        options = task.options.to_options(
            state_dir=self.state_dir, scanner=self.name, allow_wide_scope=self.allow_wide_scope
        )
        run = Runner(restrict(self.inventory, [task.site]), options).execute()
        log.info(
            "run %s: site %s audited, %d findings in %.1f s",
            task.run_id,
            task.site,
            len(run.findings),
            run.duration_seconds,
        )
        return self._answer(task, run=run)

    def _refusal(self, task: SiteTask) -> Message | None:
        site = self.inventory.sites.get(task.site)
        if site is None:
            return say("core.scanner_site_unknown", site=task.site)
        if site.data.scanner != self.queue:
            return say("core.scanner_site_elsewhere", site=task.site, queue=site.data.scanner, own=self.queue)
        if site_digest(self.inventory, task.site) != task.digest:
            return say("core.scanner_site_differs", site=task.site)
        return None

    def _answer(self, task: SiteTask, run: Run | None = None, error: Message | None = None) -> dict[str, Any]:
        record = RunRecord.of(run) if run is not None else None
        refusal = MessageRecord.of(error) if error is not None else None
        result = SiteResult(run_id=task.run_id, site=task.site, scanner=self.name, run=record, error=refusal)
        return result.model_dump(mode="json")


def worker_app(
    scanner: ScannerWorker, url: str, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
) -> Celery:
    """The app a scanner runs: exactly one registered task type, and a duplicate delivery of a task
    that already succeeded returns the stored answer instead of auditing again."""
    app = make_app(url, visibility_timeout)

    @app.task(name=TASK_NAME, bind=True)  # type: ignore[untyped-decorator]
    def audit_site(task: Task, payload: object) -> dict[str, Any]:
        stored = task.backend.get_task_meta(task.request.id)
        if stored.get("status") == states.SUCCESS:
            log.info(
                "duplicate delivery of %s: returning the stored result, not auditing again", task.request.id
            )
            answer: dict[str, Any] = stored["result"]
            return answer
        return scanner.audit(payload, task.request.id)

    app.finalize(auto=True)
    for name in [n for n in app.tasks if n != TASK_NAME]:
        del app.tasks[name]  # Celery's built-in canvas tasks: a scanner runs one task type only
    return app


def run_worker(
    scanner: ScannerWorker,
    url: str,
    *,
    concurrency: int = 1,
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
) -> int:
    """Consume the scanner's queue until stopped (SIGTERM: finish the current site, then exit)."""
    app = worker_app(scanner, url, visibility_timeout)
    worker = app.Worker(
        hostname=scanner.name,
        queues=[scanner.queue],
        concurrency=concurrency,
        pool_cls="prefork",
        loglevel="INFO",
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        optimization="fair",
    )
    worker.start()
    return int(worker.exitcode or 0)
