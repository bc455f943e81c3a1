"""The run history on a real PostgreSQL (the national team's store), with the same migrations as SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from p06audit.history import HistoryStore, database_url
from p06audit.history.migrations import LATEST, MIGRATIONS
from p06audit.history.store import RunContext
from p06audit.model import Severity, Status
from p06audit.text import english, say
from tests.history.factory import finding, make_run
from tests.history.test_store import VERSION_1, VERSION_2, shape, versions


def driver(url: str) -> str:
    """The URL with the installed driver named, for the test's own direct connections."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def new_database(postgres_url: str) -> Iterator[Callable[[], str]]:
    """`new_database()`: a fresh, empty database in the session's cluster, as a `postgresql://` URL."""
    admin = sa.create_engine(driver(postgres_url), isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create() -> str:
        name = f"history_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        created.append(name)
        return postgres_url.rsplit("/", 1)[0] + f"/{name}"

    yield create
    with admin.connect() as conn:
        for name in created:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


def test_fresh_postgresql_history_has_the_same_schema_as_sqlite(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    url = new_database()
    with HistoryStore(url):
        pass
    with HistoryStore(database_url(None, tmp_path)):
        pass
    assert versions(driver(url)) == [LATEST]
    assert shape(driver(url)) == shape(database_url(None, tmp_path))


@pytest.mark.parametrize(("script", "released"), [(VERSION_1, [1]), (VERSION_2, [1, 2])], ids=["v1", "v2"])
def test_older_postgresql_history_is_migrated_in_place(
    new_database: Callable[[], str], script: str, released: list[int]
) -> None:
    """Given the tables as version 1 (or 2) created them (the SQLite test's frozen scripts, in
    PostgreSQL's words for a timestamp), opening the store applies every later step and keeps the
    old run, its text included."""
    old, fresh = new_database(), new_database()
    engine = sa.create_engine(driver(old))
    with engine.begin() as conn:
        for statement in script.replace("DATETIME", "TIMESTAMP WITH TIME ZONE").split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
    engine.dispose()

    with HistoryStore(old) as store:
        kept = store.load("20250101T010000Z-old001")
        store.save(make_run(1, [finding("TLS-001", Status.PASS)]), {"lab-dc": 100.0})
        trend = store.trend("lab-dc")
    with HistoryStore(fresh):
        pass
    assert versions(driver(old)) == [*released, *[m.version for m in MIGRATIONS if m.version > released[-1]]]
    assert kept.findings[0].evidence == {"protocols": ["TLSv1.0"]}
    assert kept.findings[0].summary == "TLS 1.0 accepted"
    assert kept.started.tzinfo is not None and kept.started.hour == 1
    assert [pct for _, pct in trend["lab-dc"]] == [40.0, 100.0]
    assert shape(driver(old)) == shape(driver(fresh))


def test_runs_round_trip_exactly_through_postgresql(new_database: Callable[[], str]) -> None:
    url = new_database()
    run = make_run(
        0,
        [
            finding(
                "TLS-001",
                Status.FAIL,
                evidence={"protocols": ["TLSv1.0"], "banner": "Xin chào <b>", "nested": {"k": None}},
                summary="Chấp nhận TLS 1.0",
                scanner="qa@province-a",
            ),
            finding("SSH-003", Status.ERROR, Severity.MEDIUM, host="db", port=22, summary="unreachable"),
        ],
    )
    no_answer = say("core.scanner_no_answer", queue="qb", seconds=60)
    run.errors = [say("core.site_not_audited", site="lab-psc", reason=no_answer)]
    context = RunContext("nd85-2016", "Asia/Ho_Chi_Minh", [{"check": "SSH-003", "target": "lab-dc/*"}])
    with HistoryStore(url) as store:
        store.save(run, {"lab-dc": 62.5}, context)
        loaded = store.load(run.id)
        listed = store.runs()
        assert store.context(run.id) == context
    assert loaded == run
    assert (
        english(loaded.errors[0])
        == "site lab-psc: scanner unreachable: queue 'qb' gave no answer within 60 s"
    )
    assert [s.id for s in listed] == [run.id] and listed[0].errors == 1


def test_text_a_hostile_host_sent_is_recorded_on_postgresql(new_database: Callable[[], str]) -> None:
    """Given a finding quoting a host that answered with NUL bytes (which PostgreSQL text cannot
    hold), the run is still recorded: NUL reads back as U+FFFD in text, and exactly in the evidence."""
    url = new_database()
    garbage = "\x00\xffGARBAGE"
    quoted = finding("NET-007", Status.WARN, summary=f"banner {garbage}", evidence={"banner": garbage})
    run = make_run(0, [replace(quoted, target=replace(quoted.target, resource=f"banner:{garbage}"))])
    with HistoryStore(url) as store:
        store.save(run, {})
        loaded = store.load(run.id)
    (recorded,) = loaded.findings
    assert recorded.summary == "banner \ufffd\xffGARBAGE"
    assert recorded.target.resource == "banner:\ufffd\xffGARBAGE"
    assert recorded.evidence == {"banner": garbage}
    assert replace(loaded, findings=[]) == replace(run, findings=[])
