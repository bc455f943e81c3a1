"""Report outputs of a finished run: report.json, report.html, report.junit.xml, findings.csv.

`write_outputs` is the one entry point the CLI, the demo and the scheduler call; `load_run` reads
a past report.json (or a bare run JSON) back so `p06audit report` can re-render it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from audit.errors import UsageError
from audit.guidance.catalogue import Catalogue, default_catalogue
from audit.model import Run
from audit.waivers import WaiverSet, run_waivers
from reports.atomic import write_atomic
from reports.build import Trend, build_document
from reports.html import render_html
from reports.junit import render_junit
from reports.model import REPORT_SCHEMA_VERSION, Lang, ReportDocument
from reports.tabular import render_csv

log = logging.getLogger(__name__)

Renderer = Callable[[ReportDocument, Catalogue], bytes]
OUTPUTS: dict[str, tuple[str, Renderer]] = {
    "json": ("report.json", lambda doc, _: doc.model_dump_json(indent=2).encode("utf-8") + b"\n"),
    "html": ("report.html", lambda doc, cat: render_html(doc, cat).encode("utf-8")),
    "junit": ("report.junit.xml", lambda doc, _: render_junit(doc)),
    "csv": ("findings.csv", lambda doc, _: render_csv(doc)),
}
FORMATS = tuple(OUTPUTS)

__all__ = [
    "FORMATS",
    "REPORT_SCHEMA_VERSION",
    "ReportInputError",
    "load_document",
    "load_run",
    "write_outputs",
]


class ReportInputError(UsageError):
    """A file given as a past run that is not a p06audit report or run."""


def write_outputs(
    run: Run,
    directory: Path,
    *,
    formats: Sequence[str] = ("json", "html"),
    lang: str = "vi",
    previous: Run | None = None,
    trend: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    legal_basis: str | None = None,
    waivers: WaiverSet | None = None,
    catalogue: Catalogue | None = None,
) -> dict[str, Path]:
    """Render the chosen formats into `directory`, each file written atomically; returns format → path.

    `waivers=None` reads the waiver file of the run's inventory, if it names one.
    """
    unknown = sorted(set(formats) - set(OUTPUTS))
    if unknown:
        raise UsageError(f"unknown report format {unknown}; choose from {', '.join(FORMATS)}")
    if lang not in ("vi", "en"):
        raise UsageError(f"report language must be vi or en, not '{lang}'")
    waiver_error = None
    if waivers is None:
        waivers, waiver_error = run_waivers(run)
        if waiver_error:
            log.warning("waivers not applied: %s", waiver_error)
    catalogue = catalogue or default_catalogue()
    language: Lang = "vi" if lang == "vi" else "en"
    doc = build_document(
        run,
        catalogue=catalogue,
        lang=language,
        legal_basis=legal_basis,
        waivers=waivers,
        waiver_error=waiver_error,
        previous=previous,
        trend=_trend(trend),
    )
    directory = Path(directory)
    written = {}
    for fmt in dict.fromkeys(formats):
        name, render = OUTPUTS[fmt]
        written[fmt] = write_atomic(directory / name, render(doc, catalogue))
    return written


def _trend(trend: Mapping[str, Sequence[tuple[str, float]]] | None) -> Trend | None:
    return (
        {site: [(str(r), float(p)) for r, p in points] for site, points in trend.items()} if trend else None
    )


def load_document(path: Path) -> ReportDocument | Run:
    """A report.json as its document, or a bare run JSON as a Run; anything else is a clear error."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportInputError(f"{path}: is not a JSON file: {exc}") from None
    if not isinstance(data, dict):
        raise ReportInputError(f"{path}: is not a p06audit report or run (expected a JSON object)")
    is_report = "summary" in data and "run" in data
    version = data.get("schema_version")
    if is_report and version != REPORT_SCHEMA_VERSION:
        raise ReportInputError(
            f"{path}: report schema_version {version!r}; this p06audit reads {REPORT_SCHEMA_VERSION!r}"
        )
    try:
        if is_report:
            return ReportDocument.model_validate_json(json.dumps(data))
        return Run.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise ReportInputError(
            f"{path}: not a valid p06audit report or run: {where}: {error['msg']}"
        ) from None


def load_run(path: Path) -> Run:
    loaded = load_document(path)
    return loaded.to_run() if isinstance(loaded, ReportDocument) else loaded
