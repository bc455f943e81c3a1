"""The committed JSON Schema of report.json, generated from the wire model.

Regenerate after changing reports/model.py: `python -m p06audit.reports.schema` (a test fails when the
committed file is stale).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from p06audit.reports.atomic import write_atomic
from p06audit.reports.model import REPORT_SCHEMA_VERSION, ReportDocument

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schemas" / "report.schema.json"


def report_schema() -> dict[str, Any]:
    schema = ReportDocument.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:p06audit:report:{REPORT_SCHEMA_VERSION}"
    return schema


def render_schema() -> bytes:
    return (json.dumps(report_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


if __name__ == "__main__":
    print(write_atomic(SCHEMA_FILE, render_schema()))
