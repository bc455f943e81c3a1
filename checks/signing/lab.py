"""Signing scenarios on 127.0.5.x: officials' certificates with one defect each, and their CRL/OCSP.

Writes the test government PKI under `<workdir>/signing/` (sources folder, trust anchors, CRL file,
roster CSV; see checks/signing/lab_pki.py), then serves the CRL on 127.0.5.1, OCSP on 127.0.5.2
(plus a path answering garbage), and a responder that accepts TCP and never answers on 127.0.5.3.
127.0.5.4 is deliberately left without a server (connection refused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from p06audit.checks.signing.lab_pki import (
    CRL_ADDRESS,
    CRL_PATH,
    OCSP_ADDRESS,
    SILENT_ADDRESS,
    GovernmentPki,
    write_signing_lab,
)
from p06audit.checks.signing.lab_revocation import RevocationServer
from p06audit.lab.servers import LabServer, SilentListener

if TYPE_CHECKING:
    from datetime import datetime

    from p06audit.lab import LabContext

SIGNING_DIR = "signing"
GARBAGE = b"\x30\x03\x0a\x01" + b"not an OCSP response" * 8


def _garbage(request: bytes, now: datetime) -> bytes:
    return GARBAGE


def build(ctx: LabContext) -> list[LabServer]:
    pki = GovernmentPki(ctx.now)
    files = write_signing_lab(ctx.workdir / SIGNING_DIR, pki)
    return [
        RevocationServer(
            "signing-crl",
            CRL_ADDRESS,
            80,
            "CRL of the lab's public-service signing CA",
            documents={CRL_PATH: ("application/pkix-crl", files.crl_file.read_bytes())},
        ),
        RevocationServer(
            "signing-ocsp",
            OCSP_ADDRESS,
            80,
            "OCSP responder of the signing CA (/ocsp); /ocsp-garbage answers junk",
            ocsp={"/ocsp": pki.ocsp_response, "/ocsp-garbage": _garbage},
        ),
        SilentListener("signing-ocsp-silent", SILENT_ADDRESS, 80),
    ]
