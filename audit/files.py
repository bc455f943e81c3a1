"""Who may read what p06audit writes: reports, CSV/XLSX and the history hold officials' names and
ID numbers, so files are created 0640 and the state directory 0700.

The mode comes from one umask (default 027: owner read-write, group read, others nothing), which a
configuration file or `P06AUDIT_UMASK` may change (`umask = "077"` for owner-only). The CLI sets it
as the process umask at start, so files other libraries create (SQLite's journal and WAL) follow
it too; `write_atomic`, `open_for_writing` and the history apply it explicitly as well.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from p06audit.errors import UsageError

DEFAULT_UMASK = 0o027
_umask = DEFAULT_UMASK


def parse_umask(value: object, where: str = "umask") -> int:
    """An octal umask written as text ("027") or a number; bits outside 0o777 are refused."""
    try:
        mask = int(value, 8) if isinstance(value, str) else int(str(value), 8)
    except ValueError:
        raise UsageError(f"{where}: {value!r} is not an octal umask such as 027 or 077") from None
    if not 0 <= mask <= 0o777:
        raise UsageError(f"{where}: {value!r} is not an octal umask such as 027 or 077")
    return mask


def set_umask(mask: int) -> None:
    """The umask every file p06audit creates from now on is made with (and the process's own)."""
    global _umask
    _umask = mask
    os.umask(mask)


def file_mode() -> int:
    """The mode of a new report, spreadsheet or database file (0640 by default)."""
    return 0o666 & ~_umask


def open_for_writing(path: Path, encoding: str = "utf-8", newline: str | None = None) -> TextIO:
    """`path` opened for writing text, created (or narrowed) to `file_mode()` before anything is
    written to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = file_mode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)
    return open(fd, "w", encoding=encoding, newline=newline)  # noqa: PTH123 - a descriptor, not a path


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) owner-only (0700): host keys, history and the run lock live there;
    an existing directory is narrowed to 0700 too."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path
