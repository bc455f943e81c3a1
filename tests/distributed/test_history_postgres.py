"""The run history on a real PostgreSQL (the national team's store), with the same migrations as SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit.history import HistoryStore, database_url
from audit.history.migrations import LATEST, MIGRATIONS
from audit.model import Severity, Status
from tests.history.factory import finding, make_run
from tests.history.test_store import VERSION_1, shape, versions


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


def test_first_release_postgresql_history_is_migrated_in_place(new_database: Callable[[], str]) -> None:
    """Given the tables as version 1 created them (the SQLite test's frozen script, in PostgreSQL's
    words for a timestamp), opening the store applies every later step and keeps the old run."""
    old, fresh = new_database(), new_database()
    engine = sa.create_engine(driver(old))
    with engine.begin() as conn:
        for statement in VERSION_1.replace("DATETIME", "TIMESTAMP WITH TIME ZONE").split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
    engine.dispose()

    with HistoryStore(old) as store:
        kept = store.load("20250101T010000Z-old001")
        store.save(make_run(1, [finding("TLS-001", Status.PASS)]), {"lab-dc": 100.0})
        trend = store.trend("lab-dc")
    with HistoryStore(fresh):
        pass
    assert versions(driver(old)) == [1, *[m.version for m in MIGRATIONS]]
    assert kept.findings[0].evidence == {"protocols": ["TLSv1.0"]}
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
                controls=("VN-TLS-01", "VN-TLS-02"),
                summary="Chấp nhận TLS 1.0",
                scanner="qa@province-a",
            ),
            finding("SSH-003", Status.ERROR, Severity.MEDIUM, host="db", port=22, summary="unreachable"),
        ],
    ).model_copy(update={"errors": ["site lab-psc: scanner unreachable: queue 'qb' gave no answer"]})
    with HistoryStore(url) as store:
        store.save(run, {"lab-dc": 62.5})
        loaded = store.load(run.id)
        listed = store.runs()
    assert loaded == run
    assert [s.id for s in listed] == [run.id] and listed[0].errors == 1


def test_text_a_hostile_host_sent_is_recorded_on_postgresql(new_database: Callable[[], str]) -> None:
    """Given a finding quoting a host that answered with NUL bytes (which PostgreSQL text cannot
    hold), the run is still recorded: NUL reads back as U+FFFD in text, and exactly in the evidence."""
    url = new_database()
    garbage = "\x00\xffGARBAGE"
    quoted = finding("NET-007", Status.WARN, summary=f"banner {garbage}", evidence={"banner": garbage})
    target = quoted.target.model_copy(update={"resource": f"banner:{garbage}"})
    run = make_run(0, [quoted.model_copy(update={"target": target})])
    with HistoryStore(url) as store:
        store.save(run, {})
        loaded = store.load(run.id)
    (recorded,) = loaded.findings
    assert recorded.summary == "banner \ufffd\xffGARBAGE"
    assert recorded.target.resource == "banner:\ufffd\xffGARBAGE"
    assert recorded.evidence == {"banner": garbage}
    assert loaded.model_copy(update={"findings": []}) == run.model_copy(update={"findings": []})
