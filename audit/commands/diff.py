"""`p06audit diff [RUN_A] [RUN_B]`: findings new, fixed, still failing, changed severity between two runs.

With no run, the latest run is compared with the one before it (same inventory); with one run, that
run with the one before it. Run ids may be shortened to any unique prefix. The first line says what
changed in words (`--lang vi|en`); folded findings count their items one by one, and a target that
was not examined before and answers now is "checked now", never "fixed".
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
from p06audit.text import Lang, Message, Renderer, say

if TYPE_CHECKING:
    from p06audit.history import Change, HistoryStore, RunDiff

COLUMNS = ("check", "target", "before", "now", "summary")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("diff", help="what changed between two recorded runs")
    parser.add_argument("run_a", nargs="?", metavar="RUN_A", help="older run (default: the one before RUN_B)")
    parser.add_argument("run_b", nargs="?", metavar="RUN_B", help="newer run (default: the latest)")
    parser.add_argument("--json", action="store_true", help="print the differences as JSON")
    parser.add_argument(
        "--lang", choices=["vi", "en"], default="en", help="language of the summary and headings (default en)"
    )
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


def _said(render: Renderer, message: Message, default: str) -> str:
    from p06audit.history.store import english_or  # SQLAlchemy: imported when the command runs

    return english_or(message, default, render)


def _summary(render: Renderer, finding: Finding) -> str:
    return _said(render, finding.message, finding.message.key)


def _change_json(change: Change, render: Renderer) -> dict[str, Any]:
    def side(finding: Finding | None) -> dict[str, Any] | None:
        if finding is None:
            return None
        return {
            "status": finding.status.value,
            "severity": finding.severity.value,
            "items": finding.items,
            "summary": _summary(render, finding),
        }

    return {
        "check_id": change.check_id,
        "target": change.target_key,
        "title": _said(render, Message(f"{change.check_id}.title"), change.check_id),
        "items": change.items,
        "fixed_items": change.fixed_items,
        "new_items": change.new_items,
        "before": side(change.before),
        "after": side(change.after),
    }


def diff_as_json(diff: RunDiff, render: Renderer) -> str:
    from p06audit.history import SECTIONS, summary

    document: dict[str, Any] = {
        "old_run": diff.old_run,
        "new_run": diff.new_run,
        "summary": render(summary(diff)),
        "fixed_items": diff.fixed_items,
        "new_items": diff.new_items,
    }
    for name in SECTIONS:
        document[name] = [_change_json(c, render) for c in getattr(diff, name)]
    return json.dumps(document, ensure_ascii=False, indent=2)


def _state(finding: Finding | None) -> str:
    return "-" if finding is None else f"{finding.status.value} {finding.severity.value}"


def _heading(render: Renderer, diff: RunDiff, name: str) -> str:
    """`Fixed (now PASS): 1 (27 items)`: changes, and the items they stand for when that differs."""
    changes: tuple[Change, ...] = getattr(diff, name)
    items = sum(c.fixed_items for c in changes) if name == "fixed" else diff.items(name)
    heading = f"{render(say(f'core.diff_{name}'))}: {len(changes)}"
    return heading + (f" {render(say('core.diff_items', count=items))}" if items != len(changes) else "")


def _table(render: Renderer, title: str, changes: tuple[Change, ...]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in COLUMNS:
        table.add_column(render(say(f"core.diff_column_{column}")), overflow="fold")
    for change in changes:
        table.add_row(
            change.check_id,
            Text(change.target_key),
            _state(change.before),
            _state(change.after),
            Text(_summary(render, change.latest)),
        )
    return table


def diff_command(args: argparse.Namespace) -> int:
    # SQLAlchemy: imported when this command runs, not at every start-up
    from p06audit.history import SECTIONS, diff_runs, summary

    REGISTRY.load_texts()
    lang: Lang = "vi" if args.lang == "vi" else "en"
    render = Renderer(lang)
    with open_history(args) as store:
        old, new = _pair(store, args.run_a, args.run_b)
    diff = diff_runs(old, new)
    if args.json:
        print(diff_as_json(diff, render))
        return 0
    console = Console()
    console.print(Text(render(summary(diff))))
    console.print(
        Text(f"{old.id} ({old.finished:%Y-%m-%d %H:%M} UTC) → {new.id} ({new.finished:%Y-%m-%d %H:%M} UTC)")
    )
    for name in SECTIONS:
        changes: tuple[Change, ...] = getattr(diff, name)
        heading = _heading(render, diff, name)
        console.print(_table(render, heading, changes) if changes else Text(heading))
    return 0
