"""The plain facts of one certificate, its chain and its revocation: named tuples and slotted
dataclasses of plain values, importing nothing of the core.

They are what the certificate worker processes (scan.py) build and send back, so a worker
imports this module and cryptography, not pydantic or the inventory. The observations that carry
them to the rules are in observations.py.

A reason a person reads (why a chain is broken, why a file cannot be read) is a `Reason`: the key
of a message in checks.yaml and its parameters, as a tuple. Verdicts holding one stay hashable
(rules fold certificates by them) and workers build them without the text layer; the parent
turns them into messages (observations.message).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


class Reason(NamedTuple):
    """A message to be: its key (`signing.bad_signature`, `core.detail`) and its parameters, whose
    values are plain values, Reasons or tuples of them (raw library or OS text stays a str)."""

    key: str
    params: tuple[tuple[str, object], ...] = ()


def reason(key: str, /, **params: object) -> Reason:
    return Reason(key, tuple(params.items()))


def detail(text: str) -> Reason:
    """Raw text of a library or the OS (cryptography's error, strerror), shown as it came."""
    return Reason("core.detail", (("text", text),))


def combined(reasons: Sequence[Reason]) -> Reason | None:
    """None, the one reason, or all of them listed (distinct ones, in order)."""
    unique = tuple(dict.fromkeys(reasons))
    if len(unique) <= 1:
        return unique[0] if unique else None
    return Reason("signing.several", (("items", unique),))


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
    reason: Reason | None  # None for a valid chain
    path: tuple[str, ...] = ()  # issuer names from the certificate's issuer up to the trust anchor


@dataclass(frozen=True, slots=True)
class RevocationResult:
    status: str
    reason: Reason
    source: str = ""  # the CRL (URL or file) or OCSP responder that answered
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
