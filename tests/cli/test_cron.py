"""Cron-style: the real `p06audit run` in a subprocess, output piped, as a timer would start it.

The inventory's only host is down (nothing listens on 127.0.7.60): the run must not look like a
success to cron or systemd. It exits 5; with --allow-errors it exits 0; its report says why.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import host, site, write_inventory_files

REPO = Path(__file__).resolve().parents[2]
DOWN = "127.0.7.60"


def cron_run(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    inventory = write_inventory_files(
        tmp_path / "inventory",
        {"lab-dc": site()},
        {"portal": host(DOWN, "lab-dc", ["web_portal"], tls=[{"port": 8443}])},
    )
    out = tmp_path / "reports"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "p06audit",
            "run",
            str(inventory),
            "--family",
            "tls",
            "--state-dir",
            str(tmp_path / "state"),
            "--out",
            str(out),
            "--timeout",
            "2",
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    (report,) = out.glob("*/report.json")
    return done, {"path": report, **json.loads(report.read_text())}


def test_an_inventory_whose_only_host_is_down_exits_5(tmp_path: Path) -> None:
    done, report = cron_run(tmp_path / "strict")
    assert done.returncode == 5, done.stdout + done.stderr
    verdict = report["verdict"]
    assert verdict["exit_code"] == 5 and verdict["not_examined"] == 1
    errors = [f for f in report["findings"] if f["status"] == "ERROR"]
    assert [(f["check_id"], f["key"]) for f in errors] == [("TLS-000", "lab-dc/portal:8443")]


def test_every_output_is_written_beside_report_json_readable_by_owner_and_group_only(tmp_path: Path) -> None:
    done, report = cron_run(tmp_path / "files", "--allow-errors")
    directory = report["path"].parent
    names = {p.name for p in directory.iterdir()}
    assert names == {
        "report.json",
        "report.html",
        "report.junit.xml",
        "findings.csv",
        "report.sarif",
        "report.ocsf.json",
        "p06audit.prom",
    }, done.stderr
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()} == dict.fromkeys(
        names, 0o640
    )
    state = tmp_path / "files" / "state"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "history.sqlite3").stat().st_mode) == 0o600


def test_the_same_with_allow_errors_exits_0(tmp_path: Path) -> None:
    textfile = tmp_path / "node-exporter" / "p06audit.prom"
    done, report = cron_run(tmp_path / "allowed", "--allow-errors", "--prom-textfile", str(textfile))
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["verdict"]["allow_errors"] is True
    assert textfile.read_bytes() == (report["path"].parent / "p06audit.prom").read_bytes()
    assert 'p06audit_run_exit_code{inventory="inventory"} 0.0' in textfile.read_text()
