"""One audit from inventory to files on disk, shared by `run` and `demo`.

Under the state directory's run lock: read the waivers, audit, assess once, write the report
directory (under a temporary name, renamed into place only when complete, so an interrupted run
never leaves a half-written report beside earlier ones), then hand the Assessment to the
processors: history records it, the digest is mailed.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from p06audit.assessment import Assessment, ExitPolicy, Trend, assess
from p06audit.errors import AuditError
from p06audit.inventory import Inventory
from p06audit.lock import run_lock
from p06audit.model import Run
from p06audit.options import RunOptions
from p06audit.processors import AuditProcessor, Processors
from p06audit.runner import run_audit
from p06audit.waivers import WaiverSet, load_waivers

log = logging.getLogger(__name__)

Executor = Callable[[Inventory, RunOptions, Sequence[AuditProcessor]], Run]
"""How the sites get audited: `run_audit` here, or `audit.distributed.choose_executor("celery", ...)`."""


@dataclass(frozen=True)
class AuditResult:
    assessment: Assessment
    report_dir: Path
    files: dict[str, Path]
    history_error: str | None = None

    @property
    def run(self) -> Run:
        return self.assessment.run


@dataclass(frozen=True)
class Baseline:
    """What this run is compared with: the previous run of the inventory and the compliance trend."""

    previous: Run | None = None
    trend: Trend = field(default_factory=dict)


def inventory_waivers(inventory: Inventory) -> tuple[WaiverSet, str | None]:
    """The waivers the inventory names, and why they are unusable if so (read before the scan;
    a broken waiver file costs the run nothing: the report shows the problem)."""
    path = inventory.resolve(inventory.defaults.waivers)
    if path is None:
        return WaiverSet(), None
    try:
        return load_waivers(path), None
    except AuditError as exc:
        log.warning("waivers not applied: %s", exc)
        return WaiverSet(), str(exc)


def assess_inventory_run(
    run: Run,
    inventory: Inventory,
    options: RunOptions,
    waivers: tuple[WaiverSet, str | None],
    baseline: Baseline,
    lang: str | None = None,
    policy: ExitPolicy | None = None,
) -> Assessment:
    """The run's Assessment with everything the inventory says about reading it, taken once."""
    defaults = inventory.defaults
    return assess(
        run,
        legal_basis=defaults.legal_basis,
        waivers=waivers[0],
        waiver_error=waivers[1],
        timezone=defaults.timezone,
        language="en" if (lang or defaults.language) == "en" else "vi",
        policy=policy,
        previous=baseline.previous,
        trend=baseline.trend,
    )


def write_report_dir(
    assessment: Assessment, out_dir: Path, formats: Sequence[str], lang: str | None = None
) -> AuditResult:
    """Render into `out_dir/.<id>.partial`, then rename to `out_dir/<id>` in one step."""
    from p06audit import reports

    run = assessment.run
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".{run.id}.partial"
    final = out_dir / run.id
    shutil.rmtree(partial, ignore_errors=True)
    try:
        reports.write_outputs(assessment, partial, formats=tuple(formats), lang=lang)
        partial.replace(final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    files = {path.name: path for path in sorted(final.iterdir())}
    return AuditResult(assessment, final, files)


def audit_to_reports(
    inventory: Inventory,
    options: RunOptions,
    out_dir: Path,
    formats: Sequence[str],
    lang: str | None,
    processors: Sequence[AuditProcessor] = (),
    *,
    history: HistoryLink | None = None,
    execute: Executor = run_audit,
    policy: ExitPolicy | None = None,
) -> AuditResult:
    """Under the state dir's run lock: audit, assess, write the reports, then record and notify."""
    with run_lock(options.state_dir):
        baseline = history.prepare(inventory) if history is not None else Baseline()
        waivers = inventory_waivers(inventory)
        run = execute(inventory, options, processors)
        assessment = assess_inventory_run(run, inventory, options, waivers, baseline, lang, policy)
        recording = [history] if history is not None and history not in processors else []
        everyone = Processors([*processors, *recording])
        everyone.assessed(assessment)
        result = write_report_dir(assessment, out_dir, formats, lang)
        everyone.reported(assessment, result.report_dir)
    error = history.error if history is not None else None
    return AuditResult(result.assessment, result.report_dir, result.files, error)


class HistoryLink(AuditProcessor):
    """The run history as the pipeline uses it: opened and read before the scan (so a bad `--db`
    fails before any probe), recorded once the reports are on disk."""

    def __init__(self, db_url: str | None, options: RunOptions) -> None:
        self.db_url = db_url
        self.options = options
        self.error: str | None = None
        self.baseline = Baseline()

    def prepare(self, inventory: Inventory) -> Baseline:
        from p06audit import history

        history.prepare(self.options, self.db_url)
        found = history.baseline(str(inventory.directory), self.options, self.db_url)
        self.baseline = Baseline(found.previous, found.trend)
        return self.baseline

    def reported(self, assessment: Assessment, directory: Path) -> None:
        from p06audit import history

        self.error = history.record(assessment, self.options, self.db_url, directory).error
