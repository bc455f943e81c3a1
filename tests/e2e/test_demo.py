"""`p06audit demo` end to end: the whole lab, the demo inventory, real reports on disk."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory, lab_pool) -> dict:  # type: ignore[no-untyped-def]
    lab_pool.stop_all()
    out = tmp_path_factory.mktemp("demo-out")
    state = tmp_path_factory.mktemp("demo-state")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "audit",
            "demo",
            "--out",
            str(out),
            "--state-dir",
            str(state),
            "--timeout",
            "5",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"report: (\S+report\.html)", done.stdout.replace("\n", ""))
    assert match, done.stdout
    html = Path(match.group(1))
    assert html.is_file() and html.parent.parent == out
    return {"html": html, "json": json.loads((html.parent / "report.json").read_text())}


def status_of(report: dict, check_id: str, host: str) -> str:  # type: ignore[type-arg]
    found = [
        f["status"]
        for f in report["json"]["findings"]
        if f["check_id"] == check_id and f["target"]["host"] == host
    ]
    assert len(found) == 1, (check_id, host, found)
    return found[0]


def test_demo_expiry_verdicts(demo_report: dict) -> None:  # type: ignore[type-arg]
    assert status_of(demo_report, "TLS-008", "portal-good") == "PASS"
    assert status_of(demo_report, "TLS-008", "portal-expired") == "FAIL"
    assert status_of(demo_report, "TLS-008", "portal-silent") == "ERROR"


def test_demo_reachability(demo_report: dict) -> None:  # type: ignore[type-arg]
    assert status_of(demo_report, "NET-001", "app-service") == "PASS"


def test_demo_reaches_every_family(demo_report: dict) -> None:  # type: ignore[type-arg]
    """The lab runs from a relative --lab-dir: sshd re-execs and must still find its files."""
    assert status_of(demo_report, "SSH-001", "ssh-hardened") == "PASS"
    assert status_of(demo_report, "SSH-003", "ssh-weak") == "FAIL"
    signing = [f for f in demo_report["json"]["findings"] if f["check_id"] == "SIGN-001"]
    assert any(f["status"] == "FAIL" for f in signing)


def test_demo_writes_every_format(demo_report: dict) -> None:  # type: ignore[type-arg]
    files = {p.name for p in demo_report["html"].parent.iterdir()}
    assert {"report.json", "report.html", "report.junit.xml", "findings.csv"} <= files
    assert demo_report["json"]["schema_version"]
    assert not any(p.name.endswith(".partial") for p in demo_report["html"].parent.parent.iterdir())
