"""Signing fixtures: the lab's government PKI with its CRL server and OCSP responder (127.0.5.x),
and helpers that audit a site through the real runner and index the findings. A target the family
could not examine at all has one root-cause finding (SIGN-000); the helpers let it answer for every
check it blocked, so the scenarios assert what each check reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from p06audit.checks.signing.facts import Reason
from p06audit.checks.signing.lab import SIGNING_DIR
from p06audit.checks.signing.lab_pki import CERTS, CRL_FILE, ROSTER_FILE, SOURCES_DIR, TRUST_ANCHORS_FILE
from p06audit.checks.signing.lab_revocation import RevocationServer
from p06audit.checks.signing.observations import message
from p06audit.inventory import load_inventory
from p06audit.lab import Lab
from p06audit.model import Finding, Run, Status
from p06audit.options import RunOptions
from p06audit.registry import REGISTRY
from p06audit.runner import Runner
from p06audit.text import english
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


@pytest.fixture(autouse=True, scope="session")
def signing_text() -> None:
    """The family's checks.yaml, so its messages render even in tests that run no audit."""
    REGISTRY.family_text("signing")


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


@pytest.fixture(scope="module")
def online(signing_lab: SigningLab, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One online audit (CDP and OCSP over HTTP, with the roster) shared by a module's assertions."""
    return audit_in(
        tmp_path_factory.mktemp("online"),
        sources=[signing_lab.sources],
        roster=signing_lab.roster,
        trust_anchors=signing_lab.trust_anchors,
    )


@pytest.fixture
def audit_signing(tmp_path: Path) -> AuditSigning:
    """`audit_signing(sources=[...], roster=..., ...)` audits one site through the real runner."""
    return lambda **kwargs: audit_in(tmp_path / "inventory", **kwargs)


def problems(run: Run) -> dict[str, set[tuple[str, str]]]:
    """resource → {(check, status)} of every finding that is not a PASS (a root cause counts for
    each check it blocked)."""
    found: dict[str, set[tuple[str, str]]] = {}
    for f in run.findings:
        if f.status is not Status.PASS:
            for check_id in f.blocked or (f.check_id,):
                found.setdefault(f.target.resource or "", set()).add((check_id, f.status.value))
    return found


def by_check(run: Run, check_id: str) -> list[Finding]:
    """The findings of `check_id`, and the root causes that kept it from running."""
    return [f for f in run.findings if f.check_id == check_id or check_id in f.blocked]


def said(reason: Reason | None) -> str:
    """A collector's Reason in English ("" for none), for assertions on its words."""
    return english(message(reason)) if reason is not None else ""
