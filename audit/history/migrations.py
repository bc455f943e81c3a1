"""Schema versions of the history database, applied in order when a store opens it.

A fresh database gets the latest tables from `schema.py` in one step and is stamped with the latest
version; an older database gets each later step in order. Every step uses portable SQLAlchemy DDL so
the same list serves SQLite and PostgreSQL. Steps are append-only: never edit a released one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from p06audit.history import schema


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sa.Connection], None]


def _create_indexes(*names: str) -> Callable[[sa.Connection], None]:
    def apply(conn: sa.Connection) -> None:
        indexes = {
            str(index.name): index for table in schema.metadata.tables.values() for index in table.indexes
        }
        for name in names:
            indexes[name].create(conn)

    return apply


def _add_columns(*columns: tuple[str, str]) -> Callable[[sa.Connection], None]:
    """ALTER TABLE ... ADD COLUMN for each (table, column) as schema.py now defines it."""

    def apply(conn: sa.Connection) -> None:
        for table_name, column_name in columns:
            column = schema.metadata.tables[table_name].c[column_name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f'ALTER TABLE {table_name} ADD COLUMN "{column_name}" {kind}')

    return apply


BASELINE = 1
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        2,
        "indexes for the history, trend and diff queries",
        _create_indexes(
            "ix_runs_inventory_finished", "ix_run_sites_site", "ix_findings_site_status", "ix_findings_key"
        ),
    ),
    Migration(
        3,
        "the assessment's legal basis, time zone and waivers per run; "
        "message keys and root causes per finding",
        _add_columns(
            ("runs", "legal_basis"),
            ("runs", "timezone"),
            ("runs", "waivers"),
            ("findings", "message"),
            ("findings", "blocked"),
        ),
    ),
    Migration(
        4,
        "where each run's report directory was written, so `history prune` removes both",
        _add_columns(("runs", "report_dir")),
    ),
)
LATEST = MIGRATIONS[-1].version if MIGRATIONS else BASELINE


class SchemaTooNewError(Exception):
    """The database was written by a newer p06audit; refusing to guess at its layout."""


def current_version(conn: sa.Connection) -> int:
    """0 for an empty database, else the highest applied version."""
    if not sa.inspect(conn).has_table(schema.schema_version.name):
        return 0
    version = conn.execute(sa.select(sa.func.max(schema.schema_version.c.version))).scalar_one()
    return int(version or 0)


def _stamp(conn: sa.Connection, version: int, description: str) -> None:
    conn.execute(
        schema.schema_version.insert().values(
            version=version, description=description, applied=datetime.now(UTC)
        )
    )


def migrate(conn: sa.Connection) -> int:
    """Bring the database in `conn`'s transaction to LATEST; return the version it had before."""
    before = current_version(conn)
    if before > LATEST:
        raise SchemaTooNewError(
            f"history schema version {before} is newer than this p06audit knows ({LATEST})"
        )
    if before == 0:
        schema.metadata.create_all(conn)
        _stamp(conn, LATEST, "fresh database")
        return before
    for step in MIGRATIONS:
        if step.version > before:
            step.apply(conn)
            _stamp(conn, step.version, step.description)
    return before
