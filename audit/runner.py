"""Plan, collect concurrently, apply rules, and return a Run.

Collectors are the only I/O. Per-host collectors run as nornir tasks on its threaded runner, each
bounded by a deadline; batch collectors (one nmap per site, one sslyze scanner for all endpoints)
run beside them. Anything that raises or overruns becomes a CollectionFailed observation, which the
rules stage turns into ERROR findings: every target ends with a status and a reason.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from audit import __version__
from audit.bulk import gc_paused
from audit.inventory import Host, Inventory, build_nornir
from audit.model import (
    CollectionFailed,
    Finding,
    Observation,
    Outcome,
    Run,
    Severity,
    SiteInfo,
    Status,
    Target,
)
from audit.options import RunOptions
from audit.registry import (
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

log = logging.getLogger(__name__)

HOST_DEADLINE_FACTOR = 6
BATCH_DEADLINE_FACTOR = 30


class RunObserver(Protocol):
    """Side concerns (progress bars, history, notifications) hang off these events."""

    def on_plan(self, total_steps: int) -> None: ...

    def on_step(self, description: str) -> None: ...


class _SilentObserver:
    def on_plan(self, total_steps: int) -> None:
        pass

    def on_step(self, description: str) -> None:
        pass


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
        raise TimeoutError(f"no result within {seconds:.0f} s")
    if error:
        raise error[0]
    return result[0]


def _failures(spec: CollectorSpec, hosts: Sequence[Host], reason: str) -> list[Observation]:
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
        observer: RunObserver | None = None,
    ) -> None:
        registry.load_plugins(options.families)
        self.inventory = inventory
        self.options = options
        self.registry = registry
        self.observer: RunObserver = observer or _SilentObserver()
        self.checks = [c for c in registry.checks.values() if options.selects(c.id, c.family)]
        self._collector_errors: list[str] = []
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

    def orphan_checks(self) -> list[str]:
        """Selected checks no collector feeds: reported in the run, never silently skipped."""
        produced = {kind for specs in self.registry.collectors.values() for s in specs for kind in s.produces}
        return [
            f"check {c.id} ({c.module}) observes {c.observes.__name__}, which no collector produces"
            for c in self.checks
            if c.observes not in produced
        ]

    def execute(self, unreachable: str | None = None) -> Run:
        """Collect and apply the rules. Given `unreachable` (a reason), collect nothing: every planned check
        ends ERROR with it, so hosts whose scanner never answered are never silently missing."""
        started = datetime.now(UTC)
        jobs = self.plan()
        per_host_steps = sum(len(j.hosts) for j in jobs if j.spec.per_host)
        self.observer.on_plan(per_host_steps + sum(1 for j in jobs if not j.spec.per_host) + 1)
        observations = (
            self._collect(jobs)
            if unreachable is None
            else [obs for job in jobs for obs in _failures(job.spec, job.hosts, unreachable)]
        )
        with gc_paused():  # 100,000s of findings, all kept
            findings = self._apply_rules(observations)
        self.observer.on_step("rules")
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
        """Every job at once; per-host jobs share one nornir built from the inventory once."""
        per_host = any(job.spec.per_host and job.hosts for job in jobs)
        nornir = build_nornir(self.inventory, self.options.workers) if per_host else None
        with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
            futures = [pool.submit(self._run_job, job, nornir) for job in jobs]
            return [obs for f in futures for obs in f.result()]

    def _run_job(self, job: _Job, nornir: Any) -> list[Observation]:
        if job.spec.per_host:
            return self._run_per_host(job, nornir)
        deadline = self.options.timeout * BATCH_DEADLINE_FACTOR
        try:
            observed = list(call_with_deadline(lambda: job.spec.func(job.hosts, job.context), deadline))
        except Exception as exc:
            log.warning("collector %s failed: %s", job.spec.family, describe_error(exc))
            observed = _failures(job.spec, job.hosts, describe_error(exc))
            with self._lock:
                self._collector_errors.append(f"collector {job.spec.family} failed: {describe_error(exc)}")
        self.observer.on_step(job.spec.family)
        return observed

    def _run_per_host(self, job: _Job, nornir: Any) -> list[Observation]:
        if not job.hosts:
            return []
        names = {h.name for h in job.hosts}
        chosen = nornir.filter(filter_func=lambda h: h.name in names)
        collected: dict[str, list[Observation]] = {}
        lock = threading.Lock()

        def task(task: Any) -> None:
            host = self.inventory.hosts[task.host.name]
            deadline = self.options.timeout * HOST_DEADLINE_FACTOR
            try:
                observed = list(call_with_deadline(lambda: job.spec.func(host, job.context), deadline))
            except Exception as exc:
                log.warning("collector %s on %s failed: %s", job.spec.family, host.name, describe_error(exc))
                observed = _failures(job.spec, [host], describe_error(exc))
            with lock:
                collected[host.name] = observed
            self.observer.on_step(f"{job.spec.family} {host.name}")

        chosen.run(task=task, name=f"collect-{job.spec.family}")
        return [obs for name in sorted(collected) for obs in collected[name]]

    def _apply_rules(self, observations: list[Observation]) -> list[Finding]:
        """Every selected check over the observations it reads, a (type, host, site) group at a
        time: the context and which checks apply are worked out once per group, and a batch rule
        sees the whole group in one call (100,000s of certificates at one site)."""
        index = ObservationIndex(observations)
        by_kind: dict[type[Observation], list[CheckSpec]] = {}
        for spec in self.checks:
            by_kind.setdefault(spec.observes, []).append(spec)
        groups: dict[tuple[type[Observation], str | None, str], list[Observation]] = {}
        failures: dict[tuple[type[Observation], str | None, str], list[CollectionFailed]] = {}
        for obs in observations:
            if isinstance(obs, CollectionFailed):
                failures.setdefault((obs.expected, obs.target.host, obs.target.site), []).append(obs)
                continue
            key = (type(obs), obs.target.host, obs.target.site)
            members = groups.get(key)
            if members is None:
                groups[key] = [obs]
            else:
                members.append(obs)
        findings: list[Finding] = []
        scanner = self.options.scanner
        for key in dict.fromkeys([*groups, *failures]):  # each (type, host, site) planned once
            items = groups.get(key, [])
            not_checked = [(f, _not_checked(f)) for f in failures.get(key, [])]
            where = items[0].target if items else not_checked[0][0].target
            ctx, specs = self._plan(by_kind.get(key[0], []), where, index)
            for spec in specs:
                findings += [
                    make_finding(spec, obs.target, outcome, scanner)
                    for obs, outcome in [*_judge(spec, items, ctx), *not_checked]
                ]
        findings.sort(key=lambda f: (f.target.site, f.target.key, f.check_id))
        return findings

    def _plan(
        self, specs: list[CheckSpec], target: Target, index: ObservationIndex
    ) -> tuple[RuleContext, list[CheckSpec]]:
        """The rule context of a (host, site) and the checks that apply there."""
        host = self.inventory.hosts.get(target.host or "")
        site = self.inventory.sites.get(target.site)
        ctx = RuleContext(self.inventory, self.options, host, site, index)
        return ctx, [spec for spec in specs if spec.applies_to.matches(host, site)]


def _not_checked(failed: CollectionFailed) -> Outcome:
    return Outcome(Status.ERROR, f"Could not check: {failed.reason}", {"reason": failed.reason})


def _judge(spec: CheckSpec, items: list[Observation], ctx: RuleContext) -> list[tuple[Observation, Outcome]]:
    """(observation, Outcome) for each verdict of `spec` on `items`. A rule that raises is an ERROR
    with its reason on the items it was judging; the other checks and items go on."""
    if not items:
        return []
    if spec.batch:
        try:
            return list(cast(BatchRule, spec.rule)(items, ctx))
        except Exception as exc:
            log.exception("check %s raised on %s", spec.id, items[0].target.site)
            failed = rule_failed(exc)
            return [(obs, failed) for obs in items]
    rule = cast(Rule, spec.rule)
    judged = []
    for obs in items:
        try:
            outcome = rule(obs, ctx)
        except Exception as exc:
            log.exception("check %s raised on %s", spec.id, obs.target.key)
            outcome = rule_failed(exc)
        if outcome is not None:
            judged.append((obs, outcome))
    return judged


def make_finding(spec: CheckSpec, target: Target, outcome: Outcome, scanner: str = "local") -> Finding:
    """The check's metadata (checked when it registered) plus the rule's Outcome. An Outcome of the
    declared types skips re-validation; anything else is validated (coerced or refused) as ever."""
    severity = outcome.severity or spec.severity
    where = outcome.target or target
    values: dict[str, Any] = {
        "check_id": spec.id,
        "title": spec.title,
        "family": spec.family,
        "status": outcome.status,
        "severity": severity,
        "target": where,
        "summary": outcome.summary,
        "evidence": outcome.evidence or {},
        "remediation": spec.remediation,
        "controls": spec.controls,
        "scanner": scanner,
    }
    if not _typed(outcome, severity, where):
        return Finding(**values)
    values["evidence"] = dict(values["evidence"])  # the shallow copy validation would make
    return Finding.trusted(values)


def _typed(outcome: Outcome, severity: Severity, target: Target) -> bool:
    """True when the Outcome's values are exactly the types Finding declares (what mypy promises,
    but a plugin's rule may still hand a plain string for a status), so validation would change nothing."""
    if (
        outcome.status.__class__ is not Status
        or severity.__class__ is not Severity
        or target.__class__ is not Target
        or outcome.summary.__class__ is not str
    ):
        return False
    evidence = outcome.evidence
    if evidence is None:
        return True
    if evidence.__class__ is not dict:
        return False
    return all(key.__class__ is str for key in evidence)


def run_audit(inventory: Inventory, options: RunOptions, observer: RunObserver | None = None) -> Run:
    return Runner(inventory, options, observer=observer).execute()
