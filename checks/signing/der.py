"""Just enough DER to slice a certificate's issuer, subject and public key and to read names.

cryptography builds a Python object per name attribute (about 25 µs a subject); at 100,000
certificates that is most of the parse time, so names are read here from the raw bytes of a
certificate that cryptography has already parsed and validated. Anything unexpected raises
`DerError`, which the caller reports as a corrupt certificate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

SEQUENCE = 0x30
SET = 0x31
OID = 0x06
CONTEXT_0 = 0xA0
CN = "2.5.4.3"

# RFC 4514 short names for the attribute types officials' certificates carry.
SHORT_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.42": "GN",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
}
_SPECIAL = {",", "+", '"', "\\", "<", ">", ";", "="}


class DerError(ValueError):
    """The bytes are not the DER this module expects."""


@dataclass(frozen=True, slots=True)
class TbsParts:
    issuer: bytes  # the whole Name TLV
    subject: bytes
    spki: bytes  # the whole SubjectPublicKeyInfo TLV


def _tlv(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the element at `pos`."""
    try:
        tag = buf[pos]
        length = buf[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4:
                raise DerError("unsupported DER length")
            length = int.from_bytes(buf[pos : pos + count], "big")
            pos += count
    except IndexError:
        raise DerError("truncated DER") from None
    end = pos + length
    if end > len(buf):
        raise DerError("truncated DER")
    return tag, pos, end


def tbs_parts(der: bytes) -> TbsParts:
    """Slice issuer, subject and public key out of a DER certificate."""
    _, pos, _ = _tlv(der, 0)  # Certificate
    _, pos, _ = _tlv(der, pos)  # TBSCertificate: step inside
    tag, _, end = _tlv(der, pos)
    if tag == CONTEXT_0:  # version
        pos = end
        tag, _, end = _tlv(der, pos)
    pos = end  # serialNumber
    _, _, pos = _tlv(der, pos)  # signature AlgorithmIdentifier
    parts = []
    for _name in ("issuer", "validity", "subject", "spki"):
        tag, _, end = _tlv(der, pos)
        parts.append(der[pos:end])
        pos = end
    issuer, _validity, subject, spki = parts
    if issuer[0] != SEQUENCE or subject[0] != SEQUENCE or spki[0] != SEQUENCE:
        raise DerError("certificate names or key are not SEQUENCEs")
    return TbsParts(issuer, subject, spki)


def crl_issuer(der: bytes) -> bytes:
    """The issuer Name TLV of a DER CRL (compared byte for byte with a CA's subject)."""
    _, pos, _ = _tlv(der, 0)  # CertificateList
    _, pos, _ = _tlv(der, pos)  # TBSCertList: step inside
    tag, _, end = _tlv(der, pos)
    if tag == 0x02:  # version
        pos = end
    _, _, pos = _tlv(der, pos)  # signature AlgorithmIdentifier
    _, _, end = _tlv(der, pos)
    return der[pos:end]


def public_key_bits(spki: bytes) -> bytes:
    """The subjectPublicKey BIT STRING contents (what OCSP's issuerKeyHash hashes)."""
    _, pos, _ = _tlv(spki, 0)
    _, _, pos = _tlv(spki, pos)  # AlgorithmIdentifier
    tag, start, end = _tlv(spki, pos)
    if tag != 0x03 or end <= start:
        raise DerError("public key is not a BIT STRING")
    return spki[start + 1 : end]


@cache
def oid_text(encoded: bytes) -> str:
    """Dotted form of an OID's content bytes (cached: certificates repeat a handful of types)."""
    if not encoded:
        raise DerError("empty OID")
    arcs: list[int] = []
    value = 0
    for byte in encoded:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def _string(tag: int, raw: bytes) -> str:
    if tag == 0x0C:  # UTF8String
        return raw.decode("utf-8", errors="replace")
    if tag == 0x1E:  # BMPString
        return raw.decode("utf-16-be", errors="replace")
    if tag == 0x1C:  # UniversalString
        return raw.decode("utf-32-be", errors="replace")
    if tag in (0x13, 0x16, 0x14, 0x1A):  # Printable, IA5, Teletex, Visible
        return raw.decode("latin-1")
    return "#" + raw.hex()


def name_attributes(name: bytes) -> Iterator[tuple[str, str]]:
    """(dotted OID, text) for each attribute of a DER Name, in encoded order."""
    tag, pos, end = _tlv(name, 0)
    if tag != SEQUENCE:
        raise DerError("a Name is a SEQUENCE")
    while pos < end:
        tag, set_pos, set_end = _tlv(name, pos)
        if tag != SET:
            raise DerError("a relative distinguished name is a SET")
        while set_pos < set_end:
            _, attr_pos, attr_end = _tlv(name, set_pos)
            tag, oid_pos, oid_end = _tlv(name, attr_pos)
            if tag != OID:
                raise DerError("an attribute type is an OID")
            value_tag, value_pos, value_end = _tlv(name, oid_end)
            yield oid_text(name[oid_pos:oid_end]), _string(value_tag, name[value_pos:value_end])
            set_pos = attr_end
        pos = set_end


def _escape(value: str) -> str:
    escaped = "".join("\\" + ch if ch in _SPECIAL else ch for ch in value)
    if escaped.startswith((" ", "#")):
        escaped = "\\" + escaped
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return escaped


def rfc4514(attributes: list[tuple[str, str]]) -> str:
    """An RFC 4514 string (most specific attribute first), one RDN per attribute."""
    return ",".join(f"{SHORT_NAMES.get(oid, oid)}={_escape(value)}" for oid, value in reversed(attributes))
