"""The `p06audit` command: discovers subcommand modules, reads the settings, maps typed errors to exit codes.

Exit codes: 0 nothing fails and every target was examined, 1 a FAIL (or with `--fail-on S,warn` a
WARN) at or above --fail-on, 2 usage, configuration or inventory error, 3 internal error (or the
history not written), 4 another run holds the lock, 5 a target could not be examined (unless
--allow-errors), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from p06audit import __version__
from p06audit.bulk import tune_collector
from p06audit.errors import AuditError, UsageError
from p06audit.exitcodes import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, HELP

LIBRARIES = ("paramiko", "nornir", "celery", "kombu", "sqlalchemy", "sslyze", "urllib3", "asyncio")

console = Console(stderr=True)
log = logging.getLogger("p06audit")

EPILOG = f"""{HELP}

settings: /etc/p06audit/config.toml, then $XDG_CONFIG_HOME/p06audit/config.toml, then --config;
P06AUDIT_<OPTION> environment variables override them, the command line overrides both."""


def add_common_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """-v, -q and --config, accepted before or after the subcommand (counted together)."""
    suffix = "" if top else "sub_"
    default: object = 0 if top else argparse.SUPPRESS
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        dest=f"{suffix}verbose",
        default=default,
        help="-v: progress per host and endpoint and p06audit's details; -vv: debug, libraries too",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="count",
        dest=f"{suffix}quiet",
        default=default,
        help="only errors: no progress, no summary table",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        default=None if top else argparse.SUPPRESS,
        help="settings file read after /etc/p06audit/config.toml and ~/.config/p06audit/config.toml",
    )


def build_parser() -> argparse.ArgumentParser:
    from p06audit import commands
    from p06audit.config import all_parsers
    from p06audit.family import resolve
    from p06audit.registry import REGISTRY

    parser = argparse.ArgumentParser(
        prog="p06audit",
        description="Security audit of Project 06 provincial data centres and public service centres.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"p06audit {__version__}")
    add_common_options(parser, top=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"p06audit.commands.{module.name}").register(subparsers)
    for _, family in sorted(REGISTRY.discover().items()):
        for name in family.commands:
            resolve(name).register(subparsers)
    for path, sub in all_parsers(parser):
        if path:
            add_common_options(sub)
    parser.set_defaults(root_parser=parser)
    return parser


def verbosity(args: argparse.Namespace) -> int:
    """-1 quiet, 0 warnings, 1 p06audit's info and progress, 2 and more debug of everything."""
    loud = args.verbose + getattr(args, "sub_verbose", 0)
    quiet = args.quiet + getattr(args, "sub_quiet", 0)
    return -1 if quiet and not loud else loud


def configure_logging(level_of: int) -> None:
    own = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(level_of, logging.DEBUG)
    libraries = logging.DEBUG if level_of >= 2 else max(own, logging.WARNING)
    handler = RichHandler(console=console, show_path=False, rich_tracebacks=False)
    logging.basicConfig(level=libraries, handlers=[handler], format="%(message)s", force=True)
    # Without -v or -q p06audit's loggers follow the root logger (a Celery worker sets it to INFO).
    log.setLevel(logging.NOTSET if level_of == 0 else own)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(libraries)


def _print_error(exc: AuditError, lang: str | None = None) -> None:
    """The error in the command's language, one line per problem; what a file or host said is
    printed as plain text, never as markup."""
    from rich.text import Text

    from p06audit.errors import ConfigFileError
    from p06audit.text import Renderer

    render = Renderer("vi" if lang == "vi" else "en")
    if isinstance(exc, ConfigFileError):
        text = exc.said(render)
    else:
        text = render(exc.message) if exc.message is not None else str(exc)
    for line in text.splitlines() or [""]:
        console.print(Text("p06audit: ", style="bold red") + Text(line), highlight=False, soft_wrap=True)


def main(argv: Sequence[str] | None = None) -> int:
    from p06audit.config import apply_settings
    from p06audit.files import DEFAULT_UMASK, parse_umask, set_umask

    tune_collector()
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        settings = apply_settings(parser, words, os.environ)
        umask = settings.global_value("umask")
        set_umask(parse_umask(*umask) if umask is not None else DEFAULT_UMASK)
    except UsageError as exc:
        _print_error(exc)
        return EXIT_USAGE
    args = parser.parse_args(words)
    args.verbosity = verbosity(args)
    configure_logging(args.verbosity)
    try:
        code: int = args.func(args)
    except AuditError as exc:
        _print_error(exc, getattr(args, "lang", None))
        return exc.exit_code
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; earlier reports and history are untouched[/]")
        return EXIT_INTERRUPTED
    except Exception as exc:
        log.debug("internal error", exc_info=True)
        console.print(f"[bold red]p06audit: internal error:[/] {type(exc).__name__}: {exc}", markup=True)
        return EXIT_INTERNAL
    return code


if __name__ == "__main__":
    sys.exit(main())
