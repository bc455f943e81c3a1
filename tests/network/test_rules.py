"""NET rules from recorded observations: the edge cases the lab does not stage, in milliseconds."""

from __future__ import annotations

from typing import Any

import pytest

from p06audit.checks.network import rules
from p06audit.checks.network.observations import HostPorts, HttpProbe, PortSeen
from p06audit.checks.network.policy import load_policy
from p06audit.inventory import Inventory
from p06audit.model import Outcome, Status
from p06audit.options import RunOptions
from p06audit.registry import ObservationIndex, RuleContext
from p06audit.runner import host_target
from tests.conftest import InventoryFactory, host
from tests.network.conftest import lab_groups

SCANNED = tuple(sorted(load_policy().scan_ports()))


def observe(
    inventory: Inventory, name: str, open_ports: set[int], http: tuple[HttpProbe, ...] = ()
) -> HostPorts:
    ports = tuple(PortSeen(p, "open" if p in open_ports else "closed") for p in SCANNED)
    return HostPorts(host_target(inventory.hosts[name]), SCANNED, ports, service_detection=False, http=http)


def judge(rule: Any, inventory: Inventory, obs: HostPorts) -> Outcome | None:
    inv_host = inventory.hosts[obs.target.host or ""]
    ctx = RuleContext(inventory, RunOptions(), inv_host, inv_host.site, ObservationIndex([obs]))
    outcome: Outcome | None = rule(obs, ctx)
    return outcome


@pytest.mark.parametrize(
    ("status", "location", "expected"),
    [
        (301, "https://portal.example/", Status.PASS),
        (308, "HTTPS://portal.example/", Status.PASS),
        (302, "http://portal.example/login", Status.FAIL),
        (200, "", Status.FAIL),
    ],
)
def test_http_on_a_portal_must_redirect_to_https(
    make_inventory: InventoryFactory, status: int, location: str, expected: Status
) -> None:
    inventory = make_inventory(lab_groups([]), {"portal": host("127.0.3.3", "lab-dc", ["web_portal"])})
    obs = observe(inventory, "portal", {80, 443}, (HttpProbe(80, status, location),))
    outcome = judge(rules.no_cleartext_services, inventory, obs)
    assert outcome is not None and outcome.status is expected


def test_plain_http_is_not_judged_on_roles_without_a_redirect_rule(make_inventory: InventoryFactory) -> None:
    inventory = make_inventory(lab_groups([]), {"app": host("127.0.3.1", "lab-dc", ["app_server"])})
    outcome = judge(rules.no_cleartext_services, inventory, observe(inventory, "app", {80}))
    assert outcome is not None and outcome.status is Status.PASS


def test_admin_ports_apply_to_portals_and_service_centres_only(make_inventory: InventoryFactory) -> None:
    inventory = make_inventory(
        lab_groups([]),
        {
            "portal": host("127.0.3.3", "lab-dc", ["web_portal"]),
            "cache": host("127.0.3.1", "lab-dc", ["app_server"]),
        },
    )
    portal = judge(rules.no_admin_ports_exposed, inventory, observe(inventory, "portal", {443, 6379}))
    assert portal is not None and portal.status is Status.FAIL
    assert portal.evidence is not None and portal.evidence["applies_because"] == ["role web_portal"]
    assert judge(rules.no_admin_ports_exposed, inventory, observe(inventory, "cache", {6379})) is None


def test_empty_allowed_ports_still_allow_declared_services(make_inventory: InventoryFactory) -> None:
    declared = host("127.0.3.1", "lab-dc", ["web_portal"], allowed_ports=[], tls=[{"port": 443}])
    inventory = make_inventory(lab_groups([]), {"h": declared})
    only_declared = judge(rules.only_allowed_ports, inventory, observe(inventory, "h", {443}))
    with_http = judge(rules.only_allowed_ports, inventory, observe(inventory, "h", {80, 443}))
    assert only_declared is not None and only_declared.status is Status.PASS
    assert with_http is not None and with_http.status is Status.FAIL
    assert with_http.evidence is not None and with_http.evidence["allowlist"] == "inventory allowed_ports"


def test_declared_ssh_port_closed_fails_net001_with_its_name(make_inventory: InventoryFactory) -> None:
    inventory = make_inventory(
        lab_groups([]), {"h": host("127.0.3.1", "lab-dc", ["jump_host"], ssh={"port": 22})}
    )
    outcome = judge(rules.declared_services_reachable, inventory, observe(inventory, "h", set()))
    assert outcome is not None and outcome.status is Status.FAIL
    assert outcome.evidence == {
        "declared": [{"name": "ssh", "port": 22, "protocol": "tcp", "state": "closed"}]
    }
