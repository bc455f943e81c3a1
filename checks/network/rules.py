"""NET checks: pure judgements of the sweep's observations against the network policy (policy.yaml).

Their words are in checks.yaml; each rule returns a status, a message key and its parameters.
"""

from __future__ import annotations

from typing import Any

from p06audit.checks.network.family import NetworkHost
from p06audit.checks.network.observations import HostPorts, PortSeen, SubnetSweep
from p06audit.checks.network.policy import load_policy
from p06audit.inventory import Host
from p06audit.model import Outcome, Status
from p06audit.registry import RuleContext, rule
from p06audit.text import say


def _host(ctx: RuleContext) -> Host:
    if ctx.host is None:
        raise ValueError("a host observation reached a rule without its inventory host")
    return ctx.host


def _ports(ports: list[PortSeen] | tuple[PortSeen, ...]) -> list[dict[str, Any]]:
    return [p.evidence() for p in ports]


def _numbers(ports: list[PortSeen] | tuple[PortSeen, ...]) -> list[int]:
    return [p.port for p in ports]


@rule("NET-001", observes=HostPorts)
def declared_services_reachable(obs: HostPorts, ctx: RuleContext) -> Outcome:
    declared = _host(ctx).declared
    if not declared:
        return Outcome(Status.SKIP, say("NET-001.nothing_declared"))
    seen = [{"name": name, **_evidence_of(obs, port)} for port, name in sorted(declared.items())]
    down = [s for s in seen if s["state"] != "open"]
    evidence = {"declared": seen}
    if down:
        listed = [say("network.port_state", port=s["port"], state=s["state"]) for s in down]
        return Outcome(Status.FAIL, say("NET-001.unreachable", ports=listed), evidence)
    return Outcome(Status.PASS, say("NET-001.all_open", count=len(seen)), evidence)


def _evidence_of(obs: HostPorts, port: int) -> dict[str, Any]:
    seen = obs.port(port)
    return seen.evidence() if seen else {"port": port, "protocol": "tcp", "state": "not scanned"}


@rule("NET-002", observes=HostPorts)
def only_allowed_ports(obs: HostPorts, ctx: RuleContext) -> Outcome:
    host = _host(ctx)
    policy = load_policy()
    own = host.part(NetworkHost)
    if own.allowed_ports is not None:
        basis, allowed = "inventory allowed_ports", frozenset(own.allowed_ports)
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
        return Outcome(Status.FAIL, say("NET-002.not_allowed", ports=_numbers(extra)), evidence)
    return Outcome(Status.PASS, say("NET-002.all_allowed", count=len(obs.open_ports)), evidence)


@rule("NET-003", observes=HostPorts)
def no_cleartext_services(obs: HostPorts, ctx: RuleContext) -> Outcome:
    host = _host(ctx)
    policy = load_policy()
    legacy = [
        {**p.evidence(), "legacy_service": s.service, "source": s.source}
        for p in obs.open_ports
        if (s := policy.legacy_service(p.port)) is not None
    ]
    redirect = policy.http_redirect
    must_redirect = bool(host.roles & {r.value for r in redirect.roles})
    http_ports = [p for p in obs.open_ports if must_redirect and p.port in redirect.ports]
    probes = [obs.http_probe(p.port) for p in http_ports]
    no_redirect = [p.evidence() for p in probes if p is not None and not p.error and not p.redirects_to_https]
    unknown = [p.port for p, probe in zip(http_ports, probes, strict=True) if probe is None or probe.error]
    evidence: dict[str, Any] = {
        "legacy_open": legacy,
        "http_without_redirect": no_redirect,
        "http_probes": [p.evidence() for p in probes if p is not None],
    }
    problems = [
        say("NET-003.legacy_on", service=item["legacy_service"], port=item["port"]) for item in legacy
    ]
    problems += [say("NET-003.http_no_redirect", port=item["port"]) for item in no_redirect]
    if problems:
        return Outcome(Status.FAIL, say("NET-003.exposed", problems=problems), evidence)
    if unknown:
        return Outcome(Status.WARN, say("NET-003.redirect_unconfirmed", ports=unknown), evidence)
    return Outcome(Status.PASS, say("NET-003.none_open"), evidence)


@rule("NET-004", observes=HostPorts)
def no_admin_ports_exposed(obs: HostPorts, ctx: RuleContext) -> Outcome | None:
    host = _host(ctx)
    admin = load_policy().admin_db_ports
    reasons = [f"role {r.value}" for r in host.data.roles if r in admin.roles]
    if host.site.data.kind in admin.site_kinds:
        reasons.insert(0, f"site kind {host.site.data.kind.value}")
    if not reasons:
        return None
    exposed = [p for p in obs.open_ports if p.port in admin.ports]
    evidence = {
        "applies_because": reasons,
        "watched_ports": list(admin.ports),
        "exposed": _ports(exposed),
        "source": admin.source,
    }
    if exposed:
        return Outcome(Status.FAIL, say("NET-004.exposed", ports=_numbers(exposed)), evidence)
    return Outcome(Status.PASS, say("NET-004.none_open"), evidence)


@rule("NET-005", observes=SubnetSweep)
def no_unmanaged_hosts(obs: SubnetSweep, ctx: RuleContext) -> Outcome:
    evidence: dict[str, Any] = {"subnets": list(obs.subnets), "scanned_ports": list(obs.scanned)}
    found = obs.unmanaged
    if found is None:
        return Outcome(Status.PASS, say("NET-005.all_known", subnets=list(obs.subnets)), evidence)
    evidence |= {"address": found.address, "open": _ports(found.ports)}
    return Outcome(
        Status.FAIL, say("NET-005.unmanaged", address=found.address, ports=_numbers(found.ports)), evidence
    )


@rule("NET-006", observes=HostPorts)
def declared_host_seen(obs: HostPorts, ctx: RuleContext) -> Outcome:
    evidence = {"scanned_ports": list(obs.scanned), "open": _ports(obs.open_ports)}
    if obs.open_ports:
        return Outcome(Status.PASS, say("NET-006.answered", ports=_numbers(obs.open_ports)), evidence)
    return Outcome(Status.FAIL, say("NET-006.silent", count=len(obs.scanned)), evidence)


@rule("NET-007", observes=HostPorts)
def services_identified(obs: HostPorts, ctx: RuleContext) -> Outcome:
    if not obs.service_detection:
        return Outcome(Status.SKIP, say("NET-007.detection_off"))
    if not obs.open_ports:
        return Outcome(Status.SKIP, say("NET-007.nothing_open"))
    services = _ports(obs.open_ports)
    named = [f"{p.port}/{p.product or p.service or '?'}" for p in obs.open_ports]
    return Outcome(Status.PASS, say("NET-007.identified", services=named), {"services": services})
