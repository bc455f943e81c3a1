"""Given a lab server with one known weakness, when the TLS family runs, then exactly these statuses.

Every scenario lists the status of every TLS check on its host. The baseline is the good portal;
each scenario names only what differs from it, and the comparison is on the full set. A host that
could not be examined has one root-cause ERROR (TLS-000), which answers for every check it blocked.
"""

from __future__ import annotations

from typing import Any

import pytest

from p06audit.model import Status
from p06audit.text import Message, Renderer, english
from tests.tls.conftest import TLS_CHECKS, TimedRun

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
    "core-refused": dict.fromkeys(NO_HSTS_CHECK, ERROR),
}


@pytest.mark.parametrize("host_name", SCENARIOS)
def test_exact_statuses(lab_run: TimedRun, host_name: str) -> None:
    assert lab_run.statuses(host_name) == SCENARIOS[host_name]


def evidence(run: TimedRun, host_name: str, check_id: str) -> dict[str, Any]:
    return run.finding(host_name, check_id).evidence


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
    problem = Message.from_json(missing["problem"])
    assert "p06audit Lab Issuing CA" in english(problem) and "not sent by the server" in english(problem)
    assert problem.key == "tls.issuer_not_sent" and "p06audit Lab Issuing CA" in problem.params["issuer"]
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


def reason(run: TimedRun, host_name: str) -> str:
    """The English reason of the host's single root-cause finding."""
    (finding,) = run.findings(host_name)
    said = finding.message.params["reason"]
    return english(said) if isinstance(said, Message) else str(said)


def test_hostile_hosts_say_why(lab_run: TimedRun) -> None:
    assert "data that is not TLS" in reason(lab_run, "tls-garbage")
    for name in ("tls-silent", "core-silent"):
        assert reason(lab_run, name) == "accepted TCP but sent no TLS answer within 3 s"


def test_a_silent_endpoint_is_one_root_cause_not_fifteen_errors(lab_run: TimedRun) -> None:
    """The silent portal gets one TLS-000 ERROR that names every TLS check it kept from running."""
    (finding,) = lab_run.findings("tls-silent")
    assert (finding.check_id, finding.status, finding.family) == ("TLS-000", ERROR, "tls")
    assert finding.blocked == tuple(sorted(TLS_CHECKS))
    assert finding.message.key == "core.not_examined"
    assert finding.message.params["reason"] == Message("tls.silent", {"seconds": 3})
    assert "sent no TLS answer within 3 s" in finding.summary
    assert "TLS-001, TLS-002" in finding.summary and "TLS-015" in finding.summary
    vietnamese = Renderer("vi")(finding.message)
    assert "không trả lời TLS trong 3 giây" in vietnamese and "TLS-015" in vietnamese


def test_a_refused_endpoint_blocks_only_the_checks_that_apply(lab_run: TimedRun) -> None:
    """An integration host has no HSTS check, so its root cause does not name TLS-011."""
    (finding,) = lab_run.findings("core-refused")
    assert finding.check_id == "TLS-000" and finding.blocked == tuple(sorted(TLS_CHECKS - {"TLS-011"}))
    assert reason(lab_run, "core-refused") == "connection refused on port 443 (no service listening)"
