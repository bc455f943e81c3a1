"""Small hand-made runs for the history, diff and digest tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from p06audit.model import Finding, Run, Severity, SiteInfo, Status, Target
from p06audit.text import say

T0 = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
SITES = [
    SiteInfo(
        name="lab-dc",
        kind="provincial_dc",
        province="Tỉnh Thí Điểm",
        security_level=3,
        hosts=("portal", "db"),
    ),
    SiteInfo(
        name="lab-psc",
        kind="public_service_centre",
        province="Tỉnh Thí Điểm",
        security_level=2,
        hosts=("kiosk",),
    ),
]


def finding(
    check_id: str,
    status: Status,
    severity: Severity = Severity.HIGH,
    host: str = "portal",
    port: int | None = 443,
    site: str = "lab-dc",
    summary: str = "",
    **extra: Any,
) -> Finding:
    """A finding whose summary is `summary` as raw text (core.detail), as a host's own words would be."""
    address = {"portal": "127.0.7.20", "db": "127.0.7.21", "kiosk": "127.0.7.22"}.get(host, "127.0.7.29")
    return Finding(
        check_id=check_id,
        family=check_id.split("-")[0].lower(),
        status=status,
        severity=severity,
        target=Target(site=site, host=host, address=address, port=port),
        message=say("core.detail", text=summary or f"{check_id} {status.value} on {host}"),
        **extra,
    )


def make_run(day: int, findings: list[Finding], inventory: str = "/srv/inventories/lab") -> Run:
    started = T0 + timedelta(days=day)
    return Run(
        id=f"{started:%Y%m%dT%H%M%SZ}-d{day:05d}",
        started=started,
        finished=started + timedelta(minutes=3),
        tool_version="0.1.0",
        inventory=inventory,
        sites=list(SITES),
        findings=findings,
    )


def failing_run(day: int, count: int) -> Run:
    """A run with `count` FAIL findings on distinct hosts (bulk for the crash tests)."""
    return make_run(day, [finding(f"TLS-{i:03d}", Status.FAIL, host=f"h{i}") for i in range(count)])
