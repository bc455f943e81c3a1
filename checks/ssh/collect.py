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

from p06audit.checks.ssh.family import ssh_of
from p06audit.checks.ssh.observations import AlgorithmOffer, HostKey, PinCheck, PinState, SshServerInfo
from p06audit.checks.ssh.pins import KnownHostsPins
from p06audit.checks.ssh.transport import (
    Handshake,
    ProbeTransport,
    algorithms_for,
    handshake,
    key_type_of,
    seconds,
    server_host_key,
)
from p06audit.errors import AuditError
from p06audit.inventory import Host
from p06audit.model import CollectionFailed, Observation
from p06audit.registry import CollectContext, collects, describe_error
from p06audit.runner import host_target
from p06audit.text import Message, say

PROBE_USER = "p06audit-probe"
# Extra key-fetch connections stop once this many timeouts have passed, leaving room in the
# runner's per-host deadline (timeout x 6) for the auth probe.
KEY_FETCH_BUDGET = 3.0


class SshProbeError(AuditError):
    """The endpoint did not behave as an SSH server."""


def describe_connect_error(exc: BaseException, timeout: float) -> Message | str:
    """A reason an officer can act on, for connection-level failures (else the OS's own words)."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return say("ssh.no_answer", seconds=seconds(timeout))
    if isinstance(exc, ConnectionRefusedError):
        return say("ssh.refused")
    if isinstance(exc, ConnectionResetError):
        return say("ssh.reset")
    return describe_error(exc)


def parse_banner(banner: str) -> tuple[str, str]:
    """(protocol version, software) from `SSH-2.0-OpenSSH_9.2p1 Debian-2`."""
    parts = banner.split(" ", 1)[0].split("-", 2)
    if len(parts) < 3 or parts[0] != "SSH":
        raise SshProbeError(say("ssh.bad_banner", banner=repr(banner[:120])))
    return parts[1], parts[2]


def _fetch_other_keys(
    address: str, port: int, timeout: float, offered: Sequence[str], have: set[str]
) -> tuple[list[HostKey], list[Message]]:
    keys: list[HostKey] = []
    notes: list[Message] = []
    started = time.monotonic()
    types = dict.fromkeys(t for t in map(key_type_of, offered) if t is not None and t not in have)
    for key_type in types:
        if key_type not in ProbeTransport._key_info:
            notes.append(say("ssh.key_unsupported", key_type=key_type))
            continue
        if time.monotonic() - started > KEY_FETCH_BUDGET * timeout:
            notes.append(say("ssh.key_budget", key_type=key_type))
            continue
        algorithms = tuple(a for a in algorithms_for(key_type, legacy=True) if a in offered)
        try:
            result = handshake(ProbeTransport, address, port, timeout, algorithms)
        except OSError as exc:
            notes.append(
                say("ssh.key_not_read", key_type=key_type, error=describe_connect_error(exc, timeout))
            )
            continue
        if result.error is None:
            keys.append(server_host_key(result.transport))
        else:
            notes.append(say("ssh.key_not_read", key_type=key_type, error=result.error))
        result.close()
    return keys, notes


def _auth_methods(first: Handshake) -> tuple[tuple[str, ...] | None, Message | None]:
    try:
        first.transport.auth_none(PROBE_USER)
    except paramiko.BadAuthenticationType as exc:
        return tuple(exc.allowed_types), None
    except (paramiko.SSHException, EOFError, OSError) as exc:
        return None, say("ssh.auth_no_answer", error=describe_error(exc))
    return ("none",), say("ssh.auth_none_accepted")


def probe(host: Host, ctx: CollectContext) -> SshServerInfo:
    """Everything an anonymous client can learn from the host's SSH port."""
    spec = ssh_of(host)
    if spec is None:
        raise SshProbeError(say("ssh.no_ssh_section", host=host.name))
    address, port, timeout = host.address, spec.port, ctx.options.timeout
    first = handshake(ProbeTransport, address, port, timeout)
    error = first.error or ""
    try:
        if not first.banner:
            raise SshProbeError(say("ssh.not_ssh_server", error=error))
        protocol, software = parse_banner(first.banner)
        offer = first.offer
        if offer is None and protocol in ("2.0", "1.99"):
            raise SshProbeError(say("ssh.no_offer_after_banner", error=error))
        if offer is None:
            note = say("ssh.protocol_only", protocol=protocol, error=error)
            return _unverified(host, port, first.banner, protocol, software, None, note)
        if first.error is not None:
            note = say("ssh.no_common_kex", error=first.error)
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
            offer_note=None,
            host_keys=tuple(keys),
            host_key_notes=tuple(notes),
            auth_methods=methods,
            auth_note=auth_note,
            pin=pin,
            pin_note=None,
        )
    finally:
        first.close()


def _query_auth(first: Handshake, pin: PinCheck) -> tuple[tuple[str, ...] | None, Message | None]:
    if pin.state is PinState.CHANGED:
        return None, say("ssh.auth_not_sent")
    return _auth_methods(first)


def _unverified(
    host: Host,
    port: int,
    banner: str,
    protocol: str,
    software: str,
    offer: AlgorithmOffer | None,
    note: Message,
) -> SshServerInfo:
    """What is known when no key exchange completed: banner, perhaps the offer, and why not more."""
    return SshServerInfo(
        host_target(host, port),
        banner=banner,
        protocol=protocol,
        software=software,
        offer=offer,
        offer_note=None if offer else note,
        host_keys=(),
        host_key_notes=(note,),
        auth_methods=None,
        auth_note=say("ssh.not_queried", note=note),
        pin=None,
        pin_note=say("ssh.no_key_verified", note=note),
    )


@collects(SshServerInfo, per_host=True)
def collect_ssh(host: Host, ctx: CollectContext) -> list[Observation]:
    """The probe's observation, or the one reason the endpoint could not be examined (SSH-000)."""
    spec = ssh_of(host)
    port = spec.port if spec else None
    reason: Message | str
    try:
        return [probe(host, ctx)]
    except OSError as exc:
        reason = describe_connect_error(exc, ctx.options.timeout)
    except SshProbeError as exc:
        reason = exc.reason()
    except (paramiko.SSHException, EOFError) as exc:
        reason = describe_error(exc)
    return [CollectionFailed(host_target(host, port), SshServerInfo, reason)]
