"""What OpenSSH 9.2 still serves and what it refuses, recorded with the real `sshd -t`.

The weak lab server uses everything it still accepts; what it refuses exists only in rule tests.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from p06audit.checks.ssh.lab import LEGACY_ONLY, WEAK
from p06audit.checks.ssh.lab_sshd import SSHD, keygen


def _sshd_test(tmp_path: Path, option: str, value: str) -> subprocess.CompletedProcess[str]:
    key = tmp_path / "host_key"
    if not key.exists():
        keygen(key, "ed25519", "test")
    config = tmp_path / "sshd_config"
    config.write_text(f"HostKey {key}\nListenAddress 127.0.4.250:2222\n{option} {value}\n")
    return subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("Ciphers", "arcfour", "Bad SSH2 cipher spec"),
        ("Ciphers", "arcfour256", "Bad SSH2 cipher spec"),
        ("Ciphers", "blowfish-cbc", "Bad SSH2 cipher spec"),
        ("Ciphers", "cast128-cbc", "Bad SSH2 cipher spec"),
        ("Ciphers", "rijndael-cbc@lysator.liu.se", "Bad SSH2 cipher spec"),
        ("MACs", "hmac-ripemd160", "Bad SSH2 mac spec"),
    ],
)
def test_openssh_refuses(tmp_path: Path, option: str, value: str, message: str) -> None:
    result = _sshd_test(tmp_path, option, value)
    assert result.returncode != 0 and message in result.stderr


@pytest.mark.parametrize(("option", "value"), [*WEAK.items(), *LEGACY_ONLY.items()])
def test_openssh_still_accepts_what_the_weak_lab_servers_use(tmp_path: Path, option: str, value: str) -> None:
    result = _sshd_test(tmp_path, option, value)
    assert result.returncode == 0, result.stderr
