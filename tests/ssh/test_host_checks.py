"""Given lab sshd hosts and the lab's client key, when the authenticated checks run, then the probes'
real output (over the real SSH connection) gives these statuses.

The lab host is this machine, logged into as root through each lab sshd. SSH-008 reads the lab
sshd's own config; HOST-001..004 read this machine, so their expectations are worked out here from
the machine itself by simpler independent means (which tools exist, what apt lists).
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from p06audit.checks.host.collect import run_probe
from p06audit.checks.host.commands import PROBES
from p06audit.checks.ssh.session import login
from p06audit.inventory import load_inventory
from p06audit.model import Status
from p06audit.options import RunOptions
from p06audit.records import RunRecord
from p06audit.runner import Runner
from p06audit.text import Renderer, english
from tests.conftest import site, write_inventory_files
from tests.ssh.conftest import AUTH_CHECKS, TIMEOUT, Audit, AuditFn, SshLab, ssh_host, with_key

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])


def _has(tool: str) -> bool:
    if tool == "journal-upload":
        return any(Path(d, "systemd-journal-upload").exists() for d in ("/lib/systemd", "/usr/lib/systemd"))
    return shutil.which(tool, path=SBIN_PATH) is not None


def _run(directory: Path, hosts: dict[str, Any], checks: frozenset[str]) -> Audit:
    groups = {"lab-dc": site(level=3), "lab-psc": site("public_service_centre", level=2)}
    inventory = load_inventory(write_inventory_files(directory / "inventory", groups, hosts))
    options = RunOptions(timeout=TIMEOUT * 2, state_dir=directory / "state", checks=checks)
    return Audit(Runner(inventory, options).execute())


@pytest.fixture(scope="module")
def host_run(ssh_lab: SshLab, tmp_path_factory: pytest.TempPathFactory) -> Audit:
    """Every authenticated check on one host (HOST-001..004 read this machine, the same for all)."""
    hosts = {"hardened": ssh_host("hardened", **with_key(ssh_lab))}
    return _run(tmp_path_factory.mktemp("host-checks"), hosts, AUTH_CHECKS)


@pytest.fixture(scope="module")
def sshd_run(ssh_lab: SshLab, tmp_path_factory: pytest.TempPathFactory) -> Audit:
    key = with_key(ssh_lab)
    hosts = {
        "hardened": ssh_host("hardened", **key),
        "weak": ssh_host("weak", **key),
        "middling": ssh_host("middling", group="lab-psc", **key),
    }
    return _run(tmp_path_factory.mktemp("sshd-settings"), hosts, frozenset({"SSH-008"}))


def _settings(audit: Audit, name: str) -> dict[str, str]:
    return {s["keyword"]: s["verdict"] for s in audit.finding(name, "SSH-008").evidence["settings"]}


def test_sshd_t_reads_the_config_of_the_sshd_that_serves_the_session(
    sshd_run: Audit, ssh_lab: SshLab
) -> None:
    for name in ("hardened", "weak", "middling"):
        assert sshd_run.finding(name, "SSH-008").evidence["config"] == str(ssh_lab.server(name).config_file)


def test_ssh_008_statuses_follow_the_effective_settings(sshd_run: Audit) -> None:
    assert sshd_run.status("hardened", "SSH-008") is Status.PASS
    assert set(_settings(sshd_run, "hardened").values()) == {"PASS"}
    assert sshd_run.status("middling", "SSH-008") is Status.PASS
    weak = sshd_run.finding("weak", "SSH-008")
    assert weak.status is Status.FAIL
    assert {k: v for k, v in _settings(sshd_run, "weak").items() if v != "PASS"} == {
        "permitrootlogin": "FAIL",
        "passwordauthentication": "FAIL",
        "maxauthtries": "FAIL",
        "x11forwarding": "FAIL",
        "loglevel": "FAIL",
    }
    values = {s["keyword"]: s["value"] for s in weak.evidence["settings"]}
    assert values["maxauthtries"] == "6" and values["loglevel"] == "ERROR"


def test_a_command_the_host_lacks_is_a_skip_naming_it(host_run: Audit) -> None:
    lists = (
        ("HOST-002", {"rsyslog": "rsyslogd", "syslog-ng": "syslog-ng", "journal-upload": "journal-upload"}),
        ("HOST-003", {"nft": "nft", "iptables": "iptables", "ufw": "ufw"}),
    )
    for check_id, tools in lists:
        finding = host_run.finding("hardened", check_id)
        if any(_has(t) for t in tools.values()):
            assert finding.status in (Status.PASS, Status.FAIL, Status.ERROR), finding.summary
        else:
            assert finding.status is Status.SKIP, finding.summary
            assert finding.evidence["missing"] == list(tools)


def test_clock_check_reads_the_tools_the_host_has(host_run: Audit) -> None:
    finding = host_run.finding("hardened", "HOST-001")
    present = [t for t in ("timedatectl", "chronyc", "ntpq") if _has(t)]
    if not present:
        assert finding.status is Status.SKIP
        return
    assert [r["tool"] for r in finding.evidence["readings"]] == present
    assert finding.status in (Status.PASS, Status.WARN, Status.FAIL)


@pytest.mark.skipif(not _has("apt"), reason="the lab machine has no apt (Debian is the supported lab)")
def test_pending_security_updates_match_what_apt_lists_here(host_run: Audit) -> None:
    listed = subprocess.run(
        ["apt", "list", "--upgradable"], capture_output=True, text=True, check=True
    ).stdout
    security = [line for line in listed.splitlines() if "/" in line and "security" in line.split()[0]]
    finding = host_run.finding("hardened", "HOST-004")
    assert finding.evidence["pending_security"] == len(security)
    assert finding.status in ({Status.FAIL} if security else {Status.PASS, Status.WARN})


def test_probe_output_over_ssh_equals_the_same_command_run_here(ssh_lab: SshLab, tmp_path: Path) -> None:
    """The collector transports real output faithfully (sshd's differs: it reads the lab config)."""
    inventory = load_inventory(
        write_inventory_files(
            tmp_path / "inv", {"lab-dc": site()}, {"hardened": ssh_host("hardened", **with_key(ssh_lab))}
        )
    )
    options = RunOptions(timeout=10, state_dir=tmp_path / "state")
    stable = [p for p in PROBES if p.name not in ("sshd", "apt", "dnf")]
    with login(inventory.hosts["hardened"], options, inventory) as transport:
        remote = {p.name: run_probe(transport, p, options.timeout) for p in stable}
    for probe in stable:
        local = subprocess.run(shlex.split(probe.command), capture_output=True, text=True)
        assert (remote[probe.name].exit_status, remote[probe.name].stdout) == (
            local.returncode,
            local.stdout,
        ), probe.name


def test_failed_login_is_an_error_naming_the_host_and_never_the_secret(
    ssh_lab: SshLab, audit: AuditFn, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Wr0ng-Lab-Passw0rd-7f3a"
    monkeypatch.setenv("P06_TEST_SSH_PASSWORD", secret)
    caplog.set_level(logging.DEBUG)
    hosts = {"weak-password": ssh_host("weak", username="root", password_env="P06_TEST_SSH_PASSWORD")}
    result = audit(hosts, {"SSH-008", "HOST-001"})
    for check_id in ("SSH-008", "HOST-001"):
        finding = result.finding("weak-password", check_id)
        assert finding.status is Status.ERROR
        assert "weak-password (127.0.4.2:2222)" in finding.summary and "password rejected" in finding.summary
    [root] = result.run.findings
    assert (root.check_id, root.family, root.blocked) == ("HOST-000", "host", ("HOST-001", "SSH-008"))
    assert (
        english(root.message.params["reason"])
        == "login to weak-password (127.0.4.2:2222) failed: password rejected"
    )
    assert Renderer("vi")(root.message.params["reason"]) == (
        "Đăng nhập vào weak-password (127.0.4.2:2222) không thành công: mật khẩu bị từ chối"
    )
    assert secret not in RunRecord.of(result.run).model_dump_json()
    assert secret not in caplog.text


def test_a_missing_secret_is_an_error_naming_the_variable(
    ssh_lab: SshLab, audit: AuditFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("P06_TEST_UNSET_PASSWORD", raising=False)
    hosts = {"no-secret": ssh_host("hardened", username="root", password_env="P06_TEST_UNSET_PASSWORD")}
    finding = audit(hosts, {"SSH-008"}).finding("no-secret", "SSH-008")
    assert finding.status is Status.ERROR
    assert "P06_TEST_UNSET_PASSWORD is not set" in finding.summary


def test_an_encrypted_key_without_its_passphrase_is_an_error(
    ssh_lab: SshLab, audit: AuditFn, tmp_path: Path
) -> None:
    key = tmp_path / "encrypted"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "lab-passphrase", "-f", str(key)], check=True)
    finding = audit({"enc": ssh_host("hardened", username="root", key_file=str(key))}, {"SSH-008"}).finding(
        "enc", "SSH-008"
    )
    assert finding.status is Status.ERROR and "key_passphrase_env" in finding.summary


def test_no_login_over_a_server_that_offers_only_weak_algorithms(ssh_lab: SshLab, audit: AuditFn) -> None:
    mark = ssh_lab.log_mark("legacy")
    finding = audit({"legacy": ssh_host("legacy", **with_key(ssh_lab))}, {"SSH-008"}).finding(
        "legacy", "SSH-008"
    )
    log = ssh_lab.log_since("legacy", mark)
    assert finding.status is Status.ERROR and "no secure SSH session" in finding.summary
    assert "Connection from 127.0.0.1" in log
    assert "Accepted" not in log and "Failed" not in log and "root" not in log
