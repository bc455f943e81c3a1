"""The `p06audit` command: discovers subcommand modules and maps typed errors to exit codes.

Exit codes: 0 no FAIL at or above --fail-on, 1 there are, 2 usage or inventory error,
3 internal error, 4 another run holds the lock.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.logging import RichHandler

from p06audit import __version__
from p06audit.bulk import tune_collector
from p06audit.errors import AuditError

EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

console = Console(stderr=True)
log = logging.getLogger("p06audit")


def build_parser() -> argparse.ArgumentParser:
    from p06audit import commands
    from p06audit.family import resolve
    from p06audit.registry import REGISTRY

    parser = argparse.ArgumentParser(
        prog="p06audit",
        description="Security audit of Project 06 provincial data centres and public service centres.",
    )
    parser.add_argument("--version", action="version", version=f"p06audit {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"p06audit.commands.{module.name}").register(subparsers)
    for _, family in sorted(REGISTRY.discover().items()):
        for name in family.commands:
            resolve(name).register(subparsers)
    return parser


def configure_logging(verbosity: int) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = RichHandler(console=console, show_path=False, rich_tracebacks=False)
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)
    for noisy in ("paramiko", "nornir", "celery", "kombu"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def main(argv: Sequence[str] | None = None) -> int:
    tune_collector()
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        code: int = args.func(args)
    except AuditError as exc:
        console.print(f"[bold red]p06audit:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
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
