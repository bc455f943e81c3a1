"""`p06audit worker --queue Q --inventory DIR`: a province scanner consuming its Celery queue."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from p06audit.distributed import (
    ENV_BROKER_PASSWORD,
    ENV_BROKER_URL,
    ScannerWorker,
    broker_url,
    redact,
    run_worker,
)
from p06audit.distributed.broker import DEFAULT_VISIBILITY_TIMEOUT
from p06audit.distributed.worker import scanner_name
from p06audit.errors import UsageError
from p06audit.inventory import load_inventory
from p06audit.options import default_state_dir


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "worker", help="audit the sites routed to a queue, for `run --executor celery` (Celery worker)"
    )
    parser.add_argument("--queue", required=True, help="the queue of this scanner (a site's `scanner`)")
    parser.add_argument(
        "--inventory", type=Path, required=True, help="this scanner's copy of the inventory directory"
    )
    parser.add_argument(
        "--broker",
        default=None,
        help=f"redis://HOST:PORT/DB (default ${ENV_BROKER_URL}; the password goes in ${ENV_BROKER_PASSWORD})",
    )
    parser.add_argument("--name", default=None, help="scanner name recorded in findings (default QUEUE@host)")
    parser.add_argument("--concurrency", type=int, default=1, help="sites audited at once (default 1)")
    parser.add_argument(
        "--visibility-timeout",
        type=float,
        default=DEFAULT_VISIBILITY_TIMEOUT,
        help="seconds before a task whose scanner vanished goes to another one; keep it above the "
        f"longest site audit (default {DEFAULT_VISIBILITY_TIMEOUT:.0f})",
    )
    parser.add_argument("--state-dir", type=Path, default=None, help="pinned host keys of this scanner")
    parser.add_argument(
        "--allow-wide-scope",
        action="store_true",
        help="let a run that asks for it sweep subnets wider than /22 (never without this flag)",
    )
    parser.set_defaults(func=worker_command)


def worker_command(args: argparse.Namespace) -> int:
    if args.concurrency < 1 or args.visibility_timeout <= 0:
        raise UsageError("--concurrency must be at least 1 and --visibility-timeout positive")
    url = broker_url(args.broker)
    scanner = ScannerWorker(
        inventory=load_inventory(args.inventory),
        queue=args.queue,
        name=scanner_name(args.queue, args.name),
        state_dir=args.state_dir or default_state_dir(),
        allow_wide_scope=args.allow_wide_scope,
    )
    Console(stderr=True).print(
        f"scanner {scanner.name}: queue {scanner.queue!r} on {redact(url)}, "
        f"{len(scanner.inventory.sites)} sites in {scanner.inventory.directory}",
        highlight=False,
    )
    return run_worker(scanner, url, concurrency=args.concurrency, visibility_timeout=args.visibility_timeout)
