"""A parsed certificate becomes `CertFacts`: names from the raw DER, the rest from cryptography."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from checks.signing.der import CN, TbsParts, name_attributes, rfc4514
from checks.signing.observations import CertFacts
from checks.signing.roca import has_roca_fingerprint

OU, ORG, TITLE, EMAIL = "2.5.4.11", "2.5.4.10", "2.5.4.12", "1.2.840.113549.1.9.1"
KEY_USAGE_FIELDS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)
# EdDSA hashes inside the algorithm; report the hash it uses so SIGN-007 judges it like the others.
INTRINSIC_HASH = {"1.3.101.112": "sha512", "1.3.101.113": "shake256"}


class CertificateError(ValueError):
    """A certificate that parsed as DER but whose contents cannot be read (bad extension, key…)."""


def is_ca(cert: x509.Certificate) -> bool:
    """CA certificates (basicConstraints cA) build chains; they are not officials' certificates."""
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):  # absent or unreadable: judged as an official's
        return False


def facts(cert: x509.Certificate, der: bytes, parts: TbsParts, identifier_oids: Iterable[str]) -> CertFacts:
    """Everything the checks read, in one pass; raises CertificateError for unreadable contents."""
    try:
        subject = list(name_attributes(parts.subject))
        issuer = list(name_attributes(parts.issuer))
        key_type, key_bits, roca = _key(cert)
        extensions = _extensions(cert)
        fields: dict[str, list[str]] = {}
        for oid, value in subject:
            fields.setdefault(oid, []).append(value)
        identifier = next((fields[o][0] for o in identifier_oids if o in fields), "")
        issuer_cn = next((value for oid, value in issuer if oid == CN), "")
        issuer_dn = rfc4514(issuer)
        serial = cert.serial_number
        return CertFacts(
            holder=_first(fields, CN),
            unit=", ".join(fields.get(OU, ())),
            organization=_first(fields, ORG),
            position=_first(fields, TITLE),
            identifier=identifier,
            email=_first(fields, EMAIL),
            subject=rfc4514(subject),
            issuer=issuer_cn or issuer_dn,
            issuer_dn=issuer_dn,
            serial=f"{serial:X}" if serial >= 0 else f"-{-serial:X}",
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            key_type=key_type,
            key_bits=key_bits,
            roca=roca,
            signature_hash=_signature_hash(cert),
            key_usage=extensions[0],
            extended_key_usage=extensions[1],
            crl_urls=extensions[2],
            ocsp_urls=extensions[3],
            sha256=hashlib.sha256(der).hexdigest(),
            spki_sha256=hashlib.sha256(parts.spki).hexdigest(),
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise CertificateError(" ".join(str(exc).split())[:200] or type(exc).__name__) from exc


def _first(fields: dict[str, list[str]], oid: str) -> str:
    values = fields.get(oid)
    return values[0] if values else ""


def _key(cert: x509.Certificate) -> tuple[str, int, bool]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, has_roca_fingerprint(key.public_numbers().n)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size, False
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, False
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 448, False
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, False
    return type(key).__name__, 0, False


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    if algorithm is None:
        return INTRINSIC_HASH.get(cert.signature_algorithm_oid.dotted_string)
    return algorithm.name


Extensions = tuple[frozenset[str] | None, tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]]


def _extensions(cert: x509.Certificate) -> Extensions:
    """(key usage, extended key usage, CRL URLs, OCSP URLs) in one pass over the extensions."""
    key_usage: frozenset[str] | None = None
    eku: tuple[str, ...] | None = None
    crl_urls: list[str] = []
    ocsp_urls: list[str] = []
    for ext in cert.extensions:
        value = ext.value
        if isinstance(value, x509.KeyUsage):
            key_usage = _key_usage_names(value)
        elif isinstance(value, x509.ExtendedKeyUsage):
            eku = tuple(oid.dotted_string for oid in value)
        elif isinstance(value, x509.CRLDistributionPoints):
            crl_urls += [
                name.value
                for point in value
                for name in point.full_name or ()
                if isinstance(name, x509.UniformResourceIdentifier)
            ]
        elif isinstance(value, x509.AuthorityInformationAccess):
            ocsp_urls += [
                d.access_location.value
                for d in value
                if d.access_method == AuthorityInformationAccessOID.OCSP
                and isinstance(d.access_location, x509.UniformResourceIdentifier)
            ]
    return key_usage, eku, tuple(crl_urls), tuple(ocsp_urls)


def _key_usage_names(value: x509.KeyUsage) -> frozenset[str]:
    names = {name for name in KEY_USAGE_FIELDS if getattr(value, name)}
    if value.key_agreement:
        names |= {n for n in ("encipher_only", "decipher_only") if getattr(value, n)}
    return frozenset(names)
