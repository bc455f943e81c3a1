"""Lab HTTP server publishing a CRL and answering OCSP (RFC 6960 POST, and GET with base64 path).

Built on the lab's socket server (one 127.x address, stopped cleanly). Responses are made with
`cryptography` by `GovernmentPki`; one path answers garbage so clients meet a broken responder.
"""

from __future__ import annotations

import base64
import socket
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import unquote

from p06audit.lab.servers import READ_LIMIT, SocketServerBase, http_response

MAX_BODY = 65536
Route = Callable[[bytes], tuple[str, str, bytes]]  # body → (status, content type, payload)


def read_request(conn: socket.socket) -> tuple[str, str, bytes] | None:
    """(method, path, body) of one HTTP/1.x request, reading exactly Content-Length body bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > READ_LIMIT:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        return None
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            length = min(int(value.strip()), MAX_BODY)
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        body += chunk
    return parts[0].upper(), parts[1], body[:length]


class RevocationServer(SocketServerBase):
    """Serves fixed documents by path (GET) and OCSP answers (POST body or GET path suffix)."""

    def __init__(
        self,
        name: str,
        address: str,
        port: int,
        description: str,
        documents: dict[str, tuple[str, bytes]] | None = None,
        ocsp: dict[str, Callable[[bytes, datetime], bytes]] | None = None,
    ) -> None:
        super().__init__(name, address, port, description)
        self.documents = documents or {}
        self.ocsp = ocsp or {}
        self.hits: Counter[str] = Counter()  # requests per path: tests check "fetched once"

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        request = read_request(conn)
        if request is None:
            return
        method, path, body = request
        status, content_type, payload = self.answer(method, path, body)
        conn.sendall(http_response(status, {"Content-Type": content_type}, payload))

    def answer(self, method: str, path: str, body: bytes) -> tuple[str, str, bytes]:
        self.hits[path.split("/ocsp/")[0] if "/ocsp/" in path else path] += 1
        if method == "GET" and path in self.documents:
            content_type, payload = self.documents[path]
            return "200 OK", content_type, payload
        for prefix, respond in self.ocsp.items():
            if method == "POST" and path == prefix:
                return "200 OK", "application/ocsp-response", respond(body, datetime.now(UTC))
            if method == "GET" and path.startswith(prefix + "/"):
                encoded = unquote(path[len(prefix) + 1 :])
                try:
                    request = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
                except ValueError:
                    return "400 Bad Request", "text/plain", b"bad base64\n"
                return "200 OK", "application/ocsp-response", respond(request, datetime.now(UTC))
        return "404 Not Found", "text/plain", b"not found\n"
