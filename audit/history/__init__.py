"""Run history: the store (SQLite or PostgreSQL via SQLAlchemy), migrations, and diffs between runs."""

from audit.history.diff import Change, RunDiff, diff_runs, finding_key
from audit.history.record import RecordResult, prepare, record
from audit.history.store import HistoryError, HistoryStore, RunSummary, UnknownRunError, database_url

__all__ = [
    "Change",
    "HistoryError",
    "HistoryStore",
    "RecordResult",
    "RunDiff",
    "RunSummary",
    "UnknownRunError",
    "database_url",
    "diff_runs",
    "finding_key",
    "prepare",
    "record",
]
