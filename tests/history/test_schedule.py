"""`p06audit schedule`: the printed units pass systemd's own verifier; the cron line runs the same argv."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from p06audit.cli import main
from p06audit.schedule import Schedule, crontab_line, systemd_service, systemd_timer
from tests.conftest import host, site, write_inventory_files

AWKWARD = (
    "/opt/p06 audit/bin/p06audit",
    "run",
    "/srv/inventories/tỉnh 100%",
    "--out",
    '/srv/out "$HOME"',
    "a\\b",
)


def sections(output: str) -> dict[str, str]:
    """Split the printed text at its `# --- <title> ---` lines."""
    found: dict[str, str] = {}
    title = ""
    for line in output.splitlines(keepends=True):
        if line.startswith("# --- "):
            title = line.strip("# -\n")
            found[title] = ""
        elif title:
            found[title] += line
    return found


def systemd_verify(directory: Path, *units: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("systemd-analyze")
    assert tool is not None, "systemd-analyze (Debian package systemd) is needed to verify the units"
    env = {**os.environ, "SYSTEMD_LOG_LEVEL": "debug"} if debug else None
    return subprocess.run(
        [tool, "verify", "--man=no", *(str(directory / u) for u in units)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def parsed_exec_start(verified: subprocess.CompletedProcess[str]) -> tuple[str, ...]:
    """The argv systemd parsed from ExecStart, from its debug dump (which writes `$` as `\\$`), with
    `$$` turned into `$` as systemd does when it executes the command."""
    [line] = [line for line in verified.stdout.splitlines() if "Command Line: " in line]
    return tuple(
        exec_time(arg.replace("\\$", "$")) for arg in shlex.split(line.split("Command Line: ", 1)[1])
    )


def exec_time(arg: str) -> str:
    """What systemd passes to the program: `$$` becomes `$`, and a bare `$NAME` would be expanded."""
    literal_parts = arg.split("$$")
    assert not any(re.search(r"\$[{A-Za-z_]", part) for part in literal_parts), (
        f"systemd would expand {arg!r}"
    )
    return "$".join(literal_parts)


def test_units_for_an_awkward_command_pass_systemd_verify_and_parse_to_the_exact_argv(tmp_path: Path) -> None:
    executable = tmp_path / "p06 audit" / "p06audit"
    executable.parent.mkdir()
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    schedule = Schedule("weekly", time(3, 15), "fri", (str(executable), *AWKWARD[1:]), "p06audit-test")
    (tmp_path / "p06audit-test.service").write_text(systemd_service(schedule))
    (tmp_path / "p06audit-test.timer").write_text(systemd_timer(schedule))

    verified = systemd_verify(tmp_path, "p06audit-test.timer", "p06audit-test.service")
    assert verified.returncode == 0, verified.stderr
    assert "p06audit-test" not in verified.stderr, verified.stderr
    assert (
        parsed_exec_start(systemd_verify(tmp_path, "p06audit-test.service", debug=True)) == schedule.command
    )
    [calendar] = [
        line.split("=", 1)[1]
        for line in systemd_timer(schedule).splitlines()
        if line.startswith("OnCalendar=")
    ]
    next_run = subprocess.run(
        ["systemd-analyze", "calendar", calendar], capture_output=True, text=True, timeout=30
    )
    assert (
        next_run.returncode == 0 and "Next elapse: Fri " in next_run.stdout and "03:15:00" in next_run.stdout
    )


def test_a_broken_unit_is_caught_by_the_same_verifier(tmp_path: Path) -> None:
    """Guard for the test above: the verifier does reject a unit with a relative ExecStart."""
    (tmp_path / "broken.service").write_text("[Service]\nType=oneshot\nExecStart=relative/p06audit run\n")
    assert systemd_verify(tmp_path, "broken.service").returncode != 0


def test_cron_line_runs_the_exact_argv_after_cron_unescapes_percent() -> None:
    line = crontab_line(Schedule("daily", time(2, 5), "mon", AWKWARD))
    minute, hour, day_of_month, month, weekday, command = line.split(" ", 5)
    assert (minute, hour, day_of_month, month, weekday) == ("5", "2", "*", "*", "*")
    assert "%" not in command.replace("\\%", "")
    assert tuple(shlex.split(command.replace("\\%", "%"))) == AWKWARD
    weekly = crontab_line(Schedule("weekly", time(23, 59), "sun", AWKWARD))
    assert weekly.startswith("59 23 * * 7 ")


def test_schedule_command_prints_units_and_cron_line_for_this_installation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = write_inventory_files(
        tmp_path / "inv", {"lab-dc": site()}, {"portal": host("127.0.7.40", "lab-dc", ["web_portal"])}
    )
    state = tmp_path / "state"
    code = main(
        [
            "schedule",
            "--every",
            "daily",
            "--at",
            "01:45",
            "--inventory",
            str(inventory),
            "--state-dir",
            str(state),
        ]
    )
    assert code == 0
    output = capsys.readouterr().out
    parts = sections(output)
    service = parts["/etc/systemd/system/p06audit.service"]
    script = Path(sys.executable).absolute().parent / "p06audit"
    expected = [
        str(script),
        "run",
        str(inventory.resolve()),
        "--out",
        str(state / "reports"),
        "--no-progress",
        "--state-dir",
        str(state),
    ]
    assert f"ExecStart={' '.join(expected)}\n" in service
    assert "OnCalendar=*-*-* 01:45:00" in parts["/etc/systemd/system/p06audit.timer"]
    cron = next(text for title, text in parts.items() if title.startswith("crontab line"))
    assert cron.splitlines()[0] == "45 1 * * * " + shlex.join(expected)
    assert "4 another run still holds the lock" in output
    (tmp_path / "p06audit.service").write_text(service)
    (tmp_path / "p06audit.timer").write_text(parts["/etc/systemd/system/p06audit.timer"])
    assert systemd_verify(tmp_path, "p06audit.timer", "p06audit.service").returncode == 0


def test_schedule_refuses_bad_input_with_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schedule", "--every", "daily", "--inventory", str(tmp_path / "missing")]) == 2
    inventory = write_inventory_files(
        tmp_path / "inv", {"lab-dc": site()}, {"portal": host("127.0.7.40", "lab-dc", ["web_portal"])}
    )
    code = main(
        [
            "schedule",
            "--every",
            "daily",
            "--inventory",
            str(inventory),
            "--db",
            "postgresql://audit:hunter2@127.0.0.1/history",
        ]
    )
    assert code == 2
    assert "hunter2" not in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad_time:
        main(["schedule", "--every", "daily", "--at", "24:00", "--inventory", str(inventory)])
    assert bad_time.value.code == 2
