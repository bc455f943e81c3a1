"""`p06audit completion bash|zsh`: the shell completion script, made from the command line itself.

p06audit completion bash > /etc/bash_completion.d/p06audit
p06audit completion zsh > "${fpath[1]}/_p06audit"
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

SHELLS = ("bash", "zsh")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("completion", help="print the bash or zsh completion script")
    parser.add_argument("shell", choices=SHELLS)
    parser.set_defaults(func=run_completion)


def _complete_paths(parser: argparse.ArgumentParser) -> None:
    """Arguments that take a path complete file names (shtab reads `action.complete`)."""
    import shtab

    from p06audit.config import all_parsers

    for _, sub in all_parsers(parser):
        for action in sub._actions:
            if action.type is Path:
                action.complete = shtab.FILE  # type: ignore[attr-defined]


def run_completion(args: argparse.Namespace) -> int:
    import shtab  # imported when asked for: no cost at every start

    root: argparse.ArgumentParser = args.root_parser
    _complete_paths(root)
    print(shtab.complete(root, shell=args.shell))
    return 0
