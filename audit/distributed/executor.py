"""The coordinator: one task per site to its scanner's queue, one merged Run back.

Every site ends in the Run: audited by its scanner, audited here (scanner `local`), or, when its
scanner failed or gave no answer before the deadline, with every check that would have run on its
hosts as ERROR and the reason (`Runner.execute(unreachable=...)`). Answers are read per task id, one
per (run, site), so a task delivered twice still counts once.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from celery import states  # a plain module of names; the Celery app itself is imported by broker.make_app
from pydantic import ValidationError

from audit import __version__
from audit.distributed.broker import TASK_NAME, make_app, redact
from audit.distributed.broker import broker_url as resolve_broker_url
from audit.distributed.sites import restrict, site_digest
from audit.distributed.wire import SiteResult, SiteTask, WireOptions, task_id
from audit.inventory import Inventory
from audit.model import Finding, Run
from audit.options import RunOptions
from audit.pipeline import Executor
from audit.runner import (
    BATCH_DEADLINE_FACTOR,
    HOST_DEADLINE_FACTOR,
    Runner,
    RunObserver,
    new_run_id,
    run_audit,
)

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)

LOCAL_SCANNER = "local"
EXECUTORS = ("local", "celery")
DEADLINE_GRACE_SECONDS = 60.0
POLL_SECONDS = 0.05
UNREADABLE = "UNREADABLE"  # what the result store holds is not JSON
FINISHED = frozenset({states.SUCCESS, states.FAILURE, states.REVOKED, states.REJECTED, UNREADABLE})
MESSAGE_LIMIT = 500


def default_deadline(inventory: Inventory, options: RunOptions) -> float:
    """Seconds to wait for scanners: the runner's own bound per site, summed over the sites one
    queue serves (a scanner audits one site at a time), for the busiest queue, plus a grace."""
    per_queue: dict[str, float] = {}
    for name, site in inventory.sites.items():
        queue = site.data.scanner
        if queue == LOCAL_SCANNER:
            continue
        rounds = math.ceil(len(inventory.hosts_of(name)) / options.workers) * HOST_DEADLINE_FACTOR
        per_queue[queue] = per_queue.get(queue, 0.0) + options.timeout * max(BATCH_DEADLINE_FACTOR, rounds)
    return max(per_queue.values(), default=0.0) + DEADLINE_GRACE_SECONDS


def execute_celery(
    inventory: Inventory,
    options: RunOptions,
    broker_url: str,
    deadline: float | None = None,
    observer: RunObserver | None = None,
) -> Run:
    """Audit every site of `inventory` through the scanner its `scanner` field names and return one
    Run shaped like a local run's. Sites whose scanner is `local` are audited in this process."""
    started = datetime.now(UTC)
    run_id = new_run_id(started)
    limit = default_deadline(inventory, options) if deadline is None else deadline
    routes = {name: site.data.scanner for name, site in inventory.sites.items()}
    remote = {name: queue for name, queue in routes.items() if queue != LOCAL_SCANNER}
    local = [name for name, queue in routes.items() if queue == LOCAL_SCANNER]
    if observer is not None:
        observer.on_plan(len(remote) + len(local))
    app = make_app(broker_url)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-sites") as pool:
            here: Future[Run] | None = None
            if local:
                here = pool.submit(Runner(restrict(inventory, local), options).execute)
            parts = _Gathering(app, inventory, options, run_id, observer).run(remote, limit)
            if here is not None:
                parts.append(here.result())
                _step(observer, local, LOCAL_SCANNER)
    finally:
        app.close()
    return _merge(run_id, started, inventory, parts)


def choose_executor(kind: str, broker: str | None = None, deadline: float | None = None) -> Executor:
    """`local` audits every site in this process and needs no broker; `celery` sends each site to
    the queue of its scanner (broker from `broker` or the environment)."""
    if kind == "local":
        return run_audit
    url = resolve_broker_url(broker)
    return lambda inventory, options, observer: execute_celery(inventory, options, url, deadline, observer)


def _step(observer: RunObserver | None, sites: Iterable[str], scanner: str) -> None:
    if observer is not None:
        for site in sites:
            observer.on_step(f"{site} ({scanner})")


class _Gathering:
    """Sends the site tasks and collects their answers until all are in or the deadline passes."""

    def __init__(
        self,
        app: Celery,
        inventory: Inventory,
        options: RunOptions,
        run_id: str,
        observer: RunObserver | None,
    ) -> None:
        self.app = app
        self.inventory = inventory
        self.options = options
        self.run_id = run_id
        self.observer = observer
        self.wire = WireOptions.of(options)

    def run(self, remote: dict[str, str], limit: float) -> list[Run]:
        give_up = time.monotonic() + limit
        parts: list[Run] = []
        waiting: dict[str, str] = {}
        unsent: str | None = None  # once the broker refused one site, the others are not retried
        for site, queue in remote.items():
            if unsent is None:
                try:
                    self._send(site, queue, limit)
                    waiting[site] = queue
                    continue
                except Exception as exc:  # any broker failure: the site still ends in the run
                    unsent = f"could not queue the audit on broker {redact(self.app.conf.broker_url)}: {exc}"
            parts.append(self._without_answer(site, queue, unsent))
        while waiting:
            for site, meta in self._answers(waiting).items():
                parts.append(self._accept(site, waiting.pop(site), meta))
            if not waiting or time.monotonic() >= give_up:
                break
            time.sleep(POLL_SECONDS)
        for site, queue in waiting.items():
            reason = f"scanner unreachable: queue {queue!r} gave no answer within {limit:.0f} s"
            parts.append(self._without_answer(site, queue, reason))
        return parts

    def _send(self, site: str, queue: str, limit: float) -> None:
        request = SiteTask(
            run_id=self.run_id, site=site, digest=site_digest(self.inventory, site), options=self.wire
        )
        self.app.send_task(
            TASK_NAME,
            args=[request.model_dump(mode="json")],
            queue=queue,
            task_id=task_id(self.run_id, site),
            expires=limit,
        )

    def _answers(self, waiting: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Finished task states, read raw from the result store (no exception objects rebuilt)."""
        backend = self.app.backend
        sites = list(waiting)
        try:
            raw = backend.mget([backend.get_key_for_task(task_id(self.run_id, s)) for s in sites])
        except Exception as exc:  # the broker may come back before the deadline
            log.warning("reading scanner answers failed, retrying: %s", exc)
            return {}
        answers = {}
        for site, value in zip(sites, raw, strict=True):
            try:
                meta = json.loads(value) if value else {}
            except ValueError:
                meta = {"status": UNREADABLE}
            if isinstance(meta, dict) and meta.get("status") in FINISHED:
                answers[site] = meta
        return answers

    def _accept(self, site: str, queue: str, meta: dict[str, Any]) -> Run:
        _step(self.observer, [site], queue)
        if meta["status"] != states.SUCCESS:
            return self._without_answer(site, queue, f"scanner task {meta['status']}: {_failure(meta)}")
        try:
            answer = SiteResult.model_validate(meta.get("result"))
        except ValidationError as exc:
            return self._without_answer(
                site, queue, f"scanner sent an invalid answer ({exc.error_count()} errors)"
            )
        problem = _mismatch(answer, self.run_id, site)
        if problem is not None:
            return self._without_answer(site, queue, f"scanner {answer.scanner} {problem}")
        if answer.error is not None or answer.run is None:
            return self._without_answer(site, queue, f"scanner {answer.scanner} refused: {answer.error}")
        return answer.run

    def _without_answer(self, site: str, queue: str, reason: str) -> Run:
        """The site's planned checks, all ERROR with `reason`, attributed to the queue that owed them."""
        log.warning("site %s: %s", site, reason)
        options = replace(self.options, scanner=queue)
        run = Runner(restrict(self.inventory, [site]), options).execute(unreachable=reason)
        return run.model_copy(update={"errors": [*run.errors, f"site {site}: {reason}"]})


def _failure(meta: dict[str, Any]) -> str:
    result = meta.get("result")
    if isinstance(result, dict) and "exc_type" in result:
        return f"{result['exc_type']}: {result.get('exc_message')}"[:MESSAGE_LIMIT]
    return "no result"


def _mismatch(answer: SiteResult, run_id: str, site: str) -> str | None:
    """Why an answer cannot be this site's, or None: it must be for this run and hold this site only."""
    if answer.run_id != run_id or answer.site != site:
        return f"answered for run {answer.run_id} site {answer.site!r}"
    if answer.run is None:
        return None
    if [s.name for s in answer.run.sites] != [site] or any(f.site != site for f in answer.run.findings):
        return "answered with findings of another site"
    return None


def _finding_order(finding: Finding) -> tuple[str, str, str]:
    return (finding.target.site, finding.target.key, finding.check_id)


def _merge(run_id: str, started: datetime, inventory: Inventory, parts: list[Run]) -> Run:
    """One Run as a local run would have it: sites in inventory order, findings in the runner's order."""
    order = {name: i for i, name in enumerate(inventory.sites)}
    return Run(
        id=run_id,
        started=started,
        finished=datetime.now(UTC),
        tool_version=__version__,
        inventory=str(inventory.directory),
        sites=sorted((s for p in parts for s in p.sites), key=lambda s: order[s.name]),
        findings=sorted((f for p in parts for f in p.findings), key=_finding_order),
        errors=[e for p in parts for e in p.errors],
    )
