"""The one call a finished run makes into history: save it, then fetch what the reports compare with.

A history failure must never lose the run: it is logged and returned as `error`, so the caller still
writes the reports (without the comparison) and can exit non-zero afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from audit.errors import AuditError
from audit.guidance import site_compliance_percentages
from audit.history.store import HistoryStore, database_url
from audit.model import Run
from audit.options import RunOptions

log = logging.getLogger(__name__)

TREND_RUNS = 10

Trend = dict[str, list[tuple[str, float]]]


@dataclass(frozen=True)
class RecordResult:
    """`previous`: last run of the same inventory; `trend`: per site, (run id, compliance %) oldest first."""

    database: str = ""
    previous: Run | None = None
    trend: Trend = field(default_factory=dict)
    error: str | None = None


def prepare(options: RunOptions, db_url: str | None = None) -> str:
    """Open and migrate the history before a run, so a bad `--db` fails before any scanning."""
    url = database_url(db_url, options.state_dir)
    with HistoryStore(url) as store:
        return store.display_url


def record(
    run: Run, options: RunOptions, db_url: str | None = None, *, compliance: Mapping[str, float] | None = None
) -> RecordResult:
    """Save `run` with its per-site compliance % and return the previous run and the trend of its sites.

    `compliance` lets the caller store the figures its report shows (e.g. with waivers applied);
    by default they are computed from the run's findings alone.
    """
    url = database_url(db_url, options.state_dir)
    try:
        with HistoryStore(url) as store:
            store.save(run, site_compliance_percentages(run) if compliance is None else compliance)
            previous = store.previous(run.id)
            sites = {s.name for s in run.sites}
            trend = {site: points for site, points in store.trend(limit=TREND_RUNS).items() if site in sites}
            return RecordResult(store.display_url, previous, trend)
    except (AuditError, OSError) as exc:
        log.error("run %s was not recorded in the history: %s", run.id, exc)
        return RecordResult(error=str(exc))
