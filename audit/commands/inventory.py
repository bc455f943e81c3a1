"""`p06audit inventory validate DIR`: validate an inventory without scanning anything."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from p06audit.inventory import load_inventory


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("inventory", help="inventory tools")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    validate = actions.add_parser(
        "validate",
        help="check an inventory directory; exit 2 with every problem as file:line: field: what — fix",
    )
    validate.add_argument("directory", type=Path)
    validate.add_argument(
        "--allow-wide-scope", action="store_true", help="accept site subnets wider than /22"
    )
    validate.add_argument(
        "--lang", choices=["vi", "en"], default="en", help="language of the problems (default en)"
    )
    validate.set_defaults(func=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    inventory = load_inventory(args.directory, allow_wide_scope=args.allow_wide_scope)
    table = Table(title=f"Inventory {inventory.name}: valid")
    for column in ("site", "kind", "province", "level", "hosts", "subnets"):
        table.add_column(column)
    for site in inventory.sites.values():
        table.add_row(
            site.name,
            site.data.kind.value,
            site.data.province,
            str(site.data.security_level),
            str(len(inventory.hosts_of(site.name))),
            ", ".join(str(n) for n in site.data.subnets) or "-",
        )
    Console().print(table)
    return 0
