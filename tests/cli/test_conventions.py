"""Everyday command-line conventions: -v/-q on every subcommand, a settings file and the
environment under the command line, shell completion that real bash runs, --version."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from p06audit import __version__
from p06audit.cli import build_parser, main, verbosity
from p06audit.config import all_parsers, apply_settings
from p06audit.errors import UsageError
from p06audit.history import HistoryStore, database_url
from p06audit.model import Status
from tests.history.factory import finding, make_run

REPO = Path(__file__).resolve().parents[2]


def parse(*words: str, environ: dict[str, str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    apply_settings(parser, words, environ or {})
    return parser.parse_args(words)


def test_every_subcommand_takes_v_and_q_before_or_after_it() -> None:
    parser = build_parser()
    for path, sub in all_parsers(parser):
        options = {o for a in sub._actions for o in a.option_strings}
        assert {"-v", "-q", "--config"} <= options, path or "p06audit"
    assert verbosity(parse("-v", "history")) == 1
    assert verbosity(parse("history", "-vv")) == 2
    assert verbosity(parse("-v", "diff", "-v")) == 2
    assert verbosity(parse("inventory", "validate", "inv", "-q")) == -1


@pytest.mark.parametrize(("flags", "own", "library"), [([], 30, 30), (["-v"], 20, 30), (["-vv"], 10, 10)])
def test_v_shows_our_details_and_vv_the_libraries_debug(
    flags: list[str], own: int, library: int, tmp_path: Path
) -> None:
    main(["history", "--state-dir", str(tmp_path), *flags])
    assert logging.getLogger("p06audit").getEffectiveLevel() == own
    assert logging.getLogger("paramiko").level == logging.getLogger("nornir").level == library


def test_settings_file_then_environment_then_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    user = tmp_path / "xdg" / "p06audit" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('workers = 3\nfail_on = "medium,warn"\n[run]\ntimeout = 4.5\nout = "/srv/reports"\n')
    args = parse("run", "inv")
    assert (args.workers, args.fail_on, args.timeout, args.out) == (
        3,
        ("medium", True),
        4.5,
        Path("/srv/reports"),
    )
    explicit = tmp_path / "site.toml"
    explicit.write_text("workers = 5\nallow_errors = true\n")
    args = parse("run", "inv", "--config", str(explicit), environ={"P06AUDIT_WORKERS": "7"})
    assert (args.workers, args.allow_errors, args.timeout) == (7, True, 4.5)
    args = parse("run", "inv", "--workers", "9", environ={"P06AUDIT_WORKERS": "7"})
    assert args.workers == 9
    assert parse("certs", "x").fail_on == ("medium", True), "top-level keys reach every command having them"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("wrokers = 3\n", "unknown setting 'wrokers'"),
        ('fail_on = "sometimes"\n', "optionally followed by ',warn'"),
        ('lang = "fr"\n', "'fr' is not one of vi, en"),
        ("workers = [\n", "is not valid TOML"),
    ],
)
def test_a_bad_setting_is_a_usage_error_naming_its_file(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "bad.toml"
    settings.write_text(content)
    with pytest.raises(UsageError, match=r"bad\.toml"):
        parse("run", "inv", "--config", str(settings))
    assert main(["--config", str(settings), "history"]) == 2
    assert message in capsys.readouterr().err


def test_an_environment_value_is_checked_like_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError, match="P06AUDIT_TIMEOUT"):
        parse("run", "inv", environ={"P06AUDIT_TIMEOUT": "soon"})


def test_a_configured_umask_decides_the_mode_of_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.reports.fixtures import rich_run, write_outputs

    monkeypatch.setenv("P06AUDIT_UMASK", "077")
    assert main(["history", "--state-dir", str(tmp_path / "none")]) == 2  # the umask is applied at start
    written = write_outputs(rich_run(), tmp_path / "out", formats=("json", "csv"))
    assert {stat.S_IMODE(p.stat().st_mode) for p in written.values()} == {0o600}
    monkeypatch.delenv("P06AUDIT_UMASK")
    assert main(["history", "--state-dir", str(tmp_path / "none")]) == 2
    written = write_outputs(rich_run(), tmp_path / "out2", formats=("json", "csv"))
    assert {stat.S_IMODE(p.stat().st_mode) for p in written.values()} == {0o640}


def test_version_stays(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"p06audit {__version__}"


def complete(script: Path, words: str) -> list[str]:
    """What real bash offers after `words` (the line typed so far), through the generated script."""
    line = f"p06audit {words}"
    program = (
        f"source {script}\n"
        f"COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n"
        f"read -ra COMP_WORDS <<< '{line}'\n"
        + ("COMP_WORDS+=('')\n" if line.endswith(" ") else "")
        + "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        '_shtab_p06audit p06audit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.split()


def test_bash_completion_offers_commands_and_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "p06audit.bash"
    script.write_text(capsys.readouterr().out)
    assert {"run", "diff", "history", "inventory", "completion"} <= set(complete(script, ""))
    assert "--fail-on" in complete(script, "run --fa")
    assert "--allow-errors" in complete(script, "run --allow")
    assert complete(script, "diff --la") == ["--lang"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (Makefile APT_PACKAGES has it)")
def test_zsh_completion_is_a_script_zsh_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "zsh"]) == 0
    script = tmp_path / "_p06audit"
    script.write_text(capsys.readouterr().out)
    assert "#compdef p06audit" in script.read_text()
    subprocess.run(["zsh", "-n", str(script)], check=True, timeout=30)


def test_history_prune_removes_old_runs_and_their_reports_never_the_latest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    reports = tmp_path / "reports"
    runs = []
    for age in (200, 120, 100):  # days: all older than 90; the newest of them is the latest run
        run = make_run(0, [finding("TLS-001", Status.FAIL)])
        run.id = f"{now - timedelta(days=age):%Y%m%dT%H%M%SZ}-a{age:05d}"
        run.started = run.finished = now - timedelta(days=age)
        directory = reports / run.id
        directory.mkdir(parents=True)
        (directory / "report.json").write_text("{}")
        runs.append((run, directory))
    other = make_run(0, [], inventory="/srv/inventories/other")
    other.id, other.finished = "20200101T000000Z-other1", now - timedelta(days=400)
    with HistoryStore(database_url(None, tmp_path / "state")) as store:
        from p06audit.history.store import RunContext

        for run, directory in runs:
            store.save(run, {}, RunContext(report_dir=str(directory)))
        store.save(other, {})
    assert (
        main(["history", "prune", "--keep", "90d", "--state-dir", str(tmp_path / "state"), "--dry-run"]) == 0
    )
    assert all(d.exists() for _, d in runs)
    assert main(["history", "prune", "--keep", "90d", "--state-dir", str(tmp_path / "state")]) == 0
    out = capsys.readouterr().out
    assert "Deleted 2 runs and 2 report directories" in " ".join(out.split())
    assert [d.exists() for _, d in runs] == [False, False, True]
    with HistoryStore(database_url(None, tmp_path / "state")) as store:
        assert sorted(s.id for s in store.runs()) == sorted([runs[2][0].id, other.id])
    with pytest.raises(SystemExit) as exited:
        main(["history", "prune", "--keep", "ninety", "--state-dir", str(tmp_path / "state")])
    assert exited.value.code == 2


def test_run_progress_is_a_plain_line_per_host_and_endpoint_when_piped(tmp_path: Path) -> None:
    """-v with output piped (as cron runs it): one line per host and endpoint examined."""
    from tests.conftest import host, site, write_inventory_files

    inventory = write_inventory_files(
        tmp_path / "inv",
        {"lab-dc": site()},
        {
            "a": host("127.0.7.61", "lab-dc", ["web_portal"], tls=[{"port": 8443}, {"port": 9443}]),
            "b": host("127.0.7.62", "lab-dc", ["web_portal"], tls=[{"port": 8443}]),
        },
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "p06audit",
            "run",
            str(inventory),
            "--family",
            "tls",
            "-v",
            "--allow-errors",
            "--state-dir",
            str(tmp_path / "s"),
            "--out",
            str(tmp_path / "o"),
            "--timeout",
            "2",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "tls: " in line]
    for endpoint in ("a 127.0.7.61:8443", "a 127.0.7.61:9443", "b 127.0.7.62:8443"):
        assert any(endpoint in line for line in lines), done.stderr
    assert any("(2/3)" in line for line in lines) and "rules (3/3)" in done.stderr, done.stderr
