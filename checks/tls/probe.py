"""One ClientHello per endpoint before the scan, so a dead or hostile host fails fast and clearly.

sslyze's connectivity test retries every protocol version with two cipher lists; against a host
that accepts TCP and then stays silent that is a dozen timeouts. This probe sends one real
ClientHello and reads the first bytes of the answer within the timeout: a TLS record (handshake or
alert) means the scan may proceed; silence, a reset or anything else is the reason to report, as a
`tls.<why>` message (an OS error's own text travels in it as a parameter).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl

from p06audit.text import Message, say

_TLS_RECORD_TYPES = {0x15, 0x16}  # alert, handshake
_SHOWN_BYTES = 16


def client_hello(sni: str | None) -> bytes:
    """A ClientHello from Python's OpenSSL, captured from a memory BIO (no socket involved)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    name = sni if sni and not _is_address(sni) else None
    tls = context.wrap_bio(incoming, outgoing, server_hostname=name)
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _os_error(exc: OSError) -> str:
    return str(exc.strerror or exc)


def probe(address: str, port: int, sni: str | None, timeout: float) -> Message | None:
    """None when the endpoint answers a ClientHello with TLS; otherwise why it cannot be scanned."""
    seconds = int(timeout) if float(timeout).is_integer() else timeout  # 3 s, not 3.0 s
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except ConnectionRefusedError:
        return say("tls.connection_refused", port=port)
    except TimeoutError:
        return say("tls.tcp_timeout", seconds=seconds)
    except OSError as exc:
        return say("tls.tcp_failed", error=_os_error(exc))
    with sock:
        try:
            sock.sendall(client_hello(sni))
            first = sock.recv(_SHOWN_BYTES)
        except TimeoutError:
            return say("tls.silent", seconds=seconds)
        except ConnectionResetError:
            return say("tls.reset")
        except OSError as exc:
            return say("tls.failed_after_hello", error=_os_error(exc))
    if not first:
        return say("tls.closed")
    if first[0] in _TLS_RECORD_TYPES and (len(first) < 2 or first[1] == 0x03):
        return None
    return say("tls.not_tls", first_bytes=first[:_SHOWN_BYTES].hex())
