"""The collector: hostile hosts fail fast with a reason, only the needed scans run, anchors as configured."""

from __future__ import annotations

from collections.abc import Callable

from p06audit.checks.tls.observations import TlsEndpointObservation
from p06audit.checks.tls.sslyze_scan import collect_tls
from p06audit.inventory import Inventory
from p06audit.model import CollectionFailed, Status
from p06audit.options import RunOptions
from p06audit.registry import REGISTRY, CollectContext
from p06audit.text import Message, english
from tests.tls.conftest import TLS_CHECKS, TimedRun, timed_run

HOSTILE = ["tls-silent", "tls-garbage", "core-silent"]


def test_silent_and_garbage_hosts_are_errors_within_the_timeout(
    tls_labs: object, session_inventory: Callable[..., Inventory]
) -> None:
    """Issue 2: a host that accepts TCP and never answers TLS yields ERROR within the timeout.

    The bound (twice the per-operation timeout) is the behaviour under test, not a benchmark.
    """
    timeout = 2.0
    result: TimedRun = timed_run(session_inventory(HOSTILE), timeout=timeout)
    for name in HOSTILE:
        assert set(result.statuses(name).values()) == {Status.ERROR}, name
        assert [f.check_id for f in result.findings(name)] == ["TLS-000"], name
    assert "no TLS answer within 2 s" in result.findings("tls-silent")[0].summary
    assert (
        "not TLS (first bytes: 00ff474152424147450d0a00ff474152)" in result.findings("tls-garbage")[0].summary
    )
    assert result.seconds < 2 * timeout


def collect(inventory: Inventory, checks: set[str]) -> list[object]:
    REGISTRY.load_plugins(["tls"])
    specs = tuple(REGISTRY.checks[c] for c in sorted(checks))
    context = CollectContext(inventory, RunOptions(timeout=3, checks=frozenset(checks)), specs)
    return list(collect_tls(list(inventory.hosts.values()), context))


def test_only_the_scans_the_selected_checks_need(
    tls_labs: object, session_inventory: Callable[..., Inventory]
) -> None:
    """Selecting the expiry check alone fetches certificates and nothing else (no suites, no HTTP)."""
    (obs,) = collect(session_inventory(["tls-good"]), {"TLS-008"})
    assert isinstance(obs, TlsEndpointObservation)
    assert obs.protocols == () and obs.hsts is None and obs.weaknesses is None
    assert obs.deployments is not None and obs.deployments[0].leaf.dns_names == ("good.tls.lab.p06.test",)

    (obs,) = collect(session_inventory(["tls-good"]), {"TLS-002"})
    assert isinstance(obs, TlsEndpointObservation)
    assert [p.protocol for p in obs.protocols] == ["TLS 1.0", "TLS 1.1"]
    assert obs.deployments is None and obs.hsts is None


def test_hsts_is_not_fetched_from_hosts_that_are_not_portals(
    tls_labs: object, session_inventory: Callable[..., Inventory]
) -> None:
    (obs,) = collect(session_inventory(["tls-ssl3"]), {"TLS-011", "TLS-001"})
    assert isinstance(obs, TlsEndpointObservation)
    assert obs.hsts is None and [p.protocol for p in obs.protocols] == ["SSL 2.0", "SSL 3.0"]


def test_refused_port_is_a_collection_failure(
    tls_labs: object, session_inventory: Callable[..., Inventory]
) -> None:
    """Nothing listens on the core app host's 443: the reason says so, the run does not stop."""
    inventory = session_inventory(["tls-good"])
    good = inventory.hosts["tls-good"]
    refused = type(good)("refused", "127.0.1.3", good.site, good.data)
    observations = collect(inventory, {"TLS-003"}) + collect_tls_hosts(inventory, [refused], {"TLS-003"})
    failures = [o for o in observations if isinstance(o, CollectionFailed)]
    assert [f.reason for f in failures] == [Message("tls.connection_refused", {"port": 443})]
    assert [english(f.reason) for f in failures if isinstance(f.reason, Message)] == [
        "connection refused on port 443 (no service listening)"
    ]


def collect_tls_hosts(inventory: Inventory, hosts: list[object], checks: set[str]) -> list[object]:
    specs = tuple(REGISTRY.checks[c] for c in sorted(checks))
    context = CollectContext(inventory, RunOptions(timeout=3, checks=frozenset(checks)), specs)
    return list(collect_tls(hosts, context))  # type: ignore[arg-type]


def test_without_trust_anchors_the_chain_check_cannot_conclude(
    tls_labs: object, session_inventory: Callable[..., Inventory]
) -> None:
    inventory = session_inventory(["tls-good"], trust_anchors=None, use_system_trust_store=False)
    run = timed_run(inventory, checks=frozenset({"TLS-006", "TLS-007"}))
    assert run.statuses("tls-good") == {"TLS-006": Status.ERROR, "TLS-007": Status.PASS}
    (finding,) = [f for f in run.findings("tls-good") if f.check_id == "TLS-006"]
    assert "no usable trust anchors" in finding.summary


def test_lab_anchors_alone_without_the_system_store(
    tls_labs: object, session_inventory: Callable[..., Inventory]
) -> None:
    inventory = session_inventory(["tls-good", "tls-untrusted-ca"], use_system_trust_store=False)
    run = timed_run(inventory, checks=frozenset({"TLS-006"}))
    assert run.statuses("tls-good") == {"TLS-006": Status.PASS}
    assert run.statuses("tls-untrusted-ca") == {"TLS-006": Status.FAIL}
    (good,) = run.findings("tls-good")
    assert (
        good.evidence["certificates"][0]["path_to_anchor"][-1]
        == "CN=p06audit Lab Root CA,O=p06audit lab,C=VN"
    )
    assert not any(s["system_store"] for s in good.evidence["certificates"][0]["anchor_sources"])


def test_every_tls_check_is_registered() -> None:
    REGISTRY.load_plugins(["tls"])
    assert {c for c in REGISTRY.checks if c.startswith("TLS-")} == TLS_CHECKS
