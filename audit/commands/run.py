"""`p06audit run INVENTORY`: audit every site and host of an inventory and write the reports."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from p06audit.assessment import ExitPolicy
from p06audit.distributed import ENV_BROKER_PASSWORD, ENV_BROKER_URL, EXECUTORS, choose_executor
from p06audit.errors import UsageError
from p06audit.exitcodes import HELP
from p06audit.family import FamilyOptions
from p06audit.inventory import load_inventory
from p06audit.model import Severity, Status
from p06audit.options import RunOptions, default_state_dir
from p06audit.pipeline import AuditResult, HistoryLink, audit_to_reports
from p06audit.processors import AuditProcessor
from p06audit.progress import ProgressProcessor
from p06audit.registry import REGISTRY

FORMATS = ("json", "html", "junit", "csv", "sarif", "ocsf", "prom")


def fail_on_value(text: str) -> tuple[Severity, bool]:
    """--fail-on as (severity, warn); a wrong word is a usage error naming the accepted ones."""
    try:
        return ExitPolicy.parse_fail_on(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_fail_on_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on",
        type=fail_on_value,
        default="high",
        metavar="SEVERITY[,warn]",
        help="exit 1 when a FAIL at or above this severity exists; add ',warn' to count WARNs too "
        "(e.g. high,warn; default high)",
    )
    parser.add_argument(
        "--allow-errors",
        action="store_true",
        help="exit 0 (not 5) when a target could not be examined and nothing else fails",
    )


def exit_policy(args: argparse.Namespace) -> ExitPolicy:
    severity, warn = args.fail_on
    return ExitPolicy(fail_on=severity, warn=warn, allow_errors=args.allow_errors)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `run` and `demo`."""
    parser.add_argument(
        "--out", type=Path, default=Path("reports-out"), help="report directory (one sub-directory per run)"
    )
    parser.add_argument("--workers", type=int, default=8, help="hosts audited in parallel (default 8)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per network operation (default 10)"
    )
    add_fail_on_argument(parser)
    parser.add_argument(
        "--check", action="append", dest="checks", metavar="ID", help="only this check (repeatable)"
    )
    parser.add_argument(
        "--family",
        action="append",
        dest="families",
        metavar="NAME",
        help="only this check family (repeatable; e.g. ssh); other families are not even loaded",
    )
    parser.add_argument("--allow-wide-scope", action="store_true", help="allow site subnets wider than /22")
    for name, family in sorted(REGISTRY.discover().items()):
        for option in family.run_options:
            option.add_to(parser, name)
    parser.add_argument("--state-dir", type=Path, default=None, help="pinned host keys, history, lock")
    parser.add_argument(
        "--lang", choices=["vi", "en"], default=None, help="report language (default: inventory's)"
    )
    parser.add_argument(
        "--format", action="append", dest="formats", choices=FORMATS, help="output formats (default all)"
    )
    parser.add_argument(
        "--skip-format",
        action="append",
        dest="skip_formats",
        choices=FORMATS,
        metavar="FORMAT",
        help="leave this format out (repeatable; e.g. --skip-format sarif --skip-format prom)",
    )
    parser.add_argument(
        "--prom-textfile",
        type=Path,
        metavar="FILE",
        help="also write p06audit.prom here, atomically (into node_exporter's textfile directory)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--db", metavar="URL", help="history database URL or SQLite file (default: state dir)"
    )
    parser.add_argument(
        "--notify", type=Path, help="SMTP digest settings (default: notify.yaml in the inventory)"
    )
    parser.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="local: audit every site here (default); celery: send each site to its scanner's queue",
    )
    parser.add_argument(
        "--broker",
        help=f"Celery broker for --executor celery (default ${ENV_BROKER_URL}; "
        f"its password in ${ENV_BROKER_PASSWORD})",
    )
    parser.add_argument(
        "--deadline", type=float, help="seconds to wait for scanners before their sites end as ERROR"
    )
    parser.add_argument(
        "--inventory-plugin",
        metavar="NAME",
        help="nornir inventory plugin for hosts and groups (default: the inventory's, else P06Inventory)",
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="audit an inventory and write reports",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "inventory", type=Path, help="inventory directory (hosts.yaml, groups.yaml, defaults.yaml)"
    )
    add_run_arguments(parser)
    parser.set_defaults(func=run_command)


def family_options(args: argparse.Namespace) -> dict[str, FamilyOptions]:
    """Each family's options model filled from the command line (options left out keep defaults)."""
    chosen: dict[str, FamilyOptions] = {}
    for name, family in REGISTRY.discover().items():
        if family.options is None:
            continue
        given = {
            o.field: value
            for o in family.run_options
            if (value := getattr(args, f"{name}__{o.field}", None)) not in (None, False)
        }
        chosen[name] = family.options(**given)
    return chosen


def options_from(args: argparse.Namespace) -> RunOptions:
    if args.workers < 1 or args.timeout <= 0:
        raise UsageError("--workers must be at least 1 and --timeout positive")
    return RunOptions(
        timeout=args.timeout,
        workers=args.workers,
        state_dir=args.state_dir or default_state_dir(),
        checks=frozenset(args.checks) if args.checks else None,
        families=frozenset(args.families) if args.families else None,
        allow_wide_scope=args.allow_wide_scope,
        family_options=family_options(args),
    )


def chosen_formats(args: argparse.Namespace) -> tuple[str, ...]:
    """--format (default every format) less --skip-format."""
    skipped = set(getattr(args, "skip_formats", None) or ())
    return tuple(f for f in args.formats or FORMATS if f not in skipped)


def audit_inventory(args: argparse.Namespace, inventory_dir: Path) -> AuditResult:
    from p06audit.notify import Notifier, find_notify_config  # jinja2: imported when a run needs it

    inventory = load_inventory(
        inventory_dir, plugin=args.inventory_plugin, allow_wide_scope=args.allow_wide_scope
    )
    options = options_from(args)
    notify = find_notify_config(inventory.directory, args.notify)
    history = HistoryLink(args.db, options)
    quiet = getattr(args, "verbosity", 0) < 0
    with ProgressProcessor(enabled=not args.no_progress and not quiet) as progress:
        processors: list[AuditProcessor] = [progress, history]
        if notify is not None:
            processors.append(Notifier(notify, lambda: history.baseline.previous))
        return audit_to_reports(
            inventory,
            options,
            args.out,
            chosen_formats(args),
            args.lang,
            processors,
            history=history,
            execute=choose_executor(args.executor, args.broker, args.deadline),
            policy=exit_policy(args),
        )


def print_summary(result: AuditResult) -> None:
    console = Console()
    table = Table(title=f"Run {result.run.id}: {len(result.run.findings)} findings")
    table.add_column("severity")
    for status in Status:
        table.add_column(status.value, justify="right")
    counts = Counter((f.severity, f.status) for f in result.run.findings)
    for severity in Severity:
        table.add_row(severity.value, *(str(counts[severity, status]) for status in Status))
    console.print(table)
    for name, path in result.files.items():
        console.print(f"{name}: {path}", highlight=False)


def export_textfile(result: AuditResult, target: Path | None) -> None:
    """The run's metrics where node_exporter reads them, replaced in one rename (it never reads half)."""
    from p06audit.reports import OUTPUTS
    from p06audit.reports.atomic import write_atomic

    written = result.files.get(OUTPUTS["prom"][0])
    if target is not None and written is not None:
        write_atomic(target, written.read_bytes())


def run_command(args: argparse.Namespace) -> int:
    from p06audit.history import (
        HistoryError,
    )  # SQLAlchemy: imported when a run needs it, not by every command

    result = audit_inventory(args, args.inventory)
    export_textfile(result, args.prom_textfile)
    if getattr(args, "verbosity", 0) >= 0:
        print_summary(result)
    if result.history_error:
        return HistoryError.exit_code
    return result.assessment.verdict.code
