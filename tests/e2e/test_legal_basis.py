"""`p06audit run` end to end under the 2026 legal basis, and a re-render that keeps what was recorded.

Given an inventory whose defaults choose `legal_basis: nd331-2026` and waive one FAIL, when
`p06audit run` audits the core lab, then report.json and report.html cite Decree 331/2026, the FAIL
shows as WAIVED and history records the basis; and when the inventory is changed on disk
afterwards, `p06audit report` still renders the run with its own basis and waivers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from p06audit.history import HistoryStore, database_url
from p06audit.lab import Lab
from tests.conftest import host, site, write_inventory_files

REPO = Path(__file__).resolve().parents[2]


def p06audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "p06audit", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_the_2026_basis_reaches_every_output_and_a_rerender_keeps_it(
    lab_factory: Callable[[str], Lab], tmp_path: Path
) -> None:
    lab_factory("core")
    inventory = write_inventory_files(
        tmp_path / "inventory",
        {"dc": site()},
        {
            "app-service": host("127.0.1.3", "dc", ["app_server"], services=[{"port": 8080, "name": "app"}]),
            "retired": host("127.0.1.250", "dc", ["app_server"], services=[{"port": 8080, "name": "app"}]),
        },
        {"data": {"legal_basis": "nd331-2026", "waivers": "waivers.yaml", "language": "vi"}},
    )
    waiver = {
        "check": "NET-001",
        "target": "dc/retired",
        "reason": "Chờ thanh lý",
        "owner": "Phòng CNTT",
        "expires": "2099-12-31",
    }
    (inventory / "waivers.yaml").write_text(yaml.safe_dump({"waivers": [waiver]}, allow_unicode=True))
    out, state = tmp_path / "out", tmp_path / "state"
    done = p06audit(
        "run",
        str(inventory),
        "--family",
        "network",
        "--out",
        str(out),
        "--state-dir",
        str(state),
        "--timeout",
        "2",
        "--no-progress",
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    (run_dir,) = out.iterdir()
    doc = json.loads((run_dir / "report.json").read_text())
    assert doc["compliance"]["legal_basis"] == "nd331-2026"
    assert "Nghị định 331/2026/NĐ-CP" in (run_dir / "report.html").read_text()
    waived = [f for f in doc["findings"] if f["waiver"]]
    assert [(f["check_id"], f["target"]["host"]) for f in waived] == [("NET-001", "retired")]
    with HistoryStore(database_url(None, state), create=False) as store:
        recorded = store.context(doc["run"]["id"])
    assert recorded.legal_basis == "nd331-2026" and [w["check"] for w in recorded.waivers] == ["NET-001"]

    (inventory / "waivers.yaml").unlink()
    defaults = inventory / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace("nd331-2026", "nd85-2016"))
    again = tmp_path / "again"
    rendered = p06audit(
        "report",
        str(run_dir / "report.json"),
        "--lang",
        "en",
        "--format",
        "json",
        "--format",
        "html",
        "--out",
        str(again),
    )
    assert rendered.returncode == 0, rendered.stderr
    redone = json.loads((again / "report.json").read_text())
    assert redone["compliance"]["legal_basis"] == "nd331-2026" and redone["language"] == "en"
    assert "Decree 331/2026/ND-CP" in (again / "report.html").read_text()
    assert [(f["check_id"], f["target"]["host"]) for f in redone["findings"] if f["waiver"]] == [
        ("NET-001", "retired")
    ]
    assert redone["compliance"] == doc["compliance"]
