"""The known_hosts pin store: trust on first use, never overwritten, safe under concurrent collectors."""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path

from p06audit.checks.ssh.observations import HostKey, PinState
from p06audit.checks.ssh.pins import KnownHostsPins, fingerprint
from p06audit.text import english


def key(key_type: str = "ssh-ed25519") -> HostKey:
    blob = base64.b64encode(os.urandom(51)).decode()
    return HostKey(key_type, 256, fingerprint(blob), blob)


def test_first_contact_records_then_a_later_run_matches(tmp_path: Path) -> None:
    store = KnownHostsPins.in_state_dir(tmp_path / "state")
    ed = key()
    first = store.verify("127.0.4.9", 2222, [ed], "run-1")
    assert (first.state, first.recorded, first.first_seen) == (PinState.RECORDED, (ed.fingerprint,), "run-1")
    line = (tmp_path / "state" / "ssh_known_hosts").read_text()
    assert line == f"[127.0.4.9]:2222 ssh-ed25519 {ed.blob} p06audit-first-seen=run-1\n"
    again = store.verify("127.0.4.9", 2222, [ed], "run-2")
    assert (again.state, again.matched, again.first_seen) == (PinState.MATCHED, (ed.fingerprint,), "run-1")


def test_a_second_collector_in_the_same_run_still_sees_first_contact(tmp_path: Path) -> None:
    store = KnownHostsPins(tmp_path / "known_hosts")
    ed, rsa = key(), key("ssh-rsa")
    store.verify("127.0.4.9", 22, [ed], "run-1")
    both = store.verify("127.0.4.9", 22, [ed, rsa], "run-1")
    assert both.state is PinState.RECORDED and both.recorded == (rsa.fingerprint,)
    assert store.path.read_text().startswith("127.0.4.9 ssh-ed25519 ")


def test_a_changed_key_is_reported_and_never_overwrites_the_pin(tmp_path: Path) -> None:
    store = KnownHostsPins(tmp_path / "known_hosts")
    old, new = key(), key()
    store.verify("127.0.4.9", 2222, [old], "run-1")
    before = store.path.read_text()
    check = store.verify("127.0.4.9", 2222, [new], "run-2")
    assert check.state is PinState.CHANGED
    assert [(c.pinned, c.seen) for c in check.changes] == [(old.fingerprint, new.fingerprint)]
    assert store.path.read_text() == before


def test_only_unpinned_key_types_count_as_a_change(tmp_path: Path) -> None:
    store = KnownHostsPins(tmp_path / "known_hosts")
    store.verify("127.0.4.9", 2222, [key("ssh-ed25519")], "run-1")
    check = store.verify("127.0.4.9", 2222, [key("ecdsa-sha2-nistp256")], "run-2")
    assert check.state is PinState.CHANGED and check.note is not None and "ssh-ed25519" in english(check.note)


def test_a_new_key_type_beside_a_matching_pin_is_recorded(tmp_path: Path) -> None:
    store = KnownHostsPins(tmp_path / "known_hosts")
    ed, ecdsa = key(), key("ecdsa-sha2-nistp256")
    store.verify("127.0.4.9", 2222, [ed], "run-1")
    check = store.verify("127.0.4.9", 2222, [ed, ecdsa], "run-2")
    assert (check.state, check.recorded) == (PinState.MATCHED, (ecdsa.fingerprint,))


def test_other_hosts_comments_and_markers_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    other = key()
    path.write_text(
        f"# comment\n@revoked * ssh-ed25519 {other.blob}\n[127.0.4.10]:2222 ssh-ed25519 {other.blob}\n"
    )
    check = KnownHostsPins(path).verify("127.0.4.9", 2222, [key()], "run-1")
    assert check.state is PinState.RECORDED


def test_concurrent_first_contacts_record_one_line(tmp_path: Path) -> None:
    store = KnownHostsPins(tmp_path / "known_hosts")
    ed = key()
    states: list[PinState] = []
    threads = [
        threading.Thread(target=lambda: states.append(store.verify("127.0.4.9", 2222, [ed], "r").state))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert states == [PinState.RECORDED] * 8
    assert len(store.path.read_text().splitlines()) == 1
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
