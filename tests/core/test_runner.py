"""The runner turns every failure into an ERROR with its reason, and the run goes on."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import pytest

from p06audit.inventory import Host, Inventory
from p06audit.model import Observation, Outcome, Severity, Status, Target
from p06audit.options import RunOptions
from p06audit.registry import AppliesTo, CheckSpec, CollectContext, CollectorSpec, Registry, RuleContext
from p06audit.runner import Runner, host_target
from p06audit.text import english, say
from tests.conftest import InventoryFactory, host, site
from tests.core.tst_family.family import FAMILY


@dataclass(frozen=True)
class PortSeen(Observation):
    open: bool


def probe_8080(h: Host, ctx: CollectContext) -> Sequence[Observation]:
    """Real TCP connect to the lab's core service; some hosts misbehave on purpose."""
    if h.name == "raises":
        raise ConnectionResetError("peer reset the connection")
    if h.name == "hangs":
        threading.Event().wait()
    with socket.socket() as sock:
        sock.settimeout(ctx.options.timeout)
        return [PortSeen(host_target(h, 8080), sock.connect_ex((h.address, 8080)) == 0)]


def port_rule(obs: PortSeen, ctx: RuleContext) -> Outcome:
    if ctx.host is not None and ctx.host.name == "rule-bug":
        raise ValueError("unexpected banner")
    return Outcome(
        Status.PASS if obs.open else Status.FAIL, say("TST-001.open" if obs.open else "TST-001.closed")
    )


def spec(check_id: str, observes: type[Observation], rule: object, **more: object) -> CheckSpec:
    fields: dict[str, object] = {
        "id": check_id,
        "family": "tst",
        "severity": Severity.LOW,
        "observes": observes,
        "applies_to": AppliesTo(),
        "rule": rule,
        "module": __name__,
        **more,
    }
    return CheckSpec(**fields)  # type: ignore[arg-type]


def make_registry(roles: frozenset[str] = frozenset()) -> Registry:
    """A registry wired by hand: the test family's text, one per-host probe, one check."""
    registry = Registry(sealed=True)
    registry.add_family(FAMILY)
    registry.family_text("tst")
    registry.add_collector(CollectorSpec("tst", probe_8080, True, (PortSeen,), __name__))
    registry.add_check(
        spec("TST-001", PortSeen, port_rule, severity=Severity.HIGH, applies_to=AppliesTo(roles=roles))
    )
    return registry


@pytest.fixture
def inventory(make_inventory: InventoryFactory, lab_factory) -> Inventory:  # type: ignore[no-untyped-def]
    lab_factory("core")
    return make_inventory(
        {"dc": site()},
        {
            "up": host("127.0.1.3", "dc", ["app_server"]),
            "down": host("127.0.1.250", "dc", ["app_server"]),
            "raises": host("127.0.1.251", "dc", ["app_server"]),
            "hangs": host("127.0.1.252", "dc", ["app_server"]),
            "rule-bug": host("127.0.1.253", "dc", ["app_server"]),
            "desk": host("127.0.1.254", "dc", ["workstation"]),
        },
    )


def statuses(run_findings: list) -> dict[str, tuple[Status, str]]:  # type: ignore[type-arg]
    return {f.target.host: (f.status, f.summary) for f in run_findings}


def test_every_host_ends_with_a_status_and_reason(inventory: Inventory) -> None:
    run = Runner(inventory, RunOptions(timeout=0.3, workers=4), registry=make_registry()).execute()
    seen = statuses(run.findings)
    assert seen["up"] == (Status.PASS, "open")
    assert seen["down"] == (Status.FAIL, "closed")
    assert seen["raises"][0] is Status.ERROR and "peer reset the connection" in seen["raises"][1]
    assert seen["hangs"][0] is Status.ERROR and "no result within" in seen["hangs"][1]
    assert seen["rule-bug"][0] is Status.ERROR and "unexpected banner" in seen["rule-bug"][1]
    assert {f.check_id for f in run.findings} == {"TST-001", "TST-000"}
    # A host the collector could not examine is one root-cause ERROR naming the check it blocked.
    not_examined = [f for f in run.findings if f.check_id == "TST-000"]
    assert sorted(f.target.host for f in not_examined) == ["hangs", "raises"]
    assert all(f.blocked == ("TST-001",) and f.severity is Severity.HIGH for f in not_examined)


def test_roles_limit_where_a_check_applies(inventory: Inventory) -> None:
    registry = make_registry(roles=frozenset({"workstation"}))
    run = Runner(inventory, RunOptions(timeout=0.3), registry=registry).execute()
    assert [f.target.host for f in run.findings] == ["desk"]


def test_check_selection(inventory: Inventory) -> None:
    run = Runner(
        inventory, RunOptions(timeout=0.3, checks=frozenset({"NOPE-001"})), registry=make_registry()
    ).execute()
    assert run.findings == []


def test_check_without_collector_is_reported(inventory: Inventory) -> None:
    @dataclass(frozen=True)
    class NeverCollected(Observation):
        pass

    registry = make_registry()
    registry.add_check(spec("TST-002", NeverCollected, port_rule, family="elsewhere"))
    run = Runner(inventory, RunOptions(timeout=0.3), registry=registry).execute()
    assert [english(e) for e in run.errors] == [
        f"check TST-002 ({__name__}) observes NeverCollected, which no collector produces"
    ]
    assert {f.check_id for f in run.findings} == {"TST-001", "TST-000"}


def test_collectors_match_checks_by_observation_not_family_name(inventory: Inventory) -> None:
    registry = make_registry()
    registry.checks["TST-001"] = replace(registry.checks["TST-001"], family="differently-named")
    answering = replace(inventory, hosts={n: h for n, h in inventory.hosts.items() if n in ("up", "down")})
    run = Runner(answering, RunOptions(timeout=0.3), registry=registry).execute()
    assert {f.target.host for f in run.findings if f.check_id == "TST-001"} >= {"up", "down"}


def test_failed_batch_collector_is_reported_in_the_run(inventory: Inventory) -> None:
    """A batch collector that overruns is named in run.errors (site-level ones have no host to mark)."""

    def stalls(hosts: Sequence[Host], ctx: CollectContext) -> Sequence[Observation]:
        threading.Event().wait()
        return []

    registry = make_registry()
    registry.add_collector(CollectorSpec("sitewide", stalls, False, (PortSeen,), __name__))
    run = Runner(inventory, RunOptions(timeout=0.05), registry=registry).execute()
    assert [english(e) for e in run.errors] == ["collector sitewide failed: no result within 2 s"]


def test_family_selection(inventory: Inventory) -> None:
    chosen = Runner(inventory, RunOptions(timeout=0.3, families=frozenset({"tst"})), registry=make_registry())
    other = Runner(inventory, RunOptions(timeout=0.3, families=frozenset({"tls"})), registry=make_registry())
    assert [c.id for c in chosen.checks] == ["TST-001"]
    assert other.checks == [] and other.execute().findings == []


@dataclass(frozen=True)
class Ticket(Observation):
    """A site-level item (no host), as a batch collector yields many of."""

    number: int


def tickets(hosts: Sequence[Host], ctx: CollectContext) -> Sequence[Observation]:
    return [Ticket(Target(site="dc", resource=f"ticket-{n}"), n) for n in range(5)]


def batch_registry(rule: Callable[[Sequence[Ticket], RuleContext], list[tuple[Ticket, Outcome]]]) -> Registry:
    registry = make_registry()
    registry.add_collector(CollectorSpec("tickets", tickets, False, (Ticket,), __name__))
    registry.add_check(spec("TST-003", Ticket, rule, family="tickets", batch=True))
    return registry


def test_batch_rule_sees_a_site_s_items_in_one_call(inventory: Inventory) -> None:
    calls: list[list[int]] = []

    def odd_ones(items: Sequence[Ticket], ctx: RuleContext) -> list[tuple[Ticket, Outcome]]:
        calls.append([t.number for t in items])
        site = Target(site="dc", resource="tickets")
        folded = Outcome(Status.PASS, say("tst.seen", count=len(items)), {"count": len(items)}, target=site)
        return [(t, Outcome(Status.FAIL, say("TST-003.odd"))) for t in items if t.number % 2] + [
            (items[0], folded)
        ]

    run = Runner(inventory, RunOptions(timeout=0.3), registry=batch_registry(odd_ones)).execute()
    assert calls == [[0, 1, 2, 3, 4]]
    found = sorted((f.target.resource, f.status) for f in run.findings if f.check_id == "TST-003")
    assert found == [("ticket-1", Status.FAIL), ("ticket-3", Status.FAIL), ("tickets", Status.PASS)]


def test_batch_rule_that_raises_is_an_error_on_each_item_and_the_run_goes_on(inventory: Inventory) -> None:
    def broken(items: Sequence[Ticket], ctx: RuleContext) -> list[tuple[Ticket, Outcome]]:
        raise KeyError("serial")

    run = Runner(inventory, RunOptions(timeout=0.3), registry=batch_registry(broken)).execute()
    errors = [f for f in run.findings if f.check_id == "TST-003"]
    assert len(errors) == 5 and all(f.status is Status.ERROR and "KeyError" in f.summary for f in errors)
    assert {f.target.host for f in run.findings if f.check_id == "TST-001"} >= {"up", "down"}


def test_derived_is_built_once_per_run_and_shared_by_every_rule(inventory: Inventory) -> None:
    builds: list[int] = []

    def ticket_count(ctx: RuleContext) -> int:
        builds.append(1)
        return len(ctx.observations.of_type(Ticket))

    def per_item(obs: Ticket, ctx: RuleContext) -> Outcome:
        return Outcome(Status.PASS, say("TST-004.nth", n=obs.number + 1, total=ctx.derived(ticket_count)))

    registry = batch_registry(lambda items, ctx: [(t, per_item(t, ctx)) for t in items])
    registry.add_check(spec("TST-004", Ticket, per_item, family="tickets"))
    for _ in range(2):  # a second run builds its own
        run = Runner(inventory, RunOptions(timeout=0.3), registry=registry).execute()
        summaries = sorted(f.summary for f in run.findings if f.check_id == "TST-004")
        assert summaries == [f"{n} of 5" for n in range(1, 6)]
    assert len(builds) == 2
