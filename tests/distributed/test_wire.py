"""What crosses the broker, checked without a broker: options, site tasks, refusals, broker URLs."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from p06audit.checks.network.family import NetworkOptions
from p06audit.distributed import ScannerWorker, broker_url, default_deadline, redact
from p06audit.distributed.executor import DEADLINE_GRACE_SECONDS, _mismatch
from p06audit.distributed.sites import site_digest
from p06audit.distributed.wire import LOCAL_OPTIONS, SiteResult, SiteTask, WireOptions, task_id
from p06audit.distributed.worker import ScannerError
from p06audit.errors import UsageError
from p06audit.inventory import Inventory
from p06audit.model import Finding, Run, Severity, SiteInfo, Status, Target
from p06audit.options import RunOptions
from p06audit.records import RunRecord
from p06audit.text import Message, Renderer, english, say
from tests.conftest import InventoryFactory, host, site

RUN_ID = "20260101T000000Z-abc123"
SERVICE = [{"port": 8080}]


def unusual_options() -> RunOptions:
    """Every field away from its default, so a field dropped on the way would show."""
    return RunOptions(
        timeout=3.5,
        workers=3,
        state_dir=Path("/coordinator/state"),
        now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        checks=frozenset({"NET-001", "TLS-002"}),
        families=frozenset({"network", "tls"}),
        allow_wide_scope=True,
        scanner="coordinator",
        family_options={"network": NetworkOptions(extra_ports=(8443, 9000), service_detection=True)},
    )


def test_every_run_option_reaches_the_scanner_except_its_own_state_and_name() -> None:
    sent = unusual_options()
    wire = WireOptions.model_validate_json(WireOptions.of(sent).model_dump_json())
    received = wire.to_options(state_dir=Path("/scanner/state"), scanner="qa@host", allow_wide_scope=True)

    assert {f.name for f in fields(RunOptions)} == set(WireOptions.model_fields) | LOCAL_OPTIONS
    assert received == replace(sent, state_dir=Path("/scanner/state"), scanner="qa@host")


@pytest.mark.parametrize(
    ("family_options", "problem"),
    [
        ({"nosuch": {}}, "options for unknown families ['nosuch']"),
        ({"network": {"extra_ports": ["not a port"]}}, "family_options"),
        ({"network": {"dns": True}}, "Extra inputs are not permitted"),
    ],
)
def test_family_options_are_checked_by_the_family_on_arrival(
    family_options: dict[str, object], problem: str
) -> None:
    sent = WireOptions.of(unusual_options()).model_dump(mode="json")
    with pytest.raises(ValidationError, match=re.escape(problem)):
        WireOptions.model_validate({**sent, "family_options": family_options})


def test_a_message_cannot_widen_the_scope_a_scanner_allows() -> None:
    wire = WireOptions.of(unusual_options())
    received = wire.to_options(state_dir=Path("/s"), scanner="qa@host", allow_wide_scope=False)
    assert received.allow_wide_scope is False


@pytest.fixture
def scanner_inventory(make_inventory: InventoryFactory) -> Inventory:
    return make_inventory(
        {"prov-a": site(scanner="qa"), "prov-b": site(scanner="qb")},
        {
            "a-app": host("127.0.8.201", "prov-a", ["app_server"], services=SERVICE),
            "b-app": host("127.0.8.211", "prov-b", ["app_server"], services=SERVICE),
        },
    )


def request(inventory: Inventory, site_name: str, **changes: object) -> dict[str, object]:
    task = SiteTask(
        run_id=RUN_ID,
        site=site_name,
        digest=site_digest(inventory, site_name),
        options=WireOptions.of(RunOptions(timeout=1)),
    )
    return {**task.model_dump(mode="json"), **changes}


def refusal(scanner: ScannerWorker, payload: dict[str, object]) -> str | None:
    """The scanner's refusal in English (it travels as a message, rendered where it is shown)."""
    answer = SiteResult.model_validate(scanner.audit(payload, task_id(RUN_ID, str(payload["site"]))))
    assert answer.run is None
    return None if answer.error is None else english(answer.error.to_message())


def test_scanner_refuses_tasks_that_are_malformed_or_not_its_own(
    scanner_inventory: Inventory, tmp_path: Path
) -> None:
    scanner = ScannerWorker(scanner_inventory, "qa", "qa@lab", tmp_path)
    with pytest.raises(ScannerError, match="malformed"):
        scanner.audit(request(scanner_inventory, "prov-a", targets=["10.0.0.1"]), task_id(RUN_ID, "prov-a"))
    with pytest.raises(ScannerError, match="does not match"):
        scanner.audit(request(scanner_inventory, "prov-a"), task_id(RUN_ID, "prov-b"))
    options = {
        **WireOptions.of(RunOptions(timeout=1)).model_dump(mode="json"),
        "family_options": {"nosuch": {}},
    }
    with pytest.raises(ScannerError, match="malformed"):
        scanner.audit(request(scanner_inventory, "prov-a", options=options), task_id(RUN_ID, "prov-a"))
    assert "not in this scanner's inventory" in str(
        refusal(scanner, request(scanner_inventory, "prov-a", site="prov-z"))
    )
    assert "routes site 'prov-b' to queue 'qb', not 'qa'" in str(
        refusal(scanner, request(scanner_inventory, "prov-b"))
    )
    answer = SiteResult.model_validate(
        scanner.audit(request(scanner_inventory, "prov-b"), task_id(RUN_ID, "prov-b"))
    )
    assert answer.error is not None
    assert Renderer("vi")(answer.error.to_message()) == (
        "danh mục của máy quét này giao đơn vị 'prov-b' cho hàng đợi 'qb', không phải 'qa'"
    )


def test_scanner_with_another_copy_of_a_site_refuses_it(
    scanner_inventory: Inventory, make_inventory: InventoryFactory, tmp_path: Path
) -> None:
    """Given the national inventory moved a host, a scanner with the old copy does not audit the old one."""
    national = make_inventory(
        {"prov-a": site(scanner="qa")},
        {"a-app": host("127.0.8.205", "prov-a", ["app_server"], services=SERVICE)},
    )
    scanner = ScannerWorker(scanner_inventory, "qa", "qa@lab", tmp_path)
    assert "differ from the coordinator's" in str(refusal(scanner, request(national, "prov-a")))


def test_broker_password_comes_from_its_own_variable_and_is_never_shown() -> None:
    env = {"P06AUDIT_BROKER_URL": "redis://127.0.0.1:6390/0", "P06AUDIT_BROKER_PASSWORD": "p@ss/w:rd"}
    url = broker_url(None, env)
    assert url == "redis://:p%40ss%2Fw%3Ard@127.0.0.1:6390/0"
    assert "p%40ss" not in redact(url) and "rd@" not in redact(url)
    assert broker_url("redis://:given@127.0.0.1:1/0", env) == "redis://:given@127.0.0.1:1/0"
    with pytest.raises(UsageError, match="no broker given"):
        broker_url(None, {})
    with pytest.raises(UsageError, match="must look like redis://"):
        broker_url("amqp://guest:secret@127.0.0.1//", {})


def test_deadline_covers_the_sites_one_scanner_audits_in_turn(make_inventory: InventoryFactory) -> None:
    one_site = {"a": host("127.0.8.201", "prov-a", ["app_server"])}
    two_sites = {**one_site, "b": host("127.0.8.211", "prov-b", ["app_server"])}
    options = RunOptions(timeout=2)
    alone = default_deadline(make_inventory({"prov-a": site(scanner="qa")}, one_site), options)
    shared = default_deadline(
        make_inventory({"prov-a": site(scanner="qa"), "prov-b": site(scanner="qa")}, two_sites), options
    )
    apart = default_deadline(
        make_inventory({"prov-a": site(scanner="qa"), "prov-b": site(scanner="qb")}, two_sites), options
    )
    here = default_deadline(make_inventory({"prov-a": site()}, one_site), options)
    assert apart == alone < shared == 2 * alone - DEADLINE_GRACE_SECONDS
    assert here == DEADLINE_GRACE_SECONDS


def test_an_answer_with_text_the_coordinator_lacks_is_not_believed() -> None:
    """Given a scanner of another release whose findings name a message this coordinator has no
    text for (or leave out a parameter of one), the site is not taken: its report could not be written."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    target = Target("prov-a", "a-app", "127.0.8.201")

    def answer(*messages: Message) -> tuple[SiteResult, Run]:
        run = Run(
            id=RUN_ID,
            started=now,
            finished=now,
            tool_version="x",
            inventory="x",
            sites=[SiteInfo("prov-a", "provincial_dc", "x", 3)],
            findings=[Finding("NET-001", "network", Status.FAIL, Severity.HIGH, target, m) for m in messages],
        )
        return SiteResult(run_id=RUN_ID, site="prov-a", scanner="qa@new", run=RunRecord.of(run)), run

    good = say("core.not_examined", reason=say("core.collector_timeout", seconds=3), checks=["NET-001"])
    assert _mismatch(*answer(good), RUN_ID, "prov-a") is None
    unknown = say("core.not_examined", reason=say("NET-001.from_the_future"), checks=["NET-001"])
    problem = _mismatch(*answer(good, unknown, say("core.collector_timeout")), RUN_ID, "prov-a")
    assert problem is not None and english(problem) == (
        "scanner qa@new answered with text this coordinator does not know "
        "(NET-001.from_the_future, core.collector_timeout); "
        "install the same p06audit release on the scanner and the coordinator"
    )
