"""One audit from inventory to files on disk, shared by `run` and `demo`.

The report directory is written under a temporary name and renamed into place only when complete,
so an interrupted or failed run never leaves a half-written report beside earlier ones.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from audit.inventory import Inventory
from audit.lock import run_lock
from audit.model import Run, Severity, Status
from audit.options import RunOptions
from audit.runner import RunObserver, run_audit

if TYPE_CHECKING:
    from audit.notify import NotifyConfig

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FINDINGS = 1

Executor = Callable[[Inventory, RunOptions, RunObserver | None], Run]
"""How the sites get audited: `run_audit` here, or `audit.distributed.choose_executor("celery", ...)`."""


@dataclass(frozen=True)
class AuditResult:
    run: Run
    report_dir: Path
    files: dict[str, Path]
    history_error: str | None = None


def write_report_dir(
    run: Run,
    out_dir: Path,
    formats: Sequence[str],
    lang: str,
    previous: Run | None = None,
    trend: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    legal_basis: str | None = None,
) -> AuditResult:
    """Render into `out_dir/.<id>.partial`, then rename to `out_dir/<id>` in one step."""
    import reports

    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".{run.id}.partial"
    final = out_dir / run.id
    shutil.rmtree(partial, ignore_errors=True)
    try:
        reports.write_outputs(run, partial, formats=tuple(formats), lang=lang, previous=previous, trend=trend)
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
    *,
    db_url: str | None = None,
    notify: NotifyConfig | None = None,
    execute: Executor = run_audit,
) -> AuditResult:
    """Under the state dir's run lock: audit, record in history, write reports, then mail the digest.
    History (SQLAlchemy) and mail (jinja2) are imported here: commands that only import this module
    for `exit_code` or `write_report_dir` start a third of a second sooner."""
    from audit import history
    from audit.notify import send_digest

    with run_lock(options.state_dir):
        history.prepare(options, db_url)
        run = execute(inventory, options, observer)
        recorded = history.record(run, options, db_url)
        result = write_report_dir(
            run,
            out_dir,
            formats,
            lang,
            previous=recorded.previous,
            trend=recorded.trend,
            legal_basis=inventory.defaults.legal_basis,
        )
        if notify is not None:
            send_digest(run, recorded.previous, notify, lang, report=result.report_dir)
    return replace(result, history_error=recorded.error)
