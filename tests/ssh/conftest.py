"""The SSH lab (real sshd on 127.0.4.x) and helpers to audit it with the real runner.

Every run gets its own state directory, so pins start empty unless a test reuses one on purpose.
A target that could not be examined at all has one root-cause ERROR (SSH-000, HOST-000), which
`Audit.finding` returns for every check it blocked, so scenario tests assert per check as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from p06audit.checks.ssh.lab_sshd import LAB_SSH_PORT, LabClientKey, SshdServer
from p06audit.inventory import load_inventory
from p06audit.lab import Lab
from p06audit.model import Finding, Run, Status
from p06audit.options import RunOptions
from p06audit.registry import REGISTRY
from p06audit.runner import Runner
from tests.conftest import host, site, write_inventory_files

SSH_CHECKS = frozenset(f"SSH-{n:03d}" for n in range(1, 8))
AUTH_CHECKS = frozenset({"SSH-008", "HOST-001", "HOST-002", "HOST-003", "HOST-004"})
TIMEOUT = 4.0

ADDRESSES = {
    "hardened": "127.0.4.1",
    "weak": "127.0.4.2",
    "rotating": "127.0.4.3",
    "garbage": "127.0.4.4",
    "middling": "127.0.4.5",
    "silent": "127.0.4.6",
    "legacy": "127.0.4.7",
    "v1": "127.0.4.8",
}


@pytest.fixture(scope="session", autouse=True)
def ssh_families() -> None:
    """Both families' checks and text, for the rule tests that call rules directly."""
    REGISTRY.load_plugins(["ssh", "host"])


@dataclass
class SshLab:
    lab: Lab
    client_key: Path

    def log_mark(self, name: str) -> int:
        """Where the server's log ends now (bytes: sshd ends lines with CRLF)."""
        return len(self.server(name).log_file.read_bytes())

    def log_since(self, name: str, mark: int) -> str:
        return self.server(name).log_file.read_bytes()[mark:].decode("utf-8", "replace")

    def server(self, name: str) -> SshdServer:
        found = next(s for s in self.lab.servers if s.name == f"ssh-{name}")
        assert isinstance(found, SshdServer)
        return found


@pytest.fixture(scope="module")
def ssh_lab(lab_factory: Callable[[str], Lab]) -> SshLab:
    """Per module, so a module after one that stops every lab (the demo test) gets it started again."""
    lab = lab_factory("ssh")
    return SshLab(lab, LabClientKey.ensure(lab.context.workdir).private_key)


def ssh_host(name: str, group: str = "lab-dc", **ssh: Any) -> dict[str, Any]:
    return host(ADDRESSES[name], group, ["app_server"], ssh={"port": LAB_SSH_PORT, **ssh})


def with_key(lab: SshLab) -> dict[str, Any]:
    return {"username": "root", "key_file": str(lab.client_key)}


@dataclass
class Audit:
    run: Run

    def finding(self, host_name: str, check_id: str) -> Finding:
        """The check's finding on the host, or the root cause that kept it from running."""
        matches = [
            f
            for f in self.run.findings
            if f.target.host == host_name and check_id in (f.check_id, *f.blocked)
        ]
        assert len(matches) == 1, f"{check_id} on {host_name}: {[f.summary for f in matches]}"
        return matches[0]

    def status(self, host_name: str, check_id: str) -> Status:
        return self.finding(host_name, check_id).status


AuditFn = Callable[..., Audit]


@pytest.fixture
def audit(tmp_path: Path) -> AuditFn:
    """`audit(hosts, checks, state_dir=None, groups=None)`: one real run over the given inventory hosts."""
    counter = iter(range(1000))

    def run(
        hosts: dict[str, Any],
        checks: Iterable[str],
        state_dir: Path | None = None,
        groups: dict[str, Any] | None = None,
    ) -> Audit:
        directory = tmp_path / f"inventory-{next(counter)}"
        groups = groups or {"lab-dc": site(level=3), "lab-psc": site("public_service_centre", level=2)}
        inventory = load_inventory(write_inventory_files(directory, groups, hosts))
        options = RunOptions(
            timeout=TIMEOUT, state_dir=state_dir or tmp_path / "state", checks=frozenset(checks)
        )
        return Audit(Runner(inventory, options).execute())

    return run
