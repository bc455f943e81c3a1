"""The run history: one SQLAlchemy URL, SQLite file by default, PostgreSQL for the national team.

A run is written in one transaction after it has finished, so a crash or `kill -9` leaves either the
whole run or nothing, and never touches runs recorded earlier. SQLite runs in WAL mode and takes
the write lock when a transaction begins, so concurrent readers and one writer never deadlock.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_jsonable_python
from sqlalchemy.engine import make_url

from p06audit.errors import AuditError, UsageError
from p06audit.files import file_mode
from p06audit.guidance.catalogue import default_catalogue
from p06audit.history import schema
from p06audit.history.diff import FAILING
from p06audit.history.migrations import SchemaTooNewError, migrate
from p06audit.model import SCHEMA_VERSION, Finding, Run, Severity, SiteInfo, Status, Target
from p06audit.text import Message, TextError, english, say

DATABASE_FILE = "history.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PRUNE_BATCH = 500  # ids per DELETE: well under SQLite's limit on bound parameters
DATABASE_MODE = 0o600  # the whole history of every site: owner-only, whatever the report umask


class HistoryError(AuditError):
    """The history database cannot be opened, migrated, read or written."""


class UnknownRunError(UsageError):
    """A run id (or prefix) the history does not hold, or holds more than once."""


def database_url(value: str | None, state_dir: Path) -> str:
    """`--db` accepts a SQLAlchemy URL or a file path; the default is a SQLite file in the state dir."""
    if value and "://" in value:
        return value
    path = Path(value) if value else state_dir / DATABASE_FILE
    return f"sqlite:///{path.expanduser().resolve()}"


def _parse(url: str) -> sa.URL:
    try:
        return make_url(url)
    except sa.exc.ArgumentError:
        raise UsageError(
            "--db must be a SQLAlchemy database URL (sqlite:///..., postgresql://...) or a file path"
        ) from None


def display_url(url: str) -> str:
    """The URL as it may be printed or logged: any password replaced by ***."""
    return _parse(url).render_as_string(hide_password=True)


def _reason(exc: Exception) -> str:
    """The driver's own message, without SQLAlchemy's echo of the statement and its parameters."""
    return str(getattr(exc, "orig", None) or exc)


def _prepare_sqlite_file(url: sa.URL, create: bool) -> None:
    """Create the state dir and an owner-only database file, never wider than `file_mode()` (SQLite
    gives -wal/-shm the same mode)."""
    if not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    if path.exists():
        return
    if not create:
        raise UsageError(f"no run history at {path} yet: run `p06audit run` first or pass --db")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, DATABASE_MODE & file_mode()))


def _configure_sqlite(engine: sa.Engine) -> None:
    """WAL, foreign keys and a busy timeout per connection; BEGIN IMMEDIATE so writers queue up."""

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True)
class RunContext:
    """What the run was assessed with, recorded beside it."""

    legal_basis: str | None = None
    timezone: str | None = None
    waivers: list[dict[str, Any]] = field(default_factory=list)
    report_dir: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """One line of `p06audit history`: open issues (FAIL or WARN) per severity, ERRORs, compliance."""

    id: str
    started: datetime
    finished: datetime
    inventory: str
    issues: dict[Severity, int]
    errors: int
    findings: int
    compliance: dict[str, float | None] = field(default_factory=dict)


class HistoryStore:
    """Open (and migrate) the history database at `url`; `create=False` refuses to start a new one."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        parsed = _parse(url)
        self.display_url = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite":
            _prepare_sqlite_file(parsed, create)
        try:
            self.engine = sa.create_engine(parsed)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise UsageError(f"cannot use history database {self.display_url}: {exc}") from exc
        if parsed.get_backend_name() == "sqlite":
            _configure_sqlite(self.engine)
        try:
            with self.engine.begin() as conn:
                migrate(conn)
        except (SchemaTooNewError, sa.exc.SQLAlchemyError) as exc:
            self.engine.dispose()
            raise HistoryError(f"cannot open history database {self.display_url}: {_reason(exc)}") from exc

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise HistoryError(f"history database {self.display_url}: {_reason(exc)}") from exc

    def save(self, run: Run, compliance: Mapping[str, float], context: RunContext | None = None) -> None:
        """Record a finished run, its per-site compliance % and what it was assessed with, in one
        transaction."""
        with self._transaction() as conn:
            exists = conn.execute(sa.select(schema.runs.c.id).where(schema.runs.c.id == run.id)).first()
            if exists:
                raise HistoryError(f"run {run.id} is already recorded in {self.display_url}")
            conn.execute(schema.runs.insert().values(_run_row(run, context or RunContext())))
            if run.sites:
                conn.execute(schema.run_sites.insert(), [_site_row(run.id, s, compliance) for s in run.sites])
            if run.findings:
                legacy = _LegacyText()
                conn.execute(
                    schema.findings.insert(),
                    [_finding_row(run.id, i, f, legacy) for i, f in enumerate(run.findings)],
                )

    def resolve(self, run_id: str) -> str:
        """A full run id from an id or a unique prefix of one."""
        pattern = run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._transaction() as conn:
            ids = (
                conn.execute(
                    sa.select(schema.runs.c.id).where(schema.runs.c.id.like(pattern, escape="\\")).limit(2)
                )
                .scalars()
                .all()
            )
        if len(ids) != 1:
            problem = "is not in the history" if not ids else "matches several runs; give more of it"
            raise UnknownRunError(f"run '{run_id}' {problem} (`p06audit history` lists them)")
        return str(ids[0])

    def load(self, run_id: str) -> Run:
        """The run exactly as it was recorded."""
        run_id = self.resolve(run_id)
        with self._transaction() as conn:
            row = conn.execute(sa.select(schema.runs).where(schema.runs.c.id == run_id)).mappings().one()
            sites = (
                conn.execute(
                    sa.select(schema.run_sites)
                    .where(schema.run_sites.c.run_id == run_id)
                    .order_by(schema.run_sites.c.site)
                )
                .mappings()
                .all()
            )
            found = (
                conn.execute(
                    sa.select(schema.findings)
                    .where(schema.findings.c.run_id == run_id)
                    .order_by(schema.findings.c.ordinal)
                )
                .mappings()
                .all()
            )
        return Run(
            id=row["id"],
            started=row["started"],
            finished=row["finished"],
            tool_version=row["tool_version"],
            inventory=row["inventory"],
            errors=[_message(e) for e in row["errors"]],
            sites=[
                SiteInfo(
                    name=s["site"],
                    kind=s["kind"],
                    province=s["province"],
                    security_level=s["security_level"],
                    hosts=tuple(s["hosts"]),
                )
                for s in sites
            ],
            findings=[_finding_from(f) for f in found],
        )

    def context(self, run_id: str) -> RunContext:
        """The legal basis, time zone and waivers the run was assessed with (empty for old runs)."""
        runs = schema.runs
        run_id = self.resolve(run_id)
        with self._transaction() as conn:
            row = conn.execute(
                sa.select(runs.c.legal_basis, runs.c.timezone, runs.c.waivers, runs.c.report_dir).where(
                    runs.c.id == run_id
                )
            ).one()
        return RunContext(row.legal_basis, row.timezone, list(row.waivers or []), row.report_dir)

    def latest_of(self, inventory: str) -> str | None:
        """The id of the inventory's most recently finished run."""
        runs = schema.runs
        with self._transaction() as conn:
            newest = conn.execute(
                sa.select(runs.c.id)
                .where(runs.c.inventory == inventory)
                .order_by(runs.c.finished.desc(), runs.c.id.desc())
                .limit(1)
            ).scalar()
        return str(newest) if newest else None

    def prune(self, before: datetime, *, delete: bool = True) -> list[tuple[str, str | None]]:
        """Delete every run that finished before `before` except each inventory's latest run, with
        its sites and findings, in one transaction; return (id, report_dir) of each run deleted
        (with `delete=False`, of each run that would be)."""
        runs = schema.runs
        with self._transaction() as conn:
            rows = conn.execute(
                sa.select(runs.c.id, runs.c.inventory, runs.c.report_dir).order_by(
                    runs.c.inventory, runs.c.finished.desc(), runs.c.id.desc()
                )
            ).all()
            newest: dict[str, str] = {}
            for row in rows:
                newest.setdefault(row.inventory, row.id)
            old = set(conn.execute(sa.select(runs.c.id).where(runs.c.finished < before)).scalars().all())
            doomed = [
                (row.id, row.report_dir) for row in rows if row.id in old and row.id not in newest.values()
            ]
            ids = [run_id for run_id, _ in doomed] if delete else []
            for start in range(0, len(ids), PRUNE_BATCH):
                chunk = ids[start : start + PRUNE_BATCH]
                for table in (schema.findings, schema.run_sites):
                    conn.execute(table.delete().where(table.c.run_id.in_(chunk)))
                conn.execute(runs.delete().where(runs.c.id.in_(chunk)))
        return doomed

    def latest(self) -> str | None:
        """The id of the most recently finished run."""
        with self._transaction() as conn:
            newest = conn.execute(
                sa.select(schema.runs.c.id)
                .order_by(schema.runs.c.finished.desc(), schema.runs.c.id.desc())
                .limit(1)
            ).scalar()
        return str(newest) if newest else None

    def previous(self, run_id: str) -> Run | None:
        """The run of the same inventory that finished last before `run_id` did."""
        run_id = self.resolve(run_id)
        runs = schema.runs
        with self._transaction() as conn:
            this = conn.execute(sa.select(runs.c.inventory, runs.c.finished).where(runs.c.id == run_id)).one()
            earlier = conn.execute(
                sa.select(runs.c.id)
                .where(runs.c.inventory == this.inventory, runs.c.finished < this.finished)
                .order_by(runs.c.finished.desc(), runs.c.id.desc())
                .limit(1)
            ).scalar()
        return self.load(earlier) if earlier else None

    def runs(self, site: str | None = None, limit: int | None = None) -> list[RunSummary]:
        """Recorded runs, newest first; with `site`, only runs covering it and counted for it alone."""
        runs, sites, findings = schema.runs, schema.run_sites, schema.findings
        query = sa.select(runs).order_by(runs.c.finished.desc(), runs.c.id.desc()).limit(limit)
        if site is not None:
            query = query.where(sa.exists().where(sites.c.run_id == runs.c.id, sites.c.site == site))
        with self._transaction() as conn:
            rows = conn.execute(query).mappings().all()
            ids = [r["id"] for r in rows]
            counted = sa.select(
                findings.c.run_id, findings.c.status, findings.c.severity, sa.func.count()
            ).where(findings.c.run_id.in_(ids))
            compliant = sa.select(sites.c.run_id, sites.c.site, sites.c.compliance).where(
                sites.c.run_id.in_(ids)
            )
            if site is not None:
                counted = counted.where(findings.c.site == site)
                compliant = compliant.where(sites.c.site == site)
            counts = conn.execute(
                counted.group_by(findings.c.run_id, findings.c.status, findings.c.severity)
            ).all()
            percents = conn.execute(compliant.order_by(sites.c.site)).all()
        issues: dict[str, Counter[Severity]] = defaultdict(Counter)
        errors: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        for run_id, status, severity, count in counts:
            totals[run_id] += count
            if Status(status) is Status.ERROR:
                errors[run_id] += count
            elif Status(status) in FAILING:
                issues[run_id][Severity(severity)] += count
        compliance: dict[str, dict[str, float | None]] = defaultdict(dict)
        for run_id, site_name, percent in percents:
            compliance[run_id][site_name] = percent
        return [
            RunSummary(
                id=row["id"],
                started=row["started"],
                finished=row["finished"],
                inventory=row["inventory"],
                issues={s: issues[row["id"]][s] for s in Severity},
                errors=errors[row["id"]],
                findings=totals[row["id"]],
                compliance=compliance[row["id"]],
            )
            for row in rows
        ]

    def trend(
        self, site: str | None = None, limit: int = 10, inventory: str | None = None
    ) -> dict[str, list[tuple[str, float]]]:
        """Per site, (run id, compliance %) of its last `limit` scored runs, oldest first; with
        `inventory`, only that inventory's runs (another province may name a site alike)."""
        runs, sites = schema.runs, schema.run_sites
        rank = (
            sa.func.row_number()
            .over(partition_by=sites.c.site, order_by=(runs.c.finished.desc(), runs.c.id.desc()))
            .label("rank")
        )
        ranked = (
            sa.select(sites.c.site, runs.c.id, runs.c.finished, sites.c.compliance, rank)
            .join(runs, runs.c.id == sites.c.run_id)
            .where(sites.c.compliance.is_not(None))
        )
        if site is not None:
            ranked = ranked.where(sites.c.site == site)
        if inventory is not None:
            ranked = ranked.where(runs.c.inventory == inventory)
        inner = ranked.subquery()
        query = (
            sa.select(inner.c.site, inner.c.id, inner.c.compliance)
            .where(inner.c.rank <= limit)
            .order_by(inner.c.site, inner.c.finished, inner.c.id)
        )
        points: dict[str, list[tuple[str, float]]] = {}
        with self._transaction() as conn:
            for row in conn.execute(query):
                points.setdefault(row.site, []).append((row.id, float(row.compliance)))
        return points


def _run_row(run: Run, context: RunContext) -> dict[str, Any]:
    return {
        "id": run.id,
        "started": run.started,
        "finished": run.finished,
        "tool_version": run.tool_version,
        "report_schema": SCHEMA_VERSION,
        "inventory": run.inventory,
        "errors": [e.to_json() for e in run.errors],
        "legal_basis": context.legal_basis,
        "timezone": context.timezone,
        "waivers": context.waivers,
        "report_dir": context.report_dir,
    }


def _message(value: Any) -> Message:
    """A recorded message; a run recorded before messages existed kept plain English text."""
    if isinstance(value, dict) and "key" in value:
        return Message.from_json(value)
    return say("core.detail", text=str(value))


def _site_row(run_id: str, site: SiteInfo, compliance: Mapping[str, float]) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "site": site.name,
        "kind": site.kind,
        "province": site.province,
        "security_level": site.security_level,
        "hosts": list(site.hosts),
        "compliance": compliance.get(site.name),
    }


class _LegacyText:
    """The English title, remediation and controls of each check, for the columns version 1 made
    mandatory (SQL readers of the history still find them); worked out once per check and save.
    A check whose family is not loaded here keeps its id as title and no remediation."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[str, str, list[str]]] = {}

    def of(self, check_id: str) -> tuple[str, str, list[str]]:
        found = self._known.get(check_id)
        if found is None:
            found = self._known[check_id] = (
                english_or(Message(f"{check_id}.title"), check_id),
                english_or(Message(f"{check_id}.remediation"), ""),
                list(default_catalogue().controls_for_check(check_id)),
            )
        return found


def english_or(message: Message, default: str, render: Callable[[Message], str] = english) -> str:
    """The text of `message` (English unless `render` says otherwise), or `default` where this
    process has no text for it (a run recorded with a family that is no longer installed)."""
    try:
        return render(message)
    except TextError:
        return default


def _finding_row(run_id: str, ordinal: int, finding: Finding, legacy: _LegacyText) -> dict[str, Any]:
    title, remediation, controls = legacy.of(finding.check_id)
    target = finding.target
    return {
        "run_id": run_id,
        "ordinal": ordinal,
        "check_id": finding.check_id,
        "target_key": target.key,
        "site": target.site,
        "host": target.host,
        "address": target.address,
        "port": target.port,
        "resource": target.resource,
        "status": finding.status.value,
        "severity": finding.severity.value,
        "family": finding.family,
        "title": title,
        "summary": english_or(finding.message, finding.message.key),
        "evidence": to_jsonable_python(finding.evidence),
        "remediation": remediation,
        "controls": controls,
        "scanner": finding.scanner,
        "message": finding.message.to_json(),
        "blocked": list(finding.blocked),
    }


def _finding_from(row: Any) -> Finding:
    return Finding(
        check_id=row["check_id"],
        family=row["family"],
        status=Status(row["status"]),
        severity=Severity(row["severity"]),
        target=Target(
            site=row["site"],
            host=row["host"],
            address=row["address"],
            port=row["port"],
            resource=row["resource"],
        ),
        message=_message(row["message"] if row["message"] is not None else row["summary"]),
        evidence=row["evidence"],
        scanner=row["scanner"],
        blocked=tuple(row["blocked"] or ()),
    )
