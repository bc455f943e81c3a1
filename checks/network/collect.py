"""The network family's batched I/O: one nmap process per site, then HTTP redirect probes.

Each site is swept by ONE python-nmap invocation covering its declared hosts and its subnets (plus
one more only if the site has IPv6 targets, which nmap scans apart), with a TCP connect scan (no root
needed) over an explicit port set: every port the policy judges, the ports the inventory declares,
and the operator's extra ports. Targets pass the scope guard first.
Sites are swept a few at a time so a province's fragile networks never see a burst from us.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import nmap

from p06audit.checks.network.family import NetworkOptions
from p06audit.checks.network.observations import HostPorts, HttpProbe, PortSeen, SubnetSweep, UnmanagedAddress
from p06audit.checks.network.policy import load_policy
from p06audit.checks.tls.family import TlsHost
from p06audit.errors import AuditError, ScopeError
from p06audit.inventory import Host, Site
from p06audit.model import CollectionFailed, Observation, Target
from p06audit.registry import CollectContext, collects
from p06audit.runner import host_target
from p06audit.scope import parse_address, parse_network, parse_ports, require_program, scan_targets
from p06audit.text import Message, say

log = logging.getLogger(__name__)

PARALLEL_SITES = 4
HOST_TIMEOUT_FACTOR = 3
DETECTION_TIMEOUT_FACTOR = 6
SWEEP_BUDGET_FACTOR = 25
SUBNET_CHECK = "NET-005"
HTTP_READ_LIMIT = 4096

PortsByAddress = dict[str, dict[int, PortSeen]]


@dataclass(frozen=True)
class SitePlan:
    """What one nmap invocation covers: a site's hosts and subnets, and the ports to try."""

    site: Site
    hosts: tuple[Host, ...]
    subnets: tuple[str, ...]
    ports: tuple[int, ...]


class SweepFailed(AuditError):
    """nmap could not sweep a site (its reason is the message)."""


@collects(HostPorts, SubnetSweep)
def collect_network(hosts: Sequence[Host], ctx: CollectContext) -> list[Observation]:
    """Sweep every site that has hosts to scan or subnets to discover, a few sites at a time."""
    nmap_path = require_program("nmap", "nmap")
    plans = plan_sites(hosts, ctx)
    deadline = time.monotonic() + ctx.options.timeout * SWEEP_BUDGET_FACTOR
    with ThreadPoolExecutor(max_workers=PARALLEL_SITES) as pool:
        swept = pool.map(lambda plan: _swept(plan, nmap_path, ctx, deadline), plans)
        return [obs for site_obs in swept for obs in site_obs]


def _swept(plan: SitePlan, nmap_path: str, ctx: CollectContext, deadline: float) -> list[Observation]:
    """A site swept, its hosts reported done to the run's progress as soon as its nmap ends."""
    observed = sweep_site(plan, nmap_path, ctx, deadline)
    for host in plan.hosts:
        ctx.examined(host.name, f"{host.name} {host.address}")
    return observed


def plan_sites(hosts: Sequence[Host], ctx: CollectContext) -> list[SitePlan]:
    policy_ports = load_policy().scan_ports() | set(ctx.options.of(NetworkOptions).extra_ports)
    plans = []
    for site in ctx.inventory.sites.values():
        site_hosts = tuple(h for h in hosts if h.site.name == site.name)
        subnets = tuple(str(n) for n in site.data.subnets) if ctx.wants(SUBNET_CHECK) else ()
        if not site_hosts and not subnets:
            continue
        declared = {p for h in site_hosts for p in h.declared_ports}
        plans.append(SitePlan(site, site_hosts, subnets, tuple(sorted(policy_ports | declared))))
    return plans


def sweep_site(plan: SitePlan, nmap_path: str, ctx: CollectContext, deadline: float) -> list[Observation]:
    """One site's observations; whatever goes wrong becomes CollectionFailed with the reason."""
    observed: list[Observation] = []
    hosts: list[Host] = []
    for host in plan.hosts:
        try:
            parse_address(host.address)
            hosts.append(host)
        except ScopeError as exc:
            observed.append(_failed(host_target(host), HostPorts, exc.reason()))
    subnets: tuple[str, ...] = ()
    try:
        subnets = tuple(str(parse_network(s, allow_wide=ctx.options.allow_wide_scope)) for s in plan.subnets)
    except ScopeError as exc:
        observed.append(_failed(_site_target(plan.site), SubnetSweep, exc.reason()))
    if not hosts and not subnets:
        return observed
    try:
        ports = parse_ports(plan.ports)
        targets = scan_targets([h.address for h in hosts], subnets, allow_wide=ctx.options.allow_wide_scope)
        result = run_nmap(nmap_path, targets, ports, ctx, deadline)
    except (ScopeError, SweepFailed, nmap.PortScannerError, nmap.PortScannerTimeout) as exc:
        error = exc.reason() if isinstance(exc, AuditError) else str(exc)
        reason = say("network.sweep_failed", site=plan.site.name, error=error)
        log.warning("nmap sweep of site %s failed: %s", plan.site.name, exc)
        observed += [_failed(host_target(h), HostPorts, reason) for h in hosts]
        if subnets:
            observed.append(_failed(_site_target(plan.site), SubnetSweep, reason))
        return observed
    observed += _host_observations(hosts, result, ports, ctx)
    if subnets:
        known = {_canonical(h.address) for h in ctx.inventory.hosts.values()}
        observed += _subnet_observations(plan.site, subnets, result, ports, known)
    return observed


def nmap_arguments(ctx: CollectContext) -> list[str]:
    """Connect scan, no ping (declared hosts are scanned even if they drop probes), no DNS lookups.

    `-d` makes nmap list every port rather than folding closed ones into a count, so a declared
    port's state is known and a host nmap gave up on is recognisable by its missing ports.
    """
    args = ["-sT", "-Pn", "-n", "-d", "--max-retries", "2", "--host-timeout", f"{host_timeout(ctx):.0f}s"]
    if ctx.options.of(NetworkOptions).service_detection:
        banner_wait = f"banner.timeout={ctx.options.timeout:g}s"
        args += ["-sV", "--version-light", "--script", "banner", "--script-args", banner_wait]
    return args


def host_timeout(ctx: CollectContext) -> float:
    """nmap gives up on one host after this long; service detection needs several probe rounds."""
    factor = (
        DETECTION_TIMEOUT_FACTOR if ctx.options.of(NetworkOptions).service_detection else HOST_TIMEOUT_FACTOR
    )
    return max(1.0, ctx.options.timeout * factor)


def run_nmap(
    nmap_path: str, targets: Sequence[str], ports: Sequence[int], ctx: CollectContext, deadline: float
) -> PortsByAddress:
    """The site's nmap process (a second one only for IPv6 targets, which nmap scans apart with -6).

    Every word nmap receives is a validated address, a number or a constant.
    """
    seen: PortsByAddress = {}
    for ipv6 in (False, True):
        chosen = [t for t in targets if (":" in t) == ipv6]
        if chosen:
            seen |= _scan(nmap_path, chosen, ports, ctx, deadline, ipv6=ipv6)
    return seen


def _scan(
    nmap_path: str,
    targets: list[str],
    ports: Sequence[int],
    ctx: CollectContext,
    deadline: float,
    *,
    ipv6: bool,
) -> PortsByAddress:
    remaining = deadline - time.monotonic()
    if remaining <= 1:
        raise SweepFailed(say("network.no_time_left"))
    scanner = nmap.PortScanner(nmap_search_path=(nmap_path,))
    arguments = nmap_arguments(ctx) + (["-6"] if ipv6 else [])
    scanner.scan(
        hosts=" ".join(targets),
        ports=",".join(str(p) for p in ports),
        arguments=" ".join(arguments),
        timeout=remaining,
    )
    errors = scanner.scaninfo().get("error")
    if errors and not scanner.all_hosts():
        raise nmap.PortScannerError(" ".join(str(e).strip() for e in errors))
    detection = ctx.options.of(NetworkOptions).service_detection
    return {
        address: {
            port: _port_seen(port, info, detection) for port, info in scanner[address].get("tcp", {}).items()
        }
        for address in scanner.all_hosts()
    }


def _port_seen(port: int, info: dict[str, Any], detection: bool) -> PortSeen:
    banner = str(info.get("script", {}).get("banner", "")).strip()
    return PortSeen(
        port=port,
        state=str(info.get("state", "")),
        service=str(info.get("name", "")),
        product=str(info.get("product", "")),
        version=str(info.get("version", "")),
        extra_info=str(info.get("extrainfo", "")),
        banner=banner,
        detected=detection and info.get("state") == "open",
    )


def _host_observations(
    hosts: Iterable[Host], result: PortsByAddress, ports: tuple[int, ...], ctx: CollectContext
) -> list[Observation]:
    observed: list[Observation] = []
    scans: list[tuple[Host, dict[int, PortSeen]]] = []
    for host in hosts:
        seen = result.get(_canonical(host.address), {})
        missing = set(ports) - set(seen)
        if missing:
            reason = say(
                "network.host_timed_out",
                missing=len(missing),
                total=len(ports),
                address=host.address,
                timeout=round(host_timeout(ctx)),
            )
            observed.append(_failed(host_target(host), HostPorts, reason))
        else:
            scans.append((host, seen))
    probes = _http_probes(scans, ctx)
    for host, seen in scans:
        observed.append(
            HostPorts(
                target=host_target(host),
                scanned=ports,
                ports=tuple(seen[p] for p in ports),
                service_detection=ctx.options.of(NetworkOptions).service_detection,
                http=probes.get(host.name, ()),
            )
        )
    return observed


def _subnet_observations(
    site: Site, subnets: tuple[str, ...], result: PortsByAddress, ports: tuple[int, ...], known: set[str]
) -> list[Observation]:
    networks = [parse_network(s, allow_wide=True) for s in subnets]
    found: list[Observation] = []
    for address in sorted(result, key=parse_address):
        inside = any(parse_address(address) in n for n in networks)
        if address in known or not inside:
            continue
        open_ports = tuple(p for p in result[address].values() if p.is_open)
        if open_ports:
            target = Target(site=site.name, address=address)
            found.append(SubnetSweep(target, subnets, ports, UnmanagedAddress(address, open_ports)))
    return found or [SubnetSweep(_site_target(site), subnets, ports, None)]


def _http_probes(
    scans: list[tuple[Host, dict[int, PortSeen]]], ctx: CollectContext
) -> dict[str, tuple[HttpProbe, ...]]:
    """GET / on the open plain-HTTP ports of the roles that must redirect to HTTPS."""
    rule = load_policy().http_redirect
    wanted = [
        (host, port)
        for host, seen in scans
        if host.roles & {r.value for r in rule.roles}
        for port in rule.ports
        if port in seen and seen[port].is_open
    ]
    if not wanted:
        return {}
    with ThreadPoolExecutor(max_workers=ctx.options.workers) as pool:
        answers = list(pool.map(lambda hp: fetch_root(hp[0], hp[1], ctx.options.timeout), wanted))
    probes: dict[str, tuple[HttpProbe, ...]] = {}
    for (host, _), probe in zip(wanted, answers, strict=True):
        probes[host.name] = (*probes.get(host.name, ()), probe)
    return probes


def fetch_root(host: Host, port: int, timeout: float) -> HttpProbe:
    """One `GET /` without following redirects; the answer's status and Location are all we keep."""
    name = next((t.sni for t in host.part(TlsHost).tls if t.sni), None) or _host_header(host.address)
    connection = http.client.HTTPConnection(host.address, port, timeout=timeout)
    try:
        connection.request(
            "GET", "/", headers={"Host": name, "User-Agent": "p06audit", "Connection": "close"}
        )
        response = connection.getresponse()
        response.read(HTTP_READ_LIMIT)
        return HttpProbe(port, response.status, (response.getheader("Location") or "")[:500])
    except (OSError, http.client.HTTPException) as exc:
        return HttpProbe(port, error=f"{type(exc).__name__}: {exc}"[:300])
    finally:
        connection.close()


def _canonical(address: str) -> str:
    """The form nmap prints (IPv6 compressed), so inventory and scan addresses compare equal."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def _host_header(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _site_target(site: Site) -> Target:
    return Target(site=site.name, resource="subnets")


def _failed(target: Target, expected: type[Observation], reason: Message | str) -> CollectionFailed:
    return CollectionFailed(target=target, expected=expected, reason=reason)
