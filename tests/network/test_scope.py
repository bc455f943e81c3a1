"""The scope guard: only parsed addresses and narrow subnets reach nmap; a missing nmap is named."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from p06audit.errors import MissingToolError, ScopeError
from p06audit.inventory import Inventory
from p06audit.lab import Lab
from p06audit.model import Status
from p06audit.scope import parse_address, parse_network, parse_ports, require_program, scan_targets
from tests.network.conftest import LAB_HOSTS, audit, lab_groups, statuses, write_lab_inventory

HOSTILE = [
    "127.0.3.1 -oN /tmp/p06audit-pwned",
    "127.0.3.1;id",
    "$(reboot)",
    "-iL/etc/passwd",
    "127.0.3.1\n127.0.0.1",
    "portal.example.gov.vn",
    "fe80::1%eth0",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_injection_looking_targets_are_refused_with_a_clear_error(text: str) -> None:
    with pytest.raises(ScopeError, match=r"refusing scan target .*only hexadecimal digits, dots, colons"):
        parse_address(text)


def test_a_well_formed_but_invalid_address_is_refused() -> None:
    with pytest.raises(ScopeError, match=r"'127\.0\.3\.300'.*not an IP address"):
        parse_address("127.0.3.300")


def test_wide_subnet_is_refused_unless_allowed() -> None:
    with pytest.raises(ScopeError, match=r"10\.20\.0\.0/16.*65536 addresses.*/22.*--allow-wide-scope"):
        parse_network("10.20.0.0/16", allow_wide=False)
    assert parse_network("10.20.0.0/16", allow_wide=True).num_addresses == 65536
    assert parse_network("198.51.100.0/22", allow_wide=False).prefixlen == 22
    with pytest.raises(ScopeError, match="2001:db8::/64"):
        parse_network("2001:db8::/64", allow_wide=False)


def test_subnet_with_host_bits_is_refused() -> None:
    with pytest.raises(ScopeError, match="has host bits set"):
        parse_network("127.0.3.1/24", allow_wide=False)


@pytest.mark.parametrize("ports", [[0], [65536], ["22"], [True], []])
def test_bad_ports_are_refused(ports: list[object]) -> None:
    with pytest.raises(ScopeError):
        parse_ports(ports)


def test_addresses_inside_a_swept_subnet_are_not_scanned_twice() -> None:
    targets = scan_targets(["127.0.3.5", "127.0.1.3", "127.0.3.5"], ["127.0.3.0/26"], allow_wide=False)
    assert targets == ("127.0.3.0/26", "127.0.1.3")


def _with_address(inventory: Inventory, name: str, address: str) -> Inventory:
    """Bypass the inventory's own validation to prove the collector's guard stands on its own."""
    hosts = dict(inventory.hosts)
    hosts[name] = dataclasses.replace(hosts[name], address=address)
    return dataclasses.replace(inventory, hosts=hosts)


def test_hostile_address_past_the_inventory_is_refused_and_the_run_goes_on(
    network_lab: Lab, tmp_path: Path
) -> None:
    trap = tmp_path / "nmap-wrote-this"
    hosts = {"net-legacy": LAB_HOSTS["net-legacy"], "net-db": LAB_HOSTS["net-db"]}
    inventory = _with_address(
        write_lab_inventory(tmp_path / "inv", hosts), "net-legacy", f"127.0.3.1 -oN {trap}"
    )
    results = audit(inventory)
    legacy = results[("NET-002", "lab-dc/net-legacy")]
    assert legacy.status is Status.ERROR
    assert "refusing scan target" in legacy.summary
    assert statuses(results, "lab-psc/net-db")["NET-004"] is Status.FAIL
    assert not trap.exists()


def test_wide_site_subnet_fails_only_the_subnet_sweep(network_lab: Lab, tmp_path: Path) -> None:
    groups = lab_groups(dc_subnets=["127.0.0.0/16"])
    results = audit(write_lab_inventory(tmp_path, {"net-legacy": LAB_HOSTS["net-legacy"]}, groups))
    sweep = results[("NET-005", "lab-dc/-#subnets")]
    assert sweep.status is Status.ERROR
    assert "wider than a /22" in sweep.summary
    assert statuses(results, "lab-dc/net-legacy")["NET-006"] is Status.PASS


def test_missing_nmap_names_the_debian_package(
    network_lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PATH without nmap: the real lookup fails, no mock involved."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(MissingToolError, match=r"'nmap'.*Debian package 'nmap'.*apt-get install nmap"):
        require_program("nmap", "nmap")
    results = audit(write_lab_inventory(tmp_path, {"net-legacy": LAB_HOSTS["net-legacy"]}))
    finding = results[("NET-006", "lab-dc/net-legacy")]
    assert finding.status is Status.ERROR
    assert "apt-get install nmap" in finding.summary
