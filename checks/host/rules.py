"""SSH-008 and HOST-001..004: pure judgements of the authenticated probes' output.

SSH-008 reads the host collector's observation, so it is registered in the `host` family (the
runner pairs checks with their family's collector); its ID stays in the SSH series it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

from audit.model import Outcome, Severity, Status
from audit.registry import RuleContext, check
from checks.host import parse
from checks.host.commands import FIREWALLS, LOG_FORWARDERS, PACKAGE_MANAGERS, TIME_SYNC
from checks.host.observations import CommandResult, HostFacts
from checks.host.policy import load_policy
from checks.ssh.policy import load_policy as load_ssh_policy
from checks.ssh.rules import worst

T = TypeVar("T")
EVIDENCE_ITEMS = 50
HOST_FAMILY = "host"


def _present(obs: HostFacts, probes: Sequence[str]) -> tuple[list[CommandResult], list[str]]:
    """Results of the probes whose tool the host has, and the names of those it lacks."""
    results = [r for r in (obs.result(p) for p in probes) if r is not None]
    return [r for r in results if not r.missing], [r.probe for r in results if r.missing]


def _lacking(missing: list[str], what: str) -> Outcome:
    return Outcome(
        Status.SKIP,
        f"The host has none of {', '.join(missing)}, so {what} cannot be read this way; check it by hand.",
        {"missing": missing},
    )


def _failures(results: Sequence[CommandResult]) -> dict[str, str]:
    return {r.probe: r.brief() for r in results if not r.ok}


def _read_all(results: Sequence[CommandResult], parsers: Mapping[str, Callable[[str], T]]) -> list[T]:
    return [parsers[r.probe](r.stdout) for r in results if r.ok]


@check(
    id="SSH-008",
    title="Effective sshd settings (sshd -T): root login, empty passwords, passwords, tries, X11, logging",
    severity=Severity.HIGH,
    controls=["VN-SSH-03"],
    remediation=(
        "In sshd_config set PermitRootLogin no (or prohibit-password), PermitEmptyPasswords no, "
        "PasswordAuthentication no, MaxAuthTries 4 or less, X11Forwarding no, LogLevel VERBOSE; "
        "check with sshd -t and reload sshd."
    ),
    observes=HostFacts,
    needs=["ssh_credentials"],
    family=HOST_FAMILY,
)
def sshd_effective_settings(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    result = obs.result("sshd")
    if result is None:
        return None
    if result.missing:
        return Outcome(Status.SKIP, "No OpenSSH sshd on this host (another SSH server answers).", {})
    if not result.ok:
        hint = (
            " It needs root: allow the audit account `sudo -n sshd -T`." if parse.needs_root(result) else ""
        )
        return Outcome(Status.ERROR, f"sshd -T failed ({result.brief()}).{hint}", {"probe": result.brief()})
    config, settings = parse.sshd_settings(result.stdout)
    policy = load_policy()
    level = ctx.site.data.security_level if ctx.site else 5
    items: list[dict[str, Any]] = []
    for rule in policy.sshd_settings:
        value = settings.get(rule.keyword)
        if value is None:
            status = Status.WARN
        elif rule.accepts(value):
            status = Status.PASS
        else:
            status = load_ssh_policy().password_status(level) if rule.by_security_level else Status.FAIL
        items.append(
            {
                "keyword": rule.keyword,
                "value": value,
                "expected": rule.expected(),
                "verdict": status.value,
                "why": rule.why,
                "sources": list(rule.sources),
            }
        )
    evidence = {
        "config": config,
        "security_level": level,
        "settings": items,
        "sources": policy.cited({s for r in policy.sshd_settings for s in r.sources}),
    }
    bad = [f"{i['keyword']} {i['value'] or '(not reported)'}" for i in items if i["verdict"] != "PASS"]
    status = worst(Status(i["verdict"]) for i in items)
    if bad:
        return Outcome(status, f"sshd settings outside policy ({config}): {', '.join(bad)}.", evidence)
    return Outcome(Status.PASS, f"All {len(items)} sshd settings meet the policy ({config}).", evidence)


@check(
    id="HOST-001",
    title="Clock synchronised (timedatectl, chronyc or ntpq)",
    severity=Severity.MEDIUM,
    controls=["VN-HOST-01"],
    remediation=(
        "Run one NTP client (chrony, systemd-timesyncd or ntpd) against the province's time servers and "
        "check that it reports synchronised (chronyc tracking / timedatectl)."
    ),
    observes=HostFacts,
    needs=["ssh_credentials"],
)
def clock_synchronised(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    present, missing = _present(obs, TIME_SYNC)
    if not present:
        return _lacking(missing, "time synchronisation") if missing else None
    readings = [parse.CLOCK_PARSERS[r.probe](r) for r in present]
    tolerance = load_policy().time_sync.max_offset_seconds
    evidence = {
        "readings": [asdict(r) for r in readings],
        "missing": missing,
        "max_offset_seconds": tolerance,
    }
    synced = [r for r in readings if r.synchronised]
    if synced:
        off = [r for r in synced if r.offset_seconds is not None and r.offset_seconds > tolerance]
        if off:
            return Outcome(
                Status.WARN,
                f"Clock synchronised ({off[0].tool}) but {off[0].offset_seconds:g} s off.",
                evidence,
            )
        return Outcome(Status.PASS, f"Clock synchronised ({synced[0].tool}: {synced[0].detail}).", evidence)
    answered = [r for r in readings if r.answered]
    if answered:
        return Outcome(
            Status.FAIL, f"Clock not synchronised ({answered[0].tool}: {answered[0].detail}).", evidence
        )
    why = "; ".join(f"{r.tool}: {r.detail}" for r in readings)
    return Outcome(Status.FAIL, f"No time-synchronisation service answers ({why}).", evidence)


@check(
    id="HOST-002",
    title="Remote log forwarding configured (rsyslog, syslog-ng or journald upload)",
    severity=Severity.MEDIUM,
    controls=["VN-HOST-02"],
    remediation=(
        "Forward system and auth logs to the province's log server, e.g. rsyslog "
        "`*.* @@logs.example:6514` with TLS, or systemd-journal-upload with URL= set and the unit enabled."
    ),
    observes=HostFacts,
    needs=["ssh_credentials"],
)
def logs_forwarded(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    present, missing = _present(obs, LOG_FORWARDERS)
    if not present:
        return _lacking(missing, "log forwarding") if missing else None
    targets = {r.probe: parse.FORWARD_PARSERS[r.probe](r.stdout) for r in present if r.ok}
    evidence = {"forwarders": targets, "missing": missing, "failed": _failures(present)}
    found = [t for ts in targets.values() for t in ts]
    if found:
        return Outcome(Status.PASS, f"Logs are forwarded: {', '.join(found[:5])}.", evidence)
    if not targets:
        return Outcome(Status.ERROR, f"Could not read the log configuration: {_failures(present)}.", evidence)
    return Outcome(
        Status.FAIL, f"{', '.join(targets)} installed but no remote destination is configured.", evidence
    )


@check(
    id="HOST-003",
    title="Host firewall active with rules (nftables, iptables or ufw)",
    severity=Severity.HIGH,
    controls=["VN-NET-02"],
    remediation=(
        "Load a default-deny input policy that allows only the host's approved services and the management "
        "zone (nftables or ufw), and make it persistent across reboots."
    ),
    observes=HostFacts,
    needs=["ssh_credentials"],
)
def firewall_active(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    present, missing = _present(obs, FIREWALLS)
    if not present:
        return _lacking(missing, "the host firewall") if missing else None
    readings = _read_all(present, parse.FIREWALL_PARSERS)
    evidence = {"readings": [asdict(r) for r in readings], "missing": missing, "failed": _failures(present)}
    active = [r for r in readings if r.active]
    if active:
        return Outcome(
            Status.PASS, f"Host firewall active: {active[0].tool}, {active[0].rules} rules.", evidence
        )
    if readings:
        shown = ", ".join(
            f"{r.tool} ({r.rules} rules, input policy {r.input_policy or 'none'})" for r in readings
        )
        return Outcome(Status.FAIL, f"No active host firewall: {shown}.", evidence)
    if all(parse.needs_root(r) for r in present):
        return Outcome(
            Status.ERROR,
            "Listing firewall rules needs root: allow the audit account `sudo -n` for "
            + ", ".join(r.probe for r in present)
            + ".",
            evidence,
        )
    return Outcome(Status.ERROR, f"Could not list the firewall rules: {_failures(present)}.", evidence)


@check(
    id="HOST-004",
    title="No pending security updates (apt or dnf)",
    severity=Severity.HIGH,
    controls=["VN-HOST-04"],
    remediation=(
        "Install the pending security updates (apt-get upgrade / dnf upgrade --security) in the next "
        "maintenance window, refresh package lists daily, and reboot where the kernel or libc changed."
    ),
    observes=HostFacts,
    needs=["ssh_credentials"],
)
def security_updates(obs: HostFacts, ctx: RuleContext) -> Outcome | None:
    present, missing = _present(obs, PACKAGE_MANAGERS)
    if not present:
        return _lacking(missing, "pending updates") if missing else None
    readings = _read_all(present, parse.UPDATE_PARSERS)
    if not readings:
        return Outcome(
            Status.ERROR,
            f"Could not list pending updates: {_failures(present)}.",
            {"failed": _failures(present)},
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
        return Outcome(
            Status.FAIL,
            f"{len(reading.security)} security updates pending ({reading.total} in all, {reading.tool}).",
            evidence,
        )
    if reading.lists_age_days is not None and reading.lists_age_days > policy.max_list_age_days:
        return Outcome(
            Status.WARN,
            f"No security update pending, but package lists are {reading.lists_age_days:.0f} days old.",
            evidence,
        )
    return Outcome(
        Status.PASS, f"No security update pending ({reading.total} other updates, {reading.tool}).", evidence
    )
