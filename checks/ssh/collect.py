"""The unauthenticated SSH collector: one nornir task per host with an `ssh` section.

Per host, one connection reads the banner and the KEXINIT offer and proves one host key; one more
short connection per further key type proves the others (at most one extra connection open at a
time). The keys then go through the pin store, and only if the host's identity is unchanged does the
first connection ask for the auth methods with an empty `none` request under a fixed probe name,
which carries no credential. A host whose pinned key changed receives nothing more.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence

import paramiko

from audit.errors import AuditError
from audit.inventory import Host
from audit.model import CollectionFailed, Observation
from audit.registry import CollectContext, collector
from audit.runner import host_target
from checks.ssh.observations import AlgorithmOffer, HostKey, PinCheck, PinState, SshServerInfo
from checks.ssh.pins import KnownHostsPins
from checks.ssh.transport import (
    Handshake,
    ProbeTransport,
    algorithms_for,
    handshake,
    key_type_of,
    server_host_key,
)

PROBE_USER = "p06audit-probe"
# Extra key-fetch connections stop once this many timeouts have passed, leaving room in the
# runner's per-host deadline (timeout x 6) for the auth probe.
KEY_FETCH_BUDGET = 3.0


class SshProbeError(AuditError):
    """The endpoint did not behave as an SSH server."""


def describe_connect_error(exc: BaseException, timeout: float) -> str:
    """A reason an officer can act on, for connection-level failures."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens on the SSH port)"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the host"
    return f"{type(exc).__name__}: {exc}"


def parse_banner(banner: str) -> tuple[str, str]:
    """(protocol version, software) from `SSH-2.0-OpenSSH_9.2p1 Debian-2`."""
    parts = banner.split(" ", 1)[0].split("-", 2)
    if len(parts) < 3 or parts[0] != "SSH":
        raise SshProbeError(f"not an SSH banner: {banner[:120]!r}")
    return parts[1], parts[2]


def _fetch_other_keys(
    address: str, port: int, timeout: float, offered: Sequence[str], have: set[str]
) -> tuple[list[HostKey], list[str]]:
    keys: list[HostKey] = []
    notes: list[str] = []
    started = time.monotonic()
    types = dict.fromkeys(t for t in map(key_type_of, offered) if t is not None and t not in have)
    for key_type in types:
        if key_type not in ProbeTransport._key_info:
            notes.append(
                f"{key_type}: offered, but the probe cannot verify this key type, so its key was not read"
            )
            continue
        if time.monotonic() - started > KEY_FETCH_BUDGET * timeout:
            notes.append(f"{key_type}: not read (time budget for extra connections used up)")
            continue
        algorithms = tuple(a for a in algorithms_for(key_type, legacy=True) if a in offered)
        try:
            result = handshake(ProbeTransport, address, port, timeout, algorithms)
        except OSError as exc:
            notes.append(f"{key_type}: not read ({describe_connect_error(exc, timeout)})")
            continue
        if result.error is None:
            keys.append(server_host_key(result.transport))
        else:
            notes.append(f"{key_type}: not read ({result.error})")
        result.close()
    return keys, notes


def _auth_methods(first: Handshake) -> tuple[tuple[str, ...] | None, str]:
    try:
        first.transport.auth_none(PROBE_USER)
    except paramiko.BadAuthenticationType as exc:
        return tuple(exc.allowed_types), ""
    except (paramiko.SSHException, EOFError, OSError) as exc:
        return None, f"the server did not answer the auth-methods query: {exc}"
    return ("none",), "the server accepted the 'none' method: no authentication is required"


def probe(host: Host, ctx: CollectContext) -> SshServerInfo:
    """Everything an anonymous client can learn from the host's SSH port."""
    spec = host.data.ssh
    if spec is None:
        raise SshProbeError(f"host {host.name} has no ssh section")
    address, port, timeout = host.address, spec.port, ctx.options.timeout
    first = handshake(ProbeTransport, address, port, timeout)
    try:
        if not first.banner:
            raise SshProbeError(f"not an SSH server: {first.error}")
        protocol, software = parse_banner(first.banner)
        offer = first.offer
        if offer is None and protocol in ("2.0", "1.99"):
            raise SshProbeError(f"no key-exchange offer after the banner ({first.error})")
        if offer is None:
            note = f"the server speaks SSH protocol {protocol} only ({first.error})"
            return _unverified(host, port, first.banner, protocol, software, None, note)
        if first.error is not None:
            note = f"no key exchange the probe supports: {first.error}"
            return _unverified(host, port, first.banner, protocol, software, offer, note)
        keys = [server_host_key(first.transport)]
        more, notes = _fetch_other_keys(
            address, port, timeout, offer.host_key_algorithms, {k.key_type for k in keys}
        )
        keys += more
        pin = KnownHostsPins.in_state_dir(ctx.options.state_dir).verify(
            address, port, keys, ctx.options.now.isoformat()
        )
        methods, auth_note = _query_auth(first, pin)
        return SshServerInfo(
            host_target(host, port),
            banner=first.banner,
            protocol=protocol,
            software=software,
            offer=offer,
            offer_note="",
            host_keys=tuple(keys),
            host_key_notes=tuple(notes),
            auth_methods=methods,
            auth_note=auth_note,
            pin=pin,
            pin_note="",
        )
    finally:
        first.close()


def _query_auth(first: Handshake, pin: PinCheck) -> tuple[tuple[str, ...] | None, str]:
    if pin.state is PinState.CHANGED:
        return None, "not queried: the host key changed, so nothing is sent to this host"
    return _auth_methods(first)


def _unverified(
    host: Host, port: int, banner: str, protocol: str, software: str, offer: AlgorithmOffer | None, note: str
) -> SshServerInfo:
    """What is known when no key exchange completed: banner, perhaps the offer, and why not more."""
    return SshServerInfo(
        host_target(host, port),
        banner=banner,
        protocol=protocol,
        software=software,
        offer=offer,
        offer_note="" if offer else note,
        host_keys=(),
        host_key_notes=(note,),
        auth_methods=None,
        auth_note="not queried: " + note,
        pin=None,
        pin_note="no host key could be verified: " + note,
    )


@collector(family="ssh", produces=[SshServerInfo], per_host=True)
def collect_ssh(host: Host, ctx: CollectContext) -> list[Observation]:
    port = host.data.ssh.port if host.data.ssh else None
    try:
        return [probe(host, ctx)]
    except OSError as exc:
        reason = describe_connect_error(exc, ctx.options.timeout)
    except (SshProbeError, paramiko.SSHException, EOFError) as exc:
        reason = str(exc)
    return [CollectionFailed(host_target(host, port), SshServerInfo, reason)]
