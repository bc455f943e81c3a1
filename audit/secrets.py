"""Secrets named by the inventory: read from environment variables only, and never printable.

The inventory holds references (an env var name, a key-file path), never a secret itself. A resolved
secret is wrapped in `Secret`, whose repr and str show only where it came from, so a secret that
reaches a log line, an exception message or a report by mistake prints as `Secret(env X)`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from p06audit.errors import AuditError


class SecretError(AuditError):
    """A secret the inventory points to is missing or unreadable; the message names where, never what."""


class Secret:
    """A secret value that refuses to print itself; `reveal()` at the single point of use."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.source})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is never serialised")


def env_secret(name: str, purpose: str, environ: Mapping[str, str] | None = None) -> Secret:
    """The value of environment variable `name`; `purpose` says what it is for in the error message."""
    value = (os.environ if environ is None else environ).get(name)
    if not value:
        raise SecretError(f"{purpose}: environment variable {name} is not set (or is empty)")
    return Secret(value, f"env {name}")


def optional_env_secret(
    name: str | None, purpose: str, environ: Mapping[str, str] | None = None
) -> Secret | None:
    """Like `env_secret`, for references the inventory may leave out."""
    return None if name is None else env_secret(name, purpose, environ)
