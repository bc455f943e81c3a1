"""The coordinator: one task per site to its scanner's queue, one merged Run back.

Every site ends in the Run: audited by its scanner, audited here (scanner `local`), or, when its
scanner failed or gave no answer before the deadline, with each of its hosts not examined: one
ERROR per host and family naming the checks it blocked and the reason
(`Runner.execute(unreachable=...)`). Answers are read per task id, one per (run, site), so a task
delivered twice still counts once.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from celery import states  # a plain module of names; the Celery app itself is imported by broker.make_app
from pydantic import ValidationError

from p06audit import __version__
from p06audit.distributed.broker import TASK_NAME, make_app, redact
from p06audit.distributed.broker import broker_url as resolve_broker_url
from p06audit.distributed.sites import restrict, site_digest
from p06audit.distributed.wire import SiteResult, SiteTask, WireOptions, task_id
from p06audit.inventory import Inventory
from p06audit.model import Finding, Run
from p06audit.options import RunOptions
from p06audit.pipeline import Executor
from p06audit.processors import AuditProcessor, Processors
from p06audit.registry import REGISTRY
from p06audit.runner import (
    BATCH_DEADLINE_FACTOR,
    HOST_DEADLINE_FACTOR,
    Runner,
    new_run_id,
    run_audit,
)
from p06audit.text import TEXTS, Message, english, say

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
MAX_UNTOLD = 5  # unknown message keys named in the reason


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
    processors: Sequence[AuditProcessor] = (),
) -> Run:
    """Audit every site of `inventory` through the scanner its `scanner` field names and return one
    Run shaped like a local run's. Sites whose scanner is `local` are audited in this process."""
    started = datetime.now(UTC)
    run_id = new_run_id(started)
    limit = default_deadline(inventory, options) if deadline is None else deadline
    routes = {name: site.data.scanner for name, site in inventory.sites.items()}
    remote = {name: queue for name, queue in routes.items() if queue != LOCAL_SCANNER}
    local = [name for name, queue in routes.items() if queue == LOCAL_SCANNER]
    observer = Processors(processors)
    observer.planned(len(remote) + len(local))
    app = make_app(broker_url)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-sites") as pool:
            here: Future[Run] | None = None
            if local:
                here = pool.submit(Runner(restrict(inventory, local), options, processors=processors).execute)
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
    return lambda inventory, options, processors: execute_celery(
        inventory, options, url, deadline, processors
    )


def _step(observer: Processors, sites: Iterable[str], scanner: str) -> None:
    for site in sites:
        observer.batch_completed(f"{site} ({scanner})", 1)


class _Gathering:
    """Sends the site tasks and collects their answers until all are in or the deadline passes."""

    def __init__(
        self,
        app: Celery,
        inventory: Inventory,
        options: RunOptions,
        run_id: str,
        observer: Processors,
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
        unsent: Message | None = None  # once the broker refused one site, the others are not retried
        for site, queue in remote.items():
            if unsent is None:
                try:
                    self._send(site, queue, limit)
                    waiting[site] = queue
                    continue
                except Exception as exc:  # any broker failure: the site still ends in the run
                    broker = redact(self.app.conf.broker_url)
                    unsent = say("core.scanner_not_queued", broker=broker, error=str(exc))
            parts.append(self._without_answer(site, queue, unsent))
        while waiting:
            for site, meta in self._answers(waiting).items():
                parts.append(self._accept(site, waiting.pop(site), meta))
            if not waiting or time.monotonic() >= give_up:
                break
            time.sleep(POLL_SECONDS)
        for site, queue in waiting.items():
            reason = say("core.scanner_no_answer", queue=queue, seconds=round(limit))
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
            failed = say("core.scanner_task_failed", status=meta["status"], error=_failure(meta))
            return self._without_answer(site, queue, failed)
        try:
            answer = SiteResult.model_validate(meta.get("result"))
        except ValidationError as exc:
            return self._without_answer(
                site, queue, say("core.scanner_invalid_answer", count=exc.error_count())
            )
        if answer.error is not None or answer.run is None:
            why = answer.error.to_message() if answer.error is not None else say("core.scanner_no_result")
            problem = _mismatch(answer, None, self.run_id, site)
            refused = say("core.scanner_refused", scanner=answer.scanner, reason=why)
            return self._without_answer(site, queue, problem or refused)
        run = answer.run.to_run()
        problem = _mismatch(answer, run, self.run_id, site)
        return run if problem is None else self._without_answer(site, queue, problem)

    def _without_answer(self, site: str, queue: str, reason: Message) -> Run:
        """The site's hosts not examined, for `reason`, attributed to the queue that owed them."""
        log.warning("site %s: %s", site, english(reason))
        options = replace(self.options, scanner=queue)
        run = Runner(restrict(self.inventory, [site]), options).execute(unreachable=reason)
        run.errors.append(say("core.site_not_audited", site=site, reason=reason))
        return run


def _failure(meta: dict[str, Any]) -> Message | str:
    """The scanner's exception as it sent it (its own words, cut short), or that there was none."""
    result = meta.get("result")
    if isinstance(result, dict) and "exc_type" in result:
        return f"{result['exc_type']}: {result.get('exc_message')}"[:MESSAGE_LIMIT]
    return say("core.scanner_no_result")


def _mismatch(answer: SiteResult, run: Run | None, run_id: str, site: str) -> Message | None:
    """Why an answer cannot be this site's, or None: it must be for this run, hold this site only,
    and say only what this coordinator has text for (else its reports could not be written)."""
    if answer.run_id != run_id or answer.site != site:
        return say("core.scanner_wrong_task", scanner=answer.scanner, run=answer.run_id, site=answer.site)
    if run is None:
        return None
    if [s.name for s in run.sites] != [site] or any(f.target.site != site for f in run.findings):
        return say("core.scanner_foreign_findings", scanner=answer.scanner)
    untold = _untold([*(f.message for f in run.findings), *run.errors])
    if untold:
        return say("core.scanner_unknown_text", scanner=answer.scanner, keys=untold[:MAX_UNTOLD])
    return None


def _untold(messages: Iterable[Message]) -> list[str]:
    """Keys among `messages` (nested ones too) that have no text here, or lack a parameter it names."""
    REGISTRY.load_texts()
    bad: set[str] = set()
    seen: set[Message] = set()
    pending = list(messages)
    while pending:
        message = pending.pop()
        if message in seen:
            continue
        seen.add(message)
        if message.key not in TEXTS or not TEXTS.text(message.key).en.fields() <= message.params.keys():
            bad.add(message.key)
        for value in message.params.values():
            pending += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, Message)]
    return sorted(bad)


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
