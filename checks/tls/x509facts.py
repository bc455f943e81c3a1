"""Certificates to facts, and the path from a received chain to the configured trust anchors.

Path building is our own (issuer name, CA flag, signature, CA validity) rather than a WebPKI
verifier: such a verifier also rejects on host name, leaf dates, key size and SHA-1, which have
their own checks here, and the officer should see each problem once, under its own check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from p06audit.checks.tls.observations import AnchorSource, CertificateFacts, ChainValidation
from p06audit.text import Message, say

MAX_CHAIN_DEPTH = 8
_PARSE_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm)


def _name(value: x509.Name) -> str:
    return value.rfc4514_string()


def _key(cert: x509.Certificate) -> tuple[str, int]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return cert.signature_algorithm_oid.dotted_string
    return algorithm.name if isinstance(algorithm, hashes.HashAlgorithm) else None


def _extension(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _uris(names: Sequence[x509.GeneralName] | None) -> list[str]:
    return [n.value for n in names or () if isinstance(n, x509.UniformResourceIdentifier)]


def certificate_facts(cert: x509.Certificate) -> CertificateFacts:
    """Parse what the checks need; a malformed certificate yields facts with `parse_error`, never a raise."""
    try:
        subject, issuer = _name(cert.subject), _name(cert.issuer)
    except _PARSE_ERRORS as exc:
        return CertificateFacts(subject="", issuer="", parse_error=str(exc))
    try:
        san = _extension(cert, x509.SubjectAlternativeName)
        crl = _extension(cert, x509.CRLDistributionPoints)
        aia = _extension(cert, x509.AuthorityInformationAccess)
        constraints = _extension(cert, x509.BasicConstraints)
        key_type, key_bits = _key(cert)
        return CertificateFacts(
            subject=subject,
            issuer=issuer,
            serial=format(cert.serial_number, "x"),
            sha256=cert.fingerprint(hashes.SHA256()).hex(),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            key_type=key_type,
            key_bits=key_bits,
            signature_hash=_signature_hash(cert),
            dns_names=tuple(san.get_values_for_type(x509.DNSName))
            if isinstance(san, x509.SubjectAlternativeName)
            else (),
            ip_addresses=tuple(str(a) for a in san.get_values_for_type(x509.IPAddress))
            if isinstance(san, x509.SubjectAlternativeName)
            else (),
            crl_urls=tuple(u for dp in crl or () for u in _uris(dp.full_name))
            if isinstance(crl, x509.CRLDistributionPoints)
            else (),
            ocsp_urls=tuple(
                u
                for d in aia or ()
                if d.access_method == AuthorityInformationAccessOID.OCSP
                for u in _uris([d.access_location])
            )
            if isinstance(aia, x509.AuthorityInformationAccess)
            else (),
            is_ca=isinstance(constraints, x509.BasicConstraints) and constraints.ca,
        )
    except _PARSE_ERRORS as exc:
        return CertificateFacts(subject=subject, issuer=issuer, parse_error=str(exc))


def _is_ca(cert: x509.Certificate) -> bool:
    constraints = _extension(cert, x509.BasicConstraints)
    return isinstance(constraints, x509.BasicConstraints) and constraints.ca


def _verify_signature(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    """Check `issuer`'s key signed `cert`, whatever the hash: SHA-1 and MD5 are TLS-010's finding,
    not a broken chain (cryptography's own `verify_directly_issued_by` refuses them)."""
    key, signature, data = issuer.public_key(), cert.signature, cert.tbs_certificate_bytes
    digest = cert.signature_hash_algorithm
    if isinstance(key, rsa.RSAPublicKey) and digest:
        pss = _parameters(cert)
        key.verify(signature, data, pss if isinstance(pss, padding.PSS) else padding.PKCS1v15(), digest)
    elif isinstance(key, ec.EllipticCurvePublicKey) and digest:
        key.verify(signature, data, ec.ECDSA(digest))
    elif isinstance(key, dsa.DSAPublicKey) and digest:
        key.verify(signature, data, digest)
    elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        key.verify(signature, data)
    else:
        raise InvalidSignature(
            f"{type(key).__name__} cannot verify {cert.signature_algorithm_oid.dotted_string}"
        )


def _parameters(cert: x509.Certificate) -> object:
    """RSA-PSS parameters when present; cryptography raises for legacy algorithms it will not name."""
    try:
        return cert.signature_algorithm_parameters
    except _PARSE_ERRORS:
        return None


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        _verify_signature(cert, issuer)
    except (*_PARSE_ERRORS, InvalidSignature):
        return False
    return True


def _issuer_among(cert: x509.Certificate, candidates: Sequence[x509.Certificate]) -> x509.Certificate | None:
    return next((c for c in candidates if c.subject == cert.issuer and _signed_by(cert, c)), None)


def _expired_ca(path: Sequence[x509.Certificate], now: datetime) -> Message | None:
    for ca in path:
        if not ca.not_valid_before_utc <= now <= ca.not_valid_after_utc:
            return say(
                "tls.ca_outside_validity",
                subject=_name(ca.subject),
                not_before=ca.not_valid_before_utc,
                not_after=ca.not_valid_after_utc,
            )
    return None


def _missing_issuer(cert: x509.Certificate, received: Sequence[x509.Certificate]) -> Message:
    subject, issuer = _name(cert.subject), _name(cert.issuer)
    if cert.subject == cert.issuer:
        if cert is received[0]:
            return say("tls.leaf_self_signed")
        return say("tls.ca_self_signed", subject=subject)
    if any(c.subject == cert.issuer for c in received[1:]):
        return say("tls.issuer_not_signing", issuer=issuer, subject=subject)
    return say("tls.issuer_not_sent", issuer=issuer, subject=subject)


def validate_chain(
    received: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    now: datetime,
    sources: tuple[AnchorSource, ...],
) -> ChainValidation:
    """Build leaf → intermediates → anchor from what the server sent and the anchors."""
    if not received:
        return ChainValidation(False, (), say("tls.chain_no_certificate"), sources, len(anchors))
    if not anchors:
        return ChainValidation(False, (), say("tls.no_anchors"), sources, 0)
    path = [received[0]]
    try:
        for _ in range(MAX_CHAIN_DEPTH):
            current = path[-1]
            anchor = _issuer_among(current, anchors)
            if anchor is not None:
                full = path if anchor == current else [*path, anchor]
                problem = _expired_ca(full[1:], now)
                return ChainValidation(
                    problem is None, tuple(_name(c.subject) for c in full), problem, sources, len(anchors)
                )
            issuer = _issuer_among(current, [c for c in received[1:] if c not in path and _is_ca(c)])
            if issuer is None:
                return ChainValidation(
                    False,
                    tuple(_name(c.subject) for c in path),
                    _missing_issuer(current, received),
                    sources,
                    len(anchors),
                )
            path.append(issuer)
    except _PARSE_ERRORS as exc:
        problem = say("tls.chain_unparsable", error=str(exc))
        return ChainValidation(False, (), problem, sources, len(anchors))
    return ChainValidation(False, (), say("tls.chain_too_long", depth=MAX_CHAIN_DEPTH), sources, len(anchors))
