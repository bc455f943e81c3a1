"""Host-key pinning (trust on first use) in a known_hosts-format file under the state directory.

Lines look like OpenSSH's own: `[127.0.4.1]:2222 ssh-ed25519 AAAA... p06audit-first-seen=<run start>`,
so `ssh-keygen -R '[addr]:port' -f <state>/ssh_known_hosts` removes a pin after a legitimate key
change. Both SSH collectors verify through `KnownHostsPins.verify` under an exclusive file lock, so
whichever reaches a host first records the key and the other sees the same pin; keys first seen by
the current run carry the run's start time, which keeps SSH-007's verdict the same whichever
collector ran first. A pin is never overwritten by the tool.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from p06audit.checks.ssh.observations import HostKey, KeyChange, PinCheck, PinState
from p06audit.text import say

KNOWN_HOSTS_FILE = "ssh_known_hosts"
FIRST_SEEN = "p06audit-first-seen="


def fingerprint(blob_b64: str) -> str:
    """OpenSSH's SHA256 fingerprint of a base64 public-key blob."""
    digest = hashlib.sha256(base64.b64decode(blob_b64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(address: str, port: int) -> str:
    return address if port == 22 else f"[{address}]:{port}"


@dataclass(frozen=True)
class PinnedKey:
    key_type: str
    blob: str
    first_seen: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.blob)


class KnownHostsPins:
    """The pin store of one state directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> KnownHostsPins:
        return cls(state_dir / KNOWN_HOSTS_FILE)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.path.with_name(self.path.name + ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self, name: str) -> list[PinnedKey]:
        if not self.path.exists():
            return []
        pins = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if len(fields) < 3 or fields[0].startswith(("#", "@")) or name not in fields[0].split(","):
                continue
            stamp = next((f.removeprefix(FIRST_SEEN) for f in fields[3:] if f.startswith(FIRST_SEEN)), "")
            pins.append(PinnedKey(fields[1], fields[2], stamp))
        return pins

    def pinned(self, address: str, port: int) -> list[PinnedKey]:
        with self._locked():
            return self._read(known_hosts_name(address, port))

    def verify(self, address: str, port: int, seen: Sequence[HostKey], run_stamp: str) -> PinCheck:
        """Compare `seen` with the pins; record unpinned key types unless the host's identity changed."""
        name = known_hosts_name(address, port)
        with self._locked():
            pins = {p.key_type: p for p in self._read(name)}
            changes = tuple(
                KeyChange(k.key_type, pins[k.key_type].fingerprint, k.fingerprint)
                for k in seen
                if k.key_type in pins and pins[k.key_type].blob != k.blob
            )
            matched = [
                pins[k.key_type] for k in seen if k.key_type in pins and pins[k.key_type].blob == k.blob
            ]
            store = str(self.path)
            if changes:
                return PinCheck(PinState.CHANGED, store, name, changes=changes, note=say("ssh.pin_changed"))
            if pins and not matched:
                note = say("ssh.pin_gone", types=sorted(pins))
                return PinCheck(PinState.CHANGED, store, name, note=note)
            new = [k for k in seen if k.key_type not in pins]
            self._append(name, new, run_stamp)
            earlier = [p for p in matched if p.first_seen != run_stamp]
            return PinCheck(
                PinState.MATCHED if earlier else PinState.RECORDED,
                store,
                name,
                matched=tuple(p.fingerprint for p in matched),
                recorded=tuple(k.fingerprint for k in new),
                first_seen=min((p.first_seen for p in earlier), default=run_stamp),
            )

    def _append(self, name: str, keys: Sequence[HostKey], run_stamp: str) -> None:
        if not keys:
            return
        lines = "".join(f"{name} {k.key_type} {k.blob} {FIRST_SEEN}{run_stamp}\n" for k in keys)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(lines)
        self.path.chmod(0o600)
