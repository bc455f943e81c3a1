"""What the signing collector saw: files read, certificates parsed and judged for chain and
revocation, and roster rows. Frozen facts; the rules judge them without any I/O.

The facts of a certificate (`CertFacts`, `ChainResult`, `RevocationResult`) are in facts.py: 100,000
of them cross a process boundary and sit in memory at once (see tests/bench/bench_signing.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from p06audit.checks.signing.facts import CertFacts, ChainResult, Reason, RevocationResult
from p06audit.model import Observation
from p06audit.text import Message


@lru_cache(maxsize=8192)  # a few distinct reasons are shared by 100,000s of certificates
def message(reason: Reason) -> Message:
    """The message a worker's (or a verdict's) Reason names, nested Reasons included."""
    return Message(reason.key, {name: _param(value) for name, value in reason.params})


def _param(value: object) -> object:
    if isinstance(value, Reason):
        return message(value)
    if isinstance(value, tuple):
        return [_param(v) for v in value]
    return value


@dataclass(frozen=True)
class SigningFile(Observation):
    """A file the collector read: a certificate source, the trust anchors or a CRL."""

    path: str
    role: str  # "source", "trust anchors", "CRL"
    kind: str  # PEM, DER, PKCS#7, PKCS#12, CRL ("" when unreadable)
    certificates: int
    error: Message | None = None


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
    problem: Message | None = None


PRODUCES = (SigningFile, SigningCertificate, RosterEntry)  # what the family's one collector yields
