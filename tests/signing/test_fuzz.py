"""Hostile bytes never crash the parsers: random, truncated and bit-flipped DER, PEM, PKCS#7,
PKCS#12, CRLs, OCSP answers and rosters end as a recorded problem, never an escaping exception."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p06audit.checks.signing.chain import Authority, TrustStore
from p06audit.checks.signing.der import DerError, tbs_of, tbs_parts
from p06audit.checks.signing.lab_pki import OFFICIALS, GovernmentPki, roca_modulus
from p06audit.checks.signing.parse import CertificateError, FactsReader
from p06audit.checks.signing.policy import load_policy
from p06audit.checks.signing.revocation import CrlIndex, judge_ocsp
from p06audit.checks.signing.roster import RosterError, parse_roster
from p06audit.checks.signing.sources import decode
from tests.signing.conftest import said

pytestmark = pytest.mark.filterwarnings(  # cryptography warns about the odd encodings fuzzing makes
    "ignore::UserWarning", "ignore::cryptography.utils.CryptographyDeprecationWarning"
)
NOW = datetime.now(UTC)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SUFFIXES = ["x.pem", "x.crt", "x.cer", "x.der", "x.p7b", "x.p7c", "x.p12", "x.pfx", "x.crl", "noext"]
PKI = GovernmentPki(NOW)
LEAF = PKI.issue(OFFICIALS[0])
RSA_LEAF = PKI.issue(OFFICIALS[1], public_key=rsa.RSAPublicNumbers(65537, roca_modulus()).public_key())
DER = LEAF.public_bytes(serialization.Encoding.DER)
SAMPLES = {
    "x.cer": DER,
    "x.pem": LEAF.public_bytes(serialization.Encoding.PEM)
    + PKI.sub.cert.public_bytes(serialization.Encoding.PEM),
    "x.p7b": pkcs7.serialize_certificates([LEAF, PKI.sub.cert], serialization.Encoding.DER),
    "x.p12": pkcs12.serialize_key_and_certificates(
        b"x", None, LEAF, [PKI.sub.cert], serialization.BestAvailableEncryption(b"pw")
    ),
    "x.crl": PKI.crl().public_bytes(serialization.Encoding.DER),
}
STORE = TrustStore(
    [Authority.from_der(PKI.root.cert.public_bytes(serialization.Encoding.DER))],
    [Authority.from_der(PKI.sub.cert.public_bytes(serialization.Encoding.DER))],
    NOW,
    configured=True,
)


def _read_all(name: str, data: bytes) -> None:
    """What a worker does with a file: decode, then facts and chain for every certificate."""
    decoded = decode(name, data, b"pw")
    assert decoded.error is None or said(decoded.error)  # a reason with text that renders
    reader = FactsReader(load_policy().subject_identifiers.oids)
    for cert, der in zip(decoded.certs, decoded.ders, strict=True):
        try:
            parts, _ = reader.read(cert, der)
        except CertificateError:
            continue
        if parts is not None:
            STORE.validate(cert, tbs_of(der), parts.issuer)


@FUZZ
@given(name=st.sampled_from(SUFFIXES), data=st.binary(max_size=3000))
def test_random_bytes(name: str, data: bytes) -> None:
    _read_all(name, data)


@FUZZ
@given(name=st.sampled_from(sorted(SAMPLES)), cut=st.floats(min_value=0, max_value=1, exclude_max=True))
def test_truncated_files(name: str, cut: float) -> None:
    data = SAMPLES[name]
    truncated = data[: int(len(data) * cut)]
    _read_all(name, truncated)
    assert decode(name, truncated, b"pw").error is not None or name == "x.pem"


@FUZZ
@given(
    name=st.sampled_from(sorted(SAMPLES)),
    flips=st.lists(
        st.tuples(st.floats(min_value=0, max_value=1, exclude_max=True), st.integers(1, 255)), max_size=4
    ),
)
def test_bit_flipped_files(name: str, flips: list[tuple[float, int]]) -> None:
    data = bytearray(SAMPLES[name])
    for where, mask in flips:
        data[int(len(data) * where)] ^= mask
    _read_all(name, bytes(data))


@FUZZ
@given(
    flips=st.lists(
        st.tuples(
            st.integers(0, len(RSA_LEAF.public_bytes(serialization.Encoding.DER)) - 1), st.integers(1, 255)
        ),
        min_size=1,
        max_size=3,
    )
)
def test_bit_flipped_certificates_read_through_der_helpers(flips: list[tuple[int, int]]) -> None:
    """Flips that still parse as X.509 reach the DER readers (names, extensions, RSA key)."""
    data = bytearray(RSA_LEAF.public_bytes(serialization.Encoding.DER))
    for where, mask in flips:
        data[where] ^= mask
    try:
        cert = x509.load_der_x509_certificate(bytes(data))
    except (ValueError, x509.InvalidVersion):
        return
    with contextlib.suppress(CertificateError):
        FactsReader(("0.9.2342.19200300.100.1.1",)).read(cert, bytes(data))
    with contextlib.suppress(DerError):
        tbs_parts(bytes(data))


@FUZZ
@given(data=st.binary(max_size=2000))
def test_crl_and_ocsp_answers(data: bytes) -> None:
    issuer = STORE.authorities()[0]
    facts = FactsReader(("0.9.2342.19200300.100.1.1",)).read(LEAF, DER)[1]
    assert facts is not None
    with pytest.raises((ValueError, DerError)):
        CrlIndex.load("fuzz", data)
    try:
        verdict = judge_ocsp(data, facts, issuer, NOW, "http://127.0.5.2/ocsp")
    except (ValueError, DerError):
        return
    assert verdict.status == "unknown" and said(verdict.reason)


@FUZZ
@given(text=st.text(max_size=500))
def test_roster_text(text: str) -> None:
    with contextlib.suppress(RosterError):
        parse_roster("official_id,name,unit,position,status\n" + text, load_policy().roster_statuses, "r.csv")
