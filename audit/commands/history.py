"""`p06audit history [--site S]`: recorded runs, newest first, with issues per severity and compliance %."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from p06audit.model import Severity
from p06audit.options import default_state_dir

if TYPE_CHECKING:
    from p06audit.history import HistoryStore, RunSummary

SHORT = {
    Severity.CRITICAL: "crit",
    Severity.HIGH: "high",
    Severity.MEDIUM: "med",
    Severity.LOW: "low",
    Severity.INFO: "info",
}


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    """`--db` and `--state-dir`, shared by the commands that read the history."""
    parser.add_argument("--db", metavar="URL", help="history database: SQLAlchemy URL or SQLite file path")
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="state directory holding history.sqlite3"
    )


def open_history(args: argparse.Namespace) -> HistoryStore:
    """The existing history named by the arguments (never creates an empty one by mistake)."""
    # SQLAlchemy: imported when this command runs, not at every start-up
    from p06audit.history import HistoryStore, database_url

    return HistoryStore(database_url(args.db, args.state_dir or default_state_dir()), create=False)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("history", help="list recorded runs with issue counts and compliance")
    parser.add_argument("--site", help="only runs covering this site, counted for it alone")
    parser.add_argument("--limit", type=int, default=30, help="at most this many runs (default 30)")
    add_database_arguments(parser)
    parser.set_defaults(func=history_command)


def _compliance(summary: RunSummary) -> Text:
    parts = [f"{site} {'-' if pct is None else f'{pct:.0f}%'}" for site, pct in summary.compliance.items()]
    return Text(", ".join(parts))


def history_command(args: argparse.Namespace) -> int:
    with open_history(args) as store:
        summaries = store.runs(site=args.site, limit=args.limit)
        where = store.display_url
    scope = f" for site {args.site}" if args.site else ""
    table = Table(
        title=f"Recorded runs{scope}: FAIL+WARN per severity, newest first",
        caption=where,
        box=box.SIMPLE_HEAD,
    )
    table.add_column("run", no_wrap=True)
    for severity in Severity:
        table.add_column(SHORT[severity], justify="right")
    table.add_column("ERR", justify="right")
    table.add_column("compliance", overflow="fold")
    for summary in summaries:
        table.add_row(
            Text(summary.id),
            *(str(summary.issues[s]) for s in Severity),
            str(summary.errors),
            _compliance(summary),
        )
    console = Console()
    if summaries:
        console.print(table)
    else:
        console.print(Text(f"No recorded runs{scope} in {where}."))
    return 0
