"""A throw-away test PKI for the lab: a root CA, an intermediate, and server certificates on demand.

Everything is generated with `cryptography` at lab start, relative to the lab's clock, so an
"expired" certificate is expired whatever day the tests run.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
# Revocation pointers named in lab server certificates (nothing resolves these names; the TLS
# family reads them).
CRL_URL = "http://crl.lab.p06.test/issuing.crl"
OCSP_URL = "http://ocsp.lab.p06.test/"


def new_key(kind: str = "ec256") -> PrivateKey:
    """`ec256`, `ec384` or `rsaNNNN` (e.g. rsa1024 for a weak-key scenario)."""
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    curve = {"ec256": ec.SECP256R1(), "ec384": ec.SECP384R1()}[kind]
    return ec.generate_private_key(curve)


def revocation_extensions() -> list[x509.ExtensionType]:
    """CRL distribution point and OCSP URL, so only the scenario's own weakness shows."""
    return [
        x509.CRLDistributionPoints(
            [x509.DistributionPoint([x509.UniformResourceIdentifier(CRL_URL)], None, None, None)]
        ),
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(OCSP_URL)
                )
            ]
        ),
    ]


def name(common_name: str, org: str = "p06audit lab") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def write_pem(path: Path, *items: x509.Certificate | PrivateKey) -> Path:
    chunks = []
    for item in items:
        if isinstance(item, x509.Certificate):
            chunks.append(item.public_bytes(serialization.Encoding.PEM))
        else:
            chunks.append(
                item.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
    path.write_bytes(b"".join(chunks))
    path.chmod(0o600)
    return path


@dataclass(frozen=True)
class Authority:
    cert: x509.Certificate
    key: PrivateKey


@dataclass(frozen=True)
class IssuedCert:
    cert: x509.Certificate
    key: PrivateKey
    cert_file: Path
    key_file: Path
    chain_file: Path


class LabPki:
    """Root → intermediate → leaves, written as PEM files under `directory`."""

    def __init__(self, directory: Path, now: datetime) -> None:
        self.directory = directory
        self.now = now
        directory.mkdir(parents=True, exist_ok=True)
        self.root = self.make_authority("p06audit Lab Root CA", issuer=None, path_length=1)
        self.intermediate = self.make_authority("p06audit Lab Issuing CA", issuer=self.root, path_length=0)
        self.root_file = write_pem(directory / "lab-root.pem", self.root.cert)
        self.intermediate_file = write_pem(directory / "lab-intermediate.pem", self.intermediate.cert)

    def make_authority(self, common_name: str, issuer: Authority | None, path_length: int) -> Authority:
        key = new_key("ec384")
        subject = name(common_name)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.cert.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=365))
            .not_valid_after(self.now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        signer = issuer.key if issuer else key
        return Authority(builder.sign(signer, hashes.SHA384()), key)

    def issue_server(
        self,
        label: str,
        dns_names: list[str],
        *,
        ip_addresses: list[str] = (),  # type: ignore[assignment]
        valid_from: timedelta = timedelta(days=-30),
        valid_for: timedelta = timedelta(days=90),
        key_kind: str = "ec256",
        issuer: Authority | None = None,
        self_signed: bool = False,
        extensions: list[x509.ExtensionType] = (),  # type: ignore[assignment]
    ) -> IssuedCert:
        """A TLS server certificate; `valid_from` is relative to the lab clock (negative = past)."""
        key = new_key(key_kind)
        authority = issuer or self.intermediate
        subject = name(dns_names[0] if dns_names else label)
        sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns_names]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
        start = self.now + valid_from
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if self_signed else authority.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + valid_for)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
        if not self_signed:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False
            )
        for ext in extensions:
            builder = builder.add_extension(ext, critical=False)
        signer = key if self_signed else authority.key
        cert = builder.sign(signer, hashes.SHA256())
        chain = (
            [cert] if self_signed or authority is not self.intermediate else [cert, self.intermediate.cert]
        )
        return IssuedCert(
            cert=cert,
            key=key,
            cert_file=write_pem(self.directory / f"{label}.crt.pem", cert),
            key_file=write_pem(self.directory / f"{label}.key.pem", key),
            chain_file=write_pem(self.directory / f"{label}.chain.pem", *chain),
        )
