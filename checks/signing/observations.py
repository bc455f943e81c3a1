"""What the signing collector saw: files read, certificates parsed and judged for chain and
revocation, and roster rows. Frozen facts; the rules judge them without any I/O.

`CertFacts` is a named tuple of plain values because 100,000 of them cross a process boundary and
sit in memory at once (see tests/bench/bench_signing.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from audit.model import Observation

# ChainResult.status
CHAIN_VALID = "valid"
CHAIN_INVALID = "invalid"
CHAIN_UNCONFIGURED = "unconfigured"  # no trust anchors configured for the site
CHAIN_ERROR = "error"  # the trust anchors could not be read

# RevocationResult.status
REVOCATION_GOOD = "good"
REVOCATION_REVOKED = "revoked"
REVOCATION_UNKNOWN = "unknown"
REVOCATION_NOT_CHECKED = "not_checked"  # outside its validity period, or not asked for


class CertFacts(NamedTuple):
    """One signing certificate parsed into the facts the checks need (a tuple: cheap to build,
    pickle and hold 100,000 times)."""

    holder: str  # subject commonName
    unit: str  # subject organizationalUnitName(s), joined with ", "
    organization: str
    position: str  # subject title
    identifier: str  # subject UID or serialNumber as written (e.g. "CCCD:001085012345")
    email: str
    subject: str  # RFC 4514
    issuer: str  # the issuer's commonName (or its DN when it has none), for people
    issuer_dn: str  # RFC 4514
    serial: str  # upper-case hex, no separators
    not_before: datetime
    not_after: datetime
    key_type: str  # RSA, EC, Ed25519, Ed448, DSA
    key_bits: int
    roca: bool  # RSA modulus carries the ROCA (CVE-2017-15361) fingerprint
    signature_hash: str | None  # sha256…; None when the algorithm is not recognised
    key_usage: frozenset[str] | None  # RFC 5280 names; None when the extension is absent
    extended_key_usage: tuple[str, ...] | None  # dotted OIDs; None when the extension is absent
    crl_urls: tuple[str, ...]
    ocsp_urls: tuple[str, ...]
    sha256: str  # certificate fingerprint (hex)
    spki_sha256: str  # public key fingerprint: same key certified again = renewal


@dataclass(frozen=True, slots=True)
class ChainResult:
    status: str
    reason: str
    path: tuple[str, ...] = ()  # issuer names from the certificate's issuer up to the trust anchor


@dataclass(frozen=True, slots=True)
class RevocationResult:
    status: str
    reason: str
    source: str = ""  # the CRL (URL or file) or OCSP responder that answered
    revoked_at: datetime | None = None
    revocation_reason: str | None = None


@dataclass(frozen=True)
class SigningFile(Observation):
    """A file the collector read: a certificate source, the trust anchors or a CRL."""

    path: str
    role: str  # "source", "trust anchors", "CRL"
    kind: str  # PEM, DER, PKCS#7, PKCS#12, CRL ("" when unreadable)
    certificates: int
    error: str | None = None


@dataclass(frozen=True)
class SigningCertificate(Observation):
    """An official's (end-entity) certificate with its chain and revocation verdicts."""

    file: str
    cert: CertFacts
    chain: ChainResult
    revocation: RevocationResult
    also_in: tuple[str, ...] = ()  # other files holding the very same certificate


@dataclass(frozen=True)
class RosterEntry(Observation):
    """One row of the site's staff roster CSV."""

    file: str
    row: int
    official_id: str
    name: str
    unit: str
    position: str
    status: str  # canonical: active, left, retired, transferred, deceased, suspended ("" if unknown)
    status_text: str  # as written in the file
    serials: tuple[str, ...] = ()  # upper-case hex
    problem: str | None = None
