"""SSH/HOST scenarios on 127.0.4.x, port 2222: real OpenSSH sshd processes plus two hostile ports.

What OpenSSH 9.2 still enables for the weak server: SHA-1 key exchanges (group1, group14,
group-exchange), CBC and 3DES ciphers, MD5/SHA-1/96-bit/umac-64 MACs, ssh-rsa (SHA-1) signatures
and DSA host keys. What it refuses outright (`sshd -t` says "Bad SSH2 cipher spec" / "Bad SSH2 mac
spec"): arcfour*, blowfish-cbc, cast128-cbc, rijndael-cbc@lysator.liu.se and hmac-ripemd160
(tests/ssh/test_lab_sshd.py records this), so those exist only in the rule tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from p06audit.checks.ssh.lab_sshd import HARDENED, LAB_SSH_PORT, SshdServer
from p06audit.lab.servers import BannerListener, GarbageListener, LabServer, SilentListener

if TYPE_CHECKING:
    from p06audit.lab import LabContext

WEAK = {
    "HostKeyAlgorithms": "ssh-rsa,rsa-sha2-512,rsa-sha2-256,ssh-dss",
    "KexAlgorithms": (
        "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,"
        "curve25519-sha256,curve25519-sha256@libssh.org"
    ),
    "Ciphers": "aes128-cbc,aes256-cbc,3des-cbc,aes128-ctr,aes256-ctr",
    "MACs": "hmac-md5,hmac-sha1,hmac-sha1-96,umac-64@openssh.com,hmac-sha2-256",
    "PasswordAuthentication": "yes",
    "KbdInteractiveAuthentication": "yes",
    "PermitRootLogin": "yes",
    "MaxAuthTries": "6",
    "X11Forwarding": "yes",
    "LogLevel": "ERROR",
}

# Only what a decade-old appliance speaks: the probe must still read it, and no login may use it.
LEGACY_ONLY = {
    "HostKeyAlgorithms": "ssh-rsa",
    "KexAlgorithms": "diffie-hellman-group1-sha1",
    "Ciphers": "aes128-cbc,3des-cbc",
    "MACs": "hmac-sha1,hmac-md5",
    "PasswordAuthentication": "yes",
    "KbdInteractiveAuthentication": "no",
    "PermitRootLogin": "yes",
    "LogLevel": "VERBOSE",
}

# Not weak, but outside the recommended sets: every judgement here is WARN.
MIDDLING = {
    **HARDENED,
    "HostKeyAlgorithms": "rsa-sha2-512,rsa-sha2-256",
    "KexAlgorithms": "curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group14-sha256",
    "MACs": "hmac-sha2-256-etm@openssh.com,umac-64-etm@openssh.com,hmac-sha2-256",
    "KbdInteractiveAuthentication": "yes",
}

HARDENED_ADDRESS = "127.0.4.1"
WEAK_ADDRESS = "127.0.4.2"
ROTATING_ADDRESS = "127.0.4.3"
GARBAGE_ADDRESS = "127.0.4.4"
MIDDLING_ADDRESS = "127.0.4.5"
SILENT_ADDRESS = "127.0.4.6"
LEGACY_ADDRESS = "127.0.4.7"
SSH1_ADDRESS = "127.0.4.8"


def build(ctx: LabContext) -> list[LabServer]:
    return [
        SshdServer(
            "ssh-hardened",
            HARDENED_ADDRESS,
            ctx.workdir,
            ["ed25519", "ecdsa256", "rsa3072"],
            HARDENED,
            "OpenSSH, BSI/Mozilla algorithm sets, keys only, Ed25519 + ECDSA + RSA-3072 host keys",
        ),
        SshdServer(
            "ssh-weak",
            WEAK_ADDRESS,
            ctx.workdir,
            ["rsa2048", "dsa"],
            WEAK,
            "OpenSSH with SHA-1 kex, CBC/3DES, MD5/SHA-1 MACs, DSA + RSA-2048 keys, passwords and root on",
        ),
        SshdServer(
            "ssh-rotating",
            ROTATING_ADDRESS,
            ctx.workdir,
            ["ed25519"],
            HARDENED,
            "hardened OpenSSH whose host key is new at every lab start (pinning scenario)",
            fresh_keys=True,
        ),
        GarbageListener("ssh-garbage", GARBAGE_ADDRESS, LAB_SSH_PORT),
        SshdServer(
            "ssh-middling",
            MIDDLING_ADDRESS,
            ctx.workdir,
            ["rsa2048"],
            MIDDLING,
            "OpenSSH with a 2048-bit group, umac-64-etm, an RSA-2048 key and keyboard-interactive",
        ),
        SilentListener("ssh-silent", SILENT_ADDRESS, LAB_SSH_PORT),
        SshdServer(
            "ssh-legacy",
            LEGACY_ADDRESS,
            ctx.workdir,
            ["rsa1024"],
            LEGACY_ONLY,
            "OpenSSH speaking only group1-sha1, CBC, SHA-1/MD5 MACs and ssh-rsa with an RSA-1024 key",
        ),
        BannerListener(
            "ssh-v1-only",
            SSH1_ADDRESS,
            LAB_SSH_PORT,
            b"SSH-1.5-Cisco-1.25\r\n",
            "answers with an SSH-1.5 banner (an SSH-1-only device), then nothing",
        ),
    ]
