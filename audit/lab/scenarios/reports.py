"""Report scenarios on 127.0.6.x: hosts whose answers carry script-injection payloads.

The payloads reach finding evidence through the real collectors (the HTTP redirect the network
family follows up on, the certificate names the TLS family records); the report tests then prove
the HTML shows them as text and runs none of them (each payload would set `window.__xss`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from p06audit.lab.servers import HttpServer, LabServer, TlsHttpServer, TlsSettings

if TYPE_CHECKING:
    from p06audit.lab import LabContext

HOSTILE_ADDRESS = "127.0.6.1"
HOSTILE_NAME = "hostile.lab.p06.test"
PAYLOAD_SCRIPT = "<script>window.__xss='script'</script>"
PAYLOAD_IMG = '"><img src=x onerror="window.__xss=\'img\'">'
PAYLOAD_URL = "javascript:window.__xss='url'//"
PAYLOADS = (PAYLOAD_SCRIPT, PAYLOAD_IMG, PAYLOAD_URL)


def _hostile_redirect(_: bytes) -> tuple[str, dict[str, str], bytes]:
    """A portal's port 80 'redirecting' to a javascript: URL with markup appended."""
    location = PAYLOAD_URL + PAYLOAD_IMG + PAYLOAD_SCRIPT
    return "302 Found", {"Location": location, "Server": PAYLOAD_SCRIPT}, PAYLOAD_SCRIPT.encode()


def build(ctx: LabContext) -> list[LabServer]:
    cert = ctx.pki.issue_server("reports-hostile", [HOSTILE_NAME, *PAYLOADS], ip_addresses=[HOSTILE_ADDRESS])
    return [
        HttpServer(
            "reports-hostile-http",
            HOSTILE_ADDRESS,
            80,
            _hostile_redirect,
            "HTTP answer carrying XSS payloads",
        ),
        TlsHttpServer(
            "reports-hostile-tls",
            HOSTILE_ADDRESS,
            443,
            TlsSettings(
                cert.chain_file, cert.key_file, http_headers={"Strict-Transport-Security": PAYLOAD_SCRIPT}
            ),
            "HTTPS whose certificate names and HSTS header carry XSS payloads",
        ),
    ]
