"""`p06audit history` and `p06audit diff` over a real history file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from p06audit.cli import main
from p06audit.history import HistoryStore, database_url
from p06audit.model import Severity, Status
from tests.history.factory import finding, make_run

OLD = make_run(
    0,
    [
        finding("TLS-001", Status.FAIL, Severity.HIGH),
        finding("TLS-002", Status.FAIL, Severity.LOW),
        finding("SSH-001", Status.ERROR, host="kiosk", site="lab-psc", port=22),
    ],
)
NEW = make_run(
    1,
    [
        finding("TLS-001", Status.PASS, Severity.HIGH),
        finding("TLS-002", Status.WARN, Severity.MEDIUM),
        finding("TLS-004", Status.FAIL, Severity.CRITICAL, summary="RC4 [bold red]accepted[/] <b>"),
    ],
)


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    with HistoryStore(database_url(None, tmp_path)) as store:
        store.save(OLD, {"lab-dc": 40.0, "lab-psc": 55.5})
        store.save(NEW, {"lab-dc": 80.0, "lab-psc": 55.5})
    return tmp_path


def rows(output: str) -> dict[str, list[str]]:
    """Table rows by run id (first cell), split into cells."""
    found = {}
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] in (OLD.id, NEW.id):
            found[cells[0]] = cells
    return found


def test_history_lists_runs_newest_first_with_counts_and_compliance(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--state-dir", str(history)]) == 0
    output = capsys.readouterr().out
    assert output.index(NEW.id) < output.index(OLD.id)
    table = rows(output)
    # crit high med low info ERR, then compliance per site
    assert table[NEW.id][1:] == ["1", "0", "1", "0", "0", "0", "lab-dc", "80%,", "lab-psc", "56%"]
    assert table[OLD.id][1:] == ["0", "1", "0", "1", "0", "1", "lab-dc", "40%,", "lab-psc", "56%"]


def test_history_for_one_site_counts_that_site_alone(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--site", "lab-psc", "--db", str(history / "history.sqlite3")]) == 0
    table = rows(capsys.readouterr().out)
    assert table[OLD.id][1:] == ["0", "0", "0", "0", "0", "1", "lab-psc", "56%"]
    assert table[NEW.id][1:] == ["0", "0", "0", "0", "0", "0", "lab-psc", "56%"]


def test_history_without_a_database_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--state-dir", str(tmp_path)]) == 2
    assert "no run history at" in capsys.readouterr().err
    assert not (tmp_path / "history.sqlite3").exists()


def test_diff_defaults_to_the_last_two_runs(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--state-dir", str(history), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["old_run"], document["new_run"]) == (OLD.id, NEW.id)
    assert [(c["check_id"], c["target"]) for c in document["new"]] == [("TLS-004", "lab-dc/portal:443")]
    assert [c["check_id"] for c in document["fixed"]] == ["TLS-001"]
    assert [(c["before"]["severity"], c["after"]["severity"]) for c in document["changed_severity"]] == [
        ("low", "medium")
    ]
    assert document["still_failing"] == [] and document["not_rechecked"] == []


def test_diff_table_prints_remote_text_literally(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", OLD.id[:10], NEW.id[:10], "--state-dir", str(history)]) == 0
    output = capsys.readouterr().out
    assert "New since the older run: 1" in output and "Fixed (now PASS): 1" in output
    assert "RC4 [bold red]accepted[/] <b>" in output


def test_diff_of_the_first_run_says_there_is_nothing_to_compare(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", OLD.id, "--state-dir", str(history)]) == 2
    assert "has no earlier run of the same inventory" in capsys.readouterr().err
