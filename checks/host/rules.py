"""SSH-008 and HOST-001..004: pure judgements of the authenticated probes' output.

SSH-008 reads the host collector's observation, so it is registered in the `host` family (the
runner pairs checks with their family's collector); its ID stays in the SSH series it belongs to.
Their words are in checks.yaml; each rule returns a status, a message key and its parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

from p06audit.checks.host import parse
from p06audit.checks.host.commands import FIREWALLS, LOG_FORWARDERS, PACKAGE_MANAGERS, TIME_SYNC
from p06audit.checks.host.observations import CommandResult, HostFacts
from p06audit.checks.host.policy import SshdSetting, load_policy
from p06audit.checks.ssh.policy import load_policy as load_ssh_policy
from p06audit.checks.ssh.rules import worst
from p06audit.model import Outcome, Status
from p06audit.registry import RuleContext, rule
from p06audit.text import Message, say

T = TypeVar("T")
EVIDENCE_ITEMS = 50


def _present(obs: HostFacts, probes: Sequence[str]) -> tuple[list[CommandResult], list[str]]:
    """Results of the probes whose tool the host has, and the names of those it lacks."""
    results = [r for r in (obs.result(p) for p in probes) if r is not None]
    return [r for r in results if not r.missing], [r.probe for r in results if r.missing]


def _lacking(missing: list[str], what: Message) -> Outcome:
    return Outcome(Status.SKIP, say("host.lacking", tools=missing, what=what), {"missing": missing})


def _failed(results: Sequence[CommandResult]) -> list[CommandResult]:
    return [r for r in results if not r.ok]


def _failures(results: Sequence[CommandResult]) -> list[Message]:
    """Each failed probe as `probe: how it ended`, for a summary."""
    return [say("host.probe_failed", probe=r.probe, result=r.brief()) for r in _failed(results)]


def _failure_facts(results: Sequence[CommandResult]) -> list[dict[str, Any]]:
    return [r.facts() for r in _failed(results)]


def _read_all(results: Sequence[CommandResult], parsers: Mapping[str, Callable[[str], T]]) -> list[T]:
    return [parsers[r.probe](r.stdout) for r in results if r.ok]


def _judged_setting(setting: SshdSetting, value: str | None, level: int) -> Status:
    """WARN when sshd -T does not report the keyword; password logins follow the SSH level rule."""
    if value is None:
        return Status.WARN
    if setting.accepts(value):
        return Status.PASS
    return load_ssh_policy().password_status(level) if setting.by_security_level else Status.FAIL


@rule("SSH-008", observes=HostFacts, needs=["ssh_credentials"])
def sshd_effective_settings(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    result = obs.result("sshd")
    if result is None:
        return None
    if result.missing:
        return Outcome(Status.SKIP, say("SSH-008.no_sshd"), {})
    if not result.ok:
        hint = say("SSH-008.needs_root") if parse.needs_root(result) else ""
        return Outcome(
            Status.ERROR, say("SSH-008.failed", result=result.brief(), hint=hint), {"probe": result.facts()}
        )
    config, settings = parse.sshd_settings(result.stdout)
    policy = load_policy()
    level = ctx.site.data.security_level if ctx.site else 5
    items: list[dict[str, Any]] = []
    for setting in policy.sshd_settings:
        value = settings.get(setting.keyword)
        items.append(
            {
                "keyword": setting.keyword,
                "value": value,
                "expected": setting.expected(),
                "verdict": _judged_setting(setting, value, level).value,
                "why": setting.why,
                "sources": list(setting.sources),
            }
        )
    evidence = {
        "config": config,
        "security_level": level,
        "settings": items,
        "sources": policy.cited({s for r in policy.sshd_settings for s in r.sources}),
    }
    bad = [
        say("SSH-008.setting", keyword=i["keyword"], value=i["value"])
        if i["value"]
        else say("SSH-008.not_reported", keyword=i["keyword"])
        for i in items
        if i["verdict"] != "PASS"
    ]
    if bad:
        status = worst(Status(i["verdict"]) for i in items)
        return Outcome(status, say("SSH-008.outside_policy", config=config, settings=bad), evidence)
    return Outcome(Status.PASS, say("SSH-008.all_ok", count=len(items), config=config), evidence)


@rule("HOST-001", observes=HostFacts, needs=["ssh_credentials"])
def clock_synchronised(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    present, missing = _present(obs, TIME_SYNC)
    if not present:
        return _lacking(missing, say("host.what_time_sync")) if missing else None
    readings = [parse.CLOCK_PARSERS[r.probe](r) for r in present]
    tolerance = load_policy().time_sync.max_offset_seconds
    evidence = {
        "readings": [r.evidence() for r in readings],
        "missing": missing,
        "max_offset_seconds": tolerance,
    }
    synced = [r for r in readings if r.synchronised]
    if synced:
        off = [r for r in synced if r.offset_seconds is not None and r.offset_seconds > tolerance]
        if off:
            return Outcome(
                Status.WARN, say("HOST-001.offset", tool=off[0].tool, offset=off[0].offset_seconds), evidence
            )
        return Outcome(
            Status.PASS, say("HOST-001.synchronised", tool=synced[0].tool, detail=synced[0].detail), evidence
        )
    answered = [r for r in readings if r.answered]
    if answered:
        first = answered[0]
        return Outcome(
            Status.FAIL, say("HOST-001.not_synchronised", tool=first.tool, detail=first.detail), evidence
        )
    why = [say("host.tool_detail", tool=r.tool, detail=r.detail) for r in readings]
    return Outcome(Status.FAIL, say("HOST-001.no_service", readings=why), evidence)


@rule("HOST-002", observes=HostFacts, needs=["ssh_credentials"])
def logs_forwarded(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    present, missing = _present(obs, LOG_FORWARDERS)
    if not present:
        return _lacking(missing, say("host.what_log_forwarding")) if missing else None
    targets = {r.probe: parse.FORWARD_PARSERS[r.probe](r.stdout) for r in present if r.ok}
    evidence = {"forwarders": targets, "missing": missing, "failed": _failure_facts(present)}
    found = [t for ts in targets.values() for t in ts]
    if found:
        return Outcome(Status.PASS, say("HOST-002.forwarded", targets=found[:5]), evidence)
    if not targets:
        return Outcome(Status.ERROR, say("HOST-002.unreadable", failures=_failures(present)), evidence)
    return Outcome(Status.FAIL, say("HOST-002.no_destination", tools=list(targets)), evidence)


def _firewall_reading(reading: parse.FirewallReading) -> Message:
    if reading.input_policy:
        return say("HOST-003.reading", tool=reading.tool, rules=reading.rules, policy=reading.input_policy)
    return say("HOST-003.reading_no_policy", tool=reading.tool, rules=reading.rules)


@rule("HOST-003", observes=HostFacts, needs=["ssh_credentials"])
def firewall_active(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    present, missing = _present(obs, FIREWALLS)
    if not present:
        return _lacking(missing, say("host.what_firewall")) if missing else None
    readings = _read_all(present, parse.FIREWALL_PARSERS)
    evidence = {
        "readings": [asdict(r) for r in readings],
        "missing": missing,
        "failed": _failure_facts(present),
    }
    active = [r for r in readings if r.active]
    if active:
        return Outcome(
            Status.PASS, say("HOST-003.active", tool=active[0].tool, rules=active[0].rules), evidence
        )
    if readings:
        return Outcome(
            Status.FAIL, say("HOST-003.inactive", readings=[_firewall_reading(r) for r in readings]), evidence
        )
    if all(parse.needs_root(r) for r in present):
        return Outcome(Status.ERROR, say("HOST-003.needs_root", probes=[r.probe for r in present]), evidence)
    return Outcome(Status.ERROR, say("HOST-003.unreadable", failures=_failures(present)), evidence)


@rule("HOST-004", observes=HostFacts, needs=["ssh_credentials"])
def security_updates(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    present, missing = _present(obs, PACKAGE_MANAGERS)
    if not present:
        return _lacking(missing, say("host.what_updates")) if missing else None
    readings = _read_all(present, parse.UPDATE_PARSERS)
    if not readings:
        return Outcome(
            Status.ERROR,
            say("HOST-004.unreadable", failures=_failures(present)),
            {"failed": _failure_facts(present)},
        )
    reading = readings[0]
    policy = load_policy().updates
    evidence = {
        "tool": reading.tool,
        "pending_total": reading.total,
        "pending_security": len(reading.security),
        "security_packages": list(reading.security[:EVIDENCE_ITEMS]),
        "lists_age_days": None if reading.lists_age_days is None else round(reading.lists_age_days, 1),
        "max_list_age_days": policy.max_list_age_days,
    }
    if reading.security:
        pending = say("HOST-004.pending", count=len(reading.security), total=reading.total, tool=reading.tool)
        return Outcome(Status.FAIL, pending, evidence)
    if reading.lists_age_days is not None and reading.lists_age_days > policy.max_list_age_days:
        return Outcome(Status.WARN, say("HOST-004.stale_lists", days=round(reading.lists_age_days)), evidence)
    return Outcome(
        Status.PASS, say("HOST-004.none_pending", total=reading.total, tool=reading.tool), evidence
    )
