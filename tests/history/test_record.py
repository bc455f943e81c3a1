"""record(): the one call after a run; it saves, returns what the report compares with, and never raises."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from audit.guidance import site_compliance_percentages
from audit.history import HistoryStore, prepare, record
from audit.model import Severity, Status
from audit.options import RunOptions
from tests.history.factory import finding, make_run

FIRST = make_run(0, [finding("TLS-002", Status.FAIL, Severity.HIGH)])
SECOND = make_run(1, [finding("TLS-002", Status.PASS, Severity.HIGH)])


def test_first_and_second_run(tmp_path: Path) -> None:
    options = RunOptions(state_dir=tmp_path / "state")
    assert prepare(options).endswith("/state/history.sqlite3")
    first = record(FIRST, options)
    assert (first.error, first.previous) == (None, None)
    assert first.trend == {
        site: [(FIRST.id, pct)] for site, pct in site_compliance_percentages(FIRST).items()
    }

    second = record(SECOND, options, compliance={"lab-dc": 100.0})
    assert second.error is None and second.previous == FIRST
    assert second.trend["lab-dc"][-1] == (SECOND.id, 100.0)
    assert "lab-psc" not in second.trend or [r for r, _ in second.trend["lab-psc"]] == [FIRST.id]


def test_trend_covers_only_the_sites_of_this_run(tmp_path: Path) -> None:
    options = RunOptions(state_dir=tmp_path)
    with HistoryStore(f"sqlite:///{tmp_path / 'history.sqlite3'}") as store:
        store.save(make_run(0, []).model_copy(update={"id": "other-province-run"}), {"other-site": 10.0})
    result = record(FIRST, options, compliance={"lab-dc": 50.0, "lab-psc": 60.0})
    assert result.trend == {"lab-dc": [(FIRST.id, 50.0)], "lab-psc": [(FIRST.id, 60.0)]}


def test_a_broken_history_is_reported_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "history.sqlite3").write_bytes(b"not a database" * 100)
    with caplog.at_level(logging.ERROR):
        result = record(FIRST, RunOptions(state_dir=tmp_path))
    assert result.previous is None and result.trend == {}
    assert result.error is not None and "file is not a database" in result.error
    assert f"run {FIRST.id} was not recorded in the history" in caplog.text


def test_passwords_in_the_url_are_never_shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = "postgresql+psycopg://audit:hunter2@127.0.7.50:1/history"
    with caplog.at_level(logging.ERROR):
        result = record(FIRST, RunOptions(state_dir=tmp_path), url)
    assert result.error is not None and "***" in result.error
    assert "hunter2" not in result.error and "hunter2" not in caplog.text
