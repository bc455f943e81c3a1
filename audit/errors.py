"""Typed errors with messages a security officer can act on; the CLI maps them to exit codes.

An error may carry a Message (key and parameters): its text then exists in Vietnamese and English,
and a finding that quotes the error shows it in the report's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from p06audit.exitcodes import EXIT_INTERNAL, EXIT_LOCKED, EXIT_USAGE
from p06audit.text import Message, english, say

Render = Callable[[Message], str]


class AuditError(Exception):
    """Base of every error the tool reports on purpose."""

    exit_code = EXIT_INTERNAL

    def __init__(self, text: str | Message = "", *args: object) -> None:
        self.message = text if isinstance(text, Message) else None
        super().__init__(english(text) if isinstance(text, Message) else text, *args)

    def reason(self) -> Message | str:
        """The error as a finding quotes it: its message where it has one, else its words."""
        return self.message if self.message is not None else str(self)


class UsageError(AuditError):
    """A command line or configuration that cannot be honoured."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Problem:
    """One mistake in a file: where it is, which field, what is wrong and what to do about it."""

    path: str
    line: int | None
    field: str | None
    what: Message | str
    todo: Message | str | None = None

    def said(self, render: Render = english) -> str:
        """`file:line: field 'x': what is wrong — what to do`."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        named = f" field '{self.field}':" if self.field else ""
        text = _text(self.what, render)
        if self.todo is not None:
            text += f" — {_text(self.todo, render)}"
        return f"{where}:{named} {text}"


def _text(value: Message | str, render: Render) -> str:
    return render(value) if isinstance(value, Message) else value


class ConfigFileError(UsageError):
    """A YAML file (inventory, waivers, notify) that is unreadable or invalid: names file, line, field.

    It may hold every problem of a validation pass (`problems`); `path`, `line`, `field` and
    `problem` are the first one's."""

    def __init__(
        self,
        path: str,
        line: int | None,
        field: str | None,
        problem: str | Message,
        todo: str | Message | None = None,
        *,
        more: Sequence[Problem] = (),
        left_out: int = 0,
    ) -> None:
        self.problems = (Problem(path, line, field, problem, todo), *more)
        self.left_out = left_out
        self.path = path
        self.line = line
        self.field = field
        self.problem = _text(problem, english)
        super().__init__(self.said())

    @classmethod
    def of(cls, problems: Sequence[Problem], left_out: int = 0) -> ConfigFileError:
        first = problems[0]
        return cls(
            first.path, first.line, first.field, first.what, first.todo, more=problems[1:], left_out=left_out
        )

    def said(self, render: Render = english) -> str:
        """Every problem on its own line, in the language `render` speaks."""
        lines = [p.said(render) for p in self.problems]
        if self.left_out:
            lines.append(render(say("core.problems_left_out", count=self.left_out)))
        return "\n".join(lines)


class InventoryError(ConfigFileError):
    """An inventory file that is unreadable or invalid."""


class ScopeError(UsageError):
    """A target outside what the inventory allows to be scanned."""


class MissingToolError(AuditError):
    """A system program the audit needs is not installed."""

    exit_code = EXIT_USAGE


class RegistryError(AuditError):
    """A check or collector with malformed or duplicate metadata."""


class CheckDataError(ConfigFileError):
    """A family's data file (checks.yaml, policy.yaml) that is invalid: the installation is broken."""

    exit_code = EXIT_INTERNAL


class RunLockedError(AuditError):
    """Another audit run holds the lock of this state directory."""

    exit_code = EXIT_LOCKED
