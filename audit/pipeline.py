"""One audit from inventory to files on disk, shared by `run` and `demo`.

The report directory is written under a temporary name and renamed into place only when complete,
so an interrupted or failed run never leaves a half-written report beside earlier ones.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audit.inventory import Inventory
from audit.model import Run, Severity, Status
from audit.options import RunOptions
from audit.runner import RunObserver, run_audit

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FINDINGS = 1


@dataclass(frozen=True)
class AuditResult:
    run: Run
    report_dir: Path
    files: dict[str, Path]


def write_report_dir(
    run: Run, out_dir: Path, formats: Sequence[str], lang: str, **context: object
) -> AuditResult:
    """Render into `out_dir/.<id>.partial`, then rename to `out_dir/<id>` in one step."""
    import reports

    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".{run.id}.partial"
    final = out_dir / run.id
    shutil.rmtree(partial, ignore_errors=True)
    try:
        reports.write_outputs(run, partial, formats=tuple(formats), lang=lang, **context)
        partial.replace(final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    files = {path.name: path for path in sorted(final.iterdir())}
    return AuditResult(run, final, files)


def exit_code(run: Run, fail_on: Severity) -> int:
    failing = any(f.status is Status.FAIL and f.severity.at_least(fail_on) for f in run.findings)
    return EXIT_FINDINGS if failing else EXIT_OK


def audit_to_reports(
    inventory: Inventory,
    options: RunOptions,
    out_dir: Path,
    formats: Sequence[str],
    lang: str,
    observer: RunObserver | None = None,
) -> AuditResult:
    run = run_audit(inventory, options, observer)
    return write_report_dir(run, out_dir, formats, lang)
