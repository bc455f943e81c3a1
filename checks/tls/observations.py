"""What the TLS collector saw on one endpoint, as frozen facts the rules judge without any I/O.

Parts the selected checks did not need are left out (None / absent protocol); a part that was
attempted but failed carries its reason (a message) in `errors`, so only the checks reading it become
ERROR.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from p06audit.model import Observation
from p06audit.text import Message

PROTOCOLS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3")
LEGACY_PROTOCOLS = PROTOCOLS[:5]  # everything below TLS 1.3, where key exchange is negotiable
# The known-weakness tests, by the message name (TLS-012.<name>) that names them to people.
WEAKNESSES = (
    "heartbleed",
    "ccs_injection",
    "robot",
    "insecure_renegotiation",
    "client_renegotiation",
    "compression",
)


@dataclass(frozen=True)
class AcceptedSuite:
    """A cipher suite the server accepted, with the ephemeral key it sent (if any)."""

    name: str
    key_exchange: str | None = None  # "DH", "ECDH", "X25519"… of the ephemeral key; None for static RSA
    key_exchange_bits: int | None = None  # None for DHE: the scanner refused a group too small to measure


@dataclass(frozen=True)
class ProtocolResult:
    protocol: str
    accepted: tuple[AcceptedSuite, ...]

    @property
    def supported(self) -> bool:
        return bool(self.accepted)


@dataclass(frozen=True)
class CertificateFacts:
    """One certificate parsed into the facts the checks need; `parse_error` when it could not be."""

    subject: str  # RFC 4514; empty when the names could not be parsed
    issuer: str
    serial: str = ""
    sha256: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    key_type: str = ""  # RSA, EC, DSA, Ed25519, Ed448
    key_bits: int = 0
    signature_hash: str | None = None  # md5, sha1, sha256…; None when the algorithm has no separate hash
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    crl_urls: tuple[str, ...] = ()
    ocsp_urls: tuple[str, ...] = ()
    is_ca: bool = False
    parse_error: str | None = None

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def brief(self) -> dict[str, Any]:
        """Evidence form: what an officer needs to recognise the certificate."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "sha256": self.sha256,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "key": f"{self.key_type} {self.key_bits}" if self.key_type else None,
            "signature_hash": self.signature_hash,
            **({"parse_error": self.parse_error} if self.parse_error else {}),
        }


@dataclass(frozen=True)
class AnchorSource:
    """A file the trust anchors were read from, and how many certificates it gave."""

    path: str
    certificates: int
    system_store: bool = False

    def evidence(self) -> dict[str, Any]:
        return {"path": self.path, "certificates": self.certificates, "system_store": self.system_store}


@dataclass(frozen=True)
class ChainValidation:
    """Whether the received chain leads to one of the configured trust anchors (dates of the leaf aside)."""

    trusted: bool
    path: tuple[str, ...]  # subjects, leaf first, anchor last (when trusted)
    problem: Message | None
    anchor_sources: tuple[AnchorSource, ...]
    anchor_count: int


@dataclass(frozen=True)
class CertificateDeployment:
    """A chain the server sends (servers with RSA and ECDSA certificates have two)."""

    chain: tuple[CertificateFacts, ...]  # as received, leaf first
    validation: ChainValidation
    publicly_trusted: bool  # leads to a root of the system (public) trust store
    ocsp_stapled: bool
    must_staple: bool

    @property
    def leaf(self) -> CertificateFacts:
        return self.chain[0]


@dataclass(frozen=True)
class HstsFacts:
    """The Strict-Transport-Security header of the HTTP answer to `GET /` (after redirects)."""

    present: bool
    max_age: int | None
    include_subdomains: bool
    preload: bool
    redirected_to: str | None


@dataclass(frozen=True)
class Weakness:
    """One known-vulnerability test: its name (one of WEAKNESSES), whether it hit, and the scanner's
    result it was judged from (`field=value` in sslyze's own terms)."""

    name: str
    vulnerable: bool | None  # None: the scanner could not tell
    detail: str


@dataclass(frozen=True)
class TlsEndpointObservation(Observation):
    """One TLS endpoint (host, port, SNI) as scanned by sslyze."""

    server_name: str  # the name the certificate must match: the SNI, or the address without one
    sni: str | None
    protocols: tuple[ProtocolResult, ...] = ()
    deployments: tuple[CertificateDeployment, ...] | None = None
    hsts: HstsFacts | None = None
    weaknesses: tuple[Weakness, ...] | None = None
    errors: tuple[tuple[str, Message], ...] = ()  # (part, reason) for parts that were tried and failed

    def protocol(self, name: str) -> ProtocolResult | None:
        return next((p for p in self.protocols if p.protocol == name), None)

    def error(self, *parts: str) -> Message | None:
        """The first failure among `parts` (e.g. "TLS 1.0", "certificate", "http_headers")."""
        wanted = set(parts)
        return next((reason for part, reason in self.errors if part in wanted), None)
