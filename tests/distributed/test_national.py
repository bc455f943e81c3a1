"""A national run over real Redis: province scanners as `p06audit worker` subprocesses on their queues.

Given two provinces routed to scanners `qa` and `qb` and one site audited locally, when a national
run goes through the broker, then it holds exactly what a local run of the same inventory holds,
each finding naming the scanner that produced it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.lab import Lab
from tests.distributed.conftest import (
    RedisServer,
    Scanners,
    audit_in_subprocess,
    province_inventory,
    tally,
)
from tests.distributed.probe import CHECK_ID

ROUTES = {"prov-a": "qa", "prov-b": "qb", "prov-local": "local"}
HOSTS = {
    "prov-a-app": "prov-a",
    "prov-a-stall": "prov-a",
    "prov-b-app": "prov-b",
    "prov-b-stall": "prov-b",
    "prov-local-app": "prov-local",
}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory, national_lab: Lab) -> Path:
    return province_inventory(tmp_path_factory.mktemp("national") / "inventory", ROUTES, HOSTS)


@pytest.fixture(scope="module")
def province_scanners(scanners: Scanners, inventory: Path) -> Scanners:
    scanners.start("qa", "qa-1@lab", inventory)
    scanners.start("qb", "qb-1@lab", inventory)
    return scanners


def test_national_run_gathers_every_site_as_a_local_run_would(
    inventory: Path, province_scanners: Scanners, redis_server: RedisServer, tmp_path: Path
) -> None:
    national = audit_in_subprocess("national", inventory, tmp_path / "national.json", redis_server)
    local = audit_in_subprocess("local", inventory, tmp_path / "local.json", redis_server)

    assert national.sites == local.sites
    assert tally(national) == tally(local)
    assert national.errors == []
    scanners = {s: {f.scanner for f in national.findings if f.site == s} for s in ROUTES}
    assert scanners == {"prov-a": {"qa-1@lab"}, "prov-b": {"qb-1@lab"}, "prov-local": {"local"}}
    greetings = {f.target.host: f.status.value for f in national.findings if f.check_id == CHECK_ID}
    assert greetings == {
        "prov-a-app": "PASS",
        "prov-a-stall": "WARN",
        "prov-b-app": "PASS",
        "prov-b-stall": "WARN",
        "prov-local-app": "PASS",
    }
