"""Chain building to the configured trust anchors: each way a chain breaks gives its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from p06audit.checks.signing.chain import Authority, TrustStore
from p06audit.checks.signing.der import tbs_of, tbs_parts
from p06audit.checks.signing.facts import (
    CHAIN_ERROR,
    CHAIN_INVALID,
    CHAIN_UNCONFIGURED,
    CHAIN_VALID,
    ChainResult,
    reason,
)
from p06audit.checks.signing.lab_pki import OFFICIALS, GovernmentPki
from tests.signing.conftest import said

NOW = datetime.now(UTC)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _authority(cert: x509.Certificate) -> Authority:
    return Authority.from_der(_der(cert))


def _validate(store: TrustStore, cert: x509.Certificate) -> tuple[ChainResult, str | None]:
    der = _der(cert)
    return store.validate(cert, tbs_of(der), tbs_parts(der).issuer)


@pytest.fixture(scope="module")
def pki() -> GovernmentPki:
    return GovernmentPki(NOW)


def _store(pki: GovernmentPki, *intermediates: x509.Certificate, **kwargs: object) -> TrustStore:
    options = {"configured": True, **kwargs}
    return TrustStore(
        [_authority(pki.root.cert)],
        [_authority(c) for c in intermediates],
        NOW,
        **options,  # type: ignore[arg-type]
    )


def test_a_leaf_chains_through_its_intermediate(pki: GovernmentPki) -> None:
    result, issuer = _validate(_store(pki, pki.sub.cert), pki.issue(OFFICIALS[0]))
    assert result == ChainResult(
        CHAIN_VALID, None, ("Public Service Signing CA (lab)", "Government Signing Root CA (lab)")
    )
    assert issuer == _authority(pki.sub.cert).sha256


def test_a_missing_intermediate_is_named(pki: GovernmentPki) -> None:
    result, issuer = _validate(_store(pki), pki.issue(OFFICIALS[0]))
    assert result.status == CHAIN_INVALID and issuer is None
    assert "'Public Service Signing CA (lab)' is not among the trust anchors" in said(result.reason)


def test_an_expired_intermediate_breaks_the_chain(pki: GovernmentPki) -> None:
    old = GovernmentPki(NOW - timedelta(days=365 * 25))  # its CAs expired five years ago
    leaf = old.issue(OFFICIALS[0], start=timedelta(days=365 * 25 - 10))
    store = TrustStore([_authority(old.root.cert)], [_authority(old.sub.cert)], NOW, configured=True)
    result, issuer = _validate(store, leaf)
    assert result.status == CHAIN_INVALID and "expired on" in said(result.reason)
    assert issuer is not None  # the CA did sign it: revocation can still be asked


def test_a_forged_certificate_with_the_right_issuer_name_fails(pki: GovernmentPki) -> None:
    impostor = GovernmentPki(NOW)  # same names, other keys
    result, issuer = _validate(_store(pki, pki.sub.cert), impostor.issue(OFFICIALS[0]))
    assert result.status == CHAIN_INVALID and issuer is None
    assert "signature does not verify" in said(result.reason)


def test_an_intermediate_signed_by_another_root_fails(pki: GovernmentPki) -> None:
    other = GovernmentPki(NOW)
    result, _ = _validate(_store(pki, other.sub.cert), other.issue(OFFICIALS[0]))
    assert result.status == CHAIN_INVALID and "signature does not verify" in said(result.reason)


def test_a_sha1_signed_certificate_still_chains(pki: GovernmentPki) -> None:
    leaf = pki.issue(OFFICIALS[0], sha1=True)
    assert leaf.signature_hash_algorithm is not None and leaf.signature_hash_algorithm.name == "sha1"
    result, _ = _validate(_store(pki, pki.sub.cert), leaf)
    assert result.status == CHAIN_VALID  # the weak hash is SIGN-007's finding, not a broken chain


def test_without_anchors_or_with_unreadable_ones_nothing_is_claimed(pki: GovernmentPki) -> None:
    leaf = pki.issue(OFFICIALS[0])
    unconfigured = TrustStore([], [_authority(pki.sub.cert)], NOW, configured=False)
    result, issuer = _validate(unconfigured, leaf)
    assert result.status == CHAIN_UNCONFIGURED and issuer is not None
    broken = TrustStore(
        [],
        [_authority(pki.sub.cert)],
        NOW,
        configured=True,
        anchors_problem=reason("signing.holds_no_certificate"),
    )
    verdict = _validate(broken, leaf)[0]
    assert verdict.status == CHAIN_ERROR
    assert said(verdict.reason) == "trust anchors unreadable: holds no certificate"
