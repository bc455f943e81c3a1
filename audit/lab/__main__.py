"""`python -m p06audit.lab serve --workdir DIR`: the body of the background lab process."""

import argparse
import logging
from pathlib import Path

from p06audit.lab import serve

parser = argparse.ArgumentParser(prog="python -m p06audit.lab")
parser.add_argument("command", choices=["serve"])
parser.add_argument("--workdir", type=Path, required=True)
parser.add_argument("--only", action="append")
args = parser.parse_args()
logging.basicConfig(level=logging.INFO)
serve(args.workdir, args.only)
