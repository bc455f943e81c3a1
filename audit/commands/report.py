"""`p06audit report RUN.json`: re-render a past run's report.json in any format and language."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from p06audit.guidance.catalogue import default_catalogue
from p06audit.waivers import load_waivers


def register(subparsers: Any) -> None:
    from p06audit import reports

    parser = subparsers.add_parser("report", help="re-render a past run's report (html, junit, csv, json)")
    parser.add_argument("run", type=Path, metavar="RUN.json", help="a report.json written by `p06audit run`")
    parser.add_argument(
        "--format",
        action="append",
        dest="formats",
        choices=reports.FORMATS,
        help="output format (repeatable; default html)",
    )
    parser.add_argument(
        "--lang", choices=["vi", "en"], default=None, help="report language (default: the run's)"
    )
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: beside RUN.json)")
    parser.add_argument(
        "--previous", type=Path, default=None, help="an earlier report.json, to mark what is new"
    )
    parser.add_argument(
        "--waivers",
        type=Path,
        default=None,
        help="waiver file to re-assess with (default: the waivers recorded with the run)",
    )
    parser.add_argument(
        "--legal-basis", default=None, help="legal basis to cite (see `p06audit guidance list`)"
    )
    parser.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    """Re-render with what the run recorded: its waivers, legal basis, time zone and comparison.
    `--waivers`, `--legal-basis` and `--previous` re-assess it explicitly with other inputs."""
    from p06audit import reports
    from p06audit.assessment import assess

    assessment = reports.load_assessment(args.run, default_catalogue())
    if args.waivers or args.legal_basis or args.previous:
        previous = reports.load_assessment(args.previous).run if args.previous else None
        assessment = assess(
            assessment.run,
            legal_basis=args.legal_basis or assessment.legal_basis,
            waivers=load_waivers(args.waivers) if args.waivers else assessment.waivers.waivers,
            waiver_error=None if args.waivers else assessment.waivers.error,
            timezone=assessment.timezone,
            language=assessment.language,
            policy=assessment.policy,
            previous=previous,
            comparison=None if previous else assessment.previous,
            trend=assessment.trend,
        )
    written = reports.write_outputs(
        assessment,
        args.out or args.run.parent,
        formats=tuple(args.formats or ("html",)),
        lang=args.lang,
    )
    console = Console()
    for fmt, path in written.items():
        console.print(f"{fmt}: {path}", highlight=False)
    return 0
