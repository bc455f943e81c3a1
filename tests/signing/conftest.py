"""Signing fixtures: the lab's government PKI with its CRL server and OCSP responder (127.0.5.x),
and helpers that audit a site through the real runner and index the findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from audit.inventory import load_inventory
from audit.lab import Lab
from audit.lab.revocation_server import RevocationServer
from audit.lab.scenarios.signing import SIGNING_DIR
from audit.lab.signing_pki import CERTS, CRL_FILE, ROSTER_FILE, SOURCES_DIR, TRUST_ANCHORS_FILE
from audit.model import Finding, Run, Status
from audit.options import RunOptions
from audit.registry import REGISTRY
from audit.runner import Runner
from tests.conftest import site, write_inventory_files

TIMEOUT = 2.0  # the silent OCSP responder costs one of these per run


@dataclass(frozen=True)
class SigningLab:
    lab: Lab
    directory: Path

    @property
    def sources(self) -> Path:
        return self.directory / SOURCES_DIR

    @property
    def trust_anchors(self) -> Path:
        return self.directory / TRUST_ANCHORS_FILE

    @property
    def crl_file(self) -> Path:
        return self.directory / CRL_FILE

    @property
    def roster(self) -> Path:
        return self.directory / ROSTER_FILE

    def file_of(self, label: str) -> str:
        spec = next(s for s in CERTS if s.label == label)
        return str(self.sources / spec.relative)

    def server(self, name: str) -> RevocationServer:
        found = next(s for s in self.lab.servers if s.name == name)
        assert isinstance(found, RevocationServer)
        return found


@pytest.fixture(scope="module")
def signing_lab(lab_factory: Callable[[str], Lab]) -> SigningLab:
    """Per module, not per session: another test may stop every lab (the demo test does)."""
    lab = lab_factory("signing")
    return SigningLab(lab, lab.context.workdir / SIGNING_DIR)


def signing_check_ids() -> frozenset[str]:
    REGISTRY.load_plugins()
    return frozenset(c.id for c in REGISTRY.checks.values() if c.family == "signing")


AuditSigning = Callable[..., Run]


def audit_in(directory: Path, timeout: float = TIMEOUT, **signing_certs: Any) -> Run:
    """Write a one-site inventory with this `signing_certs` section and audit it (real runner)."""
    plain = {k: ([str(p) for p in v] if isinstance(v, list) else str(v)) for k, v in signing_certs.items()}
    inventory = load_inventory(write_inventory_files(directory, {"lab-dc": site(signing_certs=plain)}, {}))
    return Runner(inventory, RunOptions(timeout=timeout, checks=signing_check_ids())).execute()


@pytest.fixture
def audit_signing(tmp_path: Path) -> AuditSigning:
    """`audit_signing(sources=[...], roster=..., ...)` audits one site through the real runner."""
    return lambda **kwargs: audit_in(tmp_path / "inventory", **kwargs)


def problems(run: Run) -> dict[str, set[tuple[str, str]]]:
    """resource → {(check, status)} of every finding that is not a PASS."""
    found: dict[str, set[tuple[str, str]]] = {}
    for f in run.findings:
        if f.status is not Status.PASS:
            found.setdefault(f.target.resource or "", set()).add((f.check_id, f.status.value))
    return found


def by_check(run: Run, check_id: str) -> list[Finding]:
    return [f for f in run.findings if f.check_id == check_id]
