"""A lab HTTPS server that speaks what Debian's OpenSSL 3 refuses to serve: SSL 3.0, RC4, 3DES.

tlslite-ng is a pure-Python TLS stack, so it serves legacy protocol versions and suites on a chosen
127.0.x.y address; scanners (sslyze, testssl.sh) see a real server with those weaknesses. Lab only.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

from tlslite.api import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey

from p06audit.lab.servers import SocketServerBase, http_response, read_http_request

TLS_VERSIONS = {"SSLv3": (3, 0), "TLSv1.0": (3, 1), "TLSv1.1": (3, 2), "TLSv1.2": (3, 3), "TLSv1.3": (3, 4)}


@dataclass(frozen=True)
class LegacyTlsSettings:
    """Protocol range and tlslite-ng cipher/key-exchange/MAC names (see tlslite.handshakesettings)."""

    chain_file: Path
    key_file: Path
    minimum_version: str = "TLSv1.2"
    maximum_version: str = "TLSv1.2"
    ciphers: tuple[str, ...] = ("aes256gcm", "aes128gcm")
    key_exchanges: tuple[str, ...] = ("ecdhe_rsa",)
    macs: tuple[str, ...] = ("aead", "sha256", "sha")
    http_headers: dict[str, str] = field(default_factory=dict)

    def handshake_settings(self) -> HandshakeSettings:
        settings = HandshakeSettings()
        settings.minVersion = TLS_VERSIONS[self.minimum_version]
        settings.maxVersion = TLS_VERSIONS[self.maximum_version]
        settings.cipherNames = list(self.ciphers)
        settings.keyExchangeNames = list(self.key_exchanges)
        settings.macNames = list(self.macs)
        return settings.validate()


class LegacyTlsHttpServer(SocketServerBase):
    """HTTPS through tlslite-ng: one handshake, then one HTTP response with the chosen headers."""

    def __init__(
        self, name: str, address: str, port: int, settings: LegacyTlsSettings, description: str
    ) -> None:
        super().__init__(name, address, port, description)
        self.settings = settings
        self._handshake = settings.handshake_settings()
        chain = X509CertChain()
        chain.parsePemList(settings.chain_file.read_text())
        self._chain = chain
        self._key = parsePEMKey(settings.key_file.read_text(), private=True)

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        tls = TLSConnection(conn)
        try:
            tls.handshakeServer(certChain=self._chain, privateKey=self._key, settings=self._handshake)
            if read_http_request(tls):
                tls.sendall(http_response("200 OK", self.settings.http_headers, b"p06audit lab\n"))
            tls.close()
        except Exception:
            # Scanners send deliberately broken handshakes (tlslite raises many kinds of errors on
            # them); the server drops the connection, like a real one, and keeps serving others.
            conn.close()
