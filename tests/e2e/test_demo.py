"""`p06audit demo` end to end: the whole lab, the demo inventory, real reports on disk."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.visible import sentences, visible_text

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
            "p06audit",
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
    """The status of `check_id` on `host`; a check a root cause blocked answers with its ERROR."""
    found = [
        f["status"]
        for f in report["json"]["findings"]
        if check_id in (f["check_id"], *f["blocked"]) and f["target"]["host"] == host
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


def test_each_target_not_examined_has_one_error_per_family(demo_report: dict) -> None:  # type: ignore[type-arg]
    findings = demo_report["json"]["findings"]
    causes = [f for f in findings if f["blocked"]]
    assert {f["target"]["host"] for f in causes} >= {
        "portal-silent",
        "tls-silent",
        "tls-garbage",
        "ssh-silent",
    }
    for cause in causes:
        errors = [
            f
            for f in findings
            if f["key"] == cause["key"] and f["family"] == cause["family"] and f["status"] == "ERROR"
        ]
        assert errors == [cause], (cause["key"], [e["check_id"] for e in errors])
        assert cause["status"] == "ERROR" and cause["check_id"].endswith("-000")
        assert cause["remediation"] and cause["summary"]


def test_vietnamese_report_has_no_english_check_text(demo_report: dict) -> None:  # type: ignore[type-arg]
    page = visible_text(demo_report["html"].read_text(encoding="utf-8"))
    english = sorted(s for s in sentences("en") if s in page)
    assert english == []
    assert len(sentences("en")) > 300  # the comparison covers the families' text, not a handful


def test_english_report_has_no_vietnamese_check_text(demo_report: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    rendered = subprocess.run(
        [sys.executable, "-m", "p06audit", "report", str(demo_report["html"].parent / "report.json"),
         "--lang", "en", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    page = visible_text((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert sorted(s for s in sentences("vi") if s in page) == []
    assert "Could not examine" in page or "could not be examined" in page
