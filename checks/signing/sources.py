"""Find certificate files and decode them: PEM, DER/CER, PKCS#7 (.p7b/.p7c), PKCS#12 (.p12/.pfx), CRLs.

Decoding never raises: a file that cannot be read becomes a `Decoded` with an `error` naming the
problem (a Reason: this runs in the certificate workers), and the certificates it did yield are kept
(a bundle with one bad block still counts).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from p06audit.checks.signing.facts import Reason, combined, detail, reason

CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der", ".p7b", ".p7c", ".p12", ".pfx", ".crl"})
PKCS7_SUFFIXES = frozenset({".p7b", ".p7c"})
PKCS12_SUFFIXES = frozenset({".p12", ".pfx"})
MAX_FILE_BYTES = 256 * 1024 * 1024
BEGIN = b"-----BEGIN "
DASHES = b"-----"
PEM_CERT_TYPES = frozenset({b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"})
PEM_PROBLEMS_SHOWN = 3


class Unreadable(ValueError):
    """A file's content is not what its name or first bytes promise; `reason` says how."""

    def __init__(self, why: Reason) -> None:
        super().__init__(why.key)
        self.reason = why


@dataclass
class Decoded:
    """What one file held. `ders[i]` is the DER of `certs[i]` (kept to slice names cheaply)."""

    path: str
    kind: str = ""
    certs: list[x509.Certificate] = field(default_factory=list)
    ders: list[bytes] = field(default_factory=list)
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    error: Reason | None = None

    def add_der(self, der: bytes) -> None:
        self.certs.append(x509.load_der_x509_certificate(der))
        self.ders.append(der)

    def add_certs(self, certs: Iterable[x509.Certificate]) -> None:
        for cert in certs:
            self.certs.append(cert)
            self.ders.append(cert.public_bytes(serialization.Encoding.DER))


def find_files(sources: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, Reason]]]:
    """Files named directly, plus certificate-looking files found by walking folders (sorted)."""
    found: list[Path] = []
    missing: list[tuple[Path, Reason]] = []
    for source in sources:
        if source.is_file():
            found.append(source)
        elif source.is_dir():
            for root, dirs, names in os.walk(source, onerror=lambda e: missing.append(_walk_error(e))):
                dirs.sort()
                found.extend(Path(root) / n for n in sorted(names) if Path(n).suffix.lower() in CERT_SUFFIXES)
        else:
            missing.append((source, reason("signing.source_missing")))
    unique = list(dict.fromkeys(found))
    return unique, missing


def _walk_error(exc: OSError) -> tuple[Path, Reason]:
    return Path(exc.filename or "?"), reason("signing.cannot_list", error=exc.strerror or str(exc))


def read_file(path: Path, password: bytes | None) -> Decoded:
    """Read and decode one file; every failure is recorded in `error`, never raised."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Decoded(str(path), error=reason("signing.file_too_large", size=size, limit=MAX_FILE_BYTES))
        data = path.read_bytes()
    except OSError as exc:
        return Decoded(str(path), error=reason("signing.cannot_read", error=exc.strerror or str(exc)))
    return decode(str(path), data, password)


def decode(path: str, data: bytes, password: bytes | None) -> Decoded:
    """Decode bytes by content (PEM) or by suffix and then content (DER)."""
    out = Decoded(path)
    try:
        if not data.strip():
            out.error = reason("signing.file_empty")
        elif data.lstrip().startswith(b"-----BEGIN"):
            _decode_pem(data, out)
        else:
            _decode_der(Path(path).suffix.lower(), data, password, out)
    except Unreadable as exc:
        out.error = exc.reason
    except Exception as exc:  # a hostile file must end as a finding, whatever cryptography raises
        out.error = _clean(exc)
    return out


def pem_blocks(data: bytes) -> Iterator[tuple[bytes, bytes | None]]:
    """(label, base64 body) of each BEGIN/END block; body None when its END line is missing.
    bytes.find rather than a regex: a 1,000-certificate bundle splits in a millisecond."""
    position = 0
    while (begin := data.find(BEGIN, position)) >= 0:
        label_end = data.find(DASHES, begin + len(BEGIN))
        if label_end < 0:
            yield data[begin + len(BEGIN) : begin + len(BEGIN) + 40], None
            return
        label = data[begin + len(BEGIN) : label_end]
        end_line = b"-----END " + label + DASHES
        end = data.find(end_line, label_end)
        if end < 0:
            yield label, None
            return
        yield label, data[label_end + len(DASHES) : end]
        position = end + len(end_line)


def _decode_pem(data: bytes, out: Decoded) -> None:
    out.kind = "PEM"
    problems: list[Reason] = []
    for number, (label, body) in enumerate(pem_blocks(data), start=1):
        if body is None:
            problems.append(reason("signing.pem_no_end", number=number))
            break
        try:
            der = base64.b64decode(body, validate=False)
            if label in PEM_CERT_TYPES:
                out.add_der(_strip_trusted_aux(der) if label == b"TRUSTED CERTIFICATE" else der)
            elif label == b"PKCS7":
                out.add_certs(pkcs7.load_der_pkcs7_certificates(der))
            elif label == b"X509 CRL":
                out.crls.append(x509.load_der_x509_crl(der))
        except Exception as exc:  # any parse failure of one block: recorded, the other blocks still count
            problems.append(
                reason(
                    "signing.pem_block_bad", number=number, label=label.decode("latin-1"), error=_clean(exc)
                )
            )
    if len(problems) > PEM_PROBLEMS_SHOWN:
        shown = tuple(problems[:PEM_PROBLEMS_SHOWN])
        out.error = reason("signing.pem_blocks_more", problems=shown, more=len(problems) - PEM_PROBLEMS_SHOWN)
    elif problems:
        out.error = combined(problems)


def _strip_trusted_aux(der: bytes) -> bytes:
    """OpenSSL's TRUSTED CERTIFICATE is a certificate followed by trust settings: keep the first."""
    length = der[1]
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[2 : 2 + count], "big") + count
    return der[: 2 + length]


def _decode_der(suffix: str, data: bytes, password: bytes | None, out: Decoded) -> None:
    if suffix in PKCS12_SUFFIXES:
        _decode_pkcs12(data, password, out)
    elif suffix in PKCS7_SUFFIXES:
        out.kind = "PKCS#7"
        try:
            out.add_certs(pkcs7.load_der_pkcs7_certificates(data))
        except ValueError as exc:
            raise Unreadable(reason("signing.bad_pkcs7", error=_clean(exc))) from None
    elif suffix == ".crl":
        out.kind = "CRL"
        try:
            out.crls.append(x509.load_der_x509_crl(data))
        except ValueError as exc:
            raise Unreadable(reason("signing.bad_crl_file", error=_clean(exc))) from None
    else:
        _decode_unknown_der(data, password, out)


def _decode_unknown_der(data: bytes, password: bytes | None, out: Decoded) -> None:
    """A .cer/.der (or a folder-less file named directly): try each DER form in turn."""
    try:
        out.kind = "DER"
        out.add_der(data)
        return
    except ValueError:
        pass
    try:
        out.kind = "PKCS#7"
        out.add_certs(pkcs7.load_der_pkcs7_certificates(data))
        return
    except ValueError:
        pass
    try:
        out.kind = "CRL"
        out.crls.append(x509.load_der_x509_crl(data))
        return
    except ValueError:
        out.kind = ""
    raise Unreadable(reason("signing.unknown_der"))


def _decode_pkcs12(data: bytes, password: bytes | None, out: Decoded) -> None:
    """Only the certificates are kept; the private key is dropped at once."""
    out.kind = "PKCS#12"
    attempts = [password, None, b""] if password is not None else [None, b""]  # a folder may mix both
    last: Exception | None = None
    for attempt in attempts:
        try:
            bundle = pkcs12.load_pkcs12(data, attempt)
        except ValueError as exc:
            last = exc
            continue
        certs = [bundle.cert.certificate] if bundle.cert is not None else []
        out.add_certs(certs + [c.certificate for c in bundle.additional_certs])
        return
    key = "signing.pkcs12_wrong_password" if password is not None else "signing.pkcs12_needs_password"
    raise Unreadable(reason(key, error=_clean(last)))


def _clean(exc: BaseException | None) -> Reason:
    """cryptography's messages, shortened to one line an officer can read."""
    text = " ".join(str(exc).split()) if exc is not None else ""
    if text.startswith("error parsing asn1 value"):
        return reason("signing.der_corrupt")
    return detail((text[:200] + "…") if len(text) > 200 else text or type(exc).__name__)
