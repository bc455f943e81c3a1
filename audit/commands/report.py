"""`p06audit report RUN.json`: re-render a past run (report.json or a bare run) in any format."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from audit.waivers import load_waivers


def register(subparsers: Any) -> None:
    import reports

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
    parser.add_argument("--waivers", type=Path, default=None, help="waiver file (default: the inventory's)")
    parser.add_argument(
        "--legal-basis", default=None, help="legal basis to cite (see `p06audit guidance list`)"
    )
    parser.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    import reports
    from reports.model import ReportDocument

    loaded = reports.load_document(args.run)
    trend: dict[str, list[tuple[str, float]]] | None = None
    if isinstance(loaded, ReportDocument):
        run, lang = loaded.to_run(), loaded.language
        trend = {site: [(p.run, p.percent) for p in points] for site, points in loaded.trend.items()}
    else:
        run, lang = loaded, "vi"
    written = reports.write_outputs(
        run,
        args.out or args.run.parent,
        formats=tuple(args.formats or ("html",)),
        lang=args.lang or lang,
        previous=reports.load_run(args.previous) if args.previous else None,
        trend=trend,
        legal_basis=args.legal_basis,
        waivers=load_waivers(args.waivers) if args.waivers else None,
    )
    console = Console()
    for fmt, path in written.items():
        console.print(f"{fmt}: {path}", highlight=False)
    return 0
