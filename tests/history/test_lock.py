"""The run lock with real processes: a second `p06audit run` exits 4 and scans nothing; a killed
holder never leaves a stale lock."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from p06audit.errors import RunLockedError
from p06audit.lock import run_lock
from tests.conftest import host, site, write_inventory_files

REPO = Path(__file__).resolve().parents[2]
HOLDER = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from p06audit.lock import run_lock\n"
    "with run_lock(Path(sys.argv[1])):\n"
    "    print('locked', flush=True)\n"
    "    time.sleep(60)\n"
)


@pytest.fixture
def holder(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A separate process that holds the lock of tmp_path/state until killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "state")], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "locked"
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def p06audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "p06audit", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_second_run_while_one_holds_the_lock_exits_4_with_a_clear_message(tmp_path: Path, holder) -> None:  # type: ignore[no-untyped-def]
    inventory = write_inventory_files(
        tmp_path / "inventory", {"lab-dc": site()}, {"portal": host("127.0.7.30", "lab-dc", ["web_portal"])}
    )
    out = tmp_path / "reports"
    second = p06audit(
        "run",
        str(inventory),
        "--state-dir",
        str(tmp_path / "state"),
        "--out",
        str(out),
        "--no-progress",
        "--timeout",
        "2",
    )
    assert second.returncode == 4, second.stderr
    message = " ".join(second.stderr.split())
    assert f"another p06audit run is in progress (pid {holder.pid}, started" in message
    assert "This run was not started" in message
    assert not out.exists(), "a locked-out run must not write reports"
    assert not (tmp_path / "state" / "history.sqlite3").exists(), "nor touch the history"


def test_lock_of_a_killed_holder_is_free_at_once(tmp_path: Path, holder) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "state"
    with pytest.raises(RunLockedError), run_lock(state):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    with run_lock(state) as path:
        assert path.read_text().startswith("pid ")
    assert path.read_text() == "", "the holder's note is cleared when the lock is released"


def test_lock_excludes_a_second_holder_even_in_the_same_process_and_frees_after_the_block(
    tmp_path: Path,
) -> None:
    for _ in range(2):
        with run_lock(tmp_path), pytest.raises(RunLockedError), run_lock(tmp_path):
            pass
