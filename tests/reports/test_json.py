"""report.json: schema_version first, valid against the committed schema, and it re-renders the run."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from p06audit import reports
from p06audit.errors import UsageError
from p06audit.model import Status
from p06audit.records import RunRecord
from p06audit.reports.atomic import write_atomic
from p06audit.reports.schema import SCHEMA_FILE, render_schema
from tests.reports.fixtures import finding, make_run, rich_run, write_outputs


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_bytes() == render_schema(), (
        "run `python -m p06audit.reports.schema` and commit the result"
    )


def test_report_json_validates_against_the_committed_schema(tmp_path: Path) -> None:
    written = write_outputs(rich_run(), tmp_path, formats=("json",))
    text = written["json"].read_text(encoding="utf-8")
    document = json.loads(text)
    assert (
        next(iter(document)) == "schema_version"
        and document["schema_version"] == reports.REPORT_SCHEMA_VERSION
    )
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    document["findings"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError, match="surprise"):
        jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def test_a_past_report_loads_back_as_the_same_run(tmp_path: Path) -> None:
    run = rich_run()
    written = write_outputs(run, tmp_path, formats=("json",))
    assert reports.load_assessment(written["json"]).run == run
    bare = tmp_path / "run.json"
    bare.write_text(RunRecord.of(run).model_dump_json(), encoding="utf-8")
    assert reports.load_assessment(bare).run == run


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not a JSON file"),
        ("[1, 2]", "expected a JSON object"),
        (
            '{"schema_version": "9.0", "run": {}, "summary": {}}',
            f"schema_version '9.0'; this p06audit reads '{reports.REPORT_SCHEMA_VERSION}'",
        ),
        ('{"id": "x"}', "not a valid p06audit report or run: started: Field required"),
    ],
)
def test_anything_else_is_refused_with_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(reports.ReportInputError, match=message):
        reports.load_assessment(path)


def test_new_and_fixed_since_the_previous_run(tmp_path: Path) -> None:
    previous = make_run(
        [
            finding("TLS-002", Status.FAIL),
            finding("TLS-011", Status.WARN),
            finding("TLS-001", Status.PASS),
            finding("NET-004", Status.FAIL, site="psc-hue", host="kiosk", port=22),
        ],
        run_id="20261119T080000Z-000001",
    )
    current = make_run(
        [
            finding("TLS-002", Status.FAIL),
            finding("TLS-011", Status.PASS),
            finding("TLS-001", Status.FAIL),
            finding("TLS-008", Status.ERROR),
            finding("NET-004", Status.WARN, site="psc-hue", host="kiosk", port=22),
        ]
    )
    written = write_outputs(current, tmp_path, formats=("json",), previous=previous)
    doc = json.loads(written["json"].read_text())
    assert {f["check_id"]: f["new"] for f in doc["findings"]} == {
        "TLS-002": False,
        "TLS-011": False,
        "TLS-001": True,
        "TLS-008": True,
        "NET-004": False,
    }
    assert [f["check_id"] for f in doc["fixed"]] == ["TLS-011"]
    assert (doc["previous_run"], doc["summary"]["new"], doc["summary"]["fixed"]) == (previous.id, 2, 1)
    alone = json.loads(write_outputs(current, tmp_path / "alone", formats=("json",))["json"].read_text())
    assert {f["new"] for f in alone["findings"]} == {None} and alone["summary"]["new"] is None


def test_trend_is_carried_into_the_report_and_ends_with_this_run(tmp_path: Path) -> None:
    trend = {"dc-hue": [("r1", 40.0), ("r2", 55.5)]}
    run = rich_run()
    doc = json.loads(write_outputs(run, tmp_path, formats=("json",), trend=trend)["json"].read_text())
    now = {s["site"]: s["percent"] for s in doc["compliance"]["sites"]}
    assert doc["trend"] == {
        "dc-hue": [
            {"run": "r1", "percent": 40.0},
            {"run": "r2", "percent": 55.5},
            {"run": run.id, "percent": now["dc-hue"]},
        ],
        "psc-hue": [{"run": run.id, "percent": now["psc-hue"]}],
    }


def test_unknown_format_or_language_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown report format \\['pdf'\\]"):
        write_outputs(rich_run(), tmp_path, formats=("pdf",))
    with pytest.raises(UsageError, match="vi or en"):
        write_outputs(rich_run(), tmp_path, lang="fr")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_earlier_file_whole_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_atomic(target, b'{"earlier": true}')
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b'{"earlier": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
