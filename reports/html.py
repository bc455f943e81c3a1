"""The HTML report: one self-contained, offline file rendered by jinja2 with autoescape.

Everything a remote host said (banners, subjects, header values) reaches the page only through
autoescaped expressions; the one script is our own static file, allowed by a CSP hash, so even a
missed escape could not run injected script. No external URL appears anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, StrictUndefined
from markupsafe import Markup

from p06audit.assessment import Assessment, local_day
from p06audit.family import ReportSection, ViewContext, resolve
from p06audit.guidance.catalogue import Catalogue, Control
from p06audit.model import Severity
from p06audit.registry import REGISTRY
from p06audit.reports.i18n import Translator
from p06audit.reports.model import EFFECTIVE_STATUSES, ReportDocument, ReportFinding
from p06audit.text import Message, Renderer

TEMPLATES = Path(__file__).parent / "templates"
TOP_RISKS = 10
# Above this many findings the HTML lists only the problems (PASS and SKIP stay in JSON and CSV),
# so a national run or 100,000 signing certificates still give a page a browser can open.
FULL_LISTING_LIMIT = 5000
SPARK_WIDTH, SPARK_HEIGHT = 120, 28
_STATUS_ORDER = {s: i for i, s in enumerate(EFFECTIVE_STATUSES)}


class Row:
    """A finding with its anchor id (its position in report.json), for links from the summary."""

    def __init__(self, row_id: int, finding: ReportFinding) -> None:
        self.row_id = row_id
        self._finding = finding

    def __getattr__(self, name: str) -> Any:
        return getattr(self._finding, name)


@dataclass(frozen=True)
class Sparkline:
    points: str
    title: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT


@cache
def _environment() -> Environment:
    """Our templates, and each family's under its name (`signing/expiry.html.j2`)."""
    families = {
        name: PackageLoader(family.package, "templates")
        for name, family in REGISTRY.discover().items()
        if family.views
    }
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES), PrefixLoader(families)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty"] = lambda value: json.dumps(
        value, ensure_ascii=False, indent=2, sort_keys=True, default=str
    )
    env.filters["when"] = lambda value: (
        value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if isinstance(value, datetime) else value
    )
    return env


@cache
def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    """CSP source for exactly this inline script."""
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def _sort_key(row: Row) -> tuple[int, int, str, str]:
    return (
        -Severity(row.severity).rank,
        _STATUS_ORDER[row.effective_status],
        row.target.site,
        row.key + row.check_id,
    )


def _sparkline(site: str, points: tuple[Any, ...]) -> Sparkline | None:
    if not points:
        return None
    step = (SPARK_WIDTH - 4) / max(len(points) - 1, 1)
    coords = " ".join(
        f"{2 + i * step:.1f},{SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * p.percent / 100:.1f}"
        for i, p in enumerate(points)
    )
    title = f"{site}: " + ", ".join(f"{p.run} {p.percent:.1f} %" for p in points)
    return Sparkline(coords, title)


def family_sections(assessment: Assessment, render: Renderer) -> list[ReportSection]:
    """The sections families add (the signing certificates' expiry, say), in family order."""
    context = ViewContext(local_day(assessment.run, assessment.timezone), render)
    sections = []
    for name, family in sorted(REGISTRY.discover().items()):
        for reference in family.views:
            section = resolve(reference)(assessment.findings, context)
            if section is not None:
                sections.append(
                    ReportSection(section.id, section.heading, f"{name}/{section.template}", section.data)
                )
    return sections


def render_html(doc: ReportDocument, assessment: Assessment, catalogue: Catalogue) -> str:
    """The report page in the document's language."""
    lang = doc.language
    t = Translator(lang)
    render = Renderer(lang, doc.timezone)
    basis = catalogue.basis(doc.compliance.legal_basis)
    rows = sorted((Row(i, f) for i, f in enumerate(doc.findings)), key=_sort_key)
    omitted = 0
    if len(rows) > FULL_LISTING_LIMIT:
        listed = [r for r in rows if r.effective_status not in ("PASS", "SKIP")]
        omitted, rows = len(rows) - len(listed), listed
    script = _asset("report.js")

    def cite(control: Control, level: int | None = None) -> list[dict[str, str]]:
        return [
            {
                "document": catalogue.documents[c.document].short(lang),
                "where": c.where_at(lang, level),
                "confidence": c.confidence.value,
            }
            for c in catalogue.citations(control, basis.id)
        ]

    def family_label(family: str) -> str:
        return render(Message(f"{family}.title"))

    facets = {
        "severity": [s.value for s in Severity],
        "status": list(EFFECTIVE_STATUSES),
        "family": sorted({f.family for f in doc.findings}),
        "site": sorted({f.target.site for f in doc.findings}),
    }
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            doc=doc,
            lang=lang,
            t=t,
            basis=basis,
            catalogue=catalogue,
            cite=cite,
            family_label=family_label,
            international=lambda control: not catalogue.is_legal(control, basis.id),
            statuses=EFFECTIVE_STATUSES,
            findings=rows,
            omitted=omitted,
            top_risks=[r for r in rows if r.effective_status == "FAIL"][:TOP_RISKS],
            facets=facets,
            sparklines={site: s for site, pts in doc.trend.items() if (s := _sparkline(site, pts))},
            sections=family_sections(assessment, render),
            m=lambda key, **params: render(Message(key, params)),
            render=render,
            css=Markup(_asset("report.css")),  # noqa: S704 - our own static stylesheet, not data
            script=Markup(script),  # noqa: S704 - our own static script, not data
            script_hash=script_hash(script),
        )
    )
