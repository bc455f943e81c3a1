"""The network lab's inventory and a helper that audits it with only the NET checks."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from p06audit.checks.network.family import NetworkOptions
from p06audit.checks.network.policy import load_policy
from p06audit.inventory import Inventory, load_inventory
from p06audit.lab import Lab
from p06audit.model import Finding, Status
from p06audit.options import RunOptions
from p06audit.runner import run_audit
from tests.conftest import host, site, write_inventory_files

NET_CHECKS = frozenset(f"NET-00{n}" for n in range(1, 8))
LAB_SUBNET = "127.0.3.0/26"
CONTROL_ADDRESS = "127.0.3.254"

LAB_HOSTS: dict[str, Any] = {
    "net-legacy": host("127.0.3.1", "lab-dc", ["app_server"]),
    "net-db": host(
        "127.0.3.2",
        "lab-psc",
        ["database"],
        services=[{"port": 5432, "name": "postgresql"}, {"port": 3306, "name": "mysql"}],
    ),
    "net-portal-plain": host("127.0.3.3", "lab-dc", ["web_portal"], services=[{"port": 80, "name": "http"}]),
    "net-portal-redirect": host(
        "127.0.3.4", "lab-dc", ["web_portal"], services=[{"port": 80, "name": "http"}]
    ),
    "net-psc-ssh": host("127.0.3.5", "lab-psc", ["app_server"], services=[{"port": 22, "name": "ssh"}]),
    "net-down": host("127.0.3.6", "lab-dc", ["app_server"], services=[{"port": 8443, "name": "api"}]),
    "net-portal-silent": host("127.0.3.7", "lab-dc", ["web_portal"], services=[{"port": 80, "name": "http"}]),
}


def lab_groups(dc_subnets: list[str] | None = None) -> dict[str, Any]:
    return {
        "lab-dc": site(subnets=[LAB_SUBNET] if dc_subnets is None else dc_subnets),
        "lab-psc": site(kind="public_service_centre", level=2),
    }


def write_lab_inventory(
    directory: Path, hosts: dict[str, Any], groups: dict[str, Any] | None = None
) -> Inventory:
    """Loaded with the wide scope accepted, so a test can show the scanner's own guard refusing it
    when the run itself does not allow it (the guard behind the inventory's validation)."""
    return load_inventory(
        write_inventory_files(directory, groups or lab_groups(), hosts), allow_wide_scope=True
    )


Results = dict[tuple[str, str], Finding]


def audit(inventory: Inventory, **options: Any) -> Results:
    """Run only the NET checks; findings keyed by (check id, target key). A target that could not be
    examined has one root-cause ERROR, which answers for every check it blocked."""
    network = NetworkOptions(
        extra_ports=options.pop("extra_ports", ()), service_detection=options.pop("service_detection", False)
    )
    run = run_audit(
        inventory,
        RunOptions(checks=NET_CHECKS, family_options={"network": network}, **{"timeout": 2.0, **options}),
    )
    assert len({(f.check_id, f.target.key) for f in run.findings}) == len(run.findings), (
        "two findings share a check and a target"
    )
    return {(check, f.target.key): f for f in run.findings for check in f.blocked or (f.check_id,)}


def statuses(results: Results, target: str) -> dict[str, Status]:
    return {check_id: f.status for (check_id, key), f in results.items() if key == target}


def _machine_wide_listeners() -> list[int]:
    """Ports open on an address no lab server uses: a 0.0.0.0 listener would answer on every lab host."""
    found = []
    for port in sorted(load_policy().scan_ports()):
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex((CONTROL_ADDRESS, port)) == 0:
                found.append(port)
    return found


@pytest.fixture(scope="session")
def network_lab(lab_factory: Callable[[str], Lab]) -> Lab:
    wildcard = _machine_wide_listeners()
    if wildcard:
        pytest.fail(
            f"a process of this machine listens on 0.0.0.0 ports {wildcard}, which the network policy scans; "
            "it answers on every lab address, so the NET scenario statuses cannot be asserted"
        )
    return lab_factory("network")
