"""Certificate sources: every container format, folders walked recursively, PKCS#12 passwords
from the environment variable the inventory names, and corrupt files reported by name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from p06audit.checks.signing.lab_pki import OFFICIALS, GovernmentPki
from p06audit.checks.signing.sources import decode, find_files, read_file
from p06audit.model import Status
from p06audit.records import RunRecord
from tests.signing.conftest import AuditSigning, by_check, said

PASSWORD_ENV = "P06_TEST_P12_PASSWORD"


@pytest.fixture(scope="module")
def pki() -> GovernmentPki:
    return GovernmentPki(datetime.now(UTC))


@pytest.fixture(scope="module")
def certs(pki: GovernmentPki) -> list[x509.Certificate]:
    return [pki.issue(official) for official in OFFICIALS[:4]]


def _p12(cert: x509.Certificate, pki: GovernmentPki, password: bytes | None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(b"x", None, cert, [pki.sub.cert], encryption)


def test_every_format_yields_its_certificates(
    tmp_path: Path, pki: GovernmentPki, certs: list[x509.Certificate]
) -> None:
    pem = serialization.Encoding.PEM
    der = serialization.Encoding.DER
    files = {
        "bundle.pem": (certs[0].public_bytes(pem) + pki.sub.cert.public_bytes(pem), "PEM", 2),
        "one.cer": (certs[1].public_bytes(der), "DER", 1),
        "chain.p7b": (pkcs7.serialize_certificates([certs[2], pki.sub.cert], der), "PKCS#7", 2),
        "chain-pem.p7c": (pkcs7.serialize_certificates([certs[2]], pem), "PEM", 1),
        "token.pfx": (_p12(certs[3], pki, None), "PKCS#12", 2),
        "ca.crl": (pki.crl().public_bytes(der), "CRL", 0),
    }
    for name, (data, kind, count) in files.items():
        decoded = decode(name, data, None)
        assert (decoded.kind, len(decoded.certs), decoded.error) == (kind, count, None), name
    assert len(decode("ca.crl", files["ca.crl"][0], None).crls) == 1


def test_folders_are_walked_recursively_and_other_files_ignored(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/x.pem", "a/b/y.CER", "a/b/z.p12", "a/notes.txt", "a/b/key.key", "top.crt"):
        (tmp_path / name).write_bytes(b"")
    explicit = tmp_path / "a" / "notes.txt"
    found, missing = find_files([tmp_path / "a", tmp_path / "top.crt", explicit, tmp_path / "gone"])
    names = [p.relative_to(tmp_path).as_posix() for p in found]
    assert names == ["a/x.pem", "a/b/y.CER", "a/b/z.p12", "top.crt", "a/notes.txt"]
    assert [p.name for p, _ in missing] == ["gone"]


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("empty.pem", b"", "empty"),
        ("cut.pem", b"-----BEGIN CERTIFICATE-----\nMIIB", "no END line"),
        ("junk.der", b"\x30\x82\x01\x00garbage", "not a certificate"),
        ("junk.p7b", b"\x30\x03\x02\x01\x01", "corrupt"),
        ("junk.crl", b"not a crl", "corrupt"),
    ],
)
def test_corrupt_content_is_an_error_with_a_reason(name: str, data: bytes, says: str) -> None:
    decoded = decode(name, data, None)
    assert decoded.error is not None
    assert says in said(decoded.error)


def test_an_unreadable_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.pem"
    folder.mkdir()
    assert read_file(folder, None).error is not None


def test_pkcs12_password_comes_from_the_named_environment_variable(
    tmp_path: Path,
    pki: GovernmentPki,
    certs: list[x509.Certificate],
    audit_signing: AuditSigning,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "tokens").mkdir()
    (tmp_path / "tokens" / "official.p12").write_bytes(_p12(certs[0], pki, b"s3cret-lab"))
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    run = audit_signing(sources=[tmp_path / "tokens"], pkcs12_password_env=PASSWORD_ENV)
    [error] = [f for f in by_check(run, "SIGN-010") if f.status is Status.ERROR]
    assert "official.p12" in error.summary and "pkcs12_password_env" in error.summary
    assert not by_check(run, "SIGN-002")

    monkeypatch.setenv(PASSWORD_ENV, "s3cret-lab")
    run = audit_signing(sources=[tmp_path / "tokens"], pkcs12_password_env=PASSWORD_ENV)
    assert [f.status for f in by_check(run, "SIGN-010")] == [Status.PASS]
    [expiry] = by_check(run, "SIGN-002")
    assert expiry.evidence["serial"] == f"{certs[0].serial_number:X}"
    assert "s3cret-lab" not in RunRecord.of(run).model_dump_json()

    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    run = audit_signing(sources=[tmp_path / "tokens"], pkcs12_password_env=PASSWORD_ENV)
    [error] = [f for f in by_check(run, "SIGN-010") if f.status is Status.ERROR]
    assert "wrong password" in error.summary


def test_a_bundle_with_one_bad_block_keeps_the_good_ones(
    tmp_path: Path, certs: list[x509.Certificate], audit_signing: AuditSigning
) -> None:
    bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    good = [c.public_bytes(serialization.Encoding.PEM) for c in certs[:2]]
    (tmp_path / "bundle.pem").write_bytes(good[0] + bad + good[1])
    run = audit_signing(sources=[tmp_path / "bundle.pem"])
    [error] = [f for f in by_check(run, "SIGN-010") if f.status is Status.ERROR]
    assert "PEM block 2" in error.summary and error.evidence["certificates_read"] == 2
    assert len(by_check(run, "SIGN-002")) == 2
