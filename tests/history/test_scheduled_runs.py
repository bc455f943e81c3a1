"""Nightly runs end to end with the real `p06audit run` in subprocesses against lab servers on 127.0.7.x.

Story: a declared service answers, then goes down, then comes back. The history, `p06audit diff`,
the report and the mail digest each tell that change; a run killed with SIGKILL in the middle of its
scan leaves the database and the earlier report exactly as they were, and the next run goes ahead.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from p06audit.lab.servers import BannerListener, SilentListener
from tests.conftest import host, site, write_inventory_files
from tests.history.smtp import PORT, parts, smtp_server

REPO = Path(__file__).resolve().parents[2]
SERVICE = "127.0.7.10"
STALLING = "127.0.7.11"
SMTP = "127.0.7.4"


def p06audit(*args: str, check: int | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "p06audit", *args], cwd=REPO, capture_output=True, text=True, timeout=180
    )
    if check is not None:
        assert done.returncode == check, done.stdout + done.stderr
    return done


def write_inventory(directory: Path, **extra_hosts: Any) -> Path:
    hosts = {"app": host(SERVICE, "lab-dc", ["app_server"], services=[{"port": 8080, "name": "application"}])}
    return write_inventory_files(directory, {"lab-dc": site()}, {**hosts, **extra_hosts})


class Nightly:
    """One inventory, state dir and report dir, audited again and again like a timer would."""

    def __init__(self, root: Path) -> None:
        self.inventory = write_inventory(root / "inventory")
        self.state = root / "state"
        self.out = root / "reports"

    def args(self) -> list[str]:
        return [
            "run",
            str(self.inventory),
            "--state-dir",
            str(self.state),
            "--out",
            str(self.out),
            "--no-progress",
            "--timeout",
            "3",
            "--fail-on",
            "critical",
        ]

    def run(self) -> dict[str, Any]:
        done = p06audit(*self.args(), check=0)
        run_id = done.stdout.split("Run ", 1)[1].split(":", 1)[0]
        return dict(json.loads((self.out / run_id / "report.json").read_text()))

    def diff(self) -> dict[str, Any]:
        return dict(json.loads(p06audit("diff", "--json", "--state-dir", str(self.state), check=0).stdout))


@pytest.fixture
def service() -> Iterator[BannerListener]:
    listener = BannerListener("scheduling-app", SERVICE, 8080, description="declared application service")
    listener.start()
    yield listener
    listener.stop()


def statuses(report: dict[str, Any], check_id: str) -> list[tuple[str, bool]]:
    return [(f["status"], f["new"]) for f in report["findings"] if f["check_id"] == check_id]


def test_service_down_then_up_shows_in_diff_report_and_digest(
    tmp_path: Path, service: BannerListener
) -> None:
    nightly = Nightly(tmp_path)
    (nightly.inventory / "notify.yaml").write_text(
        yaml.safe_dump(
            {
                "smtp": {"host": SMTP, "port": PORT, "starttls": False, "timeout": 5},
                "sender": "p06audit@lab.p06.test",
                "recipients": ["attt@lab.p06.test"],
                "language": "en",
            }
        )
    )
    with smtp_server(SMTP) as inbox:
        first = nightly.run()
        service.stop()
        second = nightly.run()
        after_second: list[Any] = list(inbox.received)
        service.start()
        third = nightly.run()

    assert first["previous_run"] is None and statuses(first, "NET-001") == [("PASS", None)]
    assert second["previous_run"] == first["run"]["id"]
    assert statuses(second, "NET-001") == [("FAIL", True)]
    assert [p["run"] for p in second["trend"]["lab-dc"]] == [first["run"]["id"], second["run"]["id"]]
    assert third["previous_run"] == second["run"]["id"] and statuses(third, "NET-001") == [("PASS", False)]

    history = p06audit("history", "--state-dir", str(nightly.state), check=0).stdout
    assert [line.split()[0] for line in history.splitlines() if line.strip().startswith("20")] == [
        third["run"]["id"],
        second["run"]["id"],
        first["run"]["id"],
    ]
    latest = nightly.diff()
    assert ("NET-001", "lab-dc/app") in {(c["check_id"], c["target"]) for c in latest["fixed"]}
    between = json.loads(
        p06audit(
            "diff",
            first["run"]["id"],
            second["run"]["id"],
            "--json",
            "--state-dir",
            str(nightly.state),
            check=0,
        ).stdout
    )
    net_001 = [c for c in between["new"] if c["check_id"] == "NET-001"]
    assert [(c["before"]["status"], c["after"]["status"]) for c in net_001] == [("PASS", "FAIL")]

    assert len(after_second) == 1 and inbox.received == after_second, (
        "one digest: the run that broke something"
    )
    _, recipients, message, _ = after_second[0]
    assert recipients == ["attt@lab.p06.test"]
    text, html = parts(message)
    assert "NET-001 lab-dc/app: Declared TCP ports not reachable: 8080" in text
    assert second["run"]["id"] in text and str(nightly.out / second["run"]["id"]) in text
    assert "NET-001" in html


def test_kill_9_mid_run_keeps_history_and_earlier_reports_and_frees_the_lock(
    tmp_path: Path, service: BannerListener
) -> None:
    nightly = Nightly(tmp_path)
    first = nightly.run()
    first_dir = nightly.out / first["run"]["id"]
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in first_dir.iterdir()}

    stall = SilentListener("scheduling-stall", STALLING, 443)
    stall.start()
    try:
        write_inventory(
            nightly.inventory, portal=host(STALLING, "lab-dc", ["web_portal"], tls=[{"port": 443}])
        )
        victim = subprocess.Popen(
            [sys.executable, "-m", "p06audit", *nightly.args()],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so nmap children die with it
        )
        lock = nightly.state / "run.lock"
        deadline = time.monotonic() + 60
        while f"pid {victim.pid}," not in (lock.read_text() if lock.exists() else ""):
            assert victim.poll() is None and time.monotonic() < deadline, "the run never took its lock"
            time.sleep(0.05)
        time.sleep(1.5)  # scanning now: the TLS handshake with the silent listener takes the full timeout
        assert victim.poll() is None, "the run must still be going when it is killed"
        os.killpg(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=10) == -signal.SIGKILL
    finally:
        stall.stop()

    with sqlite3.connect(nightly.state / "history.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [r[0] for r in conn.execute("SELECT id FROM runs")] == [first["run"]["id"]]
    assert sorted(p.name for p in nightly.out.iterdir()) == [first["run"]["id"]], "no partial report left"
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in first_dir.iterdir()} == before

    write_inventory(nightly.inventory)
    after = nightly.run()
    assert after["previous_run"] == first["run"]["id"]
