"""Given the network lab (real listeners on 127.0.3.x), when the NET checks run with real nmap,
then each lab host gets exactly the statuses its one weakness calls for."""

from __future__ import annotations

from pathlib import Path

import pytest

from p06audit.lab import Lab
from p06audit.lab.servers import BannerListener
from p06audit.model import Status
from tests.conftest import host
from tests.network.conftest import LAB_HOSTS, Results, audit, statuses, write_lab_inventory

PASS, FAIL, WARN, SKIP = Status.PASS, Status.FAIL, Status.WARN, Status.SKIP

EXPECTED = {
    # host: NET-001 declared up, 002 allowlist, 003 clear text, 004 admin/db, 006 seen, 007 versions
    "lab-dc/net-legacy": {
        "NET-001": SKIP,
        "NET-002": FAIL,
        "NET-003": FAIL,
        "NET-006": PASS,
        "NET-007": SKIP,
    },
    "lab-psc/net-db": {
        "NET-001": PASS,
        "NET-002": PASS,
        "NET-003": PASS,
        "NET-004": FAIL,
        "NET-006": PASS,
        "NET-007": SKIP,
    },
    "lab-dc/net-portal-plain": {
        "NET-001": PASS,
        "NET-002": PASS,
        "NET-003": FAIL,
        "NET-004": PASS,
        "NET-006": PASS,
        "NET-007": SKIP,
    },
    "lab-dc/net-portal-redirect": {
        "NET-001": PASS,
        "NET-002": PASS,
        "NET-003": PASS,
        "NET-004": PASS,
        "NET-006": PASS,
        "NET-007": SKIP,
    },
    "lab-dc/net-portal-silent": {
        "NET-001": PASS,
        "NET-002": PASS,
        "NET-003": WARN,
        "NET-004": PASS,
        "NET-006": PASS,
        "NET-007": SKIP,
    },
    "lab-psc/net-psc-ssh": {
        "NET-001": PASS,
        "NET-002": PASS,
        "NET-003": PASS,
        "NET-004": FAIL,
        "NET-006": PASS,
        "NET-007": SKIP,
    },
    "lab-dc/net-down": {"NET-001": FAIL, "NET-002": PASS, "NET-003": PASS, "NET-006": FAIL, "NET-007": SKIP},
}


@pytest.fixture(scope="module")
def results(network_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Results:
    return audit(write_lab_inventory(tmp_path_factory.mktemp("net-inventory"), LAB_HOSTS), timeout=1.0)


@pytest.mark.parametrize("target", sorted(EXPECTED))
def test_each_lab_host_gets_exactly_its_statuses(results: Results, target: str) -> None:
    assert statuses(results, target) == EXPECTED[target]


def test_only_the_unmanaged_address_fails_net005(results: Results) -> None:
    net005 = {key: f for (check_id, key), f in results.items() if check_id == "NET-005"}
    assert list(net005) == ["lab-dc/127.0.3.50"]
    finding = net005["lab-dc/127.0.3.50"]
    assert finding.status is FAIL
    assert finding.evidence["address"] == "127.0.3.50"
    assert [p["port"] for p in finding.evidence["open"]] == [445]
    assert finding.evidence["subnets"] == ["127.0.3.0/26"]


def test_evidence_names_port_state_and_service(results: Results) -> None:
    legacy = results[("NET-003", "lab-dc/net-legacy")].evidence["legacy_open"]
    assert [(p["port"], p["state"], p["service"]) for p in legacy] == [
        (21, "open", "ftp"),
        (23, "open", "telnet"),
    ]
    down = results[("NET-001", "lab-dc/net-down")].evidence["declared"]
    assert down == [
        {
            "name": "api",
            "port": 8443,
            "protocol": "tcp",
            "state": "closed",
            "service": "https-alt",
            "service_source": "nmap port table (guess; use --service-detection to probe)",
        }
    ]


def test_http_redirect_is_fetched_not_guessed(results: Results) -> None:
    plain = results[("NET-003", "lab-dc/net-portal-plain")].evidence["http_without_redirect"]
    assert plain == [{"port": 80, "request": "GET /", "status": 200, "location": ""}]
    redirect = results[("NET-003", "lab-dc/net-portal-redirect")].evidence["http_probes"]
    assert redirect == [
        {"port": 80, "request": "GET /", "status": 301, "location": "https://portal-redirect.lab.p06.test/"}
    ]
    silent = results[("NET-003", "lab-dc/net-portal-silent")].evidence["http_probes"]
    assert "timed out" in silent[0]["error"]


def test_allowed_ports_override_the_role_allowlist(network_lab: Lab, tmp_path: Path) -> None:
    legacy = {**LAB_HOSTS["net-legacy"]}
    legacy["data"] = {**legacy["data"], "allowed_ports": [21, 23]}
    results = audit(write_lab_inventory(tmp_path, {"net-legacy": legacy}))
    assert statuses(results, "lab-dc/net-legacy")["NET-002"] is PASS
    assert statuses(results, "lab-dc/net-legacy")["NET-003"] is FAIL


def test_extra_ports_are_scanned(network_lab: Lab, tmp_path: Path) -> None:
    """A service on a port no policy names is invisible until the operator adds it with --ports."""
    listener = BannerListener("net-test-odd-port", "127.0.3.8", 2121, b"220 odd\r\n")
    listener.start()
    try:
        inventory = write_lab_inventory(tmp_path, {"net-odd": host("127.0.3.8", "lab-dc", ["workstation"])})
        default = statuses(audit(inventory), "lab-dc/net-odd")
        extra = statuses(audit(inventory, extra_ports=(2121,)), "lab-dc/net-odd")
    finally:
        listener.stop()
    assert (default["NET-002"], default["NET-006"]) == (PASS, FAIL)
    assert (extra["NET-002"], extra["NET-006"]) == (FAIL, PASS)
