"""`p06audit demo`: start the loopback lab, audit inventories/demo, write the report, stop the lab."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from p06audit.commands.run import add_run_arguments, audit_inventory, print_summary
from p06audit.lab import Lab

DEFAULT_INVENTORY = Path("inventories/demo")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="lab up, audit inventories/demo, write the report, lab down")
    parser.add_argument("--inventory", type=Path, default=DEFAULT_INVENTORY)
    parser.add_argument("--lab-dir", type=Path, default=Path(".lab"), help="lab state and test PKI")
    add_run_arguments(parser)
    parser.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    console = Console()
    args.state_dir = args.state_dir or args.lab_dir / "state"
    with Lab(args.lab_dir) as lab:
        console.print(f"lab up: {len(lab.servers)} servers on 127.0.x.y")
        result = audit_inventory(args, args.inventory)
    print_summary(result)
    report = result.files.get("report.html") or next(iter(result.files.values()))
    console.print(f"[bold green]report:[/] {report.resolve()}", highlight=False)
    return 0
