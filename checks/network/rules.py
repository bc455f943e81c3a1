"""NET checks: pure judgements of the sweep's observations against the network policy (policy.yaml)."""

from __future__ import annotations

from functools import partial
from typing import Any

from audit.inventory import Host
from audit.model import Outcome, Severity, Status
from audit.registry import RuleContext, check
from checks.network.observations import HostPorts, PortSeen, SubnetSweep
from checks.network.policy import load_policy

FAMILY = "network"
net_check = partial(check, family=FAMILY)


def _host(ctx: RuleContext) -> Host:
    if ctx.host is None:
        raise ValueError("a host observation reached a rule without its inventory host")
    return ctx.host


def _declared(host: Host) -> dict[int, str]:
    """Declared ports and what the inventory calls them."""
    named = {e.port: "tls" for e in host.data.tls}
    named |= {s.port: s.name or "service" for s in host.data.services}
    if host.data.ssh is not None:
        named[host.data.ssh.port] = "ssh"
    return named


def _ports(ports: list[PortSeen] | tuple[PortSeen, ...]) -> list[dict[str, Any]]:
    return [p.evidence() for p in ports]


def _numbers(ports: list[PortSeen] | tuple[PortSeen, ...]) -> str:
    return ", ".join(str(p.port) for p in ports)


@net_check(
    id="NET-001",
    title="Declared TCP services are reachable",
    severity=Severity.MEDIUM,
    controls=["VN-NET-02"],
    remediation=(
        "Start the service or open the firewall path from the audit station, or correct the inventory "
        "(tls, ssh, services) if the service was moved or retired."
    ),
    observes=HostPorts,
)
def declared_services_reachable(obs: HostPorts, ctx: RuleContext) -> Outcome:
    declared = _declared(_host(ctx))
    if not declared:
        return Outcome(
            Status.SKIP, "The inventory declares no TCP service for this host (tls, ssh, services)."
        )
    seen = [{"name": name, **_evidence_of(obs, port)} for port, name in sorted(declared.items())]
    down = [s for s in seen if s["state"] != "open"]
    evidence = {"declared": seen}
    if down:
        listed = ", ".join(f"{s['port']} ({s['state']})" for s in down)
        return Outcome(Status.FAIL, f"Declared TCP ports not reachable: {listed}.", evidence)
    return Outcome(Status.PASS, f"All {len(seen)} declared TCP ports are open.", evidence)


def _evidence_of(obs: HostPorts, port: int) -> dict[str, Any]:
    seen = obs.port(port)
    return seen.evidence() if seen else {"port": port, "protocol": "tcp", "state": "not scanned"}


@net_check(
    id="NET-002",
    title="Only allowed TCP ports are open",
    severity=Severity.HIGH,
    controls=["VN-NET-02"],
    remediation=(
        "Close or firewall every port that is not on the host's allowlist. If the service is approved, "
        "declare it in the inventory (services) or list it in the host's allowed_ports."
    ),
    observes=HostPorts,
)
def only_allowed_ports(obs: HostPorts, ctx: RuleContext) -> Outcome:
    host = _host(ctx)
    policy = load_policy()
    if host.data.allowed_ports is not None:
        basis, allowed = "inventory allowed_ports", frozenset(host.data.allowed_ports)
    else:
        basis, allowed = (
            "role allowlists: " + ", ".join(sorted(host.roles)),
            policy.allowed_for_roles(host.roles),
        )
    allowed |= host.declared_ports
    extra = [p for p in obs.open_ports if p.port not in allowed]
    evidence = {
        "allowed_ports": sorted(allowed),
        "allowlist": basis,
        "open": _ports(obs.open_ports),
        "unexpected": _ports(extra),
        "sources": {
            r.value: policy.role_allowlists[r].source for r in host.data.roles if r in policy.role_allowlists
        },
    }
    if extra:
        return Outcome(Status.FAIL, f"Ports open but not allowed: {_numbers(extra)}.", evidence)
    return Outcome(Status.PASS, f"All {len(obs.open_ports)} open ports are allowed.", evidence)


@net_check(
    id="NET-003",
    title="No clear-text or legacy services exposed",
    severity=Severity.HIGH,
    controls=["VN-NET-03", "VN-TLS-03"],
    remediation=(
        "Replace Telnet, FTP, r-services and VNC with SSH v2, SFTP/FTPS or an encrypted remote console; "
        "make plain HTTP on a portal answer only with a redirect to HTTPS."
    ),
    observes=HostPorts,
)
def no_cleartext_services(obs: HostPorts, ctx: RuleContext) -> Outcome:
    host = _host(ctx)
    policy = load_policy()
    legacy = [
        {**p.evidence(), "legacy_service": s.service, "source": s.source}
        for p in obs.open_ports
        if (s := policy.legacy_service(p.port)) is not None
    ]
    rule = policy.http_redirect
    must_redirect = bool(host.roles & {r.value for r in rule.roles})
    http_ports = [p for p in obs.open_ports if must_redirect and p.port in rule.ports]
    probes = [obs.http_probe(p.port) for p in http_ports]
    no_redirect = [p.evidence() for p in probes if p is not None and not p.error and not p.redirects_to_https]
    unknown = [p.port for p, probe in zip(http_ports, probes, strict=True) if probe is None or probe.error]
    evidence: dict[str, Any] = {
        "legacy_open": legacy,
        "http_without_redirect": no_redirect,
        "http_probes": [p.evidence() for p in probes if p is not None],
    }
    problems = [f"{item['legacy_service']} on {item['port']}" for item in legacy]
    problems += [f"HTTP on {item['port']} without redirect to HTTPS" for item in no_redirect]
    if problems:
        return Outcome(Status.FAIL, "Clear-text services exposed: " + "; ".join(problems) + ".", evidence)
    if unknown:
        ports = ", ".join(map(str, unknown))
        return Outcome(Status.WARN, f"HTTP open on {ports}; could not confirm a redirect to HTTPS.", evidence)
    return Outcome(Status.PASS, "No clear-text or legacy service is open.", evidence)


@net_check(
    id="NET-004",
    title="No administration or database ports on public service centres and web portals",
    severity=Severity.HIGH,
    controls=["VN-NET-01", "VN-SSH-04"],
    remediation=(
        "Move administration (SSH, RDP) behind the management zone or a jump host and keep databases, "
        "caches and search engines in the server zone; firewall these ports from this network."
    ),
    observes=HostPorts,
)
def no_admin_ports_exposed(obs: HostPorts, ctx: RuleContext) -> Outcome | None:
    host = _host(ctx)
    rule = load_policy().admin_db_ports
    reasons = [f"role {r.value}" for r in host.data.roles if r in rule.roles]
    if host.site.data.kind in rule.site_kinds:
        reasons.insert(0, f"site kind {host.site.data.kind.value}")
    if not reasons:
        return None
    exposed = [p for p in obs.open_ports if p.port in rule.ports]
    evidence = {
        "applies_because": reasons,
        "watched_ports": list(rule.ports),
        "exposed": _ports(exposed),
        "source": rule.source,
    }
    if exposed:
        return Outcome(Status.FAIL, f"Administration or database ports open: {_numbers(exposed)}.", evidence)
    return Outcome(Status.PASS, "No administration or database port is open.", evidence)


@net_check(
    id="NET-005",
    title="No unmanaged hosts in site subnets",
    severity=Severity.HIGH,
    controls=["VN-NET-02"],
    remediation=(
        "Identify the device at this address: add it to the inventory with its roles if it belongs, "
        "otherwise disconnect it or close its services."
    ),
    observes=SubnetSweep,
)
def no_unmanaged_hosts(obs: SubnetSweep, ctx: RuleContext) -> Outcome:
    evidence: dict[str, Any] = {"subnets": list(obs.subnets), "scanned_ports": list(obs.scanned)}
    found = obs.unmanaged
    if found is None:
        summary = "Every address with open ports in " + ", ".join(obs.subnets) + " is in the inventory."
        return Outcome(Status.PASS, summary, evidence)
    evidence |= {"address": found.address, "open": _ports(found.ports)}
    return Outcome(
        Status.FAIL,
        f"{found.address} is not in the inventory but has open ports: {_numbers(found.ports)}.",
        evidence,
    )


@net_check(
    id="NET-006",
    title="Declared host answers",
    severity=Severity.MEDIUM,
    controls=["VN-NET-02"],
    remediation=(
        "Check whether the host is powered off, moved or firewalled from the audit station; "
        "remove it from the inventory if it was retired."
    ),
    observes=HostPorts,
)
def declared_host_seen(obs: HostPorts, ctx: RuleContext) -> Outcome:
    evidence = {"scanned_ports": list(obs.scanned), "open": _ports(obs.open_ports)}
    if obs.open_ports:
        return Outcome(Status.PASS, f"Host answered on ports {_numbers(obs.open_ports)}.", evidence)
    return Outcome(Status.FAIL, f"No open port answered among the {len(obs.scanned)} scanned.", evidence)


@net_check(
    id="NET-007",
    title="Services and versions identified",
    severity=Severity.INFO,
    controls=["VN-HOST-04"],
    remediation=(
        "Review the products and versions listed: remove version banners where possible and patch "
        "anything end-of-life."
    ),
    observes=HostPorts,
)
def services_identified(obs: HostPorts, ctx: RuleContext) -> Outcome:
    if not obs.service_detection:
        return Outcome(Status.SKIP, "Service detection was off; run with --service-detection (nmap -sV).")
    if not obs.open_ports:
        return Outcome(Status.SKIP, "No open port to identify.")
    services = _ports(obs.open_ports)
    named = ", ".join(f"{p.port}/{p.product or p.service or 'unknown'}" for p in obs.open_ports)
    return Outcome(Status.PASS, f"Identified: {named}.", {"services": services})
