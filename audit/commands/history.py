"""`p06audit history [--site S]`: recorded runs, newest first, with issues per severity and compliance %.

`p06audit history prune --keep 90d` deletes older runs from the history together with their report
directories, and never an inventory's latest run.
"""

from __future__ import annotations

import argparse
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from p06audit.model import Severity
from p06audit.options import default_state_dir
from p06audit.text import Renderer, say

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
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=False)
    prune = actions.add_parser("prune", help="delete runs older than --keep, and their report directories")
    prune.add_argument(
        "--keep", type=keep_period, required=True, metavar="AGE", help="keep runs younger than this: 90d, 12w"
    )
    prune.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    prune.add_argument(
        "--lang", choices=["vi", "en"], default="en", help="language of the output (default en)"
    )
    add_database_arguments(prune)
    prune.set_defaults(func=prune_command)


def keep_period(text: str) -> timedelta:
    """`90d` or `12w` as a duration; anything else is a usage error naming the form."""
    found = re.fullmatch(r"(\d+)([dw])", text.strip())
    if found is None or int(found.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not an age such as 90d (days) or 12w (weeks)")
    days = int(found.group(1)) * (7 if found.group(2) == "w" else 1)
    return timedelta(days=days)


def remove_report_dir(run_id: str, recorded: str | None) -> Path | None:
    """A pruned run's report directory, removed only if it is one: named after the run, with its
    report.json inside (never whatever a damaged row might point at)."""
    if not recorded:
        return None
    directory = Path(recorded)
    if directory.name != run_id or not (directory / "report.json").is_file():
        return None
    shutil.rmtree(directory)
    return directory


def prune_command(args: argparse.Namespace) -> int:
    render = Renderer("vi" if args.lang == "vi" else "en")
    cutoff = datetime.now(UTC) - args.keep
    console = Console()
    with open_history(args) as store:
        deleted = store.prune(cutoff, delete=not args.dry_run)
    if args.dry_run:
        for run_id, where in deleted:
            console.print(Text(render(say("core.prune_would_delete", run=run_id, directory=where or "-"))))
        return 0
    removed = [d for d in (remove_report_dir(run_id, where) for run_id, where in deleted) if d is not None]
    for run_id, where in deleted:
        console.print(Text(render(say("core.prune_deleted", run=run_id, directory=where or "-"))))
    console.print(Text(render(say("core.prune_summary", runs=len(deleted), directories=len(removed)))))
    return 0


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
