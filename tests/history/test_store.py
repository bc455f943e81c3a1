"""History store on a real SQLite file: migrations, round trip, queries, and refusing what it cannot read."""

from __future__ import annotations

import json
import sqlite3
import stat
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from p06audit.errors import UsageError
from p06audit.history import HistoryError, HistoryStore, UnknownRunError, database_url
from p06audit.history.migrations import LATEST, MIGRATIONS
from p06audit.history.store import RunContext
from p06audit.model import Severity, Status
from p06audit.records import RunRecord
from p06audit.text import say
from tests.history.factory import finding, make_run

# The tables exactly as version 1 created them (frozen here: the test plays an installation that ran
# the first release and is then upgraded).
VERSION_1 = """
CREATE TABLE schema_version (
    version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied DATETIME NOT NULL);
CREATE TABLE runs (
    id VARCHAR(64) NOT NULL PRIMARY KEY, started DATETIME NOT NULL, finished DATETIME NOT NULL,
    tool_version VARCHAR(64) NOT NULL, report_schema VARCHAR(16) NOT NULL, inventory TEXT NOT NULL,
    errors JSON NOT NULL);
CREATE TABLE run_sites (
    run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE, site VARCHAR(200) NOT NULL,
    kind VARCHAR(64) NOT NULL, province TEXT NOT NULL, security_level INTEGER NOT NULL, hosts JSON NOT NULL,
    compliance FLOAT, PRIMARY KEY (run_id, site));
CREATE TABLE findings (
    run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE, ordinal INTEGER NOT NULL,
    check_id VARCHAR(32) NOT NULL, target_key TEXT NOT NULL, site VARCHAR(200) NOT NULL, host TEXT,
    address VARCHAR(64), port INTEGER, resource TEXT, status VARCHAR(8) NOT NULL,
    severity VARCHAR(16) NOT NULL,
    family VARCHAR(32) NOT NULL, title TEXT NOT NULL, summary TEXT NOT NULL, evidence JSON NOT NULL,
    remediation TEXT NOT NULL, controls JSON NOT NULL, scanner VARCHAR(200) NOT NULL,
    PRIMARY KEY (run_id, ordinal));
INSERT INTO schema_version VALUES (1, 'first release', '2025-01-01 00:00:00.000000');
INSERT INTO runs VALUES ('20250101T010000Z-old001', '2025-01-01 01:00:00.000000',
    '2025-01-01 01:05:00.000000', '0.1.0', '1.0', '/srv/inventories/lab', '[]');
INSERT INTO run_sites VALUES ('20250101T010000Z-old001', 'lab-dc', 'provincial_dc', 'P', 3, '["portal"]',
    40.0);
INSERT INTO findings VALUES ('20250101T010000Z-old001', 0, 'TLS-001', 'lab-dc/portal:443', 'lab-dc', 'portal',
    '127.0.7.20', 443, NULL, 'FAIL', 'high', 'tls', 'Legacy protocols', 'TLS 1.0 accepted',
    '{"protocols": ["TLSv1.0"]}', 'Disable TLS 1.0', '["VN-TLS-01"]', 'local');
"""

# Version 2 added the query indexes to version 1's tables.
VERSION_2 = (
    VERSION_1
    + """
CREATE INDEX ix_runs_inventory_finished ON runs (inventory, finished);
CREATE INDEX ix_run_sites_site ON run_sites (site);
CREATE INDEX ix_findings_site_status ON findings (run_id, site, status);
CREATE INDEX ix_findings_key ON findings (check_id, target_key);
INSERT INTO schema_version VALUES (2, 'indexes', '2025-02-01 00:00:00.000000');
"""
)


def url_of(path: Path) -> str:
    return database_url(None, path)


def shape(url: str) -> dict[str, object]:
    """Tables, columns (name, nullable) and indexes (name, columns) as the database reports them."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {
            table: (
                [(c["name"], c["nullable"]) for c in inspector.get_columns(table)],
                sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)),
                inspector.get_pk_constraint(table)["constrained_columns"],
            )
            for table in sorted(inspector.get_table_names())
        }
    finally:
        engine.dispose()


def versions(url: str) -> list[int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = [
            row[0] for row in conn.exec_driver_sql("SELECT version FROM schema_version ORDER BY version")
        ]
    engine.dispose()
    return found


def test_fresh_database_is_created_at_the_latest_version_in_wal_mode_owner_only(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with HistoryStore(url_of(state)):
        pass
    db = state / "history.sqlite3"
    assert versions(url_of(state)) == [LATEST]
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == {
            "schema_version",
            "runs",
            "run_sites",
            "findings",
        }


def test_version_1_database_is_upgraded_in_place_keeping_its_runs(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as conn:
        conn.executescript(VERSION_1)
    with HistoryStore(f"sqlite:///{old}") as store:
        kept = store.load("20250101T010000Z-old001")
        store.save(make_run(1, [finding("TLS-001", Status.PASS)]), {"lab-dc": 100.0})
        trend = store.trend("lab-dc")
    assert versions(f"sqlite:///{old}") == [1, *[m.version for m in MIGRATIONS]]
    assert kept.findings[0].evidence == {"protocols": ["TLSv1.0"]}
    assert kept.findings[0].summary == "TLS 1.0 accepted", "a run recorded before messages keeps its text"
    assert controls_of(old, "20250101T010000Z-old001") == ["VN-TLS-01"]
    assert kept.started.tzinfo is not None and kept.started.hour == 1
    assert [pct for _, pct in trend["lab-dc"]] == [40.0, 100.0]
    fresh = tmp_path / "fresh"
    with HistoryStore(url_of(fresh)):
        pass
    upgraded, created = shape(f"sqlite:///{old}"), shape(url_of(fresh))
    assert upgraded == created, "an upgraded database must look exactly like a freshly created one"


def controls_of(db: Path, run_id: str) -> list[str]:
    """The controls column of the run's first finding, as stored (the model no longer carries them)."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT controls FROM findings WHERE run_id = ? AND ordinal = 0", (run_id,)
        ).fetchone()
    return list(json.loads(row[0]))


def test_version_2_database_is_migrated_to_3_keeping_its_runs(tmp_path: Path) -> None:
    """Given a database of the release before messages (version 2), opening it adds the columns of
    version 3; the old run reads back with its text, and a new run is recorded with its messages
    and what it was assessed with."""
    old = tmp_path / "v2.sqlite3"
    with sqlite3.connect(old) as conn:
        conn.executescript(VERSION_2)
    run = make_run(1, [finding("TLS-001", Status.ERROR, blocked=("TLS-002", "TLS-003"))])
    context = RunContext("nd85-2016", "Asia/Ho_Chi_Minh", [{"check": "TLS-001", "target": "*"}])
    with HistoryStore(f"sqlite:///{old}") as store:
        kept = store.load("20250101T010000Z-old001")
        assert store.context(kept.id) == RunContext()
        store.save(run, {"lab-dc": 100.0}, context)
        assert store.load(run.id) == run
        assert store.context(run.id) == context
        assert store.latest_of("/srv/inventories/lab") == run.id
        trend = store.trend("lab-dc")
    assert [pct for _, pct in trend["lab-dc"]] == [40.0, 100.0]
    assert versions(f"sqlite:///{old}") == [1, 2, 3, 4]  # version 4 (report_dir) follows on
    assert (kept.findings[0].check_id, kept.findings[0].summary) == ("TLS-001", "TLS 1.0 accepted")
    assert kept.findings[0].blocked == ()
    fresh = tmp_path / "fresh"
    with HistoryStore(url_of(fresh)):
        pass
    assert shape(f"sqlite:///{old}") == shape(url_of(fresh))


def test_database_from_a_newer_release_is_refused_not_touched(tmp_path: Path) -> None:
    with HistoryStore(url_of(tmp_path)):
        pass
    db = tmp_path / "history.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'future', '2030-01-01 00:00:00')")
    with pytest.raises(HistoryError, match="newer than this p06audit knows"):
        HistoryStore(url_of(tmp_path))
    assert versions(url_of(tmp_path)) == [LATEST, 99]


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "history.sqlite3").write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(
        HistoryError, match=r"cannot open history database .*history\.sqlite3: file is not a database"
    ):
        HistoryStore(url_of(tmp_path))


def test_reading_commands_do_not_create_an_empty_history(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no run history at"):
        HistoryStore(url_of(tmp_path / "nowhere"), create=False)
    assert not (tmp_path / "nowhere").exists()


def test_run_round_trips_exactly(tmp_path: Path) -> None:
    run = make_run(
        0,
        [
            finding(
                "TLS-001",
                Status.FAIL,
                evidence={"protocols": ["TLSv1.0"], "score": 2.5, "nested": {"k": None}},
                summary="Chấp nhận <TLS 1.0>",
            ),
            finding("NET-001", Status.PASS, Severity.MEDIUM, host="db", port=None),
            finding(
                "SIGN-002",
                Status.WARN,
                Severity.LOW,
                host="kiosk",
                site="lab-psc",
                port=None,
                scanner="province-a",
            ),
            finding("SSH-003", Status.ERROR, host="db", port=22),
            replace(
                finding("SSH-000", Status.ERROR, host="db", port=22, blocked=("SSH-001", "SSH-002")),
                message=say(
                    "core.not_examined", reason=say("core.collector_timeout", seconds=20), checks=["SSH-001"]
                ),
            ),
        ],
    )
    run.errors = [say("core.collector_failed", family="ssh", error=say("core.collector_timeout", seconds=20))]
    with HistoryStore(url_of(tmp_path)) as store:
        store.save(run, {"lab-dc": 62.5})
        loaded = store.load(run.id)
    assert loaded == run
    assert RunRecord.of(loaded).model_dump_json() == RunRecord.of(run).model_dump_json()


def test_saving_the_same_run_twice_is_refused_and_keeps_the_first(tmp_path: Path) -> None:
    run = make_run(0, [finding("TLS-001", Status.FAIL)])
    with HistoryStore(url_of(tmp_path)) as store:
        store.save(run, {})
        with pytest.raises(HistoryError, match="already recorded"):
            store.save(replace(run, findings=[]), {})
        assert store.load(run.id) == run


def test_runs_are_listed_newest_first_with_counts_and_compliance(tmp_path: Path) -> None:
    first = make_run(
        0,
        [
            finding("TLS-001", Status.FAIL, Severity.HIGH),
            finding("TLS-002", Status.WARN, Severity.MEDIUM),
            finding("NET-001", Status.PASS, Severity.HIGH),
            finding("SSH-001", Status.ERROR, host="kiosk", site="lab-psc", port=22),
        ],
    )
    second = make_run(
        1,
        [
            finding("TLS-001", Status.PASS, Severity.HIGH),
            finding("TLS-004", Status.FAIL, Severity.CRITICAL, host="kiosk", site="lab-psc"),
        ],
    )
    with HistoryStore(url_of(tmp_path)) as store:
        store.save(first, {"lab-dc": 50.0, "lab-psc": 80.0})
        store.save(second, {"lab-dc": 100.0, "lab-psc": 70.0})
        everything = store.runs()
        psc = store.runs(site="lab-psc")
        nowhere = store.runs(site="no-such-site")
    assert [s.id for s in everything] == [second.id, first.id]
    newest, oldest = everything
    assert oldest.issues[Severity.HIGH] == 1 and oldest.issues[Severity.MEDIUM] == 1
    assert oldest.errors == 1 and oldest.findings == 4
    assert newest.issues[Severity.CRITICAL] == 1 and sum(newest.issues.values()) == 1
    assert newest.compliance == {"lab-dc": 100.0, "lab-psc": 70.0}
    assert [s.id for s in psc] == [second.id, first.id]
    assert psc[1].errors == 1 and sum(psc[1].issues.values()) == 0 and psc[1].compliance == {"lab-psc": 80.0}
    assert psc[0].issues[Severity.CRITICAL] == 1
    assert nowhere == []


def test_previous_is_the_last_earlier_run_of_the_same_inventory(tmp_path: Path) -> None:
    a = make_run(0, [finding("TLS-001", Status.FAIL)])
    other = make_run(1, [], inventory="/srv/inventories/other-province")
    b = make_run(2, [finding("TLS-001", Status.PASS)])
    with HistoryStore(url_of(tmp_path)) as store:
        for run in (a, other, b):
            store.save(run, {})
        previous = store.previous(b.id)
        assert store.previous(a.id) is None
        assert store.previous(other.id) is None
        assert store.latest() == b.id
    assert previous == a


def test_trend_keeps_the_last_scored_runs_per_site_oldest_first(tmp_path: Path) -> None:
    with HistoryStore(url_of(tmp_path)) as store:
        for day in range(5):
            scores = {"lab-dc": 10.0 * day} if day != 2 else {}
            store.save(make_run(day, []), {**scores, "lab-psc": 50.0 + day})
        trend = store.trend(limit=3)
        only_dc = store.trend("lab-dc", limit=10)
    assert [pct for _, pct in trend["lab-dc"]] == [10.0, 30.0, 40.0]
    assert [pct for _, pct in trend["lab-psc"]] == [52.0, 53.0, 54.0]
    assert [run_id for run_id, _ in trend["lab-psc"]] == [make_run(d, []).id for d in (2, 3, 4)]
    assert list(only_dc) == ["lab-dc"] and len(only_dc["lab-dc"]) == 4


def test_run_ids_resolve_from_unique_prefixes_only(tmp_path: Path) -> None:
    runs = [make_run(day, []) for day in (0, 1, 10)]
    with HistoryStore(url_of(tmp_path)) as store:
        for run in runs:
            store.save(run, {})
        assert store.resolve(runs[2].id[:8]) == runs[2].id
        with pytest.raises(UnknownRunError, match="matches several runs"):
            store.resolve(runs[0].id[:7])
        with pytest.raises(UnknownRunError, match="is not in the history"):
            store.resolve("2025%")
        with pytest.raises(UnknownRunError, match="is not in the history"):
            store.load("nope")
