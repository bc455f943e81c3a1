"""One audit run at a time per state directory, so overlapping cron or timer runs never interleave.

The lock is an `fcntl.flock` on a file in the state directory: the kernel drops it when the holder
exits, even after `kill -9`, so a crashed run never leaves a stale lock behind. The file is never
deleted (deleting it would let two runs lock two different files); it holds the holder's PID and
start time for the message the second run prints.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from p06audit.errors import RunLockedError
from p06audit.files import private_dir

LOCK_FILE = "run.lock"


@contextmanager
def run_lock(state_dir: Path) -> Iterator[Path]:
    """Hold the run lock of `state_dir` for the block; raise RunLockedError (exit 4) if it is taken."""
    private_dir(state_dir)
    path = state_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown process"
            raise RunLockedError(
                f"another p06audit run is in progress ({holder}); it holds {path}. "
                "This run was not started: wait for the other one to finish."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)
