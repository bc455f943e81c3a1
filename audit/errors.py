"""Typed errors with messages a security officer can act on; the CLI maps them to exit codes."""


class AuditError(Exception):
    """Base of every error the tool reports on purpose."""

    exit_code = 3


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


class RunLockedError(AuditError):
    """Another audit run holds the lock of this state directory."""

    exit_code = 4
