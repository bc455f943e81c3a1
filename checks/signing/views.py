"""The signing family's report section: certificates per expiry window, a month timeline, the table.

Built from the findings of the checks tagged `certificate_register` in checks.yaml (SIGN-001/002/003),
whose evidence keys this family guarantees: holder, unit, issuer, serial, not_before, not_after,
days_left, file. Evidence comes from certificate files, so every value is untrusted text (the
template escapes it; nothing here executes it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from p06audit.family import ReportSection, ViewContext
from p06audit.model import Finding
from p06audit.registry import REGISTRY
from p06audit.text import say

REGISTER_TAG = "certificate_register"
# (name, first day-left, last day-left); None = unbounded.
WINDOWS: tuple[tuple[str, int | None, int | None], ...] = (
    ("expired", None, -1),
    ("within_7", 0, 7),
    ("within_30", 8, 30),
    ("within_60", 31, 60),
    ("within_90", 61, 90),
    ("later", 91, None),
)
MONTHS_BACK = 12
MONTHS_AHEAD = 24
CHART_WIDTH = 720
CHART_HEIGHT = 160
TABLE_LIMIT = 1000  # nearest expiries listed in the HTML table; counts and timeline use them all
LABEL_SPACE = 28


@dataclass(frozen=True)
class SigningCert:
    site: str
    holder: str
    unit: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    days_left: int | None
    file: str
    window: str


@dataclass(frozen=True)
class MonthBar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    kind: str
    show_label: bool


@dataclass(frozen=True)
class ExpiryView:
    certificates: tuple[SigningCert, ...]
    windows: tuple[tuple[str, int], ...]
    bars: tuple[MonthBar, ...]
    undated: int
    total: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT + LABEL_SPACE


def _text(evidence: dict[str, Any], key: str) -> str:
    value = evidence.get(key)
    return "" if value is None else str(value)


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


def _days_left(evidence: dict[str, Any], today: date) -> int | None:
    value = evidence.get("days_left")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    end = _day(evidence.get("not_after"))
    return (end - today).days if end else None


def window_of(days_left: int | None) -> str:
    if days_left is None:
        return "unknown"
    for name, low, high in WINDOWS:
        if (low is None or days_left >= low) and (high is None or days_left <= high):
            return name
    return "unknown"


def _certificates(findings: Sequence[Finding], today: date) -> list[SigningCert]:
    register = REGISTRY.tagged(REGISTER_TAG)
    seen: dict[tuple[str, str, str], SigningCert] = {}
    for finding in findings:
        if finding.check_id not in register:
            continue
        ev = finding.evidence
        identity = (_text(ev, "issuer"), _text(ev, "serial"), _text(ev, "file"))
        if identity in seen or not any(identity):
            continue
        days = _days_left(ev, today)
        seen[identity] = SigningCert(
            site=finding.target.site,
            holder=_text(ev, "holder"),
            unit=_text(ev, "unit"),
            issuer=identity[0],
            serial=identity[1],
            not_before=_text(ev, "not_before"),
            not_after=_text(ev, "not_after"),
            days_left=days,
            file=identity[2],
            window=window_of(days),
        )
    return sorted(seen.values(), key=lambda c: (c.days_left is None, c.days_left or 0, c.holder))


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _bars(certs: Sequence[SigningCert], today: date) -> tuple[tuple[MonthBar, ...], int]:
    now = _month(today)
    months = Counter(
        m
        for c in certs
        if (end := _day(c.not_after)) is not None
        and now - MONTHS_BACK <= (m := _month(end)) <= now + MONTHS_AHEAD
    )
    undated = len(certs) - sum(months.values())
    if not months:
        return (), undated
    first, last = min(*months, now), max(*months, now)
    span = last - first + 1
    width = CHART_WIDTH / span
    top = max(months.values())
    step = max(1, span // 12)
    bars = []
    for i, month in enumerate(range(first, last + 1)):
        count = months.get(month, 0)
        height = (CHART_HEIGHT - 16) * count / top
        kind = "past" if month < now else "soon" if month <= now + 2 else "later"
        bars.append(
            MonthBar(
                label=f"{month % 12 + 1:02d}/{month // 12 % 100:02d}",
                count=count,
                x=round(i * width + 1, 1),
                y=round(CHART_HEIGHT - height, 1),
                width=round(max(width - 2, 1), 1),
                height=round(height, 1),
                kind=kind,
                show_label=i % step == 0 or month == now,
            )
        )
    return tuple(bars), undated


def expiry_section(findings: Sequence[Finding], context: ViewContext) -> ReportSection | None:
    """None when the run has no signing-certificate expiry findings (the section is then left out)."""
    view = expiry_view(findings, context.today)
    return ReportSection("signing", say("signing.section_heading"), "expiry.html.j2", view) if view else None


def expiry_view(findings: Sequence[Finding], today: date) -> ExpiryView | None:
    certs = _certificates(findings, today)
    if not certs:
        return None
    counts = Counter(c.window for c in certs)
    windows = tuple((name, counts.get(name, 0)) for name, _, _ in WINDOWS)
    if counts.get("unknown"):
        windows += (("unknown", counts["unknown"]),)
    bars, undated = _bars(certs, today)
    return ExpiryView(tuple(certs[:TABLE_LIMIT]), windows, bars, undated, len(certs))
