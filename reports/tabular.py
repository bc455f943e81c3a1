"""findings.csv: one row per finding, for spreadsheets and ticketing imports.

A cell that starts with = + - @ (or a tab/CR) is prefixed with ' so a spreadsheet never evaluates
what a remote host sent as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
import json

from p06audit.reports.model import ReportDocument

COLUMNS = (
    "run_id",
    "site",
    "host",
    "address",
    "port",
    "resource",
    "check_id",
    "family",
    "title",
    "status",
    "effective_status",
    "severity",
    "new",
    "summary",
    "controls",
    "remediation",
    "waiver_owner",
    "waiver_expires",
    "waiver_reason",
    "evidence",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(doc: ReportDocument) -> bytes:
    """UTF-8 with BOM so spreadsheet programs read Vietnamese diacritics correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for f in doc.findings:
        waiver = f.waiver
        row = (
            doc.run.id,
            f.target.site,
            f.target.host,
            f.target.address,
            f.target.port,
            f.target.resource,
            f.check_id,
            f.family,
            f.title,
            f.status.value,
            f.effective_status,
            f.severity.value,
            "" if f.new is None else ("yes" if f.new else "no"),
            f.summary,
            " ".join(f.controls),
            f.remediation,
            waiver.owner if waiver else "",
            waiver.expires.isoformat() if waiver else "",
            waiver.reason if waiver else "",
            json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str),
        )
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
