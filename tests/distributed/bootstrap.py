"""Entry point of the subprocesses these tests start, with the `dprobe` test family registered.

    python -m tests.distributed.bootstrap cli ARGS...        the real `p06audit ARGS...`
    python -m tests.distributed.bootstrap national INV OUT --broker URL [--deadline S] [--timeout S]
    python -m tests.distributed.bootstrap local INV OUT [--timeout S] [--check ID]

`national` is `execute_celery`, `local` the local runner; both write the Run as JSON to OUT.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from p06audit.cli import main
from p06audit.distributed import broker_url, execute_celery
from p06audit.inventory import load_inventory
from p06audit.options import RunOptions
from p06audit.records import RunRecord
from p06audit.registry import REGISTRY
from p06audit.runner import run_audit
from tests.distributed.dprobe import FAMILY


def audit(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["national", "local"])
    parser.add_argument("inventory", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--broker")
    parser.add_argument("--deadline", type=float)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--check", action="append")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    inventory = load_inventory(args.inventory)
    options = RunOptions(timeout=args.timeout, checks=frozenset(args.check) if args.check else None)
    if args.mode == "national":
        run = execute_celery(inventory, options, broker_url(args.broker), args.deadline)
    else:
        run = run_audit(inventory, options)
    args.out.write_text(RunRecord.of(run).model_dump_json(indent=1))
    return 0


if __name__ == "__main__":
    REGISTRY.add_family(FAMILY, "tests.distributed.dprobe")  # in this process only
    if sys.argv[1] == "cli":
        sys.exit(main(sys.argv[2:]))
    sys.exit(audit(sys.argv[1:]))
