"""Lab server kinds: each binds one 127.x address (never 0.0.0.0) and stops cleanly.

Families add their own kinds (legacy TLS via tlslite-ng, OpenSSH sshd, CRL/OCSP over HTTP) in
modules beside this one; these are the shared basics.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LAB_NETWORK = ipaddress.ip_network("127.0.0.0/8")
READ_LIMIT = 16384


def require_loopback(address: str) -> None:
    """The lab must never listen beyond loopback; refusing here keeps every scenario honest."""
    if ipaddress.ip_address(address) not in LAB_NETWORK or address == "127.0.0.0":
        raise ValueError(f"lab servers bind only 127.0.0.0/8 addresses, not {address}")


class LabServer:
    """A server on one address:port with a name and a short description for `lab status`."""

    name: str
    address: str
    port: int
    description: str

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "port": self.port,
            "description": self.description,
        }


class _ThreadingServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


class SocketServerBase(LabServer):
    """Runs `handle(conn)` for every connection in its own daemon thread."""

    def __init__(self, name: str, address: str, port: int, description: str) -> None:
        require_loopback(address)
        self.name, self.address, self.port, self.description = name, address, port, description
        self._server: _ThreadingServer | None = None
        self._stopping = threading.Event()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def start(self) -> None:
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError, ssl.SSLError):
                    outer.handle(self.request)

        self._server = _ThreadingServer((self.address, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class BannerListener(SocketServerBase):
    """Accepts TCP, optionally sends a banner, then holds the connection until the client leaves."""

    def __init__(
        self, name: str, address: str, port: int, banner: bytes = b"", description: str = ""
    ) -> None:
        super().__init__(name, address, port, description or "TCP listener")
        self.banner = banner

    def handle(self, conn: socket.socket) -> None:
        if self.banner:
            conn.sendall(self.banner)
        conn.settimeout(0.5)
        while not self._stopping.is_set():
            try:
                if not conn.recv(READ_LIMIT):
                    return
            except TimeoutError:
                continue


class SilentListener(BannerListener):
    """Accepts TCP and never says a word: the stalled host every scanner must survive."""

    def __init__(self, name: str, address: str, port: int) -> None:
        super().__init__(name, address, port, b"", "accepts TCP, then stays silent")


class GarbageListener(SocketServerBase):
    """Answers every connection with bytes no protocol expects, then closes."""

    def __init__(
        self, name: str, address: str, port: int, payload: bytes = b"\x00\xffGARBAGE\r\n" * 64
    ) -> None:
        super().__init__(name, address, port, "accepts TCP, sends garbage, closes")
        self.payload = payload

    def handle(self, conn: socket.socket) -> None:
        conn.sendall(self.payload)


def read_http_request(stream: Any) -> bytes:
    """Read a request head (bounded) so the response follows the client's request."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < READ_LIMIT:
        chunk = stream.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def http_response(status: str, headers: dict[str, str], body: bytes) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass
class TlsSettings:
    chain_file: Path
    key_file: Path
    minimum_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    maximum_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3
    ciphers: str | None = None
    dh_params: Path | None = None
    http_headers: dict[str, str] = field(default_factory=dict)

    def context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if self.ciphers:
            ctx.set_ciphers(self.ciphers)
        ctx.minimum_version = self.minimum_version
        ctx.maximum_version = self.maximum_version
        ctx.load_cert_chain(self.chain_file, self.key_file)
        if self.dh_params is not None:
            ctx.load_dh_params(str(self.dh_params))
        return ctx


class TlsHttpServer(SocketServerBase):
    """HTTPS with Python's ssl (OpenSSL 3): a handshake, then one HTTP response with chosen headers."""

    def __init__(self, name: str, address: str, port: int, settings: TlsSettings, description: str) -> None:
        super().__init__(name, address, port, description)
        self.settings = settings
        self._context = settings.context()

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with self._context.wrap_socket(conn, server_side=True) as tls:
            if read_http_request(tls):
                tls.sendall(http_response("200 OK", self.settings.http_headers, b"p06audit lab\n"))


class HttpServer(SocketServerBase):
    """Plain HTTP answering every request with `respond(request_head) -> (status, headers, body)`."""

    def __init__(
        self,
        name: str,
        address: str,
        port: int,
        respond: Callable[[bytes], tuple[str, dict[str, str], bytes]],
        description: str,
    ) -> None:
        super().__init__(name, address, port, description)
        self.respond = respond

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        head = read_http_request(conn)
        if head:
            status, headers, body = self.respond(head)
            conn.sendall(http_response(status, headers, body))
