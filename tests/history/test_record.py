"""baseline() and record(): what a run is compared with, read before the scan, and the Assessment saved
after the reports; neither ever raises."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from p06audit.assessment import Assessment, assess
from p06audit.history import HistoryBaseline, HistoryStore, RecordResult, baseline, prepare, record
from p06audit.model import Run, Severity, SiteInfo, Status
from p06audit.options import RunOptions
from tests.history.factory import finding, make_run

FIRST = make_run(0, [finding("TLS-002", Status.FAIL, Severity.HIGH)])
SECOND = make_run(1, [finding("TLS-002", Status.PASS, Severity.HIGH)])


def audited(
    run: Run, options: RunOptions, db_url: str | None = None
) -> tuple[HistoryBaseline, Assessment, RecordResult]:
    """What the pipeline does around one run: read the baseline, assess against it, record."""
    found = baseline(run.inventory, options, db_url)
    assessment = assess(run, previous=found.previous, trend=found.trend)
    return found, assessment, record(assessment, options, db_url)


def test_first_and_second_run(tmp_path: Path) -> None:
    options = RunOptions(state_dir=tmp_path / "state")
    assert prepare(options).endswith("/state/history.sqlite3")
    before_first, first, recorded = audited(FIRST, options)
    assert (recorded.error, before_first.previous) == (None, None)
    assert first.trend == {site: [(FIRST.id, pct)] for site, pct in first.site_percentages().items()}

    before_second, second, recorded = audited(SECOND, options)
    assert recorded.error is None and before_second.previous == FIRST
    assert second.previous is not None and second.previous.previous_id == FIRST.id
    assert second.trend["lab-dc"][-1] == (SECOND.id, second.site_percentages()["lab-dc"])
    assert "lab-psc" not in second.trend or [r for r, _ in second.trend["lab-psc"]] == [FIRST.id, SECOND.id]
    with HistoryStore(recorded.database) as store:
        assert store.trend("lab-dc")["lab-dc"][-1] == second.trend["lab-dc"][-1]


def test_trend_covers_only_the_sites_of_this_run(tmp_path: Path) -> None:
    options = RunOptions(state_dir=tmp_path)
    elsewhere = SiteInfo("other-site", "provincial_dc", "Tỉnh Khác", 3)
    other = replace(make_run(0, []), id="other-province-run", sites=[elsewhere], inventory="/srv/other")
    with HistoryStore(f"sqlite:///{tmp_path / 'history.sqlite3'}") as store:
        store.save(other, {"other-site": 10.0})
    _, assessment, result = audited(FIRST, options)
    assert result.error is None
    percent = assessment.site_percentages()
    assert assessment.trend == {
        "lab-dc": [(FIRST.id, percent["lab-dc"])],
        "lab-psc": [(FIRST.id, percent["lab-psc"])],
    }


def test_a_broken_history_is_reported_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "history.sqlite3").write_bytes(b"not a database" * 100)
    with caplog.at_level(logging.ERROR):
        found, _, result = audited(FIRST, RunOptions(state_dir=tmp_path))
    assert found.previous is None and found.trend == {}
    assert result.error is not None and "file is not a database" in result.error
    assert f"run {FIRST.id} was not recorded in the history" in caplog.text


def test_passwords_in_the_url_are_never_shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = "postgresql+psycopg://audit:hunter2@127.0.7.50:1/history"
    with caplog.at_level(logging.ERROR):
        _, _, result = audited(FIRST, RunOptions(state_dir=tmp_path), url)
    assert result.error is not None and "***" in result.error
    assert "hunter2" not in result.error and "hunter2" not in caplog.text
