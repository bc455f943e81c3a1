"""Typed errors with messages a security officer can act on; the CLI maps them to exit codes.

An error may carry a Message (key and parameters): its text then exists in Vietnamese and English,
and a finding that quotes the error shows it in the report's language.
"""

from __future__ import annotations

from p06audit.text import Message, english


class AuditError(Exception):
    """Base of every error the tool reports on purpose."""

    exit_code = 3

    def __init__(self, text: str | Message = "", *args: object) -> None:
        self.message = text if isinstance(text, Message) else None
        super().__init__(english(text) if isinstance(text, Message) else text, *args)

    def reason(self) -> Message | str:
        """The error as a finding quotes it: its message where it has one, else its words."""
        return self.message if self.message is not None else str(self)


class UsageError(AuditError):
    """A command line or configuration that cannot be honoured."""

    exit_code = 2


class ConfigFileError(UsageError):
    """A YAML file (inventory, waivers, notify) that is unreadable or invalid: names file, line, field."""

    def __init__(self, path: str, line: int | None, field: str | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{path}:{line}" if line else path
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {problem}")


class InventoryError(ConfigFileError):
    """An inventory file that is unreadable or invalid."""


class ScopeError(UsageError):
    """A target outside what the inventory allows to be scanned."""


class MissingToolError(AuditError):
    """A system program the audit needs is not installed."""

    exit_code = 2


class RegistryError(AuditError):
    """A check or collector with malformed or duplicate metadata."""


class CheckDataError(ConfigFileError):
    """A family's data file (checks.yaml, policy.yaml) that is invalid: the installation is broken."""

    exit_code = 3


class RunLockedError(AuditError):
    """Another audit run holds the lock of this state directory."""

    exit_code = 4
