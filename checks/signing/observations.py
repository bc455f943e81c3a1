"""What the signing collector saw: files read, certificates parsed and judged for chain and
revocation, and roster rows. Frozen facts; the rules judge them without any I/O.

The facts of a certificate (`CertFacts`, `ChainResult`, `RevocationResult`) are in facts.py: 100,000
of them cross a process boundary and sit in memory at once (see tests/bench/bench_signing.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.model import Observation
from checks.signing.facts import CertFacts, ChainResult, RevocationResult


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
