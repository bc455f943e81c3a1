"""The history tables as the latest migration leaves them, for the store's queries.

`migrations.py` spells out how each version got there; a test compares the migrated database with
these definitions, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored in UTC and read back timezone-aware on SQLite and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("history timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


class RemoteText(sa.types.TypeDecorator[str]):
    """Text that may quote what a host sent. PostgreSQL text cannot hold NUL, so there a NUL is stored
    as U+FFFD rather than losing the run (the evidence JSON keeps the exact bytes)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        if value is None or dialect.name != "postgresql":
            return value
        return value.replace("\x00", "\ufffd")


class RemoteJSON(sa.types.TypeDecorator[Any]):
    """Messages, whose parameters may quote what a host sent: on PostgreSQL a NUL in their text is
    stored as U+FFFD, as RemoteText does (the evidence keeps the exact bytes)."""

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or dialect.name != "postgresql":
            return value
        return _without_nul(value)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied", UtcDateTime, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("started", UtcDateTime, nullable=False),
    sa.Column("finished", UtcDateTime, nullable=False),
    sa.Column("tool_version", sa.String(64), nullable=False),
    sa.Column("report_schema", sa.String(16), nullable=False),
    sa.Column("inventory", sa.Text, nullable=False),
    sa.Column("errors", RemoteJSON, nullable=False),
    sa.Column("legal_basis", sa.String(64), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=True),
    sa.Column("waivers", sa.JSON, nullable=True),
    sa.Column("report_dir", sa.Text, nullable=True),
    sa.Index("ix_runs_inventory_finished", "inventory", "finished"),
)

run_sites = sa.Table(
    "run_sites",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("site", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("province", sa.Text, nullable=False),
    sa.Column("security_level", sa.Integer, nullable=False),
    sa.Column("hosts", sa.JSON, nullable=False),
    sa.Column("compliance", sa.Float, nullable=True),
    sa.Index("ix_run_sites_site", "site"),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("ordinal", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("check_id", sa.String(32), nullable=False),
    sa.Column("target_key", RemoteText, nullable=False),
    sa.Column("site", sa.String(200), nullable=False),
    sa.Column("host", sa.Text, nullable=True),
    sa.Column("address", sa.String(64), nullable=True),
    sa.Column("port", sa.Integer, nullable=True),
    sa.Column("resource", RemoteText, nullable=True),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("family", sa.String(32), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", RemoteText, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("remediation", sa.Text, nullable=False),
    sa.Column("controls", sa.JSON, nullable=False),
    sa.Column("scanner", sa.String(200), nullable=False),
    sa.Column("message", RemoteJSON, nullable=True),
    sa.Column("blocked", sa.JSON, nullable=True),
    sa.Index("ix_findings_site_status", "run_id", "site", "status"),
    sa.Index("ix_findings_key", "check_id", "target_key"),
)
