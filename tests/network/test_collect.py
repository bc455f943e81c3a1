"""The collector: one nmap process per site, service detection, nmap giving up, and the core lab."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nmap
import pytest

from p06audit.checks.network.policy import load_policy
from p06audit.inventory import load_inventory
from p06audit.lab import Lab
from p06audit.model import Status
from tests.conftest import host, site, write_inventory_files
from tests.network.conftest import LAB_HOSTS, audit, lab_groups, statuses, write_lab_inventory


def test_one_nmap_process_per_site_covers_hosts_and_subnets(
    network_lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spy around python-nmap's real scan records each invocation; the scans themselves are real."""
    calls: list[dict[str, Any]] = []
    real_scan = nmap.PortScanner.scan

    def spy(self: nmap.PortScanner, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real_scan(self, **kwargs)

    monkeypatch.setattr(nmap.PortScanner, "scan", spy)
    audit(write_lab_inventory(tmp_path, LAB_HOSTS))
    by_hosts = {c["hosts"]: c for c in calls}
    assert sorted(by_hosts) == ["127.0.3.0/26", "127.0.3.2 127.0.3.5"]
    for call in calls:
        arguments = call["arguments"].split()
        assert arguments[:3] == ["-sT", "-Pn", "-n"]
        assert "-sV" not in arguments
    dc_ports = {int(p) for p in by_hosts["127.0.3.0/26"]["ports"].split(",")}
    assert dc_ports == load_policy().scan_ports() | {8443}


def test_service_detection_records_products_and_banners(network_lab: Lab, tmp_path: Path) -> None:
    hosts = {"net-legacy": LAB_HOSTS["net-legacy"], "net-psc-ssh": LAB_HOSTS["net-psc-ssh"]}
    inventory = write_lab_inventory(tmp_path, hosts, lab_groups(dc_subnets=[]))
    results = audit(inventory, service_detection=True)
    legacy = results[("NET-007", "lab-dc/net-legacy")]
    assert legacy.status is Status.PASS
    products = {s["port"]: s.get("product") for s in legacy.evidence["services"]}
    assert products == {21: "vsftpd", 23: "Linux telnetd"}
    ssh = results[("NET-007", "lab-psc/net-psc-ssh")].evidence["services"]
    assert ssh[0]["product"] == "OpenSSH"
    assert ssh[0]["version"].startswith("9.2p1")
    assert ssh[0]["banner"] == "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
    assert statuses(results, "lab-dc/net-legacy")["NET-003"] is Status.FAIL


def test_host_nmap_gives_up_on_is_error_not_fail(network_lab: Lab, tmp_path: Path) -> None:
    """The database-like port stays silent, so -sV outlasts a 3 s host timeout: every check says ERROR."""
    inventory = write_lab_inventory(tmp_path, {"net-db": LAB_HOSTS["net-db"]}, lab_groups(dc_subnets=[]))
    results = audit(inventory, timeout=0.5, service_detection=True)
    found = statuses(results, "lab-psc/net-db")
    assert set(found) == {"NET-001", "NET-002", "NET-003", "NET-004", "NET-006", "NET-007"}
    assert set(found.values()) == {Status.ERROR}
    assert "host timeout 3 s" in results[("NET-006", "lab-psc/net-db")].summary


def test_foundation_services_are_reachable(lab_factory: Callable[[str], Lab], tmp_path: Path) -> None:
    """The demo inventory's 127.0.1.x hosts: NET-001 PASS against the core lab's servers."""
    lab_factory("core")
    groups = {"lab-dc": site()}
    hosts = {
        "portal-good": host(
            "127.0.1.1", "lab-dc", ["web_portal"], tls=[{"port": 443, "sni": "portal.lab.p06.test"}]
        ),
        "app-service": host(
            "127.0.1.3", "lab-dc", ["app_server"], services=[{"port": 8080, "name": "application"}]
        ),
    }
    results = audit(load_inventory(write_inventory_files(tmp_path, groups, hosts)))
    assert statuses(results, "lab-dc/portal-good")["NET-001"] is Status.PASS
    assert statuses(results, "lab-dc/app-service")["NET-001"] is Status.PASS
    assert results[("NET-001", "lab-dc/app-service")].evidence["declared"][0]["port"] == 8080


def test_ipv6_host_is_swept_beside_ipv4_hosts_of_its_site(network_lab: Lab, tmp_path: Path) -> None:
    """nmap scans IPv6 only with -6, so a mixed site gets a second process; ::1 is loopback."""
    with socket.socket(socket.AF_INET6) as listener:
        listener.bind(("::1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        hosts = {
            "net-legacy": LAB_HOSTS["net-legacy"],
            "v6-app": host("0:0::1", "lab-dc", ["app_server"], services=[{"port": port, "name": "api"}]),
        }
        results = audit(write_lab_inventory(tmp_path, hosts, lab_groups(dc_subnets=[])))
    assert results[("NET-001", "lab-dc/v6-app")].status is Status.PASS
    assert results[("NET-006", "lab-dc/v6-app")].evidence["open"][0]["port"] == port
    assert statuses(results, "lab-dc/net-legacy")["NET-003"] is Status.FAIL
