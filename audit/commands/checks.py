"""`p06audit checks list`: every registered check, where it lives and what it applies to."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from p06audit.guidance.catalogue import default_catalogue
from p06audit.registry import REGISTRY
from p06audit.text import Message, Renderer


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("checks", help="list the registered checks")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="print the checks as a table")
    listing.add_argument("--family", help="only this family (e.g. tls)")
    listing.add_argument(
        "--lang", choices=["vi", "en"], default="en", help="language of the titles (default en)"
    )
    listing.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    REGISTRY.load_plugins()
    render = Renderer(args.lang)
    catalogue = default_catalogue()
    table = Table(title="p06audit checks")
    for column in ("id", "family", "severity", "title", "applies to", "controls", "module"):
        table.add_column(column, overflow="fold")
    for spec in sorted(REGISTRY.checks.values(), key=lambda c: c.id):
        if args.family and spec.family != args.family:
            continue
        table.add_row(
            spec.id,
            spec.family,
            spec.severity.value,
            render(Message(f"{spec.id}.title")),
            spec.applies_to.describe(),
            ", ".join(catalogue.controls_for_check(spec.id)),
            spec.module,
        )
    Console().print(table)
    return 0
