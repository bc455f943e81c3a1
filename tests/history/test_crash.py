"""`kill -9` in the middle of writing a run: the database stays readable and holds earlier runs whole.

The writer is a real child process killed with SIGKILL, first while it holds an open transaction
(stopped just before COMMIT), then at an arbitrary moment of a stream of saves.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from p06audit.history import HistoryStore, database_url
from tests.history.factory import failing_run, make_run

REPO = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import sys, time
    import sqlalchemy as sa
    from p06audit.history import HistoryStore
    from tests.history.factory import failing_run

    url, mode = sys.argv[1], sys.argv[2]
    store = HistoryStore(url)

    store.save(failing_run(0, 100), {"lab-dc": 50.0})
    print("saved", flush=True)
    if mode == "stall-before-commit":
        @sa.event.listens_for(store.engine, "commit")
        def stall(conn):
            print("committing", flush=True)
            time.sleep(60)
        store.save(failing_run(1, 3000), {"lab-dc": 75.0})
    else:
        for day in range(1, 10_000):
            store.save(failing_run(day, 2000), {})
            print("saved", flush=True)
    """
)


def start_writer(url: str, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, mode], cwd=REPO, stdout=subprocess.PIPE, text=True
    )


def wait_for(process: subprocess.Popen[str], line: str, times: int = 1) -> None:
    assert process.stdout is not None
    for _ in range(times):
        got = process.stdout.readline().strip()
        assert got == line, f"writer said {got!r} (exit code {process.poll()})"


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL


def assert_intact(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_kill_during_an_open_transaction_leaves_only_the_earlier_run(tmp_path: Path) -> None:
    url = database_url(None, tmp_path)
    writer = start_writer(url, "stall-before-commit")
    wait_for(writer, "saved")
    wait_for(writer, "committing")
    kill(writer)

    assert_intact(tmp_path / "history.sqlite3")
    expected = failing_run(0, 100)
    with HistoryStore(url) as store:
        assert [s.id for s in store.runs()] == [expected.id]
        assert store.load(expected.id) == expected
        assert store.trend() == {"lab-dc": [(expected.id, 50.0)]}
        store.save(make_run(1, []), {})
        assert len(store.runs()) == 2


def test_kill_at_a_random_moment_of_many_saves_never_leaves_a_partial_run(tmp_path: Path) -> None:
    url = database_url(None, tmp_path)
    writer = start_writer(url, "stream")
    wait_for(writer, "saved", times=4)
    time.sleep(random.uniform(0, 0.3))  # a save takes about this long: the kill lands anywhere in it
    kill(writer)

    assert_intact(tmp_path / "history.sqlite3")
    with HistoryStore(url) as store:
        summaries = store.runs()
        assert len(summaries) >= 4
        counts = {s.id: s.findings for s in summaries}
        assert counts.pop(make_run(0, []).id) == 100
        assert set(counts.values()) == {2000}, "every recorded run holds all of its findings"
