"""The calls a run makes into history: open it before the scan, read what the run is compared
with, and record the Assessment once the reports are written.

A history failure must never lose the run: it is logged and returned as `error`, so the caller
still has its reports and can exit non-zero afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from p06audit.assessment import Assessment
from p06audit.errors import AuditError
from p06audit.history.store import HistoryStore, RunContext, database_url
from p06audit.model import Run
from p06audit.options import RunOptions

log = logging.getLogger(__name__)

TREND_RUNS = 10

Trend = dict[str, list[tuple[str, float]]]


@dataclass(frozen=True)
class RecordResult:
    database: str = ""
    error: str | None = None


@dataclass(frozen=True)
class HistoryBaseline:
    """`previous`: last run of the same inventory; `trend`: per site, (run id, compliance %) oldest first."""

    previous: Run | None = None
    trend: Trend = field(default_factory=dict)


def prepare(options: RunOptions, db_url: str | None = None) -> str:
    """Open and migrate the history before a run, so a bad `--db` fails before any scanning."""
    url = database_url(db_url, options.state_dir)
    with HistoryStore(url) as store:
        return store.display_url


def baseline(inventory: str, options: RunOptions, db_url: str | None = None) -> HistoryBaseline:
    """The inventory's last recorded run and each site's last compliance figures."""
    url = database_url(db_url, options.state_dir)
    try:
        with HistoryStore(url) as store:
            latest = store.latest_of(inventory)
            previous = store.load(latest) if latest else None
            return HistoryBaseline(previous, store.trend(limit=TREND_RUNS - 1, inventory=inventory))
    except (AuditError, OSError) as exc:
        log.error("the run history could not be read: %s", exc)
        return HistoryBaseline()


def record(
    assessment: Assessment, options: RunOptions, db_url: str | None = None, report_dir: Path | None = None
) -> RecordResult:
    """Save the run with its per-site compliance %, legal basis, time zone, waivers and where its
    reports are (so pruning the history removes them too)."""
    run = assessment.run
    url = database_url(db_url, options.state_dir)
    context = RunContext(
        legal_basis=assessment.legal_basis,
        timezone=assessment.timezone,
        waivers=[w.model_dump(mode="json") for w in assessment.waivers.waivers.waivers],
        report_dir=str(report_dir.resolve()) if report_dir is not None else None,
    )
    try:
        with HistoryStore(url) as store:
            store.save(run, assessment.site_percentages(), context)
            return RecordResult(store.display_url)
    except (AuditError, OSError) as exc:
        log.error("run %s was not recorded in the history: %s", run.id, exc)
        return RecordResult(error=str(exc))
