"""Lab server kind: a real OpenSSH sshd on one 127.x address, with its own config, keys and PID.

Each server lives in `<workdir>/sshd/<name>/`: config, host keys (generated with ssh-keygen, kept
across restarts unless `fresh_keys` is set), PidFile and a VERBOSE log. The audit logs in as root
with the lab's client key: every lab sshd names that key in `AuthorizedKeysFile` and allows no
other user (`AllowUsers root`), and root's password hash is never touched, so a weak server with
password logins on still lets nobody in by password. Logging in as root keeps the machine free of
lab accounts and lets `sshd -T` read the lab host keys, as an audit account with sudo would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from p06audit.lab import LabError
from p06audit.lab.servers import LabServer, require_loopback

SSHD = "/usr/sbin/sshd"
LAB_SSH_PORT = 2222
LAB_LOGIN_USER = "root"
PRIVSEP_DIR = Path("/run/sshd")
READY_WAIT = 10.0

# ssh-keygen arguments per host-key kind.
KEY_KINDS: dict[str, list[str]] = {
    "ed25519": ["-t", "ed25519"],
    "ecdsa256": ["-t", "ecdsa", "-b", "256"],
    "rsa1024": ["-t", "rsa", "-b", "1024"],
    "rsa2048": ["-t", "rsa", "-b", "2048"],
    "rsa3072": ["-t", "rsa", "-b", "3072"],
    "dsa": ["-t", "dsa"],
}


def keygen(path: Path, kind: str, comment: str) -> Path:
    """A new unencrypted key pair at `path` (+ .pub), replacing any old one."""
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".pub").unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", *KEY_KINDS[kind], "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return path


@dataclass(frozen=True)
class LabClientKey:
    """The key the audit logs in with, and the authorized_keys file every lab sshd reads."""

    private_key: Path
    authorized_keys: Path

    @classmethod
    def ensure(cls, workdir: Path) -> LabClientKey:
        directory = workdir / "ssh"
        directory.mkdir(parents=True, exist_ok=True)
        key = directory / "id_ed25519"
        if not key.exists():
            keygen(key, "ed25519", "p06audit-lab-client")
        authorized = directory / "authorized_keys"
        authorized.write_text(key.with_name(key.name + ".pub").read_text())
        return cls(key, authorized)


HARDENED: dict[str, str] = {
    "KexAlgorithms": (
        "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"
        "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group16-sha512,"
        "diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256"
    ),
    "Ciphers": (
        "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
        "aes256-ctr,aes192-ctr,aes128-ctr"
    ),
    "MACs": (
        "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com,"
        "hmac-sha2-512,hmac-sha2-256,umac-128@openssh.com"
    ),
    "HostKeyAlgorithms": "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
    "PasswordAuthentication": "no",
    "KbdInteractiveAuthentication": "no",
    "PermitRootLogin": "prohibit-password",
    "PermitEmptyPasswords": "no",
    "MaxAuthTries": "3",
    "X11Forwarding": "no",
    "LogLevel": "VERBOSE",
}


class SshdServer(LabServer):
    """`/usr/sbin/sshd -D -f <own config>`, started and stopped by its PID."""

    def __init__(
        self,
        name: str,
        address: str,
        workdir: Path,
        host_keys: Sequence[str],
        options: Mapping[str, str],
        description: str,
        *,
        port: int = LAB_SSH_PORT,
        fresh_keys: bool = False,
    ) -> None:
        require_loopback(address)
        self.name, self.address, self.port, self.description = name, address, port, description
        self.workdir = workdir
        self.directory = workdir / "sshd" / name
        self.host_keys = tuple(host_keys)
        self.options = dict(options)
        self.fresh_keys = fresh_keys
        self.client: LabClientKey | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def config_file(self) -> Path:
        return self.directory / "sshd_config"

    @property
    def log_file(self) -> Path:
        return self.directory / "sshd.log"

    def key_file(self, kind: str) -> Path:
        return self.directory / f"ssh_host_{kind}_key"

    def _write_config(self, client: LabClientKey) -> None:
        lines = [
            f"ListenAddress {self.address}:{self.port}",
            f"PidFile {self.directory / 'sshd.pid'}",
            *(f"HostKey {self.key_file(kind)}" for kind in self.host_keys),
            f"AuthorizedKeysFile {client.authorized_keys}",
            f"AllowUsers {LAB_LOGIN_USER}",
            # Lab workdirs live under /tmp, whose world-writable mode StrictModes rejects.
            "StrictModes no",
            "UsePAM no",
            "PrintMotd no",
            *(f"{key} {value}" for key, value in self.options.items()),
        ]
        self.config_file.write_text("\n".join(lines) + "\n")

    def _ensure_keys(self) -> None:
        for kind in self.host_keys:
            if self.fresh_keys or not self.key_file(kind).exists():
                keygen(self.key_file(kind), kind, f"p06audit-lab-{self.name}")

    def start(self) -> None:
        if os.geteuid() != 0:
            raise LabError("the SSH lab runs real sshd processes and must run as root")
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.client = LabClientKey.ensure(self.workdir)
        self._ensure_keys()
        self._write_config(self.client)
        checked = subprocess.run(
            [SSHD, "-t", "-f", str(self.config_file)], capture_output=True, text=True, timeout=30
        )
        if checked.returncode != 0:
            raise LabError(f"sshd rejected the config of {self.name}: {checked.stderr.strip()}")
        # setpriv (util-linux) asks the kernel to SIGTERM sshd if the thread that started it dies, so a
        # killed lab never leaves an sshd holding its address.
        self._process = subprocess.Popen(
            [
                "setpriv",
                "--pdeathsig",
                "TERM",
                "--",
                SSHD,
                "-D",
                "-f",
                str(self.config_file),
                "-E",
                str(self.log_file),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WAIT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise LabError(f"sshd {self.name} exited: {self.log_file.read_text(errors='replace')[-500:]}")
            try:
                with socket.create_connection((self.address, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise LabError(
            f"sshd {self.name} did not listen on {self.address}:{self.port} within {READY_WAIT:g} s"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def rotate_host_keys(self) -> None:
        """Replace every host key with a new one (the 'key changed between two runs' scenario)."""
        self.stop()
        for kind in self.host_keys:
            self.key_file(kind).unlink(missing_ok=True)
        self.start()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "config": str(self.config_file), "log": str(self.log_file)}
