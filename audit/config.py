"""Settings from configuration files and the environment, under the command line.

Files, later ones winning: `/etc/p06audit/config.toml`, `$XDG_CONFIG_HOME/p06audit/config.toml`
(default `~/.config`), then the file `--config` names. Top-level keys apply to every command that
has the option; a table named after a command (`[run]`, `[certs]`) applies to it alone. A key is an
option's long name (`fail_on` or `fail-on`). The environment (`P06AUDIT_FAIL_ON=high,warn`) wins
over the files and the command line over both. Each value is checked as the option checks it, and
a bad one is a usage error naming where it came from.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from p06audit.errors import UsageError

SYSTEM_CONFIG = Path("/etc/p06audit/config.toml")
ENV_PREFIX = "P06AUDIT_"
ENV_CONFIG = "P06AUDIT_CONFIG"
GLOBAL_KEYS = frozenset({"umask"})
"""Settings of the program itself rather than of one option (see `p06audit.files`)."""
NOT_SETTINGS = frozenset({"help", "version", "config", "verbose", "quiet", "sub_verbose", "sub_quiet"})
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def user_config() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "p06audit" / "config.toml"


@dataclass
class Settings:
    """Values by key, each with where it came from (a file, or an environment variable)."""

    values: dict[str, tuple[Any, str]] = field(default_factory=dict)
    commands: dict[str, dict[str, tuple[Any, str]]] = field(default_factory=dict)

    def for_command(self, command: str) -> dict[str, tuple[Any, str]]:
        return {**self.values, **self.commands.get(command, {})}

    def global_value(self, key: str) -> tuple[Any, str] | None:
        return self.values.get(key)


def _key(name: str) -> str:
    return name.replace("-", "_")


def read_file(path: Path, settings: Settings, commands: frozenset[str]) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: is not valid TOML: {exc}") from None
    for name, value in data.items():
        if isinstance(value, dict) and name in commands:
            table = settings.commands.setdefault(name, {})
            table.update({_key(k): (v, f"{path}: [{name}] {k}") for k, v in value.items()})
        else:
            settings.values[_key(name)] = (value, f"{path}: {name}")


def option_actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """The optional arguments a parser takes, the settings a file may give."""
    for action in parser._actions:
        if action.option_strings and action.dest not in NOT_SETTINGS:
            yield action


def all_parsers(
    parser: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every parser under `parser` with its command (the first word after `p06audit`)."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from all_parsers(sub, path or name)


def load_settings(
    explicit: Path | None, environ: Mapping[str, str], commands: frozenset[str], known: frozenset[str]
) -> Settings:
    """The files that exist (the explicit one must), then the environment's P06AUDIT_* values."""
    settings = Settings()
    for path in (SYSTEM_CONFIG, user_config()):
        if path.is_file():
            read_file(path, settings, commands)
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"{explicit}: configuration file not found (--config)")
        read_file(explicit, settings, commands)
    for key in (*sorted(known), *sorted(GLOBAL_KEYS)):
        env = ENV_PREFIX + key.upper()
        if env in environ and env != ENV_CONFIG:
            settings.values[key] = (environ[env], env)
    unknown = [
        (key, where)
        for table in (settings.values, *settings.commands.values())
        for key, (_, where) in table.items()
        if key not in known and key not in GLOBAL_KEYS
    ]
    if unknown:
        key, where = unknown[0]
        raise UsageError(
            f"{where}: unknown setting '{key}'; settings are: {', '.join(sorted(known | GLOBAL_KEYS))}"
        )
    return settings


def _convert(action: argparse.Action, value: Any, where: str) -> Any:
    """`value` as the option would have parsed it; a wrong one is a UsageError naming `where`."""
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        if isinstance(value, str) and value.lower() in TRUE_WORDS | FALSE_WORDS:
            value = value.lower() in TRUE_WORDS
        if not isinstance(value, bool):
            raise UsageError(f"{where}: must be true or false, not {value!r}")
        return value if isinstance(action, argparse._StoreTrueAction) else not value
    if isinstance(action, argparse._AppendAction):
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            raise UsageError(f"{where}: must be a list, not {value!r}")
        return [_one(action, item, where) for item in items]
    return _one(action, value, where)


def _one(action: argparse.Action, value: Any, where: str) -> Any:
    if action.type is not None and isinstance(value, str):
        try:
            value = action.type(value)  # type: ignore[operator]
        except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
            raise UsageError(f"{where}: {exc}") from None
    elif action.type in (int, float) and not isinstance(value, int | float):
        raise UsageError(f"{where}: must be a number, not {value!r}")
    if action.choices is not None and value not in action.choices:
        choices = ", ".join(str(c) for c in action.choices)
        raise UsageError(f"{where}: {value!r} is not one of {choices}")
    return value


def apply_settings(
    root: argparse.ArgumentParser, argv: Sequence[str], environ: Mapping[str, str]
) -> Settings:
    """Read the settings and make them the defaults of every parser that has the option."""
    parsers = list(all_parsers(root))
    commands = frozenset(path for path, _ in parsers if path)
    known = frozenset(a.dest for _, p in parsers for a in option_actions(p))
    settings = load_settings(explicit_config(argv, environ), environ, commands, known)
    for command, parser in parsers:
        given = settings.for_command(command)
        defaults = {a.dest: _convert(a, *given[a.dest]) for a in option_actions(parser) if a.dest in given}
        parser.set_defaults(**defaults)
    return settings


def explicit_config(argv: Sequence[str], environ: Mapping[str, str]) -> Path | None:
    """The `--config` file on the command line (read before the rest is parsed), else $P06AUDIT_CONFIG."""
    for i, word in enumerate(argv):
        if word == "--config" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if word.startswith("--config="):
            return Path(word.split("=", 1)[1])
    found = environ.get(ENV_CONFIG)
    return Path(found) if found else None
