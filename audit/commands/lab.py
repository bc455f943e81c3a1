"""`p06audit lab up|down|status`: the loopback lab as a background process."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from p06audit import lab

DEFAULT_LAB_DIR = Path(".lab")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("lab", help="start or stop the loopback lab (127.0.x.y servers)")
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--workdir", type=Path, default=DEFAULT_LAB_DIR, help="lab state and test PKI")
    parser.add_argument("--only", action="append", help="only this scenario module (repeatable)")
    parser.set_defaults(func=run_lab)


def print_servers(servers: list[dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    for column in ("name", "address", "port", "description"):
        table.add_column(column)
    for server in servers:
        table.add_row(server["name"], server["address"], str(server["port"]), server["description"])
    Console().print(table)


def run_lab(args: argparse.Namespace) -> int:
    console = Console()
    if args.action == "up":
        state = lab.start_background(args.workdir, args.only)
        print_servers(state["servers"], f"lab up (pid {state['pid']})")
    elif args.action == "down":
        stopped = lab.stop_background(args.workdir)
        console.print("lab stopped" if stopped else "no lab was running")
    else:
        running = lab.status(args.workdir)
        if running is None:
            console.print("lab is not running")
            return 1
        print_servers(running["servers"], f"lab running (pid {running['pid']})")
    return 0
