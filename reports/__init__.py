"""Report outputs of an assessed run: report.json, report.html, report.junit.xml, findings.csv, and
for other systems report.sarif (SARIF 2.1.0), report.ocsf.json (OCSF Detection Findings) and
p06audit.prom (Prometheus text format for node_exporter's textfile collector).

`write_outputs` renders an Assessment (the one the pipeline made right after the run, or the one
a past report.json recorded, `load_assessment`) in the chosen formats and language.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from p06audit.assessment import Assessment, assess
from p06audit.errors import UsageError
from p06audit.guidance.catalogue import Catalogue, default_catalogue
from p06audit.records import RunRecord
from p06audit.registry import REGISTRY
from p06audit.reports.atomic import write_atomic
from p06audit.reports.build import build_document, recorded_assessment
from p06audit.reports.html import render_html
from p06audit.reports.junit import render_junit
from p06audit.reports.model import REPORT_SCHEMA_VERSION, ReportDocument
from p06audit.reports.ocsf import render_ocsf
from p06audit.reports.prometheus import render_prometheus
from p06audit.reports.sarif import render_sarif
from p06audit.reports.tabular import render_csv
from p06audit.text import LANGUAGES, Lang

log = logging.getLogger(__name__)

Renderer = Callable[[ReportDocument, Assessment, Catalogue], bytes]
OUTPUTS: dict[str, tuple[str, Renderer]] = {
    "json": ("report.json", lambda doc, _a, _c: doc.model_dump_json(indent=2).encode("utf-8") + b"\n"),
    "html": ("report.html", lambda doc, assessment, cat: render_html(doc, assessment, cat).encode("utf-8")),
    "junit": ("report.junit.xml", lambda doc, _a, _c: render_junit(doc)),
    "csv": ("findings.csv", lambda doc, _a, _c: render_csv(doc)),
    "sarif": ("report.sarif", lambda doc, _a, cat: render_sarif(doc, cat)),
    "ocsf": ("report.ocsf.json", lambda doc, _a, _c: render_ocsf(doc)),
    "prom": ("p06audit.prom", lambda doc, _a, _c: render_prometheus(doc)),
}
FORMATS = tuple(OUTPUTS)

__all__ = [
    "FORMATS",
    "REPORT_SCHEMA_VERSION",
    "ReportInputError",
    "load_assessment",
    "load_document",
    "write_outputs",
]


class ReportInputError(UsageError):
    """A file given as a past run that is not a p06audit report."""


def write_outputs(
    assessment: Assessment,
    directory: Path,
    *,
    formats: Sequence[str] = ("json", "html"),
    lang: str | None = None,
    catalogue: Catalogue | None = None,
) -> dict[str, Path]:
    """Render the chosen formats into `directory`, each file written atomically; returns format → path."""
    unknown = sorted(set(formats) - set(OUTPUTS))
    if unknown:
        raise UsageError(f"unknown report format {unknown}; choose from {', '.join(FORMATS)}")
    if lang is not None and lang not in LANGUAGES:
        raise UsageError(f"report language must be vi or en, not '{lang}'")
    language: Lang = "vi" if (lang or assessment.language) == "vi" else "en"
    REGISTRY.load_texts()
    catalogue = catalogue or default_catalogue()
    doc = build_document(assessment, catalogue, language)
    directory = Path(directory)
    written = {}
    for fmt in dict.fromkeys(formats):
        name, render = OUTPUTS[fmt]
        written[fmt] = write_atomic(directory / name, render(doc, assessment, catalogue))
    return written


def load_document(path: Path) -> ReportDocument | RunRecord:
    """A report.json as its document, or a bare run (`RunRecord` JSON); anything else is a clear error."""
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
        return ReportDocument.model_validate(data) if is_report else RunRecord.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise ReportInputError(
            f"{path}: not a valid p06audit report or run: {where}: {error['msg']}"
        ) from None


def load_assessment(path: Path, catalogue: Catalogue | None = None) -> Assessment:
    """The Assessment a past report.json recorded (its waivers, legal basis and comparison); a bare
    run is assessed with the defaults."""
    REGISTRY.load_texts()
    loaded = load_document(path)
    if isinstance(loaded, RunRecord):
        return assess(loaded.to_run(), catalogue=catalogue)
    return recorded_assessment(loaded, catalogue or default_catalogue())
