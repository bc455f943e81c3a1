"""The TLS family's collector: a probe per endpoint, then ONE sslyze Scanner.

Only the scan commands that the selected checks applying to a host need are queued for its
endpoints. Concurrency is bounded twice, as sslyze recommends: connections per server and servers
in parallel. Trust anchors come from the inventory; path building to them is done here so the
observation carries the verdict as a fact.
"""

from __future__ import annotations

import logging
import math
import ssl
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from sslyze.plugins.scan_commands import ScanCommand
from sslyze.scanner.models import ServerConnectivityStatusEnum, ServerScanRequest, ServerScanResult
from sslyze.scanner.scanner import Scanner
from sslyze.server_setting import ServerNetworkConfiguration, ServerNetworkLocation

from p06audit.checks.tls import sslyze_results as results
from p06audit.checks.tls.family import TlsDefaults, TlsHost
from p06audit.checks.tls.observations import AnchorSource, TlsEndpointObservation
from p06audit.checks.tls.probe import probe
from p06audit.checks.tls.sslyze_results import PART_NAMES, PROTOCOL_COMMANDS, WEAKNESS_COMMANDS, TrustAnchors
from p06audit.inventory import Host, Inventory
from p06audit.model import CollectionFailed, Observation, Target
from p06audit.registry import CheckSpec, CollectContext, collects
from p06audit.runner import host_target
from p06audit.text import Message, say

log = logging.getLogger(__name__)

PER_SERVER_CONNECTIONS = 5  # sslyze's default: a fragile server never sees more at once
CONCURRENT_SERVERS = 10  # sslyze's default: servers scanned in parallel
NETWORK_RETRIES = 2

_ALL_SUITES = frozenset(PROTOCOL_COMMANDS.values())
_LEGACY_SUITES = _ALL_SUITES - {ScanCommand.TLS_1_3_CIPHER_SUITES}
_CERTIFICATE = frozenset({ScanCommand.CERTIFICATE_INFO})
COMMANDS_FOR_CHECK: dict[str, frozenset[ScanCommand]] = {
    "TLS-001": frozenset({ScanCommand.SSL_2_0_CIPHER_SUITES, ScanCommand.SSL_3_0_CIPHER_SUITES}),
    "TLS-002": frozenset({ScanCommand.TLS_1_0_CIPHER_SUITES, ScanCommand.TLS_1_1_CIPHER_SUITES}),
    "TLS-003": frozenset({ScanCommand.TLS_1_2_CIPHER_SUITES, ScanCommand.TLS_1_3_CIPHER_SUITES}),
    "TLS-004": _ALL_SUITES,
    "TLS-005": _LEGACY_SUITES,
    "TLS-006": _CERTIFICATE,
    "TLS-007": _CERTIFICATE,
    "TLS-008": _CERTIFICATE,
    "TLS-009": _CERTIFICATE,
    "TLS-010": _CERTIFICATE,
    "TLS-011": frozenset({ScanCommand.HTTP_HEADERS}),
    "TLS-012": WEAKNESS_COMMANDS,
    "TLS-013": _LEGACY_SUITES,
    "TLS-014": _CERTIFICATE,
    "TLS-015": _CERTIFICATE,
}
_EVERYTHING = frozenset(PART_NAMES)

# Trust stores (sslyze's and the system's) hold a few historic roots with non-positive serials.
warnings.filterwarnings("ignore", message="Parsed a serial number", category=CryptographyDeprecationWarning)


@dataclass(frozen=True)
class Endpoint:
    host: Host
    port: int
    sni: str | None
    commands: frozenset[ScanCommand]

    @property
    def target(self) -> Target:
        return host_target(self.host, self.port)

    @property
    def server_name(self) -> str:
        return self.sni or self.host.address

    @property
    def where(self) -> str:
        """The endpoint as the run's progress names it."""
        return f"{self.host.address}:{self.port}"


def commands_for(checks: Iterable[CheckSpec]) -> frozenset[ScanCommand]:
    """The sslyze commands these checks read; a check this module does not know gets everything."""
    return frozenset(cmd for check in checks for cmd in COMMANDS_FOR_CHECK.get(check.id, _EVERYTHING))


def endpoints_of(hosts: Sequence[Host], ctx: CollectContext) -> list[Endpoint]:
    found = []
    for host in hosts:
        commands = commands_for(c for c in ctx.checks if c.applies_to.matches(host, host.site))
        found += [Endpoint(host, e.port, e.sni, commands) for e in host.part(TlsHost).tls if commands]
    return found


def _read_anchor_file(path: Path) -> tuple[x509.Certificate, ...]:
    try:
        return tuple(x509.load_pem_x509_certificates(path.read_bytes()))
    except (OSError, ValueError) as exc:
        log.warning("trust anchors file %s unusable: %s", path, exc)
        return ()


def system_store() -> Path | None:
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def trust_anchors(inventory: Inventory) -> TrustAnchors:
    """Inventory anchors (`trust_anchors`, plus the system store unless disabled) and the public roots."""
    public_path = system_store()
    public = _read_anchor_file(public_path) if public_path else ()
    configured: list[x509.Certificate] = []
    sources: list[AnchorSource] = []
    settings = inventory.defaults_part(TlsDefaults)
    national = inventory.resolve(settings.trust_anchors)
    if national is not None:
        loaded = _read_anchor_file(national)
        configured += loaded
        sources.append(AnchorSource(str(national), len(loaded)))
    if settings.use_system_trust_store and public_path:
        configured += public
        sources.append(AnchorSource(str(public_path), len(public), system_store=True))
    return TrustAnchors(tuple(configured), tuple(sources), public)


def _request(endpoint: Endpoint, timeout: float) -> ServerScanRequest:
    name = endpoint.server_name
    return ServerScanRequest(
        server_location=ServerNetworkLocation(
            hostname=name, port=endpoint.port, ip_address=endpoint.host.address
        ),
        network_configuration=ServerNetworkConfiguration(
            tls_server_name_indication=name,
            network_timeout=max(1, math.ceil(timeout)),
            network_max_retries=NETWORK_RETRIES,
        ),
        scan_commands=set(endpoint.commands),
    )


def observe(
    endpoint: Endpoint, result: ServerScanResult, trust: TrustAnchors, ctx: CollectContext
) -> Observation:
    """One endpoint's sslyze result as an observation, or CollectionFailed when no handshake worked."""
    if result.connectivity_status != ServerConnectivityStatusEnum.COMPLETED or result.scan_result is None:
        reason = results.connectivity_error(result.connectivity_error_trace)
        return CollectionFailed(endpoint.target, expected=TlsEndpointObservation, reason=reason)
    attempts = result.scan_result
    errors: list[tuple[str, Message]] = []
    protocols = []
    for protocol, command in PROTOCOL_COMMANDS.items():
        if command in endpoint.commands:
            attempt = getattr(attempts, command.value)
            if (problem := results.command_error(attempt)) is not None:
                errors.append((protocol, problem))
            else:
                protocols.append(results.protocol_result(protocol, attempt.result))
    deployments = hsts = None
    if ScanCommand.CERTIFICATE_INFO in endpoint.commands:
        attempt = attempts.certificate_info
        if (problem := results.command_error(attempt)) is not None:
            errors.append(("certificate", problem))
        else:
            deployments = results.deployments(attempt.result, trust, ctx.options.now)
    if ScanCommand.HTTP_HEADERS in endpoint.commands:
        attempt = attempts.http_headers
        problem = results.command_error(attempt) or results.http_error(attempt.result)
        if problem is not None:
            errors.append(("http_headers", problem))
        else:
            hsts = results.hsts(attempt.result)
    weaknesses = None
    if endpoint.commands & WEAKNESS_COMMANDS:
        for command in sorted(endpoint.commands & WEAKNESS_COMMANDS, key=lambda c: c.value):
            if (problem := results.command_error(getattr(attempts, command.value))) is not None:
                errors.append(("weaknesses", say("tls.test_failed", command=command.value, problem=problem)))
        weaknesses = results.weaknesses(attempts, endpoint.commands)
    return TlsEndpointObservation(
        target=endpoint.target,
        server_name=endpoint.server_name,
        sni=endpoint.sni,
        protocols=tuple(protocols),
        deployments=deployments,
        hsts=hsts,
        weaknesses=weaknesses,
        errors=tuple(errors),
    )


def _probe_all(endpoints: Sequence[Endpoint], timeout: float) -> list[Message | None]:
    with ThreadPoolExecutor(max_workers=max(1, min(CONCURRENT_SERVERS, len(endpoints)))) as pool:
        return list(pool.map(lambda e: probe(e.host.address, e.port, e.sni, timeout), endpoints))


@collects(TlsEndpointObservation)
def collect_tls(hosts: Sequence[Host], ctx: CollectContext) -> list[Observation]:
    """Probe every endpoint, scan the ones that answer TLS with one Scanner, and describe the rest."""
    endpoints = endpoints_of(hosts, ctx)
    if not endpoints:
        return []
    timeout = ctx.options.timeout
    observations: list[Observation] = []
    reachable: list[Endpoint] = []
    for endpoint, problem in zip(endpoints, _probe_all(endpoints, timeout), strict=True):
        if problem is None:
            reachable.append(endpoint)
        else:
            observations.append(
                CollectionFailed(endpoint.target, expected=TlsEndpointObservation, reason=problem)
            )
            ctx.examined(endpoint.host.name, endpoint.where)
    if not reachable:
        return observations
    trust = trust_anchors(ctx.inventory)
    requests = [(_request(e, timeout), e) for e in reachable]
    by_id = {request.uuid: endpoint for request, endpoint in requests}
    scanner = Scanner(
        per_server_concurrent_connections_limit=PER_SERVER_CONNECTIONS,
        concurrent_server_scans_limit=min(CONCURRENT_SERVERS, len(reachable)),
    )
    scanner.queue_scans([request for request, _ in requests])
    for result in scanner.get_results():
        endpoint = by_id[result.uuid]
        observations.append(observe(endpoint, result, trust, ctx))
        ctx.examined(endpoint.host.name, endpoint.where)
    return observations
