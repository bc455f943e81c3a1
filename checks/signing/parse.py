"""A parsed certificate becomes `CertFacts`: names from the raw DER, the rest from cryptography."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from p06audit.checks.signing import x509der
from p06audit.checks.signing.der import (
    CN,
    DerError,
    TbsParts,
    extension_items,
    name_attributes,
    rfc4514,
    tbs_parts,
)
from p06audit.checks.signing.facts import CertFacts, Reason, detail, reason
from p06audit.checks.signing.roca import has_roca_fingerprint

OU, ORG, TITLE, EMAIL = "2.5.4.11", "2.5.4.10", "2.5.4.12", "1.2.840.113549.1.9.1"
T = TypeVar("T")
# EdDSA hashes inside the algorithm; report the hash it uses so SIGN-007 judges it like the others.
INTRINSIC_HASH = {"1.3.101.112": "sha512", "1.3.101.113": "shake256"}


class CertificateError(ValueError):
    """A certificate that parsed as DER but whose contents cannot be read (bad extension, key…)."""

    def __init__(self, why: Reason) -> None:
        super().__init__(why.key)
        self.reason = why

    @classmethod
    def of(cls, exc: Exception) -> CertificateError:
        """cryptography's own words for what it could not read, on one line."""
        return cls(detail(" ".join(str(exc).split())[:200] or type(exc).__name__))


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):  # absent or unreadable: judged as an official's
        return False


class FactsReader:
    """Turns certificates into `CertFacts`. One per process: issuer names and the small values
    many certificates share (issuer, unit, URLs, key usage sets) are decoded once and shared, so
    100,000 facts cost less time and memory and pickle small."""

    def __init__(self, identifier_oids: Iterable[str]) -> None:
        self.identifier_oids = tuple(identifier_oids)
        self._issuers: dict[bytes, tuple[str, str]] = {}
        self._shared: dict[object, object] = {}
        self._decoded: dict[tuple[bytes, bytes], Any] = {}

    def shared(self, value: T) -> T:
        return self._shared.setdefault(value, value)  # type: ignore[return-value]

    def issuer(self, name: bytes) -> tuple[str, str]:
        """(commonName or DN, DN) of an issuer Name, decoded once per distinct issuer."""
        if name not in self._issuers:
            attributes = name_attributes(name)
            dn = rfc4514(attributes)
            self._issuers[name] = (next((v for o, v in attributes if o == CN), "") or dn, dn)
        return self._issuers[name]

    def read(self, cert: x509.Certificate, der: bytes) -> tuple[TbsParts | None, CertFacts | None]:
        """(None, None) for a CA certificate; else its parts and facts. Raises CertificateError."""
        try:
            parts = tbs_parts(der)
        except DerError:
            if _is_ca(cert):
                return None, None
            raise CertificateError(reason("signing.structure_unreadable")) from None
        try:
            items = extension_items(parts.extensions)
            ca = x509der.is_ca(items)
        except (DerError, IndexError):  # let cryptography read them, or say what is wrong with them
            if _is_ca(cert):
                return None, None
            return parts, self.facts(cert, der, parts, _checked_extensions(cert))
        if ca:
            return None, None
        return parts, self.facts(cert, der, parts, self._extensions(cert, items))

    def _extensions(self, cert: x509.Certificate, items: list[tuple[bytes, bytes]]) -> Extensions:
        """From DER, each distinct extension value decoded once; cryptography when DER reading fails."""
        found: dict[bytes, Any] = {}
        try:
            for oid, value in items:
                reader = x509der.READERS.get(oid)
                if reader is not None:
                    key = (oid, value)
                    if key not in self._decoded:
                        self._decoded[key] = reader(value)
                    found[oid] = self._decoded[key]
        except (DerError, IndexError):
            return _checked_extensions(cert)
        return (
            found.get(x509der.KEY_USAGE),
            found.get(x509der.EXTENDED_KEY_USAGE),
            found.get(x509der.CRL_DISTRIBUTION_POINTS, ()),
            found.get(x509der.AUTHORITY_INFO_ACCESS, ()),
        )

    @staticmethod
    def _key(cert: x509.Certificate, spki: bytes) -> tuple[str, int, bool]:
        try:
            kind, bits, modulus = x509der.public_key(spki)
        except (DerError, IndexError):
            return _key(cert)
        return kind, bits, modulus is not None and has_roca_fingerprint(modulus)

    def facts(self, cert: x509.Certificate, der: bytes, parts: TbsParts, extensions: Extensions) -> CertFacts:
        """Everything the checks read, in one pass; raises CertificateError for unreadable contents."""
        try:
            subject = name_attributes(parts.subject)
            issuer, issuer_dn = self.issuer(parts.issuer)
            key_type, key_bits, roca = self._key(cert, parts.spki)
            key_usage, eku, crl_urls, ocsp_urls = extensions
            fields: dict[str, list[str]] = {}
            for oid, value in subject:
                fields.setdefault(oid, []).append(value)
            identifier = next((fields[o][0] for o in self.identifier_oids if o in fields), "")
            serial = cert.serial_number
            shared = self.shared
            return CertFacts(  # positional, in field order: a third of the cost of keywords
                _first(fields, CN),  # holder
                shared(", ".join(fields.get(OU, ()))),  # unit
                shared(_first(fields, ORG)),  # organization
                shared(_first(fields, TITLE)),  # position
                identifier,
                _first(fields, EMAIL),  # email
                rfc4514(subject),  # subject
                issuer,
                issuer_dn,
                f"{serial:X}" if serial >= 0 else f"-{-serial:X}",
                cert.not_valid_before_utc,
                cert.not_valid_after_utc,
                key_type,
                key_bits,
                roca,
                _signature_hash(cert),
                shared(key_usage),
                shared(eku),  # extended_key_usage
                shared(crl_urls),
                shared(ocsp_urls),
                hashlib.sha256(der).hexdigest(),  # sha256
                hashlib.sha256(parts.spki).hexdigest(),  # spki_sha256
            )
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise CertificateError.of(exc) from exc


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
        kind = type(value)  # exact types: isinstance on cryptography's ABCs is slow at 100,000 certificates
        if kind is x509.KeyUsage:
            key_usage = _key_usage_names(value)
        elif kind is x509.ExtendedKeyUsage:
            eku = tuple(oid.dotted_string for oid in value)
        elif kind is x509.CRLDistributionPoints:
            crl_urls += [
                name.value
                for point in value
                for name in point.full_name or ()
                if isinstance(name, x509.UniformResourceIdentifier)
            ]
        elif kind is x509.AuthorityInformationAccess:
            ocsp_urls += [
                d.access_location.value
                for d in value
                if d.access_method == AuthorityInformationAccessOID.OCSP
                and isinstance(d.access_location, x509.UniformResourceIdentifier)
            ]
    return key_usage, eku, tuple(crl_urls), tuple(ocsp_urls)


def _checked_extensions(cert: x509.Certificate) -> Extensions:
    try:
        return _extensions(cert)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise CertificateError.of(exc) from exc


def _key_usage_names(value: x509.KeyUsage) -> frozenset[str]:
    # The last two bits mean something only with keyAgreement (cryptography raises otherwise).
    always, with_agreement = x509der.KEY_USAGE_BITS[:-2], x509der.KEY_USAGE_BITS[-2:]
    names = {name for name in always if getattr(value, name)}
    if value.key_agreement:
        names |= {n for n in with_agreement if getattr(value, n)}
    return frozenset(names)
