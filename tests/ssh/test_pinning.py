"""Given a host whose key is pinned, when its key is replaced and the audit runs again, then SSH-007
is FAIL critical and the sshd's own VERBOSE log shows that nothing authenticated was attempted."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

from p06audit.model import Severity, Status
from tests.ssh.conftest import SSH_CHECKS, AuditFn, SshLab, ssh_host, with_key

CHECKS = SSH_CHECKS | {"SSH-008"}
# What sshd (LogLevel VERBOSE) writes for any user-authentication request, whatever the method.
AUTH_MARKERS = (
    "Accepted",
    "Failed",
    "Invalid user",
    "Postponed",
    "authentication",
    "for root",
    "p06audit-probe",
)


def test_changed_host_key_fails_critical_and_no_credential_is_sent(
    ssh_lab: SshLab, audit: AuditFn, tmp_path: Path
) -> None:
    server = ssh_lab.server("rotating")
    hosts = {"rotating": ssh_host("rotating", **with_key(ssh_lab))}
    state = tmp_path / "state"

    mark = ssh_lab.log_mark("rotating")
    first = audit(hosts, CHECKS, state)
    assert first.status("rotating", "SSH-008") is Status.PASS
    first_log = ssh_lab.log_since("rotating", mark)
    assert "Accepted publickey for root" in first_log, "the log must show a login when one happens"
    assert "Invalid user p06audit-probe" in first_log, "the log must show the anonymous auth query"

    server.rotate_host_keys()
    mark = ssh_lab.log_mark("rotating")
    second = audit(hosts, CHECKS, state)
    log = ssh_lab.log_since("rotating", mark)

    pin = second.finding("rotating", "SSH-007")
    assert (pin.status, pin.severity) == (Status.FAIL, Severity.CRITICAL)
    [change] = pin.evidence["pin"]["changes"]
    assert change["type"] == "ssh-ed25519" and change["pinned"] != change["seen"]
    login = second.finding("rotating", "SSH-008")
    assert login.status is Status.ERROR and "no credential was sent" in login.summary
    assert second.status("rotating", "SSH-006") is Status.ERROR
    assert log.count("Connection from 127.0.0.1") >= 2, log
    assert [m for m in AUTH_MARKERS if m in log] == [], log


def test_a_pin_removed_with_ssh_keygen_is_recorded_again(
    ssh_lab: SshLab, audit: AuditFn, tmp_path: Path
) -> None:
    hosts = {"rotating": ssh_host("rotating")}
    state = tmp_path / "state"
    audit(hosts, SSH_CHECKS, state)
    known_hosts = state / "ssh_known_hosts"
    entry = "[127.0.4.3]:2222"
    found = subprocess.run(
        ["ssh-keygen", "-F", entry, "-f", str(known_hosts)], capture_output=True, text=True
    )
    assert found.returncode == 0 and "ssh-ed25519" in found.stdout

    ssh_lab.server("rotating").rotate_host_keys()
    assert audit(hosts, SSH_CHECKS, state).status("rotating", "SSH-007") is Status.FAIL
    subprocess.run(["ssh-keygen", "-R", entry, "-f", str(known_hosts)], check=True, capture_output=True)
    again = audit(hosts, SSH_CHECKS, state).finding("rotating", "SSH-007")
    assert (again.status, again.severity, again.evidence["pin"]["state"]) == (
        Status.PASS,
        Severity.INFO,
        "recorded",
    )


def test_an_unchanged_key_matches_the_pin_of_an_earlier_run(
    ssh_lab: SshLab, audit: AuditFn, tmp_path: Path
) -> None:
    hosts = {"hardened": ssh_host("hardened")}
    state = tmp_path / "state"
    first = audit(hosts, SSH_CHECKS, state).finding("hardened", "SSH-007")
    second = audit(hosts, SSH_CHECKS, state).finding("hardened", "SSH-007")
    assert second.status is Status.PASS and second.severity is Severity.CRITICAL
    assert second.evidence["pin"]["state"] == "matched"
    assert sorted(second.evidence["pin"]["matched"]) == sorted(first.evidence["pin"]["recorded_now"])


def test_a_host_that_stops_offering_its_pinned_key_type_is_treated_as_changed(
    ssh_lab: SshLab, audit: AuditFn, tmp_path: Path
) -> None:
    """middling has only an RSA key; a pin of another type for it means someone else answers."""
    state = tmp_path / "state"
    state.mkdir()
    pinned = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + bytes(36)).decode()
    (state / "ssh_known_hosts").write_text(f"[127.0.4.5]:2222 ssh-ed25519 {pinned}\n")
    mark = ssh_lab.log_mark("middling")
    result = audit({"middling": ssh_host("middling", **with_key(ssh_lab))}, CHECKS, state)
    log = ssh_lab.log_since("middling", mark)
    pin = result.finding("middling", "SSH-007")
    assert pin.status is Status.FAIL and "no longer shows any pinned key" in pin.summary
    login = result.finding("middling", "SSH-008")
    assert login.status is Status.ERROR and "no longer offers its pinned key type" in login.summary
    assert [m for m in AUTH_MARKERS if m in log] == [], log
