"""Just enough DER to slice a certificate's issuer, subject and public key and to read names.

cryptography builds a Python object per name attribute (about 25 µs a subject); at 100,000
certificates that is most of the parse time, so names are read here from the raw bytes of a
certificate that cryptography has already parsed and validated. Anything unexpected raises
`DerError`, which the caller reports as a corrupt certificate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

SEQUENCE = 0x30
SET = 0x31
OID = 0x06
CONTEXT_0 = 0xA0
CONTEXT_3 = 0xA3
OCTET_STRING = 0x04
BOOLEAN = 0x01
BIT_STRING = 0x03
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
_SPECIAL = re.compile(r'([,+"\\<>;=])')


class DerError(ValueError):
    """The bytes are not the DER this module expects."""


class TbsParts(NamedTuple):  # a tuple: one is made per certificate
    tbs: bytes  # the whole TBSCertificate TLV: what the issuer signed
    issuer: bytes  # the whole Name TLV
    subject: bytes
    spki: bytes  # the whole SubjectPublicKeyInfo TLV
    extensions: bytes  # the SEQUENCE OF Extension TLV (b"" when the certificate has none)


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
    _, tbs_start, _ = _tlv(der, 0)  # Certificate
    _, pos, tbs_end = _tlv(der, tbs_start)  # TBSCertificate: step inside
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
    extensions = b""
    while pos < tbs_end:  # [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions
        tag, start, end = _tlv(der, pos)
        if tag == CONTEXT_3:
            _, _, inner_end = _tlv(der, start)
            extensions = der[start:inner_end]
        pos = end
    return TbsParts(der[tbs_start:tbs_end], issuer, subject, spki, extensions)


def children(tlv: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, whole child TLV) for each element inside a constructed TLV."""
    _, pos, end = _tlv(tlv, 0)
    while pos < end:
        tag, _, child_end = _tlv(tlv, pos)
        yield tag, tlv[pos:child_end]
        pos = child_end


def content(tlv: bytes) -> bytes:
    _, start, end = _tlv(tlv, 0)
    return tlv[start:end]


def extension_items(extensions: bytes) -> list[tuple[bytes, bytes]]:
    """(OID content bytes, extnValue contents) of each Extension in a SEQUENCE OF Extension."""
    items: list[tuple[bytes, bytes]] = []
    if not extensions:
        return items
    try:
        pos, end = _header(extensions, 0)
        while pos < end:
            inner, extension_end = _header(extensions, pos)
            if extensions[pos] != SEQUENCE or extensions[inner] != OID:
                raise DerError("an extension is a SEQUENCE starting with its OID")
            oid_start, oid_end = _header(extensions, inner)
            value_start, value_end = _header(extensions, oid_end)
            tag = extensions[oid_end]
            if tag == BOOLEAN:  # critical
                tag = extensions[value_end]
                value_start, value_end = _header(extensions, value_end)
            if tag != OCTET_STRING or value_end != extension_end or extension_end > end:
                raise DerError("an extension value is an OCTET STRING")
            items.append((extensions[oid_start:oid_end], extensions[value_start:value_end]))
            pos = extension_end
    except IndexError:
        raise DerError("truncated extensions") from None
    return items


def tbs_of(der: bytes) -> bytes:
    """The TBSCertificate TLV (what the issuer signed)."""
    _, start, _ = _tlv(der, 0)
    _, _, end = _tlv(der, start)
    return der[start:end]


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


def _header(buf: bytes, pos: int) -> tuple[int, int]:
    """(start of value, end of value) at `pos`: short lengths inline, the rest through _tlv."""
    length = buf[pos + 1]
    if length < 0x80:
        return pos + 2, pos + 2 + length
    _, start, end = _tlv(buf, pos)
    return start, end


def name_attributes(name: bytes) -> list[tuple[str, str]]:
    """(dotted OID, text) for each attribute of a DER Name, in encoded order. The hottest loop of
    a 100,000-certificate audit, so headers are decoded inline rather than through _tlv."""
    attributes = []
    try:
        if name[0] != SEQUENCE:
            raise DerError("a Name is a SEQUENCE")
        pos, end = _header(name, 0)
        while pos < end:
            if name[pos] != SET:
                raise DerError("a relative distinguished name is a SET")
            set_pos, set_end = _header(name, pos)
            while set_pos < set_end:
                attr_pos, attr_end = _header(name, set_pos)
                if name[attr_pos] != OID:
                    raise DerError("an attribute type is an OID")
                oid_pos, oid_end = _header(name, attr_pos)
                value_pos, value_end = _header(name, oid_end)
                if value_end > attr_end or attr_end > set_end or set_end > end:
                    raise DerError("a name attribute overruns its container")
                attributes.append(
                    (oid_text(name[oid_pos:oid_end]), _string(name[oid_end], name[value_pos:value_end]))
                )
                set_pos = attr_end
            pos = set_end
    except IndexError:
        raise DerError("truncated name") from None
    return attributes


def _escape(value: str) -> str:
    if _SPECIAL.search(value) is None and not value.startswith((" ", "#")) and not value.endswith(" "):
        return value
    escaped = _SPECIAL.sub(r"\\\1", value)
    if escaped.startswith((" ", "#")):
        escaped = "\\" + escaped
    if escaped.endswith(" ") and not escaped.endswith("\\ "):
        escaped = escaped[:-1] + "\\ "
    return escaped


def rfc4514(attributes: list[tuple[str, str]]) -> str:
    """An RFC 4514 string (most specific attribute first), one RDN per attribute."""
    return ",".join(f"{SHORT_NAMES.get(oid, oid)}={_escape(value)}" for oid, value in reversed(attributes))
