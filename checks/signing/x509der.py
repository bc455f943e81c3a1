"""The certificate fields the checks need, read straight from DER.

cryptography turns every extension into Python objects (about 15 µs a certificate) and parses
the key (5 µs or more); at 100,000 certificates that is most of the parse time. These readers
cover what officials' certificates carry; anything else raises `DerError`, and parse.py then asks
cryptography, which either reads it or reports the certificate as corrupt.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from p06audit.checks.signing.der import (
    BIT_STRING,
    BOOLEAN,
    OID,
    SEQUENCE,
    DerError,
    children,
    content,
    oid_text,
)

# Extension OIDs as their DER content bytes (compared without decoding).
BASIC_CONSTRAINTS = bytes.fromhex("551d13")  # 2.5.29.19
KEY_USAGE = bytes.fromhex("551d0f")  # 2.5.29.15
EXTENDED_KEY_USAGE = bytes.fromhex("551d25")  # 2.5.29.37
CRL_DISTRIBUTION_POINTS = bytes.fromhex("551d1f")  # 2.5.29.31
AUTHORITY_INFO_ACCESS = bytes.fromhex("2b06010505070101")  # 1.3.6.1.5.5.7.1.1
OCSP_METHOD = "1.3.6.1.5.5.7.48.1"
URI = 0x86  # GeneralName uniformResourceIdentifier [6] IMPLICIT IA5String
CONTEXT_0 = 0xA0
# RFC 5280 §4.2.1.3 bit order; the last two mean something only with keyAgreement.
KEY_USAGE_BITS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)
RSA = "1.2.840.113549.1.1.1"
EC = "1.2.840.10045.2.1"
EDDSA = {"1.3.101.112": ("Ed25519", 256), "1.3.101.113": ("Ed448", 448)}
CURVE_BITS = {
    "1.2.840.10045.3.1.7": 256,  # P-256
    "1.3.132.0.34": 384,  # P-384
    "1.3.132.0.35": 521,  # P-521
    "1.3.132.0.10": 256,  # secp256k1
    "1.3.36.3.3.2.8.1.1.7": 256,  # brainpoolP256r1
    "1.3.36.3.3.2.8.1.1.11": 384,  # brainpoolP384r1
    "1.3.36.3.3.2.8.1.1.13": 512,  # brainpoolP512r1
}


def is_ca(items: list[tuple[bytes, bytes]]) -> bool:
    for oid, value in items:
        if oid == BASIC_CONSTRAINTS:
            fields = list(children(value))
            return bool(fields) and fields[0][0] == BOOLEAN and content(fields[0][1]) != b"\x00"
    return False


def key_usage(value: bytes) -> frozenset[str]:
    tag, bits = value[0], content(value)
    if tag != BIT_STRING or not bits:
        raise DerError("key usage is a BIT STRING")
    number = int.from_bytes(bits[1:], "big")
    width = 8 * (len(bits) - 1)
    names = {name for i, name in enumerate(KEY_USAGE_BITS) if i < width and number >> (width - 1 - i) & 1}
    if "key_agreement" not in names:
        names -= {"encipher_only", "decipher_only"}
    return frozenset(names)


def extended_key_usage(value: bytes) -> tuple[str, ...]:
    usages = []
    for tag, item in children(value):
        if tag != OID:
            raise DerError("an extended key usage is an OID")
        usages.append(oid_text(content(item)))
    return tuple(usages)


def _uri(name: bytes) -> str:
    return content(name).decode("latin-1")


def crl_urls(value: bytes) -> tuple[str, ...]:
    urls = []
    for _, point in children(value):
        for tag, field in children(point):
            if tag != CONTEXT_0:  # distributionPoint (reasons and cRLIssuer are not followed)
                continue
            for name_tag, name in children(field):
                if name_tag == CONTEXT_0:  # fullName
                    urls += [_uri(n) for t, n in children(name) if t == URI]
    return tuple(urls)


def ocsp_urls(value: bytes) -> tuple[str, ...]:
    urls = []
    for _, description in children(value):
        parts = list(children(description))
        if len(parts) != 2 or parts[0][0] != OID:
            raise DerError("an access description is OID, GeneralName")
        if oid_text(content(parts[0][1])) == OCSP_METHOD and parts[1][0] == URI:
            urls.append(_uri(parts[1][1]))
    return tuple(urls)


READERS: dict[bytes, Callable[[bytes], object]] = {
    KEY_USAGE: key_usage,
    EXTENDED_KEY_USAGE: extended_key_usage,
    CRL_DISTRIBUTION_POINTS: crl_urls,
    AUTHORITY_INFO_ACCESS: ocsp_urls,
}


def public_key(spki: bytes) -> tuple[str, int, int | None]:
    """(key type, bits, RSA modulus or None) of a SubjectPublicKeyInfo."""
    parts = list(children(spki))
    if len(parts) != 2 or parts[0][0] != SEQUENCE or parts[1][0] != BIT_STRING:
        raise DerError("a public key is AlgorithmIdentifier, BIT STRING")
    kind, bits = _algorithm(parts[0][1])
    if kind != "RSA":
        return kind, bits, None
    numbers = list(children(content(parts[1][1])[1:]))
    if len(numbers) != 2:
        raise DerError("an RSA public key is modulus, exponent")
    modulus = int.from_bytes(content(numbers[0][1]), "big")
    return "RSA", modulus.bit_length(), modulus


@functools.lru_cache(maxsize=256)  # certificates repeat a handful of algorithms and curves
def _algorithm(identifier: bytes) -> tuple[str, int]:
    """(key type, bits) of an AlgorithmIdentifier; bits 0 for RSA, whose size is its modulus's."""
    algorithm = list(children(identifier))
    if not algorithm or algorithm[0][0] != OID:
        raise DerError("a public key algorithm starts with its OID")
    oid = oid_text(content(algorithm[0][1]))
    if oid == RSA:
        return "RSA", 0
    if oid == EC and len(algorithm) == 2 and algorithm[1][0] == OID:
        curve = oid_text(content(algorithm[1][1]))
        if curve in CURVE_BITS:
            return "EC", CURVE_BITS[curve]
    if oid in EDDSA:
        return EDDSA[oid]
    raise DerError(f"public key algorithm {oid} is read by cryptography instead")
