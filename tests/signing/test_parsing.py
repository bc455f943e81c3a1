"""The fast paths agree with cryptography and with each other: DER readers vs cryptography's
objects, worker processes vs this process; and the policy's limits reach the verdicts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from p06audit.checks.signing.der import name_attributes, tbs_parts
from p06audit.checks.signing.lab_pki import CERTS, OFFICIALS, GovernmentPki
from p06audit.checks.signing.parse import FactsReader, _extensions, _key
from p06audit.checks.signing.policy import load_policy
from p06audit.checks.signing.scan import PoolSpec, Request, scan
from p06audit.checks.signing.sources import find_files, read_file
from p06audit.model import Severity, Status
from tests.signing.conftest import AuditSigning, SigningLab, by_check

OIDS = load_policy().subject_identifiers.oids


def test_der_readers_agree_with_cryptography_on_every_lab_certificate(signing_lab: SigningLab) -> None:
    files, _ = find_files([signing_lab.sources])
    reader = FactsReader(OIDS)
    seen = 0
    for path in files:
        decoded = read_file(path, None)
        for cert, der in zip(decoded.certs, decoded.ders, strict=True):
            parts = tbs_parts(der)
            assert name_attributes(parts.subject) == [(a.oid.dotted_string, a.value) for a in cert.subject]
            assert parts.tbs == cert.tbs_certificate_bytes
            read_parts, facts = reader.read(cert, der)
            ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
            assert (read_parts is None) == ca
            if facts is not None:
                assert (
                    facts.key_usage,
                    facts.extended_key_usage,
                    facts.crl_urls,
                    facts.ocsp_urls,
                ) == _extensions(cert)
                assert (facts.key_type, facts.key_bits, facts.roca) == _key(cert)
                assert facts.serial == f"{cert.serial_number:X}"
                seen += 1
    assert seen >= len(CERTS)


def test_worker_processes_give_what_this_process_gives(signing_lab: SigningLab) -> None:
    files, _ = find_files([signing_lab.sources])
    anchors = read_file(signing_lab.trust_anchors, None).ders

    def make_pool(found: list[bytes]) -> PoolSpec:
        return PoolSpec(anchors, found, True, None, datetime.now(UTC))

    request = Request(files, None, OIDS)
    alone, shared = scan(request, make_pool, parts=1), scan(request, make_pool, parts=3)
    assert [(f.path, f.kind, f.certificates, f.problems) for f in alone.files] == [
        (f.path, f.kind, f.certificates, f.problems) for f in shared.files
    ]
    key = lambda leaf: leaf.facts.sha256  # noqa: E731
    assert sorted(alone.leaves, key=key) == sorted(shared.leaves, key=key)


def test_a_certificate_worker_imports_neither_pydantic_nor_the_inventory() -> None:
    """Each worker process starts while the main one waits: it loads only what reads certificates."""
    heavy = ("pydantic", "nornir", "p06audit.inventory", "p06audit.model")
    script = (
        f"import sys, p06audit.checks.signing.worker; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_warning_windows_from_the_inventory_override_the_policy(
    tmp_path: Path, audit_signing: AuditSigning
) -> None:
    pki = GovernmentPki(datetime.now(UTC))
    for days_left, official in zip((3, 40, 100), OFFICIALS, strict=False):
        cert = pki.issue(official, start=timedelta(days=days_left - 730), crl_urls=(), ocsp_urls=())
        (tmp_path / f"{days_left}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    default = by_check(audit_signing(sources=[tmp_path]), "SIGN-002")
    widened = by_check(audit_signing(sources=[tmp_path], warn_days=[120, 45, 10]), "SIGN-002")

    def verdicts(findings: list) -> dict[int, tuple[Status, Severity]]:  # type: ignore[type-arg]
        return {f.evidence["days_left"] + 1: (f.status, f.severity) for f in findings}

    assert verdicts(default) == {
        3: (Status.WARN, Severity.CRITICAL),
        40: (Status.WARN, Severity.MEDIUM),
        100: (Status.PASS, Severity.HIGH),
    }
    assert verdicts(widened) == {
        3: (Status.WARN, Severity.CRITICAL),
        40: (Status.WARN, Severity.HIGH),
        100: (Status.WARN, Severity.MEDIUM),
    }


def test_validity_limits_follow_the_regime(tmp_path: Path, audit_signing: AuditSigning) -> None:
    pki = GovernmentPki(datetime.now(UTC))
    for years in (3, 5, 6):
        cert = pki.issue(
            OFFICIALS[years], valid_for=timedelta(days=365 * years + 1), crl_urls=(), ocsp_urls=()
        )
        (tmp_path / f"{years}y.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    failed = sorted(
        Path(f.evidence["file"]).name
        for f in by_check(audit_signing(sources=[tmp_path]), "SIGN-011")
        if f.status is Status.FAIL
    )
    assert failed == ["6y.pem"]  # Decree 68/2024: at most 5 years for a new certificate


def test_validity_limit_counts_calendar_years_from_29_february(
    tmp_path: Path, audit_signing: AuditSigning
) -> None:
    """Five years from 2024-02-29 end on 2029-02-28, plus a day of grace: 1,827 days pass, 1,828 fail
    (longer than 5 * 365 + 1 days, so the exact calendar check decides, not the quick one)."""
    pki = GovernmentPki(datetime(2024, 2, 29, 8, tzinfo=UTC))
    for days in (1827, 1828):
        cert = pki.issue(OFFICIALS[days % 7], start=timedelta(0), valid_for=timedelta(days=days))
        (tmp_path / f"{days}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    verdicts = {
        Path(f.evidence["sample"][0] if "sample" in f.evidence else f.evidence["file"]).name.split("#")[
            0
        ]: f.status
        for f in by_check(audit_signing(sources=[tmp_path]), "SIGN-011")
    }
    assert verdicts == {"1827.pem": Status.PASS, "1828.pem": Status.FAIL}
