"""Given each lab SSH server, when SSH-001..007 run against it, then exactly these statuses.

One real run of the anonymous probe over every scenario (real OpenSSH sshd, a garbage port, a
silent port, an SSH-1 banner) is shared by the module.
"""

from __future__ import annotations

from typing import Any

import pytest

from p06audit.checks.ssh.lab_sshd import LAB_SSH_PORT
from p06audit.inventory import load_inventory
from p06audit.model import Severity, Status
from p06audit.options import RunOptions
from p06audit.runner import Runner
from p06audit.text import Message, Renderer, english
from tests.conftest import host, site, write_inventory_files
from tests.ssh.conftest import ADDRESSES, SSH_CHECKS, TIMEOUT, Audit, AuditFn, SshLab, ssh_host

P, W, F, E = Status.PASS, Status.WARN, Status.FAIL, Status.ERROR

EXPECTED: dict[str, tuple[Status, ...]] = {
    #            001 002 003 004 005 006 007
    "hardened": (P, P, P, P, P, P, P),
    "weak": (P, F, F, F, F, F, P),
    "rotating": (P, P, P, P, P, P, P),
    "middling": (P, W, P, W, W, W, P),
    "legacy": (P, F, F, F, F, F, P),
    "garbage": (E, E, E, E, E, E, E),
    "silent": (E, E, E, E, E, E, E),
    "v1": (F, E, E, E, E, E, E),
}


@pytest.fixture(scope="module")
def scenario_run(ssh_lab: SshLab, tmp_path_factory: pytest.TempPathFactory) -> Audit:
    directory = tmp_path_factory.mktemp("ssh-scenarios")
    hosts = {name: ssh_host(name) for name in EXPECTED}
    inventory = load_inventory(
        write_inventory_files(directory / "inventory", {"lab-dc": site(level=3)}, hosts)
    )
    options = RunOptions(timeout=TIMEOUT, state_dir=directory / "state", checks=SSH_CHECKS)
    return Audit(Runner(inventory, options).execute())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_ssh_check_has_its_expected_status(scenario_run: Audit, name: str) -> None:
    seen = tuple(scenario_run.status(name, f"SSH-{n:03d}") for n in range(1, 8))
    assert seen == EXPECTED[name], [scenario_run.finding(name, f"SSH-{n:03d}").summary for n in range(1, 8)]


def _verdicts(evidence: dict[str, Any], key: str = "offered") -> dict[str, str]:
    return {item["name"]: item["verdict"] for item in evidence[key]}


def test_weak_server_evidence_lists_every_offered_algorithm_with_its_verdict(scenario_run: Audit) -> None:
    kex = _verdicts(scenario_run.finding("weak", "SSH-002").evidence)
    assert {n for n, v in kex.items() if v == "weak"} == {
        "diffie-hellman-group1-sha1",
        "diffie-hellman-group14-sha1",
        "diffie-hellman-group-exchange-sha1",
    }
    assert kex["curve25519-sha256"] == "ok"
    assert kex["kex-strict-s-v00@openssh.com"] == "signal"
    ciphers = _verdicts(scenario_run.finding("weak", "SSH-003").evidence)
    assert ciphers == {
        "aes128-cbc": "weak",
        "aes256-cbc": "weak",
        "3des-cbc": "weak",
        "aes128-ctr": "ok",
        "aes256-ctr": "ok",
    }
    macs = _verdicts(scenario_run.finding("weak", "SSH-004").evidence)
    assert macs == {
        "hmac-md5": "weak",
        "hmac-sha1": "weak",
        "hmac-sha1-96": "weak",
        "umac-64@openssh.com": "weak",
        "hmac-sha2-256": "ok",
    }
    sources = scenario_run.finding("weak", "SSH-004").evidence["sources"]
    assert "cis" in sources and "BSI" in sources["bsi"]


def test_host_keys_are_read_with_their_sizes(scenario_run: Audit) -> None:
    hardened = scenario_run.finding("hardened", "SSH-005").evidence["keys"]
    assert sorted((k["type"], k["bits"]) for k in hardened) == [
        ("ecdsa-sha2-nistp256", 256),
        ("ssh-ed25519", 256),
        ("ssh-rsa", 3072),
    ]
    weak = scenario_run.finding("weak", "SSH-005")
    assert [(k["type"], k["bits"], k["verdict"]) for k in weak.evidence["keys"]] == [
        ("ssh-rsa", 2048, "WARN")
    ]
    assert {a["name"]: a["verdict"] for a in weak.evidence["algorithms"]}["ssh-dss"] == "weak"
    notes = [english(Message.from_json(note)) for note in weak.evidence["notes"]]
    assert any(note.startswith("ssh-dss: offered") for note in notes)
    legacy = scenario_run.finding("legacy", "SSH-005").evidence["keys"]
    assert [(k["type"], k["bits"], k["verdict"]) for k in legacy] == [("ssh-rsa", 1024, "FAIL")]


def test_auth_methods_come_from_the_server(scenario_run: Audit) -> None:
    assert scenario_run.finding("hardened", "SSH-006").evidence["methods"] == ["publickey"]
    assert scenario_run.finding("weak", "SSH-006").evidence["methods"] == [
        "publickey",
        "password",
        "keyboard-interactive",
    ]
    assert scenario_run.finding("middling", "SSH-006").evidence["methods"] == [
        "publickey",
        "keyboard-interactive",
    ]


def test_first_contact_is_an_info_pass_with_the_keys_recorded(scenario_run: Audit) -> None:
    finding = scenario_run.finding("hardened", "SSH-007")
    assert (finding.status, finding.severity) == (Status.PASS, Severity.INFO)
    assert finding.evidence["pin"]["state"] == "recorded"
    assert len(finding.evidence["pin"]["recorded_now"]) == 3


def test_banner_and_software_are_recorded(scenario_run: Audit) -> None:
    evidence = scenario_run.finding("hardened", "SSH-001").evidence
    assert evidence["banner"].startswith("SSH-2.0-OpenSSH_9")
    assert evidence["software"].startswith("OpenSSH_")
    assert scenario_run.finding("v1", "SSH-001").evidence["protocol"] == "1.5"


def test_hostile_ports_end_in_error_with_a_reason(scenario_run: Audit) -> None:
    assert "not an SSH banner" in scenario_run.finding("garbage", "SSH-001").summary
    assert f"no SSH banner within {TIMEOUT:g} s" in scenario_run.finding("silent", "SSH-001").summary
    assert ADDRESSES["silent"] == scenario_run.finding("silent", "SSH-007").target.address


def _root_cause(audit: Audit, name: str) -> Any:
    [root] = [f for f in audit.run.findings if f.target.host == name]
    return root


@pytest.mark.parametrize(
    ("name", "reason"),
    [("silent", f"no SSH banner within {TIMEOUT:g} s"), ("garbage", "not an SSH banner")],
)
def test_a_port_that_is_not_ssh_is_one_root_cause_blocking_every_check(
    scenario_run: Audit, name: str, reason: str
) -> None:
    root = _root_cause(scenario_run, name)
    assert (root.check_id, root.family, root.status) == ("SSH-000", "ssh", Status.ERROR)
    assert root.blocked == tuple(sorted(SSH_CHECKS))
    assert root.evidence == {"blocked": sorted(SSH_CHECKS)}
    assert reason in english(root.message.params["reason"])
    assert (root.target.address, root.target.port) == (ADDRESSES[name], LAB_SSH_PORT)


def test_a_refused_connection_is_one_root_cause_in_both_languages(ssh_lab: SshLab, audit: AuditFn) -> None:
    closed = host("127.0.4.30", "lab-dc", ["app_server"], ssh={"port": LAB_SSH_PORT})
    root = _root_cause(audit({"closed": closed}, SSH_CHECKS), "closed")
    assert (root.check_id, root.blocked) == ("SSH-000", tuple(sorted(SSH_CHECKS)))
    assert "connection refused (nothing listens on the SSH port)" in root.summary
    assert Renderer("vi")(root.message) == (
        "Không kiểm tra được đối tượng này: kết nối bị từ chối "
        "(không có dịch vụ nào lắng nghe trên cổng SSH). Các kiểm tra không thực hiện được: "
        "SSH-001, SSH-002, SSH-003, SSH-004, SSH-005, SSH-006, SSH-007."
    )


def test_scenario_findings_read_in_vietnamese(scenario_run: Audit) -> None:
    vi = Renderer("vi")
    assert f"không nhận được lời chào SSH trong {TIMEOUT:g} giây" in vi(
        _root_cause(scenario_run, "silent").message
    )
    assert vi(scenario_run.finding("v1", "SSH-001").message) == (
        "Máy chủ dùng giao thức SSH 1.5, không phải SSH-2 (Cisco-1.25)."
    )
    assert vi(scenario_run.finding("weak", "SSH-003").message) == (
        "Máy chủ đề nghị thuật toán mã hoá yếu: aes128-cbc, aes256-cbc, 3des-cbc."
    )
    assert vi(scenario_run.finding("middling", "SSH-006").message) == (
        "Máy chủ cho phép keyboard-interactive; phương thức này thường hỏi mật khẩu tài khoản qua PAM."
    )
    assert vi(scenario_run.finding("hardened", "SSH-007").message).startswith(
        "Kết nối lần đầu: đã ghim 3 khoá máy chủ vào "
    )


def test_password_auth_is_a_warning_below_security_level_three(ssh_lab: SshLab, audit: AuditFn) -> None:
    result = audit({"weak-psc": ssh_host("weak", "lab-psc")}, ["SSH-006"])
    finding = result.finding("weak-psc", "SSH-006")
    assert finding.status is Status.WARN
    assert finding.evidence["security_level"] == 2
