"""A national run over real Redis: province scanners as `p06audit worker` subprocesses on their queues.

The scanners hold the whole national inventory; each test's coordinator holds the sites it needs
(a site's fingerprint is per site, so a province scanner may hold more or fewer sites than the
coordinator).
"""

from __future__ import annotations

import json
import pickle
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kombu import Connection

from p06audit.distributed import broker_url
from p06audit.distributed.broker import TASK_NAME
from p06audit.distributed.wire import SiteResult
from p06audit.history import HistoryStore
from p06audit.lab import Lab
from p06audit.model import Finding, Run, Severity, SiteInfo, Status, Target
from p06audit.records import RunRecord
from p06audit.text import Renderer, english, say
from tests.distributed.conftest import (
    BOOTSTRAP,
    REPO,
    Scanners,
    answering,
    audit_in_subprocess,
    finish_audit,
    province_inventory,
    start_audit,
    tally,
)
from tests.distributed.dprobe import CHECK_ID
from tests.distributed.services import RedisServer, free_port, wait_until

ROUTES = {"prov-a": "qa", "prov-b": "qb", "prov-local": "local", "prov-c": "qnobody", "prov-d": "qdup"}
HOSTS = {
    "prov-a-app": "prov-a",
    "prov-a-stall": "prov-a",
    "prov-b-app": "prov-b",
    "prov-b-stall": "prov-b",
    "prov-local-app": "prov-local",
    "prov-c-app": "prov-c",
    "prov-d-app": "prov-d",
}


def subset(directory: Path, *sites: str) -> Path:
    """A coordinator's inventory holding only `sites`, with the same entries as the scanners' copy."""
    return province_inventory(
        directory, {s: ROUTES[s] for s in sites}, {h: s for h, s in HOSTS.items() if s in sites}
    )


@pytest.fixture(scope="module")
def national_inventory(tmp_path_factory: pytest.TempPathFactory, national_lab: Lab) -> Path:
    return subset(tmp_path_factory.mktemp("national") / "inventory", *ROUTES)


@pytest.fixture(scope="module")
def province_scanners(scanners: Scanners, national_inventory: Path) -> Scanners:
    scanners.start("qa", "qa-1@lab", national_inventory)
    scanners.start("qb", "qb-1@lab", national_inventory)
    return scanners


def test_national_run_gathers_every_site_as_a_local_run_would(
    province_scanners: Scanners, redis_server: RedisServer, tmp_path: Path
) -> None:
    inventory = subset(tmp_path / "inventory", "prov-a", "prov-b", "prov-local")
    national = audit_in_subprocess("national", inventory, tmp_path / "national.json", redis_server)
    local = audit_in_subprocess("local", inventory, tmp_path / "local.json", redis_server)

    assert national.sites == local.sites
    assert tally(national) == tally(local)
    assert national.errors == []
    by_site = {
        s: {f.scanner for f in national.findings if f.site == s} for s in ("prov-a", "prov-b", "prov-local")
    }
    assert by_site == {"prov-a": {"qa-1@lab"}, "prov-b": {"qb-1@lab"}, "prov-local": {"local"}}
    greetings = {f.target.host: f.status.value for f in national.findings if f.check_id == CHECK_ID}
    assert greetings == {
        "prov-a-app": "PASS",
        "prov-a-stall": "WARN",
        "prov-b-app": "PASS",
        "prov-b-stall": "WARN",
        "prov-local-app": "PASS",
    }
    secret = redis_server.password
    assert secret not in (tmp_path / "national.json").read_text()
    assert all(secret not in s.log() for s in province_scanners.started)


def test_scanner_refuses_pickle_and_task_types_it_does_not_know(
    province_scanners: Scanners, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Given messages a compromised producer could send, the scanner runs none of them and keeps serving."""
    scanner = province_scanners.started[0]
    planted = tmp_path / "pickle-ran"

    class Planted:
        def __reduce__(self) -> tuple[object, tuple[str, str]]:
            return (open, (str(planted), "w"))

    url = broker_url(redis_server.url, {"P06AUDIT_BROKER_PASSWORD": redis_server.password})
    with Connection(url) as connection:
        producer = connection.Producer()
        for name, body, serializer in (
            (TASK_NAME, ((Planted(),), {}, {}), "pickle"),
            ("celery.backend_cleanup", ((), {}, {}), "json"),
            ("p06audit.run_command", ((["id"],), {}, {}), "json"),
        ):
            payload = pickle.dumps(body) if serializer == "pickle" else json.dumps(body)
            producer.publish(
                payload,
                routing_key=scanner.queue,
                content_type="application/x-python-serialize"
                if serializer == "pickle"
                else "application/json",
                content_encoding="binary" if serializer == "pickle" else "utf-8",
                headers={"task": name, "id": str(uuid.uuid4()), "lang": "py"},
            )
    scanner.wait_for_log("Received unregistered task of type 'p06audit.run_command'")
    log = scanner.log()
    assert "Refusing to deserialize untrusted content of type pickle" in log
    assert "Received unregistered task of type 'celery.backend_cleanup'" in log
    assert not planted.exists()
    assert scanner.process.poll() is None
    assert redis_server.client().llen(scanner.queue) == 0


def test_site_whose_scanner_never_answers_ends_as_errors_within_the_deadline(
    province_scanners: Scanners, redis_server: RedisServer, tmp_path: Path
) -> None:
    inventory = subset(tmp_path / "inventory", "prov-a", "prov-c")
    deadline = 8.0
    national = audit_in_subprocess(
        "national", inventory, tmp_path / "national.json", redis_server, "--deadline", str(deadline)
    )
    local = audit_in_subprocess("local", inventory, tmp_path / "local.json", redis_server)

    assert national.duration_seconds < deadline + 5
    assert [s.name for s in national.sites] == ["prov-a", "prov-c"]
    unreachable = [f for f in national.findings if f.site == "prov-c"]
    # Without observations each host is not examined (as a host unreachable in a local run): one root
    # cause per host and family blocks every planned check, so whatever a local run finds there is
    # among them, none is silently missing.
    assert unreachable and all(f.status.value == "ERROR" and f.blocked for f in unreachable)
    found_locally = {(f.check_id, f.target.host) for f in local.findings if f.site == "prov-c"}
    assert found_locally and found_locally <= set(answering(unreachable))
    assert all(
        "scanner unreachable: queue 'qnobody'" in f.summary and f.scanner == "qnobody" for f in unreachable
    )
    assert tally(national, "prov-a") == tally(local, "prov-a")
    assert [english(e) for e in national.errors] == [
        "site prov-c: scanner unreachable: queue 'qnobody' gave no answer within 8 s"
    ]
    assert national.errors[0] == say(
        "core.site_not_audited",
        site="prov-c",
        reason=say("core.scanner_no_answer", queue="qnobody", seconds=8),
    )


def test_root_cause_of_a_host_whose_scanner_never_answered_names_its_checks(
    province_scanners: Scanners, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Given a site whose queue nobody serves, each of its hosts has one ERROR per family, with the
    family's not-examined id, the checks it blocked and the reason, in Vietnamese as in English."""
    inventory = subset(tmp_path / "inventory", "prov-c")
    national = audit_in_subprocess(
        "national",
        inventory,
        tmp_path / "national.json",
        redis_server,
        "--deadline",
        "2",
        "--check",
        CHECK_ID,
    )
    [root] = national.findings
    assert (root.check_id, root.target.key, root.status, root.blocked) == (
        "DPROBE-000",
        "prov-c/prov-c-app",
        Status.ERROR,
        (CHECK_ID,),
    )
    assert root.message == say(
        "core.not_examined",
        reason=say("core.scanner_no_answer", queue="qnobody", seconds=2),
        checks=[CHECK_ID],
    )
    assert root.summary == (
        "This target could not be examined: scanner unreachable: queue 'qnobody' gave no answer within 2 s. "
        f"Checks that could not run: {CHECK_ID}."
    )
    assert Renderer("vi")(root.message) == (
        "Không kiểm tra được đối tượng này: không liên lạc được với máy quét: "
        "hàng đợi 'qnobody' không trả lời trong vòng 2 giây. "
        f"Các kiểm tra không thực hiện được: {CHECK_ID}."
    )


def test_duplicate_delivery_is_audited_once_and_counted_once(
    province_scanners: Scanners, national_inventory: Path, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Given the broker hands the same site task out twice, the run holds the site's findings once."""
    inventory = subset(tmp_path / "inventory", "prov-d")
    client = redis_server.client()
    running = start_audit("national", inventory, tmp_path / "national.json", redis_server, "--deadline", "60")
    wait_until(lambda: client.llen("qdup") == 1, 30, "the prov-d task reaching its queue")
    client.lpush("qdup", client.lindex("qdup", 0))
    scanner = province_scanners.start("qdup", "qdup-1@lab", national_inventory)
    national = finish_audit(running, tmp_path / "national.json")
    scanner.wait_for_log("duplicate delivery of")
    local = audit_in_subprocess("local", inventory, tmp_path / "local.json", redis_server)

    assert tally(national) == tally(local)
    assert scanner.log().count("auditing site prov-d") == 1
    wait_until(lambda: client.llen("qdup") == 0, 10, "the queue draining")


def test_broker_down_leaves_remote_sites_as_errors_and_audits_local_ones(
    redis_server: RedisServer, national_lab: Lab, tmp_path: Path
) -> None:
    inventory = subset(tmp_path / "inventory", "prov-a", "prov-b", "prov-local")
    dead = RedisServer(port=free_port(redis_server.port + 100), password="", process=redis_server.process)
    started = time.monotonic()
    national = audit_in_subprocess(
        "national", inventory, tmp_path / "national.json", dead, "--deadline", "30"
    )

    assert time.monotonic() - started < 30
    remote = [f for f in national.findings if f.site in ("prov-a", "prov-b")]
    assert {f.site for f in remote} == {"prov-a", "prov-b"}
    assert all(f.status.value == "ERROR" and "could not queue the audit" in f.summary for f in remote)
    assert any(f.site == "prov-local" and f.status.value == "PASS" for f in national.findings)


def test_forged_or_unreadable_answers_are_not_believed(
    redis_server: RedisServer, national_lab: Lab, tmp_path: Path
) -> None:
    """Given someone with broker access writes a 'result' holding another site's findings for one site
    and bytes that are not JSON for another, the coordinator keeps none of it: both sites end as
    ERROR with the reason, and the run completes."""
    inventory = province_inventory(
        tmp_path / "inventory",
        {"prov-a": "qforge", "prov-c": "qforge"},
        {"prov-a-app": "prov-a", "prov-c-app": "prov-c"},
    )
    client = redis_server.client()
    running = start_audit("national", inventory, tmp_path / "national.json", redis_server, "--deadline", "30")
    wait_until(lambda: client.llen("qforge") == 2, 30, "both tasks reaching their queue")
    queued = [json.loads(raw)["headers"]["id"] for raw in client.lrange("qforge", 0, -1)]
    ids = {task.rsplit(":", 1)[1]: task for task in queued}  # site -> task id
    run_id = ids["prov-a"].split(":")[1]
    now = datetime.now(UTC)
    foreign = Finding(
        check_id="NET-001",
        family="network",
        status=Status.PASS,
        severity=Severity.HIGH,
        target=Target(site="prov-b", host="prov-b-app"),
        message=say("core.detail", text="forged"),
    )
    forged = Run(
        id=run_id,
        started=now,
        finished=now,
        tool_version="x",
        inventory="x",
        sites=[SiteInfo(name="prov-a", kind="provincial_dc", province="x", security_level=3)],
        findings=[foreign],
    )
    answer = SiteResult(run_id=run_id, site="prov-a", scanner="mallory", run=RunRecord.of(forged))
    meta = {"status": "SUCCESS", "result": answer.model_dump(mode="json"), "task_id": ids["prov-a"]}
    client.set(f"celery-task-meta-{ids['prov-a']}", json.dumps(meta))
    client.set(f"celery-task-meta-{ids['prov-c']}", b"\x00\xff not json")
    national = finish_audit(running, tmp_path / "national.json")

    assert [s.name for s in national.sites] == ["prov-a", "prov-c"]
    reasons = {"prov-a": "answered with findings of another site", "prov-c": "scanner task UNREADABLE"}
    assert national.findings and {f.site for f in national.findings} == {"prov-a", "prov-c"}
    assert all(f.status is Status.ERROR and reasons[f.site] in f.summary for f in national.findings)
    assert national.duration_seconds < 30


def test_p06audit_run_with_celery_executor_records_the_national_run_in_postgresql(
    province_scanners: Scanners, redis_server: RedisServer, postgres_url: str, tmp_path: Path
) -> None:
    """The whole command: `p06audit run --executor celery --db postgresql://...` writes the report and
    the central history, where the run reads back exactly as the scanners produced it."""
    inventory = subset(tmp_path / "inventory", "prov-a", "prov-b")
    command = [
        *BOOTSTRAP, "cli", "run", str(inventory), "--executor", "celery", "--broker", redis_server.url,
        "--db", postgres_url, "--out", str(tmp_path / "reports"), "--format", "json", "--no-progress",
        "--timeout", "2", "--state-dir", str(tmp_path / "state"),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO, env=redis_server.env(tmp_path / "state"), capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]

    (report_dir,) = (tmp_path / "reports").iterdir()
    with HistoryStore(postgres_url, create=False) as store:
        recorded = store.load(report_dir.name)
    assert [s.name for s in recorded.sites] == ["prov-a", "prov-b"]
    assert {(f.site, f.scanner) for f in recorded.findings} == {
        ("prov-a", "qa-1@lab"),
        ("prov-b", "qb-1@lab"),
    }
    listed = subprocess.run(
        [*BOOTSTRAP, "cli", "history", "--db", postgres_url], cwd=REPO, capture_output=True, text=True
    )
    assert listed.returncode == 0 and recorded.id in listed.stdout
    assert redis_server.password not in done.stdout + done.stderr
