"""One ClientHello per endpoint before the scan, so a dead or hostile host fails fast and clearly.

sslyze's connectivity test retries every protocol version with two cipher lists; against a host
that accepts TCP and then stays silent that is a dozen timeouts. This probe sends one real
ClientHello and reads the first bytes of the answer within the timeout: a TLS record (handshake or
alert) means the scan may proceed; silence, a reset or anything else is the reason to report.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl

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


def probe(address: str, port: int, sni: str | None, timeout: float) -> str | None:
    """None when the endpoint answers a ClientHello with TLS; otherwise why it cannot be scanned."""
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except ConnectionRefusedError:
        return f"connection refused on port {port} (no service listening)"
    except TimeoutError:
        return f"no answer to the TCP connection within {timeout:g} s"
    except OSError as exc:
        return f"TCP connection failed: {exc.strerror or exc}"
    with sock:
        try:
            sock.sendall(client_hello(sni))
            first = sock.recv(_SHOWN_BYTES)
        except TimeoutError:
            return f"accepted TCP but sent no TLS answer within {timeout:g} s"
        except ConnectionResetError:
            return "reset the connection after the TLS ClientHello"
        except OSError as exc:
            return f"connection failed after the TLS ClientHello: {exc.strerror or exc}"
    if not first:
        return "closed the connection without answering the TLS ClientHello"
    if first[0] in _TLS_RECORD_TYPES and (len(first) < 2 or first[1] == 0x03):
        return None
    return (
        f"answered the TLS ClientHello with data that is not TLS (first bytes: {first[:_SHOWN_BYTES].hex()})"
    )
