"""Plan, collect concurrently, apply rules, and return a Run.

Collectors are the only I/O. Per-host collectors run as nornir tasks on its threaded runner (the
task's Result is the collection attempt), each bounded by a deadline; batch collectors (one nmap
per site, one sslyze scanner for all endpoints) run beside them. Anything that raises or overruns
becomes a CollectionFailed observation: the target was not examined, and it ends as one ERROR
finding per target and family that names the checks it blocked, with the reason.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from p06audit import __version__
from p06audit.inventory import Host, Inventory
from p06audit.model import (
    CollectionFailed,
    Finding,
    Observation,
    Outcome,
    Run,
    SiteInfo,
    Status,
    Target,
)
from p06audit.options import RunOptions
from p06audit.processors import AuditProcessor, Processors
from p06audit.registry import (
    REGISTRY,
    BatchRule,
    CheckSpec,
    CollectContext,
    CollectorSpec,
    ObservationIndex,
    Registry,
    Rule,
    RuleContext,
    describe_error,
    rule_failed,
)
from p06audit.text import TEXTS, Message, say

log = logging.getLogger(__name__)

HOST_DEADLINE_FACTOR = 6
BATCH_DEADLINE_FACTOR = 30


@dataclass(frozen=True)
class _Job:
    spec: CollectorSpec
    hosts: tuple[Host, ...]
    context: CollectContext


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def host_target(host: Host, port: int | None = None, resource: str | None = None) -> Target:
    return Target(site=host.site.name, host=host.name, address=host.address, port=port, resource=resource)


def call_with_deadline(func: Callable[[], Sequence[Observation]], seconds: float) -> Sequence[Observation]:
    """Run `func` in a daemon thread; a collector that overruns is abandoned, not waited for."""
    result: list[Sequence[Observation]] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(func())
        except BaseException as exc:
            error.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise CollectorTimeout(seconds)
    if error:
        raise error[0]
    return result[0]


class CollectorTimeout(TimeoutError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"no result within {seconds:.0f} s")
        self.reason = say("core.collector_timeout", seconds=round(seconds))


def failure_reason(exc: BaseException) -> Message | str:
    """Why a collector failed, as a message where the engine has one, else the exception's words."""
    return exc.reason if isinstance(exc, CollectorTimeout) else describe_error(exc)


class _Tracker:
    """Which hosts of a batch job its collector has reported done, for the run's progress."""

    def __init__(self, family: str, hosts: Sequence[Host], processors: Processors) -> None:
        self.family = family
        self.remaining = {h.name for h in hosts}
        self.processors = processors
        self.lock = threading.Lock()

    def examined(self, host: str, detail: str) -> None:
        with self.lock:
            first = host in self.remaining
            self.remaining.discard(host)
        self.processors.target_examined(self.family, host, detail, first)

    def finish(self) -> int:
        """The hosts never reported one by one: they complete together now."""
        with self.lock:
            left, self.remaining = len(self.remaining), set()
        return left


def _failures(spec: CollectorSpec, hosts: Sequence[Host], reason: Message | str) -> list[Observation]:
    return [
        CollectionFailed(target=host_target(h), expected=kind, reason=reason)
        for h in hosts
        for kind in spec.produces
    ]


class Runner:
    def __init__(
        self,
        inventory: Inventory,
        options: RunOptions,
        registry: Registry = REGISTRY,
        processors: Sequence[AuditProcessor] = (),
    ) -> None:
        registry.load_plugins(options.families or registry.families_of(options.checks))
        self.inventory = inventory
        self.options = options
        self.registry = registry
        self.processors = Processors(processors)
        self.checks = [c for c in registry.checks.values() if options.selects(c.id, c.family)]
        self._collector_errors: list[Message] = []
        self._lock = threading.Lock()

    def plan(self) -> list[_Job]:
        """One job per collector that produces what a selected check observes (matched by type)."""
        jobs = []
        for family in sorted(self.registry.collectors):
            for spec in self.registry.collectors[family]:
                served = tuple(c for c in self.checks if c.observes in spec.produces)
                if not served:
                    continue
                hosts = tuple(
                    h
                    for h in self.inventory.hosts.values()
                    if any(c.applies_to.matches(h, h.site) for c in served)
                )
                jobs.append(_Job(spec, hosts, CollectContext(self.inventory, self.options, served)))
        return jobs

    def orphan_checks(self) -> list[Message]:
        """Selected checks no collector feeds: reported in the run, never silently skipped."""
        produced = {kind for specs in self.registry.collectors.values() for s in specs for kind in s.produces}
        return [
            say("core.orphan_check", check=c.id, module=c.module, observation=c.observes.__name__)
            for c in self.checks
            if c.observes not in produced
        ]

    def execute(self, unreachable: Message | str | None = None) -> Run:
        """Collect and apply the rules. Given `unreachable` (a reason), collect nothing: every planned
        target ends not examined with it, so hosts whose scanner never answered are never missing."""
        started = datetime.now(UTC)
        jobs = self.plan()
        self.processors.planned(sum(len(j.hosts) for j in jobs))
        observations = (
            self._collect(jobs)
            if unreachable is None
            else [obs for job in jobs for obs in _failures(job.spec, job.hosts, unreachable)]
        )
        findings = self._apply_rules(observations)
        self.processors.batch_completed("rules", 1)
        return Run(
            id=new_run_id(started),
            started=started,
            finished=datetime.now(UTC),
            tool_version=__version__,
            inventory=str(self.inventory.directory),
            sites=[
                SiteInfo(
                    name=s.name,
                    kind=s.data.kind.value,
                    province=s.data.province,
                    security_level=s.data.security_level,
                    hosts=tuple(h.name for h in self.inventory.hosts_of(s.name)),
                )
                for s in self.inventory.sites.values()
            ],
            findings=findings,
            errors=self.orphan_checks() + self._collector_errors,
        )

    def _collect(self, jobs: list[_Job]) -> list[Observation]:
        """Every job at once; per-host jobs share one nornir over the inventory's hosts."""
        per_host = any(job.spec.per_host and job.hosts for job in jobs)
        nornir = self._nornir() if per_host else None
        with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
            futures = [pool.submit(self._run_job, job, nornir) for job in jobs]
            return [obs for f in futures for obs in f.result()]

    def _nornir(self) -> Any:
        from nornir.core import Nornir
        from nornir.core.processor import Processors as NornirProcessors
        from nornir.plugins.runners import ThreadedRunner

        return Nornir(
            inventory=self.inventory.nornir,
            runner=ThreadedRunner(num_workers=self.options.workers),
            processors=NornirProcessors(list(self.processors.members)),
        )

    def _run_job(self, job: _Job, nornir: Any) -> list[Observation]:
        if job.spec.per_host:
            return self._run_per_host(job, nornir)
        deadline = self.options.timeout * BATCH_DEADLINE_FACTOR
        tracker = _Tracker(job.spec.family, job.hosts, self.processors)
        context = dataclasses.replace(job.context, progress=tracker.examined)
        try:
            observed = list(call_with_deadline(lambda: job.spec.func(job.hosts, context), deadline))
        except Exception as exc:
            log.warning("collector %s failed: %s", job.spec.family, describe_error(exc))
            reason = failure_reason(exc)
            observed = _failures(job.spec, job.hosts, reason)
            with self._lock:
                self._collector_errors.append(
                    say("core.collector_failed", family=job.spec.family, error=reason)
                )
        self.processors.batch_completed(job.spec.family, tracker.finish())
        return observed

    def _run_per_host(self, job: _Job, nornir: Any) -> list[Observation]:
        """One nornir task per host; each task's Result holds that host's observations (or failure)."""
        from nornir.core.task import Result

        if not job.hosts:
            return []
        names = {h.name for h in job.hosts}
        chosen = nornir.filter(filter_func=lambda h: h.name in names)
        deadline = self.options.timeout * HOST_DEADLINE_FACTOR

        def collect(task: Any) -> Any:
            host = self.inventory.hosts[task.host.name]
            try:
                observed = list(call_with_deadline(lambda: job.spec.func(host, job.context), deadline))
            except Exception as exc:
                log.warning("collector %s on %s failed: %s", job.spec.family, host.name, describe_error(exc))
                failed = _failures(job.spec, [host], failure_reason(exc))
                return Result(host=task.host, result=failed, failed=True, exception=exc)
            return Result(host=task.host, result=observed)

        results = chosen.run(
            task=collect, name=f"collect-{job.spec.family}", on_failed=True, raise_on_error=False
        )
        return [obs for name in sorted(results) for obs in results[name][0].result]

    def _apply_rules(self, observations: list[Observation]) -> list[Finding]:
        """Every selected check over the observations it reads, a (type, host, site) group at a
        time: the context and which checks apply are worked out once per group, and a batch rule
        sees the whole group in one call (100,000s of certificates at one site). Targets that could
        not be examined become one root-cause ERROR per target and family."""
        index = ObservationIndex(observations)
        by_kind: dict[type[Observation], list[CheckSpec]] = {}
        for spec in self.checks:
            by_kind.setdefault(spec.observes, []).append(spec)
        groups: dict[tuple[type[Observation], str | None, str], list[Observation]] = {}
        failures: list[CollectionFailed] = []
        for obs in observations:
            if isinstance(obs, CollectionFailed):
                failures.append(obs)
                continue
            key = (type(obs), obs.target.host, obs.target.site)
            members = groups.get(key)
            if members is None:
                groups[key] = [obs]
            else:
                members.append(obs)
        findings: list[Finding] = []
        scanner = self.options.scanner
        for key, items in groups.items():
            ctx, specs = self._plan(by_kind.get(key[0], []), items[0].target, index)
            for spec in specs:
                findings += [
                    make_finding(spec, obs.target, outcome, scanner)
                    for obs, outcome in _judge(spec, items, ctx)
                ]
        findings += self._not_examined(failures, by_kind)
        findings.sort(key=lambda f: (f.target.site, f.target.key, f.check_id))
        return findings

    def _not_examined(
        self, failures: Iterable[CollectionFailed], by_kind: dict[type[Observation], list[CheckSpec]]
    ) -> list[Finding]:
        """One ERROR per (target, family) that could not be examined, naming the checks it blocked."""
        blocked: dict[tuple[Target, str], tuple[list[CheckSpec], list[Message | str]]] = {}
        for failed in failures:
            host = self.inventory.hosts.get(failed.target.host or "")
            site = self.inventory.sites.get(failed.target.site)
            for spec in by_kind.get(failed.expected, []):
                if not spec.applies_to.matches(host, site):
                    continue
                specs, reasons = blocked.setdefault((failed.target, spec.family), ([], []))
                if spec not in specs:
                    specs.append(spec)
                if failed.reason not in reasons:
                    reasons.append(failed.reason)
        findings = []
        for (target, family), (specs, reasons) in blocked.items():
            ids = tuple(sorted(s.id for s in specs))
            worst = max((s.severity for s in specs), key=lambda s: s.rank)
            findings.append(
                Finding(
                    check_id=self.registry.not_examined_id(family),
                    family=family,
                    status=Status.ERROR,
                    severity=worst,
                    target=target,
                    message=say(
                        "core.not_examined",
                        reason=reasons[0] if len(reasons) == 1 else reasons,
                        checks=list(ids),
                    ),
                    evidence={"blocked": list(ids)},
                    scanner=self.options.scanner,
                    blocked=ids,
                )
            )
        return findings

    def _plan(
        self, specs: list[CheckSpec], target: Target, index: ObservationIndex
    ) -> tuple[RuleContext, list[CheckSpec]]:
        """The rule context of a (host, site) and the checks that apply there."""
        host = self.inventory.hosts.get(target.host or "")
        site = self.inventory.sites.get(target.site)
        ctx = RuleContext(self.inventory, self.options, host, site, index)
        return ctx, [spec for spec in specs if spec.applies_to.matches(host, site)]


def _judge(spec: CheckSpec, items: list[Observation], ctx: RuleContext) -> list[tuple[Observation, Outcome]]:
    """(observation, Outcome) for each verdict of `spec` on `items`. A rule that raises, or says a
    message no text file defines, is an ERROR with the reason; the other checks and items go on."""
    if spec.batch:
        try:
            judged = list(cast(BatchRule, spec.rule)(items, ctx))
        except Exception as exc:
            log.exception("check %s raised on %s", spec.id, items[0].target.site)
            failed = rule_failed(exc)
            return [(obs, failed) for obs in items]
        return [(obs, _said(spec, outcome)) for obs, outcome in judged]
    rule = cast(Rule, spec.rule)
    verdicts = []
    for obs in items:
        try:
            outcome = rule(obs, ctx)
        except Exception as exc:
            log.exception("check %s raised on %s", spec.id, obs.target.key)
            outcome = rule_failed(exc)
        if outcome is not None:
            verdicts.append((obs, _said(spec, outcome)))
    return verdicts


def _said(spec: CheckSpec, outcome: Outcome) -> Outcome:
    """The outcome, if its message has text; a rule naming unknown text is a bug shown as ERROR."""
    key = outcome.message.key
    if key in TEXTS:
        return outcome
    log.error("check %s returned the message '%s', which no checks.yaml defines", spec.id, key)
    return rule_failed(LookupError(f"no text for message '{key}'"))


def make_finding(spec: CheckSpec, target: Target, outcome: Outcome, scanner: str = "local") -> Finding:
    """The check's identity plus the rule's Outcome."""
    return Finding(
        check_id=spec.id,
        family=spec.family,
        status=outcome.status,
        severity=outcome.severity or spec.severity,
        target=outcome.target or target,
        message=outcome.message,
        evidence=dict(outcome.evidence) if outcome.evidence else {},
        scanner=scanner,
    )


def run_audit(inventory: Inventory, options: RunOptions, processors: Sequence[AuditProcessor] = ()) -> Run:
    return Runner(inventory, options, processors=processors).execute()
