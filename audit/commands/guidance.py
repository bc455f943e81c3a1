"""`p06audit guidance list|validate`: the control catalogue, and its agreement with the checks."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from p06audit.guidance.catalogue import (
    Catalogue,
    Confidence,
    Control,
    Lang,
    default_catalogue,
    registry_problems,
)
from p06audit.registry import REGISTRY

CONFIDENCE_TAG = {Confidence.CONFIRMED: "[P]", Confidence.SECONDARY: "[S]", Confidence.UNCONFIRMED: "[U]"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("guidance", help="the guidance control catalogue")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="print the controls as a table")
    listing.add_argument(
        "--level", type=int, choices=range(1, 6), help="only controls applicable at this level"
    )
    listing.add_argument("--lang", choices=["vi", "en"], default="vi", help="title language (default vi)")
    listing.add_argument("--legal-basis", help="cite this legal basis (default: the catalogue's)")
    listing.set_defaults(func=run_list)
    validate = actions.add_parser("validate", help="check the catalogue against the registered checks")
    validate.set_defaults(func=run_validate)


def _levels(control: Control) -> str:
    text = ", ".join(str(n) for n in control.levels)
    if control.advisory_levels:
        advisory = ", ".join(str(n) for n in control.advisory_levels)
        text = f"{text}; advisory {advisory}" if text else f"advisory {advisory}"
    return text + (" (prop.)" if control.levels_source == "proposed" else "")


def _citations(catalogue: Catalogue, control: Control, basis: str, lang: Lang) -> str:
    return "\n".join(
        f"{catalogue.documents[c.document].short(lang)}, {c.where_at(lang)} {CONFIDENCE_TAG[c.confidence]}"
        for c in catalogue.citations(control, basis)
    )


def run_list(args: argparse.Namespace) -> int:
    catalogue = default_catalogue()
    basis = catalogue.basis(args.legal_basis)
    table = Table(title=f"Guidance controls — {basis.title(args.lang)}", show_lines=True)
    for column in (
        "id",
        "control",
        "levels",
        "basis ([P] confirmed, [S] secondary, [U] not confirmed)",
        "checks",
    ):
        table.add_column(column, overflow="fold")
    for control in catalogue.at_level(args.level):
        table.add_row(
            control.id,
            control.title(args.lang),
            _levels(control),
            _citations(catalogue, control, basis.id, args.lang),
            ", ".join(control.checks) or "manual review",
        )
    Console().print(table)
    return 0


def run_validate(args: argparse.Namespace) -> int:
    REGISTRY.load_plugins()
    problems = registry_problems(default_catalogue(), REGISTRY.checks)
    console = Console()
    for problem in problems:
        console.print(Text("✗ ", style="red") + Text(problem))
    if not problems:
        console.print(f"catalogue and {len(REGISTRY.checks)} registered checks agree")
    return 1 if problems else 0
