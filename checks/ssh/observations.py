"""What the unauthenticated SSH probe saw: banner, offered algorithms, host keys, auth methods, pin."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from p06audit.model import Observation
from p06audit.text import Message


@dataclass(frozen=True)
class HostKey:
    """A host key the server proved it holds (its signature over the key exchange verified)."""

    key_type: str
    bits: int
    fingerprint: str
    blob: str

    def evidence(self) -> dict[str, Any]:
        return {"type": self.key_type, "bits": self.bits, "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class AlgorithmOffer:
    """The server's KEXINIT name-lists, in the server's order."""

    kex: tuple[str, ...]
    host_key_algorithms: tuple[str, ...]
    ciphers_c2s: tuple[str, ...]
    ciphers_s2c: tuple[str, ...]
    macs_c2s: tuple[str, ...]
    macs_s2c: tuple[str, ...]
    compression: tuple[str, ...]

    @property
    def ciphers(self) -> tuple[str, ...]:
        return _union(self.ciphers_c2s, self.ciphers_s2c)

    @property
    def macs(self) -> tuple[str, ...]:
        return _union(self.macs_c2s, self.macs_s2c)


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(first + second))


class PinState(enum.StrEnum):
    RECORDED = "recorded"
    MATCHED = "matched"
    CHANGED = "changed"


@dataclass(frozen=True)
class KeyChange:
    key_type: str
    pinned: str
    seen: str


@dataclass(frozen=True)
class PinCheck:
    """The verdict of the known_hosts store on the keys seen (TOFU)."""

    state: PinState
    store: str
    host_id: str
    matched: tuple[str, ...] = ()
    recorded: tuple[str, ...] = ()
    changes: tuple[KeyChange, ...] = ()
    first_seen: str = ""
    note: Message | None = None  # why the state is CHANGED

    def evidence(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "store": self.store,
            "known_hosts_entry": self.host_id,
            "matched": list(self.matched),
            "recorded_now": list(self.recorded),
            "changes": [{"type": c.key_type, "pinned": c.pinned, "seen": c.seen} for c in self.changes],
            "first_seen": self.first_seen,
            "note": self.note.to_json() if self.note else None,
        }


@dataclass(frozen=True)
class SshServerInfo(Observation):
    """One SSH endpoint as an anonymous client sees it. `None` fields say why in the matching note,
    a message the findings quote."""

    banner: str
    protocol: str
    software: str
    offer: AlgorithmOffer | None
    offer_note: Message | None
    host_keys: tuple[HostKey, ...]
    host_key_notes: tuple[Message, ...]
    auth_methods: tuple[str, ...] | None
    auth_note: Message | None
    pin: PinCheck | None
    pin_note: Message | None
