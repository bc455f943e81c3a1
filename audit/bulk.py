"""The garbage-collector policy of p06audit processes, set once where a process starts.

A run builds 100,000s of records that all stay alive until the reports are written (certificate
facts, observations, findings) and makes almost no reference cycles. With CPython's default
threshold the collector rescans those survivors over and over and frees nothing: a third of the
signing stage went there. Raising the young-generation threshold keeps collection on (cycles are
still freed) but rare; the figures are in docs/performance.md.
"""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 200_000


def tune_collector() -> None:
    """Called by each entry point (the CLI, the certificate worker), never by library code."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
