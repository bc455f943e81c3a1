"""systemd units and a crontab line that run `p06audit run` on a schedule with this installation's paths.

Pure text rendering: the command line is built as an argument list and quoted for each target
(systemd's ExecStart rules, the shell for cron, where `%` is also special), so a path with spaces
or a percent sign still runs exactly the intended command.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Literal

Every = Literal["daily", "weekly"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SYSTEMD_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


@dataclass(frozen=True)
class Schedule:
    every: Every
    at: time
    weekday: str
    command: tuple[str, ...]
    name: str = "p06audit"

    @property
    def description(self) -> str:
        when = f"{self.weekday.capitalize()} " if self.every == "weekly" else ""
        return f"p06audit {self.every} audit ({when}{self.at:%H:%M})"


def installed_command() -> tuple[str, ...]:
    """How this installation starts p06audit: its console script beside the interpreter, else
    `-m p06audit`."""
    interpreter = Path(sys.executable).absolute()
    script = interpreter.parent / "p06audit"
    return (str(script),) if script.is_file() else (str(interpreter), "-m", "p06audit")


def audit_command(inventory: Path, out_dir: Path, extra: Sequence[str] = ()) -> tuple[str, ...]:
    return (
        *installed_command(),
        "run",
        str(inventory.absolute()),
        "--out",
        str(out_dir.absolute()),
        "--no-progress",
        *extra,
    )


def _systemd_arg(arg: str) -> str:
    """Quote one ExecStart argument: `%` and `$` are systemd specifiers/variables, so double them."""
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if _SYSTEMD_SAFE.match(arg):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_service(schedule: Schedule) -> str:
    return "\n".join(
        [
            "[Unit]",
            f"Description={schedule.description}",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            "ExecStart=" + " ".join(_systemd_arg(a) for a in schedule.command),
            "Nice=10",
            "",
        ]
    )


def systemd_timer(schedule: Schedule) -> str:
    day = f"{schedule.weekday.capitalize()} " if schedule.every == "weekly" else ""
    return "\n".join(
        [
            "[Unit]",
            f"Description=Timer for {schedule.description}",
            "",
            "[Timer]",
            f"OnCalendar={day}*-*-* {schedule.at:%H:%M}:00",
            "Persistent=true",
            f"Unit={schedule.name}.service",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )


def crontab_line(schedule: Schedule) -> str:
    """The same schedule for cron (`crontab -e`); `%` would end the command in cron, so it is escaped."""
    day = str(WEEKDAYS.index(schedule.weekday) + 1) if schedule.every == "weekly" else "*"
    command = shlex.join(schedule.command).replace("%", "\\%")
    return f"{schedule.at.minute} {schedule.at.hour} * * {day} {command}"
