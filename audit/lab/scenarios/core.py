"""Foundation scenarios on 127.0.1.x: a good and an expired HTTPS portal, a TCP service, a stall."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from p06audit.lab.pki import revocation_extensions
from p06audit.lab.servers import BannerListener, LabServer, SilentListener, TlsHttpServer, TlsSettings

if TYPE_CHECKING:
    from p06audit.lab import LabContext

HSTS = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}


def build(ctx: LabContext) -> list[LabServer]:
    pki = ctx.pki
    good = pki.issue_server(
        "core-good",
        ["portal.lab.p06.test"],
        ip_addresses=["127.0.1.1"],
        extensions=revocation_extensions(),
    )
    expired = pki.issue_server(
        "core-expired",
        ["expired.lab.p06.test"],
        ip_addresses=["127.0.1.2"],
        valid_from=timedelta(days=-400),
        valid_for=timedelta(days=365),
        extensions=revocation_extensions(),
    )
    return [
        TlsHttpServer(
            "core-good-portal",
            "127.0.1.1",
            443,
            TlsSettings(good.chain_file, good.key_file, http_headers=HSTS),
            "HTTPS portal, valid chain, TLS 1.2-1.3, HSTS",
        ),
        TlsHttpServer(
            "core-expired-portal",
            "127.0.1.2",
            443,
            TlsSettings(expired.chain_file, expired.key_file, http_headers=HSTS),
            "HTTPS portal whose certificate expired 35 days ago",
        ),
        BannerListener("core-app-service", "127.0.1.3", 8080, description="plain TCP application service"),
        SilentListener("core-silent-tls", "127.0.1.4", 443),
    ]
