"""A scanner killed with SIGKILL in the middle of a site: the broker hands the site to a restarted
scanner, and the run completes with nothing lost or doubled.

The site's stalled service keeps its audit busy for the run's timeout (the `dprobe` family waits
that long for a greeting), so the kill lands mid-task every time.
"""

from __future__ import annotations

from pathlib import Path

from p06audit.lab import Lab
from tests.distributed.conftest import (
    Scanners,
    audit_in_subprocess,
    finish_audit,
    province_inventory,
    start_audit,
    tally,
)
from tests.distributed.services import RedisServer

TIMEOUT = "4"
VISIBILITY_TIMEOUT = 8.0


def test_killed_scanner_task_is_redelivered_to_a_restarted_scanner(
    scanners: Scanners, redis_server: RedisServer, national_lab: Lab, tmp_path: Path
) -> None:
    inventory = province_inventory(
        tmp_path / "inventory", {"prov-k": "qk"}, {"prov-k-app": "prov-k", "prov-k-stall": "prov-k"}
    )
    first = scanners.start("qk", "qk-1@lab", inventory, VISIBILITY_TIMEOUT)
    running = start_audit(
        "national",
        inventory,
        tmp_path / "national.json",
        redis_server,
        "--timeout",
        TIMEOUT,
        "--deadline",
        "90",
    )
    first.wait_for_log("auditing site prov-k")
    first.kill()
    assert "site prov-k audited" not in first.log()

    second = scanners.start("qk", "qk-2@lab", inventory, VISIBILITY_TIMEOUT)
    national = finish_audit(running, tmp_path / "national.json")
    local = audit_in_subprocess(
        "local", inventory, tmp_path / "local.json", redis_server, "--timeout", TIMEOUT
    )

    assert tally(national) == tally(local)
    assert {f.scanner for f in national.findings} == {"qk-2@lab"}
    assert second.log().count("auditing site prov-k") == 1
    assert national.errors == []
