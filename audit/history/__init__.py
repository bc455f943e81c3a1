"""Run history: the store (SQLite or PostgreSQL via SQLAlchemy), migrations, and diffs between runs."""

from p06audit.assessment import finding_key
from p06audit.history.diff import SECTIONS, Change, RunDiff, diff_runs, summary
from p06audit.history.record import HistoryBaseline, RecordResult, baseline, prepare, record
from p06audit.history.store import HistoryError, HistoryStore, RunSummary, UnknownRunError, database_url

__all__ = [
    "SECTIONS",
    "Change",
    "HistoryBaseline",
    "HistoryError",
    "HistoryStore",
    "RecordResult",
    "RunDiff",
    "RunSummary",
    "UnknownRunError",
    "baseline",
    "database_url",
    "diff_runs",
    "finding_key",
    "prepare",
    "record",
    "summary",
]
