"""What `p06audit` exits with, for cron, systemd and monitoring: one table, shown by `--help`."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_LOCKED = 4
EXIT_NOT_EXAMINED = 5
EXIT_INTERRUPTED = 130

HELP = f"""exit codes:
  {EXIT_OK}    nothing fails at or above --fail-on and every target was examined
  {EXIT_FINDINGS}    a FAIL (with --fail-on SEVERITY,warn also a WARN) at or above --fail-on
  {EXIT_USAGE}    usage, configuration or inventory error (nothing was scanned)
  {EXIT_INTERNAL}    internal error, or the run history could not be written
  {EXIT_LOCKED}    another run holds the lock of the state directory
  {EXIT_NOT_EXAMINED}    a target could not be examined or part of the run failed (unless --allow-errors)
  {EXIT_INTERRUPTED}  interrupted (earlier reports and history are untouched)
A run that found FAILs and also missed a target exits {EXIT_FINDINGS}."""
