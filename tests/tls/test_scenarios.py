"""Given a lab server with one known weakness, when the TLS family runs, then exactly these statuses.

Every scenario lists the status of every TLS check on its host. The baseline is the good portal;
each scenario names only what differs from it, and the comparison is on the full set.
"""

from __future__ import annotations

import pytest

from audit.model import Status
from tests.tls.conftest import TimedRun

PASS, FAIL, WARN, ERROR, SKIP = Status.PASS, Status.FAIL, Status.WARN, Status.ERROR, Status.SKIP

# A good lab portal: nothing fails; no DHE suites (TLS-013 SKIP) and no public root (TLS-014 SKIP).
GOOD = {f"TLS-{n:03d}": PASS for n in range(1, 16)} | {"TLS-013": SKIP, "TLS-014": SKIP}
NO_HSTS_CHECK = {k: v for k, v in GOOD.items() if k != "TLS-011"}  # not a web_portal
ALL_ERROR = dict.fromkeys(GOOD, ERROR)


def expect(base: dict[str, Status] = GOOD, **changes: Status) -> dict[str, Status]:
    return base | {k.replace("_", "-"): v for k, v in changes.items()}


SCENARIOS = {
    "tls-good": expect(),
    "tls-old-versions": expect(TLS_002=FAIL),
    "tls-ssl3": expect(NO_HSTS_CHECK, TLS_001=FAIL, TLS_002=FAIL, TLS_013=PASS),
    "tls-rc4-3des": expect(TLS_004=FAIL),
    "tls-dh1024": expect(TLS_013=FAIL),
    "tls-expired": expect(TLS_008=FAIL),
    "tls-not-yet-valid": expect(TLS_008=FAIL),
    "tls-wrong-name": expect(TLS_007=FAIL),
    "tls-self-signed": expect(TLS_006=FAIL),
    "tls-untrusted-ca": expect(TLS_006=FAIL),
    "tls-rsa1024": expect(TLS_009=FAIL),
    "tls-sha1": expect(TLS_010=FAIL),
    "tls-no-intermediate": expect(TLS_006=FAIL),
    "tls-expiring": expect(TLS_008=WARN),
    "tls-no-hsts": expect(TLS_011=FAIL),
    "tls-garbage": ALL_ERROR,
    "tls-silent": ALL_ERROR,
    # Foundation hosts: their certificates carry no CRL/OCSP URL, so TLS-015 fails on both.
    "core-good": expect(),
    "core-expired": expect(TLS_008=FAIL),
    "core-silent": ALL_ERROR,
}


@pytest.mark.parametrize("host_name", SCENARIOS)
def test_exact_statuses(lab_run: TimedRun, host_name: str) -> None:
    assert lab_run.statuses(host_name) == SCENARIOS[host_name]


def evidence(run: TimedRun, host_name: str, check_id: str) -> dict:  # type: ignore[type-arg]
    (finding,) = [f for f in run.findings(host_name) if f.check_id == check_id]
    return finding.evidence


def test_evidence_lets_an_officer_act(lab_run: TimedRun) -> None:
    """What was seen is in the finding: suites, chain subjects, dates, key sizes, header values."""
    weak = evidence(lab_run, "tls-rc4-3des", "TLS-004")["weak_suites"]
    assert weak == {
        "TLS 1.2 TLS_ECDHE_RSA_WITH_RC4_128_SHA": ["RC4"],
        "TLS 1.2 TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA": ["3DES"],
    }
    assert evidence(lab_run, "tls-ssl3", "TLS-001")["accepted_suites"]["SSL 3.0"]
    assert set(evidence(lab_run, "tls-dh1024", "TLS-013")["dh_groups"].values()) == {1024}
    (rsa,) = evidence(lab_run, "tls-rsa1024", "TLS-009")["certificates"]
    assert "RSA 1024" in rsa["keys"].values()
    (sha1,) = evidence(lab_run, "tls-sha1", "TLS-010")["certificates"]
    assert sha1["signature_hashes"]["CN=sha1.tls.lab.p06.test,O=p06audit lab,C=VN"] == "sha1"
    (missing,) = evidence(lab_run, "tls-no-intermediate", "TLS-006")["certificates"]
    assert "p06audit Lab Issuing CA" in missing["problem"] and "not sent by the server" in missing["problem"]
    (expiring,) = evidence(lab_run, "tls-expiring", "TLS-008")["certificates"]
    assert 9 <= expiring["days_left"] <= 10 and expiring["warn_days"] == 30
    (wrong,) = evidence(lab_run, "tls-wrong-name", "TLS-007")["certificates"]
    assert wrong["expected"] == "wrongname.tls.lab.p06.test"
    assert wrong["dns_names"] == ["other.tls.lab.p06.test"]
    hsts = evidence(lab_run, "tls-good", "TLS-011")
    assert hsts["max_age"] == 31536000 and hsts["include_subdomains"] is True
    assert evidence(lab_run, "tls-no-hsts", "TLS-011")["header_present"] is False
    protocols = evidence(lab_run, "tls-good", "TLS-003")
    assert protocols["accepted_protocols"] == ["TLS 1.2", "TLS 1.3"]


def test_hostile_hosts_say_why(lab_run: TimedRun) -> None:
    reasons = {
        name: {f.evidence["reason"] for f in lab_run.findings(name)}
        for name in ("tls-garbage", "tls-silent", "core-silent")
    }
    (garbage,) = reasons["tls-garbage"]
    assert "data that is not TLS" in garbage
    for name in ("tls-silent", "core-silent"):
        (silent,) = reasons[name]
        assert silent == "accepted TCP but sent no TLS answer within 3 s"
