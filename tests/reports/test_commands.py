"""`p06audit report` re-renders a past run; `p06audit guidance list` shows the catalogue by level."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from p06audit import reports
from p06audit.cli import main
from tests.reports.fixtures import rich_run, write_outputs


@pytest.fixture
def past_report(tmp_path: Path) -> Path:
    return write_outputs(rich_run(), tmp_path / "run", formats=("json",), lang="vi")["json"]


def test_report_rerenders_beside_the_run_in_its_language(past_report: Path) -> None:
    assert main(["report", str(past_report)]) == 0
    html = (past_report.parent / "report.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in html and rich_run().id in html


def test_report_other_formats_language_and_directory(past_report: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    code = main(
        [
            "report",
            str(past_report),
            "--format",
            "junit",
            "--format",
            "csv",
            "--format",
            "html",
            "--lang",
            "en",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["findings.csv", "report.html", "report.junit.xml"]
    assert int(ET.parse(out / "report.junit.xml").getroot().get("tests", "0")) == len(rich_run().findings)
    assert '<html lang="en">' in (out / "report.html").read_text(encoding="utf-8")


def test_report_marks_new_findings_against_a_previous_report(past_report: Path, tmp_path: Path) -> None:
    earlier = replace(rich_run(), id="earlier", findings=rich_run().findings[:2])
    previous = write_outputs(earlier, tmp_path / "earlier", formats=("json",))["json"]
    out = tmp_path / "again"
    assert (
        main(["report", str(past_report), "--format", "json", "--previous", str(previous), "--out", str(out)])
        == 0
    )
    assert reports.load_document(out / "report.json").previous_run == "earlier"  # type: ignore[union-attr]


def test_report_refuses_a_file_that_is_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": "world"}', encoding="utf-8")
    assert main(["report", str(bogus)]) == 2
    assert "not a valid p06audit report or run" in capsys.readouterr().err


def test_guidance_list_filters_by_level(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["guidance", "list", "--level", "2", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "VN-SSH-03" in out and "VN-NET-02" in out  # levels 2-5 and 1-5
    assert "VN-SSH-02" not in out and "VN-GOV-03" not in out  # levels 3-5 only
    assert "Decree 85/2016/ND-CP" in out and "[U]" in out
    assert main(["guidance", "list", "--level", "3", "--legal-basis", "nd331-2026"]) == 0
    out = capsys.readouterr().out
    assert "VN-SSH-02" in out and "TCVN 14423:2026" in out and "TCVN 11930:2017" not in out


def test_report_keeps_the_stored_trend(tmp_path: Path) -> None:
    trend = {"dc-hue": [("r1", 10.0), ("r2", 25.0)]}
    first = write_outputs(rich_run(), tmp_path / "a", formats=("json",), trend=trend)["json"]
    assert main(["report", str(first), "--format", "json", "--out", str(tmp_path / "b")]) == 0
    again = reports.load_document(tmp_path / "b" / "report.json")
    assert again == reports.load_document(first).model_copy(update={"generated": again.generated})  # type: ignore[union-attr]
