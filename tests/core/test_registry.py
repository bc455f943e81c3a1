"""Check metadata is validated, and a third party adds checks through the entry-point group."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from audit.errors import RegistryError
from audit.model import Observation, Severity
from audit.registry import AppliesTo, CheckSpec, Registry


@dataclass(frozen=True)
class Dummy(Observation):
    pass


def spec(
    check_id: str = "ABC-001", controls: tuple[str, ...] = ("VN-NET-02",), **changes: object
) -> CheckSpec:
    fields: dict[str, object] = dict(
        id=check_id,
        title="t",
        severity=Severity.LOW,
        family="abc",
        controls=controls,
        remediation="r",
        observes=Dummy,
        applies_to=AppliesTo(),
        rule=lambda obs, ctx: None,
        module="tests",
    )
    fields.update(changes)
    return CheckSpec(**fields)  # type: ignore[arg-type]


def test_duplicate_id_names_both_modules() -> None:
    registry = Registry(_loaded=True)
    registry.add_check(spec())
    with pytest.raises(RegistryError, match="declared twice"):
        registry.add_check(spec(module="other"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"check_id": "tls2"}, "must look like TLS-002"),
        ({"controls": ()}, "guidance control ids"),
        ({"controls": ("net 2",)}, "guidance control ids"),
        ({"remediation": " "}, "needs a title and a remediation"),
        ({"applies_to": AppliesTo(needs=frozenset({"telepathy"}))}, "unknown host features"),
    ],
)
def test_malformed_metadata_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        Registry(_loaded=True).add_check(spec(**changes))  # type: ignore[arg-type]


PLUGIN = """
from dataclasses import dataclass
from audit.model import Observation, Outcome, Severity, Status
from audit.registry import check, collector
from audit.runner import host_target

@dataclass(frozen=True)
class Greeting(Observation):
    text: str

@collector(family="acme", produces=[Greeting], per_host=True)
def greet(host, ctx):
    return [Greeting(host_target(host), f"hello {host.name}")]

@check(id="ACME-001", title="Third-party greeting", severity=Severity.INFO, controls=["VN-GOV-01"],
       remediation="None needed.", observes=Greeting)
def greeting_seen(obs, ctx):
    return Outcome(Status.PASS, obs.text)
"""


def test_third_party_entry_point(tmp_path: Path) -> None:
    """A real distribution on sys.path declares `p06audit.checks`; a fresh process finds and runs it."""
    (tmp_path / "acme_checks.py").write_text(PLUGIN)
    dist = tmp_path / "acme_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[p06audit.checks]\nacme = acme_checks\n")
    inventory = tmp_path / "inv"
    inventory.mkdir()
    (inventory / "groups.yaml").write_text(
        "s:\n  data: {kind: provincial_dc, province: P, security_level: 1}\n"
    )
    (inventory / "hosts.yaml").write_text(
        "h1:\n  hostname: 127.0.1.240\n  groups: [s]\n  data: {roles: [app_server]}\n"
    )
    script = textwrap.dedent(
        f"""
        from audit.inventory import load_inventory
        from audit.options import RunOptions
        from audit.registry import REGISTRY
        from audit.runner import run_audit
        run = run_audit(load_inventory({str(inventory)!r}), RunOptions(checks=frozenset({{"ACME-001"}})))
        seen = [(f.check_id, f.status.value, f.summary) for f in run.findings]
        print(REGISTRY.checks["ACME-001"].module, seen)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "acme_checks [('ACME-001', 'PASS', 'hello h1')]"


def test_loading_chosen_families_imports_nothing_else() -> None:
    """`--family ssh` must not pay for sslyze or the signing family: checked in a fresh process."""
    script = textwrap.dedent(
        """
        import sys
        from audit.registry import REGISTRY
        REGISTRY.load_plugins({"ssh"})
        print(sorted({c.family for c in REGISTRY.checks.values()}), "sslyze" in sys.modules,
              "checks.signing" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['ssh'] False False"


def test_unknown_family_is_a_usage_error() -> None:
    from audit.errors import UsageError

    with pytest.raises(UsageError, match=r"unknown check family \['telepathy'\]; installed: .*ssh"):
        Registry().load_plugins({"telepathy"})
