"""TLS scenarios on 127.0.2.x: one HTTPS server per known weakness, plus two hostile hosts.

Every scenario except the named weakness is configured like the good portal (TLS 1.2+1.3, ECDHE
AEAD suites, a chain to the lab root, HSTS, CRL and OCSP URLs), so each test can state exactly
which check fails. Servers that OpenSSL 3 refuses to be (SSL 3.0, RC4, 3DES) run on tlslite-ng.
"""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dh

from p06audit.checks.tls.lab_legacy import LegacyTlsHttpServer, LegacyTlsSettings
from p06audit.lab.pki import (
    CRL_URL,
    OCSP_URL,
    Authority,
    IssuedCert,
    name,
    new_key,
    revocation_extensions,
    write_pem,
)
from p06audit.lab.servers import GarbageListener, LabServer, SilentListener, TlsHttpServer, TlsSettings

if TYPE_CHECKING:
    from p06audit.lab import LabContext
    from p06audit.lab.pki import LabPki

HSTS = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}
PORT = 443
DOMAIN = "tls.lab.p06.test"
# Python's default suites (ECDHE only, no SHA-1 MACs); SECLEVEL=0 lets OpenSSL load a 1024-bit key
# or a SHA-1 certificate, and serve TLS 1.0/1.1, without changing which suites are offered.
MODERN_SUITES = "ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:!aNULL:!eNULL:!SHA1:!AESCCM"
LEGACY_SECLEVEL = MODERN_SUITES + ":@SECLEVEL=0"


@dataclass(frozen=True)
class Scenario:
    """One lab host: its address, the certificate it serves and how its server is set up."""

    label: str
    address: str
    description: str
    cert_name: str = ""
    valid_from: timedelta = timedelta(days=-30)
    valid_for: timedelta = timedelta(days=90)
    key_kind: str = "ec256"
    headers: dict[str, str] = field(default_factory=lambda: dict(HSTS))

    @property
    def dns_name(self) -> str:
        return self.cert_name or f"{self.label}.{DOMAIN}"


def _issue(
    pki: LabPki, s: Scenario, *, self_signed: bool = False, issuer: Authority | None = None
) -> IssuedCert:
    return pki.issue_server(
        f"tls-{s.label}",
        [s.dns_name],
        ip_addresses=[s.address],
        valid_from=s.valid_from,
        valid_for=s.valid_for,
        key_kind=s.key_kind,
        extensions=revocation_extensions(),
        self_signed=self_signed,
        issuer=issuer,
    )


def _modern(s: Scenario, cert: IssuedCert, chain_file: Path | None = None, **settings: Any) -> TlsHttpServer:
    tls = TlsSettings(chain_file or cert.chain_file, cert.key_file, http_headers=s.headers, **settings)
    return TlsHttpServer(f"tls-{s.label}", s.address, PORT, tls, s.description)


def _legacy(s: Scenario, cert: IssuedCert, **settings: Any) -> LegacyTlsHttpServer:
    tls = LegacyTlsSettings(cert.chain_file, cert.key_file, http_headers=s.headers, **settings)
    return LegacyTlsHttpServer(f"tls-{s.label}", s.address, PORT, tls, s.description)


def _dh_params(path: Path, bits: int) -> Path:
    params = dh.generate_parameters(generator=2, key_size=bits)
    path.write_bytes(params.parameter_bytes(serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3))
    return path


def _sha1_leaf(pki: LabPki, s: Scenario) -> IssuedCert:
    """`cryptography` refuses to sign with SHA-1, so the intermediate signs this leaf via the openssl CLI."""
    directory = pki.directory
    key = new_key(s.key_kind)
    ca_key = write_pem(directory / "lab-intermediate.key.pem", pki.intermediate.key)
    key_file = write_pem(directory / f"tls-{s.label}.key.pem", key)
    csr = x509.CertificateSigningRequestBuilder().subject_name(name(s.dns_name)).sign(key, hashes.SHA256())
    csr_file = directory / f"tls-{s.label}.csr.pem"
    csr_file.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    ext_file = directory / f"tls-{s.label}.ext"
    ext_file.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        f"subjectAltName=DNS:{s.dns_name},IP:{s.address}\n"
        "extendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\n"
        f"crlDistributionPoints=URI:{CRL_URL}\n"
        f"authorityInfoAccess=OCSP;URI:{OCSP_URL}\n"
    )
    cert_file = directory / f"tls-{s.label}.crt.pem"
    subprocess.run(
        [
            "openssl",
            "x509",
            "-req",
            "-sha1",
            "-in",
            str(csr_file),
            "-CA",
            str(pki.intermediate_file),
            "-CAkey",
            str(ca_key),
            "-set_serial",
            str(x509.random_serial_number()),
            "-days",
            str(s.valid_for.days),
            "-extfile",
            str(ext_file),
            "-out",
            str(cert_file),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    chain_file = write_pem(directory / f"tls-{s.label}.chain.pem", cert, pki.intermediate.cert)
    return IssuedCert(cert, key, cert_file, key_file, chain_file)


GOOD = Scenario("good", "127.0.2.1", "HTTPS portal done right: TLS 1.2-1.3, ECDHE AEAD, full chain, HSTS")
OLD_TLS = Scenario("tls10", "127.0.2.2", "also accepts TLS 1.0 and 1.1")
SSL3 = Scenario(
    "ssl3", "127.0.2.3", "tlslite-ng integration gateway accepting SSL 3.0 to TLS 1.2", key_kind="rsa2048"
)
RC4_3DES = Scenario("rc4", "127.0.2.4", "tlslite-ng portal accepting RC4 and 3DES suites", key_kind="rsa2048")
DH1024 = Scenario("dh1024", "127.0.2.5", "DHE suites with a 1024-bit group", key_kind="rsa2048")
EXPIRED = Scenario(
    "expired",
    "127.0.2.6",
    "certificate expired 35 days ago",
    valid_from=timedelta(days=-400),
    valid_for=timedelta(days=365),
)
NOT_YET = Scenario(
    "notyet", "127.0.2.7", "certificate valid only from 10 days ahead", valid_from=timedelta(days=10)
)
WRONG_NAME = Scenario(
    "wrongname", "127.0.2.8", "certificate for another host name", cert_name=f"other.{DOMAIN}"
)
SELF_SIGNED = Scenario("selfsigned", "127.0.2.9", "self-signed certificate")
UNTRUSTED = Scenario("untrusted", "127.0.2.10", "certificate from a CA outside the trust anchors")
RSA1024 = Scenario("rsa1024", "127.0.2.11", "RSA 1024-bit server key", key_kind="rsa1024")
SHA1 = Scenario("sha1", "127.0.2.12", "leaf signed with SHA-1 (openssl CLI)")
NO_INTERMEDIATE = Scenario("nochain", "127.0.2.13", "leaf served without its intermediate")
EXPIRING = Scenario(
    "expiring",
    "127.0.2.14",
    "certificate expires in 10 days",
    valid_from=timedelta(days=-80),
    valid_for=timedelta(days=90),
)
NO_HSTS = Scenario("nohsts", "127.0.2.15", "HTTPS portal without HSTS", headers={})
GARBAGE_ADDRESS = "127.0.2.16"
SILENT_ADDRESS = "127.0.2.17"


def build(ctx: LabContext) -> list[LabServer]:
    pki = ctx.pki
    outsider = pki.make_authority("Outsider Root CA (not a lab anchor)", issuer=None, path_length=1)
    servers: list[LabServer] = [
        _modern(s, _issue(pki, s)) for s in (GOOD, EXPIRED, NOT_YET, WRONG_NAME, EXPIRING, NO_HSTS)
    ]
    servers += [
        _modern(
            OLD_TLS,
            _issue(pki, OLD_TLS),
            minimum_version=ssl.TLSVersion.TLSv1,
            ciphers="ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:!aNULL:!eNULL:!AESCCM:@SECLEVEL=0",
        ),
        _modern(
            DH1024,
            _issue(pki, DH1024),
            maximum_version=ssl.TLSVersion.TLSv1_2,
            ciphers="DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0",
            dh_params=_dh_params(pki.directory / "tls-dh1024.pem", 1024),
        ),
        _modern(SELF_SIGNED, _issue(pki, SELF_SIGNED, self_signed=True)),
        _modern(UNTRUSTED, _issue(pki, UNTRUSTED, issuer=outsider)),
        _modern(RSA1024, _issue(pki, RSA1024), ciphers=LEGACY_SECLEVEL),
        _modern(SHA1, _sha1_leaf(pki, SHA1), ciphers=LEGACY_SECLEVEL),
        _modern(NO_INTERMEDIATE, (leaf := _issue(pki, NO_INTERMEDIATE)), chain_file=leaf.cert_file),
        _legacy(
            SSL3,
            _issue(pki, SSL3),
            minimum_version="SSLv3",
            maximum_version="TLSv1.2",
            ciphers=("aes256gcm", "aes128gcm", "aes256", "aes128"),
            key_exchanges=("ecdhe_rsa", "dhe_rsa"),
            macs=("aead", "sha256", "sha"),
        ),
        _legacy(
            RC4_3DES,
            _issue(pki, RC4_3DES),
            ciphers=("aes256gcm", "aes128gcm", "rc4", "3des"),
            macs=("aead", "sha"),
        ),
        GarbageListener("tls-garbage", GARBAGE_ADDRESS, PORT),
        SilentListener("tls-silent", SILENT_ADDRESS, PORT),
    ]
    return servers
