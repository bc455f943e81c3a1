"""`p06audit diff [RUN_A] [RUN_B]`: findings new, fixed, still failing, changed severity between two runs.

With no run, the latest run is compared with the one before it (same inventory); with one run, that
run with the one before it. Run ids may be shortened to any unique prefix.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from p06audit.commands.history import add_database_arguments, open_history
from p06audit.errors import UsageError
from p06audit.model import Finding, Run
from p06audit.registry import REGISTRY
from p06audit.text import Message

if TYPE_CHECKING:
    from p06audit.history import Change, HistoryStore, RunDiff

SECTIONS = (
    ("new", "New since the older run"),
    ("fixed", "Fixed (now PASS)"),
    ("changed_severity", "Still failing, severity changed"),
    ("not_rechecked", "Failing before, not checked now (ERROR, SKIP or absent)"),
    ("still_failing", "Still failing"),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("diff", help="what changed between two recorded runs")
    parser.add_argument("run_a", nargs="?", metavar="RUN_A", help="older run (default: the one before RUN_B)")
    parser.add_argument("run_b", nargs="?", metavar="RUN_B", help="newer run (default: the latest)")
    parser.add_argument("--json", action="store_true", help="print the differences as JSON")
    add_database_arguments(parser)
    parser.set_defaults(func=diff_command)


def _pair(store: HistoryStore, run_a: str | None, run_b: str | None) -> tuple[Run, Run]:
    if run_a and run_b:
        return store.load(run_a), store.load(run_b)
    newer = run_a or store.latest()
    if newer is None:
        raise UsageError(f"no recorded runs in {store.display_url}")
    new = store.load(newer)
    old = store.previous(new.id)
    if old is None:
        raise UsageError(f"run {new.id} has no earlier run of the same inventory to compare with")
    return old, new


def _english(message: Message, default: str) -> str:
    from p06audit.history.store import english_or  # SQLAlchemy: imported when the command runs

    return english_or(message, default)


def _summary(finding: Finding) -> str:
    return _english(finding.message, finding.message.key)


def _change_json(change: Change) -> dict[str, Any]:
    def side(finding: Finding | None) -> dict[str, Any] | None:
        if finding is None:
            return None
        return {
            "status": finding.status.value,
            "severity": finding.severity.value,
            "summary": _summary(finding),
        }

    return {
        "check_id": change.check_id,
        "target": change.target_key,
        "title": _english(Message(f"{change.check_id}.title"), change.check_id),
        "before": side(change.before),
        "after": side(change.after),
    }


def diff_as_json(diff: RunDiff) -> str:
    document: dict[str, Any] = {"old_run": diff.old_run, "new_run": diff.new_run}
    for name, _ in SECTIONS:
        document[name] = [_change_json(c) for c in getattr(diff, name)]
    return json.dumps(document, ensure_ascii=False, indent=2)


def _state(finding: Finding | None) -> str:
    return "-" if finding is None else f"{finding.status.value} {finding.severity.value}"


def _table(title: str, changes: tuple[Change, ...]) -> Table:
    table = Table(title=f"{title}: {len(changes)}", title_justify="left")
    for column in ("check", "target", "before", "now", "summary"):
        table.add_column(column, overflow="fold")
    for change in changes:
        table.add_row(
            change.check_id,
            Text(change.target_key),
            _state(change.before),
            _state(change.after),
            Text(_summary(change.latest)),
        )
    return table


def diff_command(args: argparse.Namespace) -> int:
    # SQLAlchemy: imported when this command runs, not at every start-up
    from p06audit.history import diff_runs

    REGISTRY.load_texts()
    with open_history(args) as store:
        old, new = _pair(store, args.run_a, args.run_b)
    diff = diff_runs(old, new)
    if args.json:
        print(diff_as_json(diff))
        return 0
    console = Console()
    console.print(
        Text(f"{old.id} ({old.finished:%Y-%m-%d %H:%M} UTC) → {new.id} ({new.finished:%Y-%m-%d %H:%M} UTC)")
    )
    for name, title in SECTIONS:
        changes: tuple[Change, ...] = getattr(diff, name)
        if changes:
            console.print(_table(title, changes))
        else:
            console.print(Text(f"{title}: 0"))
    return 0
