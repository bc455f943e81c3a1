"""Pure parsers for what the probe commands print (C locale). No I/O: rules call these.

A clock reading's `detail` is either the tool's own words (`Leap status: Normal`) or our message
about them (a finding quotes it); a firewall reading's `detail` is the counts behind its verdict.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from p06audit.checks.host.observations import CommandResult
from p06audit.text import Message, say

# --- sshd -T -----------------------------------------------------------------------------------


def sshd_settings(text: str) -> tuple[str, dict[str, str]]:
    """(config file, {lower-case keyword: value}) from `sshd -T` (first value of repeated keywords)."""
    config = "default"
    settings: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# config: "):
            config = line.removeprefix("# config: ").strip()
            continue
        key, _, value = line.strip().partition(" ")
        if key and not key.startswith("#"):
            settings.setdefault(key.lower(), value.strip())
    return config, settings


# --- time synchronisation ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockReading:
    tool: str
    answered: bool
    synchronised: bool
    offset_seconds: float | None = None
    detail: Message | str = ""

    def evidence(self) -> dict[str, Any]:
        """The reading as facts; a message detail as its key and parameters."""
        detail = self.detail.to_json() if isinstance(self.detail, Message) else self.detail
        return {**asdict(self), "detail": detail}


def _key_values(text: str) -> dict[str, str]:
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, _, v in pairs}


def timedatectl(result: CommandResult) -> ClockReading:
    values = _key_values(result.stdout)
    if not result.ok or "NTPSynchronized" not in values:
        return ClockReading("timedatectl", False, False, detail=result.brief())
    synced = values["NTPSynchronized"] == "yes"
    return ClockReading(
        "timedatectl",
        True,
        synced,
        detail=f"NTP={values.get('NTP', '?')} NTPSynchronized={values['NTPSynchronized']}",
    )


_CHRONY_OFFSET = re.compile(r"^System time\s*:\s*([0-9.]+) seconds (fast|slow)", re.MULTILINE)
_CHRONY_LEAP = re.compile(r"^Leap status\s*:\s*(.+)$", re.MULTILINE)


def chronyc(result: CommandResult) -> ClockReading:
    leap = _CHRONY_LEAP.search(result.stdout)
    if not result.ok or leap is None:
        return ClockReading("chronyc", False, False, detail=result.brief())
    status = leap.group(1).strip()
    offset = _CHRONY_OFFSET.search(result.stdout)
    seconds = float(offset.group(1)) if offset else None
    return ClockReading("chronyc", True, status != "Not synchronised", seconds, f"Leap status: {status}")


def ntpq(result: CommandResult) -> ClockReading:
    if not result.ok:
        return ClockReading("ntpq", False, False, detail=result.brief())
    peer = next((line for line in result.stdout.splitlines() if line.startswith("*")), None)
    if peer is None:
        return ClockReading("ntpq", True, False, detail=say("host.no_system_peer"))
    columns = peer[1:].split()
    offset = float(columns[8]) / 1000 if len(columns) > 8 and _is_number(columns[8]) else None
    return ClockReading("ntpq", True, True, offset, say("host.system_peer", peer=columns[0]))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


CLOCK_PARSERS = {"timedatectl": timedatectl, "chronyc": chronyc, "ntpq": ntpq}

# --- log forwarding ------------------------------------------------------------------------------


def _active_lines(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "//"))
    ]


_RSYSLOG_LEGACY = re.compile(r"^\S+\s+(@@?)(?:\([^)]*\))?(\[[^\]]+\](?::\d+)?|[^\s;]+)")
_RSYSLOG_ACTION = re.compile(r'type\s*=\s*"(omfwd|omrelp)"[^)]*?target\s*=\s*"([^"]+)"', re.DOTALL)
_SYSLOG_NG = re.compile(r'\b(network|syslog|tcp6?|udp6?)\s*\(\s*"?([A-Za-z0-9_.:\[\]-]+)')


def rsyslog_targets(text: str) -> list[str]:
    targets = []
    for line in _active_lines(text):
        legacy = _RSYSLOG_LEGACY.match(line)
        if legacy:
            targets.append(("tcp " if legacy.group(1) == "@@" else "udp ") + legacy.group(2))
    active = "\n".join(_active_lines(text))
    targets += [f"{kind} {target}" for kind, target in _RSYSLOG_ACTION.findall(active)]
    return targets


def syslog_ng_targets(text: str) -> list[str]:
    active = "\n".join(_active_lines(text))
    return [f"{driver} {target}" for driver, target in _SYSLOG_NG.findall(active)]


def journal_upload_targets(text: str) -> list[str]:
    enabled = "### enabled: enabled" in text
    urls = [line.split("=", 1)[1].strip() for line in _active_lines(text) if line.startswith("URL=")]
    return [f"journal-upload {url}" for url in urls if url and enabled]


FORWARD_PARSERS = {
    "rsyslog": rsyslog_targets,
    "syslog-ng": syslog_ng_targets,
    "journal-upload": journal_upload_targets,
}

# --- host firewall -------------------------------------------------------------------------------

_DENIED = (
    "operation not permitted",
    "permission denied",
    "you need to be root",
    "must be run as root",
    "unable to load host key",
)


def needs_root(result: CommandResult) -> bool:
    return any(marker in (result.stderr + result.stdout).lower() for marker in _DENIED)


@dataclass(frozen=True)
class FirewallReading:
    """What a firewall tool lists; `detail` holds the counts or status line behind the verdict."""

    tool: str
    active: bool
    rules: int
    input_policy: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Chain:
    name: str
    hook: str | None = None
    policy: str | None = None
    rules: list[str] = field(default_factory=list)


def nft_ruleset(text: str) -> FirewallReading:
    chains: list[_Chain] = []
    current: _Chain | None = None
    for line in _active_lines(text):
        if line.startswith("chain ") and line.endswith("{"):
            current = _Chain(line.split()[1])
            chains.append(current)
        elif line == "}":
            current = None
        elif current is not None and line.startswith("type ") and " hook " in line:
            current.hook = line.split(" hook ")[1].split()[0]
            declared = re.search(r"policy (\w+)", line)
            current.policy = declared.group(1) if declared else None
        elif current is not None:
            current.rules.append(line)
    rules = sum(len(c.rules) for c in chains)
    inputs = [c for c in chains if c.hook == "input"]
    policy = next((c.policy for c in inputs if c.policy), None)
    active = any(c.rules or c.policy in ("drop", "reject") for c in inputs)
    return FirewallReading("nft", active, rules, policy, {"chains": len(chains), "input_chains": len(inputs)})


def iptables_rules(text: str) -> FirewallReading:
    lines = text.splitlines()
    rules = [line for line in lines if line.startswith("-A ")]
    policy_line = next((line for line in lines if line.startswith("-P INPUT ")), "")
    policy = policy_line.split()[2] if policy_line else None
    inputs = [line for line in rules if line.startswith("-A INPUT ")]
    active = bool(inputs) or policy in ("DROP", "REJECT")
    return FirewallReading("iptables", active, len(rules), policy, {"input_rules": len(inputs)})


def ufw_status(text: str) -> FirewallReading:
    active = "Status: active" in text
    rules = [line for line in text.splitlines()[1:] if re.match(r"^\S.*\s(ALLOW|DENY|REJECT|LIMIT)\b", line)]
    return FirewallReading("ufw", active, len(rules), None, {"status": text.splitlines()[0] if text else ""})


FIREWALL_PARSERS = {"nft": nft_ruleset, "iptables": iptables_rules, "ufw": ufw_status}

# --- pending updates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingUpdates:
    tool: str
    total: int
    security: tuple[str, ...]
    lists_age_days: float | None = None


_APT_LINE = re.compile(r"^([^/\s]+)/(\S+) (\S+) \S+ \[upgradable from: [^\]]+\]")
_APT_AGE = re.compile(r"^# lists-age-seconds: (\d+)", re.MULTILINE)


def apt_upgrades(text: str) -> PendingUpdates:
    """`apt list --upgradable`: a package is a security update when a -security suite offers it."""
    upgrades = [m for m in map(_APT_LINE.match, text.splitlines()) if m]
    security = tuple(f"{m.group(1)} {m.group(3)}" for m in upgrades if "security" in m.group(2).lower())
    age = _APT_AGE.search(text)
    return PendingUpdates("apt", len(upgrades), security, int(age.group(1)) / 86400 if age else None)


def dnf_security(text: str) -> PendingUpdates:
    advisories = [line.split() for line in text.splitlines() if len(line.split()) >= 3]
    packages = tuple(f"{parts[2]} ({parts[0]})" for parts in advisories)
    return PendingUpdates("dnf", len(packages), packages)


UPDATE_PARSERS = {"apt": apt_upgrades, "dnf": dnf_security}
