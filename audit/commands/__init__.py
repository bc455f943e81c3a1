"""CLI subcommands: each module exposes `register(subparsers)`; discovered by audit.cli."""
