"""paramiko transports for the SSH families: one that only reads (probe) and one that logs in.

`ProbeTransport` records the server's KEXINIT name-lists and, because it never authenticates,
also speaks the SHA-1 key exchanges and ssh-rsa (SHA-1) host-key signatures that paramiko 5 dropped,
so host keys and auth methods of legacy servers can still be read. `LoginTransport` keeps paramiko's
strong defaults: credentials are only ever sent over a strong channel.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from hashlib import sha1
from typing import Any

import paramiko
from cryptography.hazmat.primitives import hashes
from paramiko.kex_curve25519 import KexCurve25519
from paramiko.kex_group14 import KexGroup14SHA256
from paramiko.message import Message as SshMessage

from p06audit.checks.ssh.observations import AlgorithmOffer, HostKey
from p06audit.checks.ssh.pins import fingerprint
from p06audit.text import Message, say

# paramiko logs every refused negotiation with a traceback; collectors report the reason themselves.
PARAMIKO_LOG = "p06audit.checks.ssh.paramiko"
logging.getLogger(PARAMIKO_LOG).setLevel(logging.CRITICAL)

# RFC 8731 name of the X25519 exchange; paramiko knows only the pre-standard libssh.org name.
_CURVE25519 = "curve25519-sha256"


class _KexGroup14Sha1(KexGroup14SHA256):  # type: ignore[misc]  # paramiko is untyped
    name = "diffie-hellman-group14-sha1"
    hash_algo = sha1


class _KexGroup1Sha1(_KexGroup14Sha1):
    """RFC 4253 §8.1: Oakley group 2 (1024-bit, RFC 2409 §6.2)."""

    name = "diffie-hellman-group1-sha1"
    P = int(
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
        16,
    )


class _Sha1RsaKey(paramiko.RSAKey):  # type: ignore[misc]  # paramiko is untyped
    """Verifies ssh-rsa (SHA-1) host-key signatures, for reading legacy servers' keys only."""

    HASHES = {**paramiko.RSAKey.HASHES, "ssh-rsa": hashes.SHA1}


class LoginTransport(paramiko.Transport):  # type: ignore[misc]  # paramiko is untyped
    """paramiko's strong defaults plus the standard name of curve25519 (OpenSSH may offer only that).

    Records the server's KEXINIT name-lists, even when negotiation then fails.
    """

    _preferred_kex = (_CURVE25519, *paramiko.Transport._preferred_kex)
    _kex_info = {**paramiko.Transport._kex_info, _CURVE25519: KexCurve25519}

    server_offer: AlgorithmOffer | None = None

    def _parse_kex_init(self, m: SshMessage) -> Any:
        if self.server_offer is None:
            copy = SshMessage(m.asbytes())
            copy.get_bytes(16)  # cookie
            lists = [tuple(n for n in copy.get_list() if n) for _ in range(8)]
            self.server_offer = AlgorithmOffer(*lists[:7])
        return super()._parse_kex_init(m)


class ProbeTransport(LoginTransport):
    """Negotiates legacy algorithms too (last), to read old servers' keys. Never used to authenticate."""

    _preferred_kex = (*LoginTransport._preferred_kex, _KexGroup14Sha1.name, _KexGroup1Sha1.name)
    _kex_info = {
        **LoginTransport._kex_info,
        _KexGroup14Sha1.name: _KexGroup14Sha1,
        _KexGroup1Sha1.name: _KexGroup1Sha1,
    }
    _preferred_keys = (*paramiko.Transport._preferred_keys, "ssh-rsa")
    _key_info = {**paramiko.Transport._key_info, "ssh-rsa": _Sha1RsaKey}


def seconds(value: float) -> int | float:
    """A timeout as a message shows it: 4.0 as 4, 2.5 as 2.5."""
    return int(value) if float(value).is_integer() else value


def key_type_of(algorithm: str) -> str | None:
    """The key type a host-key algorithm signs with; None for certificates and unknown names."""
    if algorithm in ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"):
        return "ssh-rsa"
    if algorithm.endswith("-cert-v01@openssh.com"):
        return None
    return algorithm


def algorithms_for(key_type: str, *, legacy: bool) -> tuple[str, ...]:
    """The host-key algorithms that prove a key type, strongest first (SHA-1 ones only if `legacy`)."""
    if key_type == "ssh-rsa":
        return ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa") if legacy else ("rsa-sha2-512", "rsa-sha2-256")
    return (key_type,)


@dataclass
class Handshake:
    """A transport after key exchange, or why it failed (the transport still holds what it read).

    `error` is our message for a failure we recognise, or paramiko's own words."""

    transport: LoginTransport
    error: Message | str | None

    @property
    def banner(self) -> str:
        return str(self.transport.remote_version or "")

    @property
    def offer(self) -> AlgorithmOffer | None:
        return self.transport.server_offer

    def close(self) -> None:
        self.transport.close()


def handshake(
    kind: type[LoginTransport],
    address: str,
    port: int,
    timeout: float,
    host_key_algorithms: tuple[str, ...] | None = None,
) -> Handshake:
    """Connect and run the key exchange; connection errors raise, negotiation errors are returned."""
    sock = socket.create_connection((address, port), timeout=timeout)
    transport = kind(sock)
    transport.set_log_channel(PARAMIKO_LOG)
    transport.banner_timeout = timeout
    transport.handshake_timeout = timeout
    transport.auth_timeout = timeout
    if host_key_algorithms:
        transport.get_security_options().key_types = host_key_algorithms
    try:
        # paramiko's own banner timeout fires first for a silent port; this bounds the whole exchange.
        transport.start_client(timeout=2 * timeout)
        transport.get_remote_server_key()
    except (paramiko.SSHException, EOFError, OSError) as exc:
        transport.close()
        return Handshake(transport, _explained(exc, transport, timeout))
    return Handshake(transport, None)


def _explained(exc: Exception, transport: paramiko.Transport, timeout: float) -> Message | str:
    """paramiko's banner errors wrap the real cause; name it the way an officer would."""
    cause = exc.__context__
    if transport.remote_version:
        if str(exc) == "No existing session":
            return say("ssh.kex_timeout", seconds=seconds(2 * timeout))
        return str(exc) or type(exc).__name__
    if isinstance(cause, TimeoutError):
        return say("ssh.silent", seconds=seconds(timeout))
    if isinstance(cause, EOFError | ConnectionResetError):
        return say("ssh.closed_before_banner")
    return say("ssh.not_a_banner")


def server_host_key(transport: paramiko.Transport) -> HostKey:
    key = transport.get_remote_server_key()
    blob = key.get_base64()
    return HostKey(key.get_name(), key.get_bits(), fingerprint(blob), blob)
