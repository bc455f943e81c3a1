"""One real run of the TLS family over every TLS lab host, shared by the whole session.

Scanning each lab endpoint once keeps the family's tests fast; every scenario test then reads the
findings of its own host from this run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from p06audit.inventory import Inventory, load_inventory
from p06audit.lab import Lab
from p06audit.model import Finding, Run, Status
from p06audit.options import RunOptions
from p06audit.runner import Runner
from tests.conftest import host, site, write_inventory_files

TLS_CHECKS = frozenset(f"TLS-{n:03d}" for n in range(1, 16))
SCAN_TIMEOUT = 3.0


@dataclass(frozen=True)
class LabHost:
    address: str
    sni: str | None
    roles: tuple[str, ...] = ("web_portal",)


def _tls(name: str) -> str:
    return f"{name}.tls.lab.p06.test"


# Inventory view of the lab: what an officer would declare for these hosts.
LAB_HOSTS: dict[str, LabHost] = {
    "tls-good": LabHost("127.0.2.1", _tls("good")),
    "tls-old-versions": LabHost("127.0.2.2", _tls("tls10")),
    "tls-ssl3": LabHost("127.0.2.3", _tls("ssl3"), ("integration",)),
    "tls-rc4-3des": LabHost("127.0.2.4", _tls("rc4")),
    "tls-dh1024": LabHost("127.0.2.5", _tls("dh1024")),
    "tls-expired": LabHost("127.0.2.6", _tls("expired")),
    "tls-not-yet-valid": LabHost("127.0.2.7", _tls("notyet")),
    "tls-wrong-name": LabHost("127.0.2.8", _tls("wrongname")),
    "tls-self-signed": LabHost("127.0.2.9", _tls("selfsigned")),
    "tls-untrusted-ca": LabHost("127.0.2.10", _tls("untrusted")),
    "tls-rsa1024": LabHost("127.0.2.11", _tls("rsa1024")),
    "tls-sha1": LabHost("127.0.2.12", _tls("sha1")),
    "tls-no-intermediate": LabHost("127.0.2.13", _tls("nochain")),
    "tls-expiring": LabHost("127.0.2.14", _tls("expiring")),
    "tls-no-hsts": LabHost("127.0.2.15", _tls("nohsts")),
    "tls-garbage": LabHost("127.0.2.16", _tls("garbage")),
    "tls-silent": LabHost("127.0.2.17", _tls("silent")),
    "core-good": LabHost("127.0.1.1", "portal.lab.p06.test"),
    "core-expired": LabHost("127.0.1.2", "expired.lab.p06.test"),
    "core-silent": LabHost("127.0.1.4", None),
    "core-refused": LabHost("127.0.1.3", None, ("integration",)),  # nothing listens on its 443
}


def inventory_hosts(names: list[str]) -> dict[str, Any]:
    hosts = {}
    for name in names:
        lab_host = LAB_HOSTS[name]
        endpoint = {"port": 443, **({"sni": lab_host.sni} if lab_host.sni else {})}
        hosts[name] = host(lab_host.address, "lab-dc", list(lab_host.roles), tls=[endpoint])
    return hosts


@pytest.fixture(scope="session")
def tls_labs(lab_factory: Callable[[str], Lab]) -> tuple[Lab, Lab]:
    return lab_factory("tls"), lab_factory("core")


@pytest.fixture(scope="session")
def lab_anchors(tls_labs: tuple[Lab, Lab], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The roots of both lab PKIs in one bundle, as a province would ship its national CA bundle."""
    bundle = tmp_path_factory.mktemp("anchors") / "lab-roots.pem"
    bundle.write_bytes(b"".join(lab.context.pki.root_file.read_bytes() for lab in tls_labs))
    return bundle


@pytest.fixture(scope="session")
def session_inventory(
    lab_anchors: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Inventory]:
    """Session-scoped twin of `make_inventory` (same writer), so one scan can serve every test."""

    def make(names: list[str], **defaults: Any) -> Inventory:
        data = {"trust_anchors": str(lab_anchors), "tls_warn_days": 30, **defaults}
        directory = write_inventory_files(
            tmp_path_factory.mktemp("inventory"), {"lab-dc": site()}, inventory_hosts(names), {"data": data}
        )
        return load_inventory(directory)

    return make


@dataclass(frozen=True)
class TimedRun:
    run: Run
    seconds: float

    def statuses(self, host_name: str) -> dict[str, Status]:
        """Each check's status on the host; a root-cause ERROR answers for every check it blocked."""
        return {check: f.status for f in self.findings(host_name) for check in f.blocked or (f.check_id,)}

    def findings(self, host_name: str) -> list[Finding]:
        return [f for f in self.run.findings if f.target.host == host_name]

    def finding(self, host_name: str, check_id: str) -> Finding:
        """The finding that answers for `check_id` on the host: its own, or the root cause blocking it."""
        (found,) = [f for f in self.findings(host_name) if check_id in (f.blocked or (f.check_id,))]
        return found


def timed_run(inventory: Inventory, **options: Any) -> TimedRun:
    started = time.monotonic()
    run = Runner(
        inventory, RunOptions(**{"timeout": SCAN_TIMEOUT, "checks": TLS_CHECKS, **options})
    ).execute()
    return TimedRun(run, time.monotonic() - started)


@pytest.fixture(scope="session")
def lab_run(tls_labs: tuple[Lab, Lab], session_inventory: Callable[..., Inventory]) -> TimedRun:
    """Every TLS lab host in one inventory, one run, the system trust store enabled as by default."""
    return timed_run(session_inventory(list(LAB_HOSTS)))
