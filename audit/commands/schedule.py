"""`p06audit schedule --every daily|weekly`: print systemd units and a crontab line for nightly audits."""

from __future__ import annotations

import argparse
import sys
from datetime import time
from pathlib import Path
from typing import Any

from p06audit.errors import UsageError
from p06audit.inventory import load_inventory
from p06audit.options import default_state_dir
from p06audit.schedule import WEEKDAYS, Schedule, audit_command, crontab_line, systemd_service, systemd_timer

EXIT_CODES = (
    "# Exit codes: 0 no FAIL at or above --fail-on, 1 there are, 2 usage or inventory error,\n"
    "# 3 internal error, 4 another run still holds the lock (this one did not start). See docs/scheduling.md."
)


def clock(text: str) -> time:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return time(hours, minutes)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a time of day as HH:MM (e.g. 02:30)") from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schedule", help="print systemd timer units and a crontab line for regular runs"
    )
    parser.add_argument("--every", choices=["daily", "weekly"], required=True, help="how often to audit")
    parser.add_argument(
        "--at", type=clock, default=time(2, 30), help="local time of day, HH:MM (default 02:30)"
    )
    parser.add_argument(
        "--day", choices=WEEKDAYS, default="mon", help="weekday of a weekly run (default mon)"
    )
    parser.add_argument("--inventory", type=Path, required=True, help="inventory directory to audit")
    parser.add_argument(
        "--out", type=Path, default=None, help="report directory (default: reports under the state dir)"
    )
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="state directory (history, lock, host keys)"
    )
    parser.add_argument(
        "--db", metavar="URL", help="history database URL, if not the SQLite file in the state dir"
    )
    parser.add_argument("--name", default="p06audit", help="unit name (default p06audit)")
    parser.set_defaults(func=schedule_command)


def schedule_command(args: argparse.Namespace) -> int:
    # SQLAlchemy: imported when this command runs, not at every start-up
    from p06audit.history.store import display_url

    if not args.name.replace("-", "").replace("_", "").isalnum():
        raise UsageError("--name may hold only letters, digits, '-' and '_'")
    if args.db and display_url(args.db) != args.db:
        raise UsageError(
            "--db holds a password, which would be written into the unit files: use PGPASSWORD or ~/.pgpass"
        )
    inventory = load_inventory(args.inventory).directory
    state_dir = (args.state_dir or default_state_dir()).absolute()
    extra = ["--state-dir", str(state_dir)] + (["--db", args.db] if args.db else [])
    out_dir = args.out or state_dir / "reports"
    schedule = Schedule(args.every, args.at, args.day, audit_command(inventory, out_dir, extra), args.name)
    sys.stdout.write(
        f"# --- /etc/systemd/system/{args.name}.service ---\n{systemd_service(schedule)}\n"
        f"# --- /etc/systemd/system/{args.name}.timer ---\n{systemd_timer(schedule)}\n"
        "# --- crontab line, instead of the two units (crontab -e) ---\n"
        f"{crontab_line(schedule)}\n\n{EXIT_CODES}\n"
    )
    return 0
