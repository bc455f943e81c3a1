"""A test government PKI for officials' signing certificates: root → subordinate CA → officials.

Everything is generated with `cryptography` relative to the lab clock, published as files the
signing audit reads (PEM, DER, PKCS#7, PKCS#12, a CRL file, a roster CSV) and answered over HTTP
by the lab's CRL server and OCSP responder (audit/lab/revocation_server.py). Each official's
certificate carries one defect (or none), so tests can state exactly which checks fire.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import isqrt, prod
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from p06audit.lab.pki import PrivateKey, new_key

CRL_ADDRESS = "127.0.5.1"
OCSP_ADDRESS = "127.0.5.2"
SILENT_ADDRESS = "127.0.5.3"
REFUSED_ADDRESS = "127.0.5.4"  # nothing listens here: connection refused
CRL_PATH = "/crl/gov-sub-ca.crl"
CRL_URL = f"http://{CRL_ADDRESS}{CRL_PATH}"
OCSP_URL = f"http://{OCSP_ADDRESS}/ocsp"
GARBAGE_OCSP_URL = f"http://{OCSP_ADDRESS}/ocsp-garbage"
SILENT_OCSP_URL = f"http://{SILENT_ADDRESS}/ocsp"
REFUSED_CRL_URL = f"http://{REFUSED_ADDRESS}/crl/none.crl"
ORGANISATION = "UBND tỉnh Thí Điểm (lab)"
SIGNING_USAGE = dict(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
ROCA_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79,
               83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167)  # fmt: skip
SHA256_WITH_RSA = bytes.fromhex("2a864886f70d01010b")
SHA1_WITH_RSA = bytes.fromhex("2a864886f70d010105")


@dataclass(frozen=True)
class Official:
    """A roster row."""

    official_id: str
    name: str
    unit: str
    position: str
    status: str = "active"


@dataclass(frozen=True)
class CertSpec:
    """One official's certificate and its single defect (keyword arguments of `issue`)."""

    label: str
    official_id: str
    relative: str  # where it is written under the sources folder
    options: dict[str, object] = field(default_factory=dict)


@dataclass
class Authority:
    cert: x509.Certificate
    key: PrivateKey


def roca_modulus(bits: int = 2048) -> int:
    """An RSA modulus with the ROCA structure: p, q = k·M + (65537^a mod M). Only the residues
    matter to the fingerprint, so p and q need not be prime (the lab never uses the key)."""
    primorial = prod(ROCA_PRIMES)
    low = isqrt(1 << (bits - 1)) // primorial + 1  # so that p·q has exactly `bits` bits
    high = (1 << (bits // 2)) // primorial

    def factor() -> int:
        k = low + secrets.randbelow(high - low)
        return k * primorial + pow(65537, secrets.randbelow(1 << 20) + 1, primorial)

    return factor() * factor()


def _name(
    common_name: str, unit: str | None = None, position: str | None = None, uid: str | None = None
) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    if position:
        attributes.append(x509.NameAttribute(NameOID.TITLE, position))
    if uid:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, uid))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _pem(*items: x509.Certificate) -> bytes:
    return b"".join(i.public_bytes(serialization.Encoding.PEM) for i in items)


class GovernmentPki:
    """The government root, its subordinate CA, a rogue CA, and what they issued and revoked."""

    def __init__(self, now: datetime, sub_key: PrivateKey | None = None) -> None:
        self.now = now
        root_key = new_key("ec384")
        root_name = _name("Government Signing Root CA (lab)")
        self.root = Authority(self._ca(root_name, root_name, root_key, root_key, path_length=1), root_key)
        self.sub = self.subordinate(sub_key or new_key("rsa2048"))
        rogue_key = new_key("ec256")
        rogue_name = _name("Rogue Signing CA (lab)")
        self.rogue = Authority(
            self._ca(rogue_name, rogue_name, rogue_key, rogue_key, path_length=0), rogue_key
        )
        self.issued: dict[int, x509.Certificate] = {}
        self.revoked: dict[int, datetime] = {}

    def subordinate(self, key: PrivateKey) -> Authority:
        """The issuing CA of officials' certificates (RSA 2048, as government CAs commonly use)."""
        name = _name("Public Service Signing CA (lab)")
        return Authority(self._ca(name, self.root.cert.subject, key, self.root.key, path_length=0), key)

    def _ca(
        self, subject: x509.Name, issuer: x509.Name, key: PrivateKey, signer: PrivateKey, path_length: int
    ) -> x509.Certificate:
        usage = {**SIGNING_USAGE, "content_commitment": False, "key_cert_sign": True, "crl_sign": True}
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=3650))
            .not_valid_after(self.now + timedelta(days=7300))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(x509.KeyUsage(**usage), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(
                signer, hashes.SHA384() if isinstance(signer, ec.EllipticCurvePrivateKey) else hashes.SHA256()
            )
        )

    def issue(
        self,
        official: Official,
        *,
        start: timedelta = timedelta(days=-100),
        valid_for: timedelta = timedelta(days=730),
        public_key: object = None,
        usage: dict[str, bool] | None = None,
        eku: Sequence[x509.ObjectIdentifier] | None = (ExtendedKeyUsageOID.EMAIL_PROTECTION,),
        crl_urls: Sequence[str] = (CRL_URL,),
        ocsp_urls: Sequence[str] = (OCSP_URL,),
        rogue: bool = False,
        sha1: bool = False,
        unit: str | None = None,
        position: str | None = None,
        identifier: bool = True,
        revoked: bool = False,
        serial: int | None = None,
    ) -> x509.Certificate:
        """An official's signing certificate; every keyword departs from the good profile."""
        issuer = self.rogue if rogue else self.sub
        subject = _name(
            official.name,
            unit or official.unit,
            position or official.position,
            f"CCCD:{official.official_id}" if identifier else None,
        )
        key = public_key or new_key("ec256").public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.cert.subject)
            .public_key(key)  # type: ignore[arg-type]
            .serial_number(serial or x509.random_serial_number())
            .not_valid_before(self.now + start)
            .not_valid_after(self.now + start + valid_for)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(**(usage or SIGNING_USAGE)), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                critical=False,
            )
        )
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        if crl_urls:
            points = [
                x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None)
                for u in crl_urls
            ]
            builder = builder.add_extension(x509.CRLDistributionPoints(points), critical=False)
        if ocsp_urls:
            access = [
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(u))
                for u in ocsp_urls
            ]
            builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
        cert = builder.sign(issuer.key, hashes.SHA256())
        if sha1:
            cert = self._resign_sha1(cert, issuer)
        if not rogue:
            self.issued[cert.serial_number] = cert
            if revoked:
                self.revoked[cert.serial_number] = self.now - timedelta(days=3)
        return cert

    @staticmethod
    def _resign_sha1(cert: x509.Certificate, issuer: Authority) -> x509.Certificate:
        """cryptography no longer signs with SHA-1; rewrite the algorithm and sign the TBS by hand."""
        if not isinstance(issuer.key, rsa.RSAPrivateKey):
            raise ValueError("the SHA-1 certificate needs an RSA issuer")
        der = cert.public_bytes(serialization.Encoding.DER).replace(SHA256_WITH_RSA, SHA1_WITH_RSA)
        relabelled = x509.load_der_x509_certificate(der)
        signature = issuer.key.sign(relabelled.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
        return x509.load_der_x509_certificate(der[: -len(signature)] + signature)

    def crl(self) -> x509.CertificateRevocationList:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.sub.cert.subject)
            .last_update(self.now - timedelta(hours=1))
            .next_update(self.now + timedelta(days=7))
        )
        for serial, when in sorted(self.revoked.items()):
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(when)
                .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        return builder.sign(self.sub.key, hashes.SHA256())

    def ocsp_response(self, request_der: bytes, now: datetime) -> bytes:
        """Answer an OCSP request about a certificate of the subordinate CA, signed by that CA."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST
            ).public_bytes(serialization.Encoding.DER)
        serial = request.serial_number
        if serial in self.revoked:
            status, when, reason = (
                ocsp.OCSPCertStatus.REVOKED,
                self.revoked[serial],
                x509.ReasonFlags.key_compromise,
            )
        elif serial in self.issued:
            status, when, reason = ocsp.OCSPCertStatus.GOOD, None, None
        else:
            status, when, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            request.issuer_name_hash,
            request.issuer_key_hash,
            serial,
            request.hash_algorithm,
            status,
            now - timedelta(minutes=1),
            now + timedelta(hours=12),
            when,
            reason,
        )
        response = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.sub.cert).sign(
            self.sub.key,
            hashes.SHA256(),
        )
        return response.public_bytes(serialization.Encoding.DER)


# The lab's officials and their certificates. One defect each; comments name the check expected.
OFFICIALS = (
    Official("001085000001", "Nguyễn Văn An", "Văn phòng UBND tỉnh", "Chuyên viên"),
    Official("001085000002", "Trần Thị Bình", "Sở Tư pháp", "Phó Giám đốc"),
    Official("001085000003", "Lê Văn Cường", "Sở Nội vụ", "Chuyên viên"),
    Official("001085000004", "Phạm Thị Dung", "Sở Tài chính", "Kế toán viên"),
    Official("001085000005", "Hoàng Văn Em", "Sở Y tế", "Chuyên viên"),
    Official("001085000006", "Vũ Thị Giang", "Sở Xây dựng", "Chuyên viên"),
    Official("001085000007", "Đặng Văn Hải", "Sở Giao thông Vận tải", "Chuyên viên"),
    Official("001085000008", "Bùi Thị Hoa", "Sở Công Thương", "Chuyên viên"),
    Official("001085000009", "Đỗ Văn Khánh", "Sở Nông nghiệp", "Chuyên viên"),
    Official("001085000010", "Hồ Thị Lan", "Sở Giáo dục", "Chuyên viên"),
    Official("001085000011", "Ngô Văn Minh", "Sở Khoa học", "Chuyên viên"),
    Official("001085000012", "Dương Thị Nga", "Sở Văn hóa", "Chuyên viên"),
    Official("001085000013", "Lý Văn Oanh", "Sở Du lịch", "Chuyên viên"),
    Official("001085000014", "Mai Thị Phương", "Sở Lao động", "Chuyên viên"),
    Official("001085000015", "Trịnh Văn Quang", "Sở Ngoại vụ", "Chuyên viên"),
    Official("001085000016", "Cao Thị Rạng", "Thanh tra tỉnh", "Thanh tra viên"),
    Official("001085000017", "Tạ Văn Sơn", "Ban Dân tộc", "Chuyên viên"),
    Official("001085000018", "Lưu Thị Tâm", "Sở Tài nguyên", "Chuyên viên"),
    Official("001085000019", "Châu Văn Uy", "Sở Kế hoạch và Đầu tư", "Chuyên viên"),
    Official("001085000020", "Phan Thị Vân", "Sở Thông tin", "Chuyên viên"),
    Official("001085000021", "Kiều Văn Xuân", "Sở Nội vụ", "Chuyên viên"),
    Official("001085000022", "Quách Thị Yến", "Văn phòng UBND tỉnh", "Chuyên viên"),
    Official("001085000023", "Lâm Văn Bảo", "Sở Tư pháp", "Chuyên viên", "retired"),
    Official("001085000024", "Tôn Thị Cúc", "Sở Y tế", "Chuyên viên"),
    Official("001085000025", "Vương Văn Đạt", "Sở Kế hoạch và Đầu tư", "Chuyên viên"),
    Official("001085000026", "Khúc Thị Hằng", "Sở Tài chính", "Trưởng phòng"),
    Official("001085000027", "Ông Văn Lộc", "Sở Công Thương", "Chuyên viên"),
    Official("001085000028", "Giáp Thị Mận", "Sở Nội vụ", "Chuyên viên", "on leave"),
)
NOT_ON_ROSTER = Official("001085000099", "Người Lạ", "Sở Tư pháp", "Chuyên viên")
DAY = timedelta(days=1)
CERTS = (
    CertSpec("good", "001085000001", "officials/good.crt"),  # nothing fires
    CertSpec("expired", "001085000002", "officials/expired.crt", {"start": -740 * DAY}),  # 001, 101
    CertSpec("expiring-5", "001085000003", "officials/expiring-5.crt", {"start": -725 * DAY}),  # 002 critical
    CertSpec("expiring-20", "001085000004", "officials/expiring-20.crt", {"start": -710 * DAY}),  # 002 high
    CertSpec("expiring-45", "001085000005", "officials/expiring-45.crt", {"start": -685 * DAY}),  # 002 medium
    CertSpec("not-yet-valid", "001085000006", "officials/not-yet-valid.crt", {"start": 10 * DAY}),  # 003, 101
    CertSpec("no-nonrepudiation", "001085000007", "officials/no-nonrepudiation.crt",
             {"usage": {**SIGNING_USAGE, "content_commitment": False}}),  # 004
    CertSpec("server-auth-eku", "001085000008", "officials/server-auth-eku.crt",
             {"eku": (ExtendedKeyUsageOID.SERVER_AUTH,)}),  # 005
    CertSpec("rsa-1024", "001085000009", "officials/rsa-1024.cer", {"key": "rsa1024"}),  # 006
    CertSpec("roca", "001085000010", "officials/roca.crt", {"key": "roca"}),  # 006 critical
    CertSpec("sha1", "001085000011", "officials/sha1.crt", {"sha1": True}),  # 007
    CertSpec("untrusted-issuer", "001085000012", "officials/untrusted-issuer.crt",
             {"rogue": True}),  # 008, 009, 101
    CertSpec("revoked-crl", "001085000013", "officials/revoked-crl.crt", {"revoked": True}),  # 009, 101
    CertSpec("revoked-ocsp", "001085000014", "officials/revoked-ocsp.crt",
             {"revoked": True, "crl_urls": ()}),  # 009 via OCSP, 101
    CertSpec("good-ocsp", "001085000015", "officials/good-ocsp.cer", {"crl_urls": ()}),  # nothing fires
    CertSpec("ocsp-silent", "001085000016", "officials/ocsp-silent.crt",
             {"crl_urls": (), "ocsp_urls": (SILENT_OCSP_URL,)}),  # 009 WARN (timeout)
    CertSpec("ocsp-garbage", "001085000017", "officials/ocsp-garbage.crt",
             {"crl_urls": (), "ocsp_urls": (GARBAGE_OCSP_URL,)}),  # 009 WARN (unreadable answer)
    CertSpec("crl-refused", "001085000018", "officials/crl-refused.crt",
             {"crl_urls": (REFUSED_CRL_URL,), "ocsp_urls": ()}),  # 009 WARN (refused)
    CertSpec("six-years", "001085000019", "officials/six-years.crt", {"valid_for": 6 * 365 * DAY}),  # 011
    CertSpec("renewal-old", "001085000020", "officials/renewal-old.crt",
             {"start": -800 * DAY, "key": "shared", "valid_for": 730 * DAY}),  # 001
    CertSpec("renewal-4y", "001085000020", "officials/renewal-4y.crt",
             {"start": -69 * DAY, "key": "shared", "valid_for": 4 * 365 * DAY}),  # 011 (renewal: 3 years)
    CertSpec("no-revocation-info", "001085000021", "officials/no-revocation-info.crt",
             {"crl_urls": (), "ocsp_urls": ()}),  # 012, 009 WARN
    CertSpec("not-on-roster", NOT_ON_ROSTER.official_id, "officials/not-on-roster.crt"),  # 102
    CertSpec("retired", "001085000023", "officials/retired.crt"),  # 102
    CertSpec("two-old", "001085000024", "officials/two-old.crt", {"start": -200 * DAY}),  # 103
    CertSpec("two-new", "001085000024", "tokens/two-new.p12", {"start": -20 * DAY}),  # nothing (newest)
    CertSpec("unit-changed", "001085000025", "officials/unit-changed.crt", {"unit": "Sở Nội vụ"}),  # 104
    CertSpec("position-changed", "001085000026", "officials/position-changed.crt",
             {"position": "Chuyên viên"}),  # 104
    CertSpec("serial-matched", "001085000027", "bundles/serial-matched.p7b", {"identifier": False}),  # -
)  # fmt: skip
# Rows without a certificate: 001085000022 (active: 101) and 001085000028 (unknown status: 101 ERROR).
SOURCES_DIR = "certs"
TRUST_ANCHORS_FILE = "gov-root.pem"
CRL_FILE = "gov-sub-ca.crl"
ROSTER_FILE = "roster.csv"
CORRUPT_FILES = ("corrupt/truncated.cer", "corrupt/garbage.pem", "corrupt/wrong-password.p12")


@dataclass(frozen=True)
class SigningLabFiles:
    """Where the lab wrote everything (paths the inventory and the tests use)."""

    directory: Path
    sources: Path  # folder of certificate files (recursive)
    trust_anchors: Path
    crl_file: Path
    roster: Path
    certs: dict[str, x509.Certificate]  # label → certificate


def write_signing_lab(directory: Path, pki: GovernmentPki) -> SigningLabFiles:
    """Issue every official's certificate and write sources, anchors, CRL file and roster."""
    sources = directory / SOURCES_DIR
    people = {o.official_id: o for o in (*OFFICIALS, NOT_ON_ROSTER)}
    shared_key = new_key("ec256").public_key()
    certs: dict[str, x509.Certificate] = {}
    for spec in CERTS:
        options = dict(spec.options)
        key_kind = options.pop("key", None)
        if key_kind == "shared":
            options["public_key"] = shared_key
        elif key_kind == "roca":
            options["public_key"] = rsa.RSAPublicNumbers(65537, roca_modulus()).public_key()
        elif isinstance(key_kind, str):
            options["public_key"] = new_key(key_kind).public_key()
        certs[spec.label] = pki.issue(people[spec.official_id], **options)  # type: ignore[arg-type]
    for spec in CERTS:
        _write_cert(sources / spec.relative, certs[spec.label], pki)
    _write(sources / "chain/gov-sub-ca.pem", _pem(pki.sub.cert))
    _write(sources / "tokens/good-copy.p12", _p12(certs["good"], pki, None))  # the same certificate twice
    _write(sources / "README.txt", b"Not a certificate: ignored when the folder is walked.\n")
    good_der = certs["good"].public_bytes(serialization.Encoding.DER)
    _write(sources / CORRUPT_FILES[0], good_der[: len(good_der) // 2])
    _write(
        sources / CORRUPT_FILES[1],
        b"-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    _write(sources / CORRUPT_FILES[2], _p12(certs["good"], pki, secrets.token_hex(16).encode()))
    trust_anchors = _write(directory / TRUST_ANCHORS_FILE, _pem(pki.root.cert))
    crl_file = _write(directory / CRL_FILE, pki.crl().public_bytes(serialization.Encoding.DER))
    roster = directory / ROSTER_FILE
    write_roster(roster, OFFICIALS, {"001085000027": certs["serial-matched"]})
    return SigningLabFiles(directory, sources, trust_anchors, crl_file, roster, certs)


def write_roster(path: Path, officials: Sequence[Official], serials: dict[str, x509.Certificate]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["official_id", "name", "unit", "position", "status", "cert_serials"])
        for o in officials:
            cert = serials.get(o.official_id)
            writer.writerow([o.official_id, o.name, o.unit, o.position, o.status,
                             f"{cert.serial_number:X}" if cert else ""])  # fmt: skip


def _p12(cert: x509.Certificate, pki: GovernmentPki, password: bytes | None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(b"official", None, cert, [pki.sub.cert], encryption)


def _write_cert(path: Path, cert: x509.Certificate, pki: GovernmentPki) -> None:
    suffix = path.suffix
    if suffix == ".cer":
        _write(path, cert.public_bytes(serialization.Encoding.DER))
    elif suffix == ".p7b":
        _write(path, pkcs7.serialize_certificates([cert, pki.sub.cert], serialization.Encoding.DER))
    elif suffix == ".p12":
        _write(path, _p12(cert, pki, None))
    else:
        _write(path, _pem(cert))


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
