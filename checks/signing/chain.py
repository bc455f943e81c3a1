"""Chain building from an official's certificate up to a configured government trust anchor.

A deliberately small RFC 5280 subset: issuer found by name, every signature verified, every CA on
the path a CA (basicConstraints, keyCertSign) and inside its validity period, at most 8 links.
Name constraints and certificate policies are not evaluated (docs/signing.md says so). The leaf's
own dates are not part of the chain verdict: SIGN-001/003 report them.
CA paths are memoised, so 100,000 leaves under one issuing CA cost one signature check each.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from p06audit.checks.signing.der import CN, name_attributes, rfc4514, tbs_parts
from p06audit.checks.signing.facts import (
    CHAIN_ERROR,
    CHAIN_INVALID,
    CHAIN_UNCONFIGURED,
    CHAIN_VALID,
    ChainResult,
    Reason,
    combined,
    reason,
)
from p06audit.checks.signing.signatures import signature_ok

MAX_DEPTH = 8
UNCONFIGURED = ChainResult(CHAIN_UNCONFIGURED, reason("signing.no_anchors"))
VALID_ANCHOR = ChainResult(CHAIN_VALID, None)


@dataclass(frozen=True)
class Authority:
    """A CA certificate of the pool (trust anchor or intermediate)."""

    cert: x509.Certificate
    sha256: str
    subject: bytes
    issuer: bytes
    spki: bytes
    name: str
    key: object  # the public key, parsed once for every certificate it signed

    @classmethod
    def from_der(cls, der: bytes) -> Authority:
        cert = x509.load_der_x509_certificate(der)
        parts = tbs_parts(der)
        fingerprint = hashlib.sha256(der).hexdigest()
        name = display_name(parts.subject)
        return cls(cert, fingerprint, parts.subject, parts.issuer, parts.spki, name, cert.public_key())


def display_name(name_der: bytes) -> str:
    attributes = name_attributes(name_der)
    return next((value for oid, value in attributes if oid == CN), "") or rfc4514(attributes)


class TrustStore:
    """Anchors plus intermediates. `anchors_problem` set = anchors configured but unreadable."""

    def __init__(
        self,
        anchors: list[Authority],
        intermediates: list[Authority],
        now: datetime,
        *,
        configured: bool,
        anchors_problem: Reason | None = None,
    ) -> None:
        self.now = now
        self.configured = configured
        self.anchors_problem = anchors_problem
        self.anchor_fps = frozenset(a.sha256 for a in anchors)
        self.by_subject: dict[bytes, list[Authority]] = {}
        seen: set[str] = set()
        for authority in [*anchors, *intermediates]:
            if authority.sha256 not in seen:
                seen.add(authority.sha256)
                self.by_subject.setdefault(authority.subject, []).append(authority)
        self._memo: dict[str, ChainResult] = {}
        self._valid_through: dict[str, ChainResult] = {}

    def authorities(self) -> list[Authority]:
        return [a for group in self.by_subject.values() for a in group]

    def validate(self, cert: x509.Certificate, tbs: bytes, issuer: bytes) -> tuple[ChainResult, str | None]:
        """The chain verdict, and the fingerprint of the CA that signed `cert` (None if none did).
        `tbs` and `issuer` are the certificate's TBSCertificate and issuer Name as DER."""
        reasons: list[Reason] = []
        issuer_fp: str | None = None
        for candidate in self.by_subject.get(issuer, ()):
            problem = None if _quickly_signed_by(cert, tbs, candidate) else _signed_by(cert, candidate)
            if problem:
                reasons.append(problem)
                continue
            issuer_fp = issuer_fp or candidate.sha256
            upward = self._authority_chain(candidate, 0, frozenset())
            if upward.status == CHAIN_VALID:
                return self._verdict(candidate, upward), candidate.sha256
            if upward.reason is not None:
                reasons.append(upward.reason)
        if not reasons:
            reasons.append(reason("signing.issuer_not_found", issuer=display_name(issuer)))
        return self._verdict(None, ChainResult(CHAIN_INVALID, combined(reasons))), issuer_fp

    def _verdict(self, issuer: Authority | None, upward: ChainResult) -> ChainResult:
        if not self.configured:
            return UNCONFIGURED
        if self.anchors_problem:
            return ChainResult(
                CHAIN_ERROR, reason("signing.anchors_unreadable", problem=self.anchors_problem)
            )
        if issuer is None or upward.status != CHAIN_VALID:
            return upward
        found = self._valid_through.get(issuer.sha256)
        if found is None:  # one per issuing CA, shared by the 100,000s of certificates it signed
            found = self._valid_through[issuer.sha256] = ChainResult(
                CHAIN_VALID, None, (issuer.name, *upward.path)
            )
        return found

    def _authority_chain(self, ca: Authority, depth: int, seen: frozenset[str]) -> ChainResult:
        """From a CA to an anchor; the result for each CA is computed once."""
        if ca.sha256 in self._memo:
            return self._memo[ca.sha256]
        result = self._walk_up(ca, depth, seen | {ca.sha256})
        self._memo[ca.sha256] = result
        return result

    def _walk_up(self, ca: Authority, depth: int, seen: frozenset[str]) -> ChainResult:
        if ca.sha256 in self.anchor_fps:
            return VALID_ANCHOR
        problem = self._authority_problem(ca)
        if problem:
            return ChainResult(CHAIN_INVALID, problem)
        if ca.subject == ca.issuer:
            return ChainResult(CHAIN_INVALID, reason("signing.self_signed_not_anchor", ca=ca.name))
        if depth >= MAX_DEPTH:
            return ChainResult(CHAIN_INVALID, reason("signing.chain_too_long", count=MAX_DEPTH))
        reasons: list[Reason] = []
        for parent in self.by_subject.get(ca.issuer, ()):
            if parent.sha256 in seen:
                continue
            signature_problem = _signed_by(ca.cert, parent)
            if signature_problem:
                reasons.append(signature_problem)
                continue
            upward = self._authority_chain(parent, depth + 1, seen)
            if upward.status == CHAIN_VALID:
                return ChainResult(CHAIN_VALID, None, (parent.name, *upward.path))
            if upward.reason is not None:
                reasons.append(upward.reason)
        if not reasons:
            reasons.append(reason("signing.ca_issuer_missing", issuer=display_name(ca.issuer), ca=ca.name))
        return ChainResult(CHAIN_INVALID, combined(reasons))

    def _authority_problem(self, ca: Authority) -> Reason | None:
        cert = ca.cert
        if cert.not_valid_after_utc < self.now:
            return reason("signing.ca_expired", ca=ca.name, when=cert.not_valid_after_utc)
        if cert.not_valid_before_utc > self.now:
            return reason("signing.ca_not_yet_valid", ca=ca.name, when=cert.not_valid_before_utc)
        try:
            usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            return None
        except ValueError as exc:
            return reason("signing.ca_key_usage_unreadable", ca=ca.name, error=str(exc))
        if not usage.key_cert_sign:
            return reason("signing.ca_cannot_sign", ca=ca.name)
        return None


def _quickly_signed_by(cert: x509.Certificate, tbs: bytes, issuer: Authority) -> bool:
    """The common case at a fraction of the cost: the issuer's key is parsed once and the signed
    bytes are sliced from the DER. False means "look closer" (`_signed_by` says why)."""
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return False
    return signature_ok(issuer.key, cert.signature, tbs, algorithm, cert.signature_algorithm_oid)


def _signed_by(cert: x509.Certificate, issuer: Authority) -> Reason | None:
    """None when `issuer`'s key signed `cert`. Algorithms cryptography's own check refuses (SHA-1)
    are verified directly, so a weak hash is SIGN-007's finding, not a broken chain."""
    try:
        cert.verify_directly_issued_by(issuer.cert)
    except InvalidSignature:
        return reason("signing.bad_signature", ca=issuer.name)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        try:
            algorithm = cert.signature_hash_algorithm
        except UnsupportedAlgorithm:
            return reason("signing.cannot_verify", ca=issuer.name, error=str(exc))
        oid = cert.signature_algorithm_oid
        if not signature_ok(
            issuer.cert.public_key(), cert.signature, cert.tbs_certificate_bytes, algorithm, oid
        ):
            return reason("signing.bad_signature", ca=issuer.name)
    return None
