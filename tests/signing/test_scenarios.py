"""Given the lab's officials' certificates (one defect each), a roster with each mismatch, and a
real CRL server and OCSP responder on 127.0.5.x, when the signing family audits them, then
exactly these checks fire per certificate, per roster row and per file."""

from __future__ import annotations

from pathlib import Path

from p06audit.checks.signing.lab_pki import CORRUPT_FILES, CRL_PATH, OCSP_ADDRESS
from p06audit.model import Run, Severity, Status
from tests.signing.conftest import AuditSigning, SigningLab, by_check, problems

FAIL, WARN, ERROR = "FAIL", "WARN", "ERROR"
# label → the non-PASS findings of that certificate when audited online with the roster
EXPECTED_CERTS: dict[str, set[tuple[str, str]]] = {
    "good": set(),
    "expired": {("SIGN-001", FAIL)},
    "expiring-5": {("SIGN-002", WARN)},
    "expiring-20": {("SIGN-002", WARN)},
    "expiring-45": {("SIGN-002", WARN)},
    "not-yet-valid": {("SIGN-003", FAIL)},
    "no-nonrepudiation": {("SIGN-004", FAIL)},
    "server-auth-eku": {("SIGN-005", FAIL)},
    "rsa-1024": {("SIGN-006", FAIL)},
    "roca": {("SIGN-006", FAIL)},
    "sha1": {("SIGN-007", FAIL)},
    "untrusted-issuer": {("SIGN-008", FAIL), ("SIGN-009", WARN)},
    "revoked-crl": {("SIGN-009", FAIL)},
    "revoked-ocsp": {("SIGN-009", FAIL)},
    "good-ocsp": set(),
    "ocsp-silent": {("SIGN-009", WARN)},
    "ocsp-garbage": {("SIGN-009", WARN)},
    "crl-refused": {("SIGN-009", WARN)},
    "six-years": {("SIGN-011", FAIL)},
    "renewal-old": {("SIGN-001", FAIL)},
    "renewal-4y": {("SIGN-011", FAIL)},
    "no-revocation-info": {("SIGN-012", FAIL), ("SIGN-009", WARN)},
    "not-on-roster": {("SIGN-102", FAIL)},
    "retired": {("SIGN-102", FAIL)},
    "two-old": {("SIGN-103", FAIL)},
    "two-new": set(),
    "unit-changed": {("SIGN-104", FAIL)},
    "position-changed": {("SIGN-104", FAIL)},
    "serial-matched": set(),
}
# official id → the non-PASS findings of that roster row
EXPECTED_ROWS: dict[str, set[tuple[str, str]]] = {
    "001085000002": {("SIGN-101", FAIL)},  # only certificate expired
    "001085000006": {("SIGN-101", FAIL)},  # only certificate not yet valid
    "001085000012": {("SIGN-101", FAIL)},  # only certificate from an untrusted CA
    "001085000013": {("SIGN-101", FAIL)},  # only certificate revoked (CRL)
    "001085000014": {("SIGN-101", FAIL)},  # only certificate revoked (OCSP)
    "001085000022": {("SIGN-101", FAIL)},  # no certificate at all
    "001085000028": {("SIGN-101", ERROR)},  # status 'on leave' is not a known status
}


def _cert_problems(run: Run, lab: SigningLab) -> dict[str, set[tuple[str, str]]]:
    """label → non-PASS findings, by the file each certificate was written to."""
    found = problems(run)
    labels = {}
    for label in EXPECTED_CERTS:
        file = lab.file_of(label)
        keys = [k for k in found if k.startswith(file + "#")]
        labels[label] = set().union(*(found[k] for k in keys)) if keys else set()
    return labels


def test_each_certificate_fires_exactly_its_checks(online: Run, signing_lab: SigningLab) -> None:
    assert _cert_problems(online, signing_lab) == EXPECTED_CERTS
    known = {signing_lab.file_of(label) for label in EXPECTED_CERTS}
    known |= set(EXPECTED_ROWS) | {str(signing_lab.sources / c) for c in CORRUPT_FILES}
    assert {resource.split("#")[0] for resource in problems(online)} <= known  # nothing else fired


def test_each_roster_row_fires_exactly_its_checks(online: Run) -> None:
    rows = {k: v for k, v in problems(online).items() if k.startswith("0010850000")}
    assert rows == EXPECTED_ROWS


def test_only_the_corrupt_files_are_errors_and_each_is_named(online: Run, signing_lab: SigningLab) -> None:
    errors = [f for f in by_check(online, "SIGN-010") if f.status is Status.ERROR]
    assert sorted(f.target.resource for f in errors) == sorted(
        str(signing_lab.sources / c) for c in CORRUPT_FILES
    )
    assert all(f.evidence["file"] in f.summary for f in errors)
    wrong_password = next(f for f in errors if f.target.resource.endswith(".p12"))
    assert "password" in wrong_password.summary


def test_every_certificate_has_exactly_one_expiry_finding_with_the_report_contract(online: Run) -> None:
    keys = {"holder", "unit", "issuer", "serial", "not_before", "not_after", "days_left", "file"}
    expiry = [f for f in online.findings if f.check_id in ("SIGN-001", "SIGN-002", "SIGN-003")]
    targets = [f.target.resource for f in expiry]
    assert len(targets) == len(set(targets)) == len(EXPECTED_CERTS)
    for finding in expiry:
        assert set(finding.evidence) == keys
        assert isinstance(finding.evidence["days_left"], int)
        assert int(finding.evidence["serial"], 16) > 0


def test_expiry_severity_grows_as_the_date_nears(online: Run, signing_lab: SigningLab) -> None:
    warned = {
        f.target.resource.split("#")[0]: f.severity
        for f in by_check(online, "SIGN-002")
        if f.status is Status.WARN
    }
    assert warned == {
        signing_lab.file_of("expiring-5"): Severity.CRITICAL,
        signing_lab.file_of("expiring-20"): Severity.HIGH,
        signing_lab.file_of("expiring-45"): Severity.MEDIUM,
    }


def test_roca_key_is_critical_and_short_key_high(online: Run, signing_lab: SigningLab) -> None:
    weak = {
        f.target.resource.split("#")[0]: f.severity
        for f in by_check(online, "SIGN-006")
        if f.status is Status.FAIL
    }
    assert weak == {
        signing_lab.file_of("roca"): Severity.CRITICAL,
        signing_lab.file_of("rsa-1024"): Severity.HIGH,
    }


def test_revocation_sources_and_reasons_come_from_the_real_servers(
    online: Run, signing_lab: SigningLab
) -> None:
    verdicts = {
        f.target.resource.split("#")[0]: f
        for f in by_check(online, "SIGN-009")
        if f.status is not Status.PASS
    }
    assert verdicts[signing_lab.file_of("revoked-crl")].evidence["source"].endswith(CRL_PATH)
    assert verdicts[signing_lab.file_of("revoked-crl")].evidence["reason"] == "key_compromise"
    assert verdicts[signing_lab.file_of("revoked-ocsp")].evidence["source"] == f"http://{OCSP_ADDRESS}/ocsp"
    assert "did not answer within" in verdicts[signing_lab.file_of("ocsp-silent")].summary
    assert "unreadable OCSP answer" in verdicts[signing_lab.file_of("ocsp-garbage")].summary
    assert "Connection refused" in verdicts[signing_lab.file_of("crl-refused")].summary
    unknown = [f for f in verdicts.values() if f.status is Status.WARN]
    assert unknown and all(f.summary.startswith("Revocation unknown") for f in unknown)


def test_shared_verdicts_fold_into_one_finding_per_site_with_counts(online: Run) -> None:
    passes = {f.check_id: f for f in online.findings if f.status is Status.PASS and "count" in f.evidence}
    total = len(EXPECTED_CERTS)
    assert passes["SIGN-004"].evidence["count"] == total - 1
    assert passes["SIGN-008"].evidence["count"] == total - 1
    assert passes["SIGN-006"].evidence["count"] == total - 2
    assert passes["SIGN-010"].target.resource == "signing certificate files"
    assert passes["SIGN-101"].evidence["count"] == 20  # 28 rows: 1 retired, 7 with findings


def test_the_same_certificate_in_two_files_is_audited_once(online: Run, signing_lab: SigningLab) -> None:
    good = [
        f
        for f in online.findings
        if f.check_id == "SIGN-002" and f.evidence["file"] == signing_lab.file_of("good")
    ]
    assert len(good) == 1
    assert not [f for f in online.findings if "good-copy.p12#" in (f.target.resource or "")]


def test_each_crl_is_fetched_once_per_run(signing_lab: SigningLab, audit_signing: AuditSigning) -> None:
    crl_server = signing_lab.server("signing-crl")
    before = crl_server.hits[CRL_PATH]
    audit_signing(sources=[signing_lab.sources], trust_anchors=signing_lab.trust_anchors)
    assert crl_server.hits[CRL_PATH] == before + 1  # about twenty certificates name this CRL


def test_offline_with_the_crl_file_nothing_is_fetched(
    signing_lab: SigningLab, audit_signing: AuditSigning
) -> None:
    crl_server, ocsp_server = signing_lab.server("signing-crl"), signing_lab.server("signing-ocsp")
    before = sum(crl_server.hits.values()) + sum(ocsp_server.hits.values())
    run = audit_signing(
        sources=[signing_lab.sources],
        trust_anchors=signing_lab.trust_anchors,
        crl_files=[signing_lab.crl_file],
    )
    assert sum(crl_server.hits.values()) + sum(ocsp_server.hits.values()) == before
    revocation = {
        f.target.resource.split("#")[0]: f.status.value
        for f in by_check(run, "SIGN-009")
        if f.status is not Status.PASS
    }
    assert revocation == {
        signing_lab.file_of("revoked-crl"): FAIL,
        signing_lab.file_of("revoked-ocsp"): FAIL,  # the CA's CRL lists it too
        signing_lab.file_of("untrusted-issuer"): WARN,  # another CA: this CRL cannot speak for it
    }
    assert not by_check(run, "SIGN-101")  # no roster configured: the roster checks do not apply


def test_without_trust_anchors_the_chain_is_skipped_once_per_site(
    signing_lab: SigningLab, audit_signing: AuditSigning
) -> None:
    run = audit_signing(sources=[signing_lab.sources], crl_files=[signing_lab.crl_file])
    chain = by_check(run, "SIGN-008")
    assert [f.status for f in chain] == [Status.SKIP]
    assert "trust_anchors" in chain[0].summary


def test_unreadable_anchors_and_roster_are_errors_not_passes(
    signing_lab: SigningLab, audit_signing: AuditSigning, tmp_path: Path
) -> None:
    broken = tmp_path / "anchors.pem"
    broken.write_bytes(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    run = audit_signing(
        sources=[signing_lab.sources],
        trust_anchors=broken,
        roster=tmp_path / "missing.csv",
        crl_files=[signing_lab.crl_file],
    )
    assert [f.status for f in by_check(run, "SIGN-008")] == [Status.ERROR]
    assert any(
        f.status is Status.ERROR and f.target.resource == str(broken) for f in by_check(run, "SIGN-010")
    )
    assert [f.status for f in by_check(run, "SIGN-101")] == [Status.ERROR]
    assert {f.status for f in by_check(run, "SIGN-102")} == {Status.ERROR}
    assert "missing.csv" in by_check(run, "SIGN-101")[0].summary


def test_a_missing_source_is_named_and_the_rest_is_audited(
    signing_lab: SigningLab, audit_signing: AuditSigning
) -> None:
    missing = signing_lab.directory / "no-such-folder"
    run = audit_signing(sources=[missing, signing_lab.sources], crl_files=[signing_lab.crl_file])
    errors = [f for f in by_check(run, "SIGN-010") if f.target.resource == str(missing)]
    assert [f.status for f in errors] == [Status.ERROR]
    assert len([f for f in run.findings if f.check_id in ("SIGN-001", "SIGN-002", "SIGN-003")]) == len(
        EXPECTED_CERTS
    )
