"""JUnit XML (one testcase per check and target) and findings.csv, from the same document."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from p06audit.model import Status
from p06audit.waivers import Waiver, WaiverSet
from tests.reports.fixtures import VIETNAMESE, finding, make_run, rich_run, write_outputs


def test_junit_maps_statuses_to_failure_error_skipped(tmp_path: Path) -> None:
    waivers = WaiverSet(
        (Waiver(check="NET-004", target="*", reason="r", owner="o", expires=date(2027, 1, 1)),)
    )
    run = rich_run()
    written = write_outputs(run, tmp_path, formats=("junit",), waivers=waivers)
    root = ET.parse(written["junit"]).getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(run.findings)
    outcome = {}
    for case in cases:
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcome[case.get("name")] = kinds[0] if kinds else "passed"
    assert outcome["TLS-002 dc-hue/portal:443"] == "failure"
    assert outcome["TLS-006 dc-hue/db:443"] == "error"
    assert outcome["SSH-002 psc-hue/kiosk:22"] == "skipped"
    assert outcome["NET-004 psc-hue/kiosk:22"] == "skipped"  # waived
    assert outcome["TLS-008 dc-hue/portal:443"] == "passed"  # WARN passes, noted in system-out
    expected = {"tests": len(cases), "failures": 2, "errors": 1, "skipped": 2}  # FAIL: TLS-002, SIGN-001
    assert {k: int(root.get(k, -1)) for k in expected} == expected
    assert {s.get("name") for s in root.findall("testsuite")} == {
        f"p06audit.{f.family}" for f in run.findings
    }


def test_junit_survives_bytes_xml_forbids(tmp_path: Path) -> None:
    garbage = "\x00\x1b[31mSSH-2.0-\x07evil\ud800 banner"
    run = make_run([finding("SSH-001", Status.FAIL, port=22, evidence={"banner": garbage}, summary=garbage)])
    written = write_outputs(run, tmp_path, formats=("junit",))
    failure = ET.parse(written["junit"]).getroot().find("./testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "[31mSSH-2.0-evil banner"


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_has_one_row_per_finding_with_vietnamese_intact(tmp_path: Path) -> None:
    run = rich_run()
    rows = read_csv(write_outputs(run, tmp_path, formats=("csv",))["csv"])
    assert len(rows) == len(run.findings)
    assert [r["check_id"] for r in rows] == [f.check_id for f in run.findings]
    assert [r["status"] for r in rows] == [f.status.value for f in run.findings]
    assert any(VIETNAMESE in r["evidence"] for r in rows)


def test_csv_never_hands_a_formula_to_a_spreadsheet(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://198.51.100.7/x","click")'
    run = make_run(
        [finding("NET-007", Status.PASS, summary=hostile), finding("NET-003", Status.FAIL, summary="-2+3")]
    )
    rows = read_csv(write_outputs(run, tmp_path, formats=("csv",))["csv"])
    assert [r["summary"] for r in rows] == ["'" + hostile, "'-2+3"]
