"""Check metadata is validated, and a third party adds checks through the entry-point group."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from p06audit.errors import RegistryError
from p06audit.registry import Registry

PLUGIN = """
from dataclasses import dataclass
from p06audit.family import Family
from p06audit.model import Observation, Outcome, Status
from p06audit.registry import collects, rule
from p06audit.runner import host_target
from p06audit.text import say

@dataclass(frozen=True)
class Greeting(Observation):
    text: str

@collects(Greeting, per_host=True)
def greet(host, ctx):
    return [Greeting(host_target(host), f"hello {host.name}")]

@rule("ACME-001", observes=Greeting)
def greeting_seen(obs, ctx):
    return Outcome(Status.PASS, say("ACME-001.seen", text=obs.text))

FAMILY = Family(name="acme", package="acme_checks", modules=("acme_checks",))
"""

PLUGIN_TEXT = """
family: {vi: Lời chào, en: Greetings}
not_examined:
  id: ACME-000
  title: {vi: Không chào được, en: Could not greet}
  remediation: {vi: Thử lại, en: Try again}
checks:
  ACME-001:
    severity: info
    title: {vi: Lời chào của bên thứ ba, en: Third-party greeting}
    remediation: {vi: Không cần làm gì., en: None needed.}
    error_remediation: {vi: Thử lại., en: Try again.}
    messages:
      seen: {vi: "{text}", en: "{text}"}
"""


def install_plugin(tmp_path: Path, source: str = PLUGIN, text: str = PLUGIN_TEXT) -> dict[str, str]:
    """A real distribution on sys.path naming its Family under `p06audit.checks`; its environment."""
    package = tmp_path / "acme_checks"
    package.mkdir()
    (package / "__init__.py").write_text(source)
    (package / "checks.yaml").write_text(text)
    dist = tmp_path / "acme_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[p06audit.checks]\nacme = acme_checks:FAMILY\n")
    return {**os.environ, "PYTHONPATH": str(tmp_path)}


def run_python(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True, text=True
    )


def test_a_second_family_of_the_same_name_is_refused() -> None:
    from p06audit.family import Family

    registry = Registry(sealed=True)
    registry.add_family(Family(name="acme", package="one", modules=()))
    with pytest.raises(RegistryError, match=r"check family 'acme' is declared twice .one and two."):
        registry.add_family(Family(name="acme", package="two", modules=()))


def test_unknown_host_needs_are_refused(tmp_path: Path) -> None:
    env = install_plugin(
        tmp_path, PLUGIN.replace("observes=Greeting)", 'observes=Greeting, needs=["telepathy"])')
    )
    out = run_python("from p06audit.registry import REGISTRY; REGISTRY.load_plugins({'acme'})", env)
    assert "check ACME-001 needs unknown host features ['telepathy']; families declare" in out.stderr


def test_a_rule_without_text_and_text_without_a_rule_are_refused(tmp_path: Path) -> None:
    env = install_plugin(tmp_path, PLUGIN.replace('"ACME-001"', '"ACME-002"'))
    out = run_python("from p06audit.registry import REGISTRY; REGISTRY.load_plugins({'acme'})", env)
    assert "check ACME-002 (acme_checks) has no entry in" in out.stderr


def test_a_family_whose_check_id_clashes_with_another_family_is_refused(tmp_path: Path) -> None:
    env = install_plugin(
        tmp_path, text=PLUGIN_TEXT.replace("ACME-001", "NET-001").replace("ACME-000", "NET-000")
    )
    out = run_python("from p06audit.registry import REGISTRY; REGISTRY.load_texts()", env)
    assert "check ids ['NET-000', 'NET-001'] are declared by family" in out.stderr


def test_text_whose_languages_disagree_names_file_and_line(tmp_path: Path) -> None:
    env = install_plugin(tmp_path, text=PLUGIN_TEXT.replace('seen: {vi: "{text}"', 'seen: {vi: "{txt}"'))
    out = run_python("from p06audit.registry import REGISTRY; REGISTRY.load_texts()", env)
    assert (
        "checks.yaml:14: field 'ACME-001.seen': message 'ACME-001.seen': the Vietnamese text names ['txt']"
        in out.stderr
    )


def test_third_party_entry_point(tmp_path: Path) -> None:
    """A real distribution on sys.path names its family under `p06audit.checks`; a fresh process
    finds it, pairs its rule with its checks.yaml and runs it."""
    env = install_plugin(tmp_path)
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
        from p06audit.inventory import load_inventory
        from p06audit.options import RunOptions
        from p06audit.registry import REGISTRY
        from p06audit.runner import run_audit
        run = run_audit(load_inventory({str(inventory)!r}), RunOptions(checks=frozenset({{"ACME-001"}})))
        seen = [(f.check_id, f.status.value, f.summary) for f in run.findings]
        print(REGISTRY.checks["ACME-001"].module, seen)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "acme_checks [('ACME-001', 'PASS', 'hello h1')]"


def test_loading_chosen_families_imports_nothing_else() -> None:
    """`--family ssh` must not pay for sslyze or the signing family: checked in a fresh process."""
    script = textwrap.dedent(
        """
        import sys
        from p06audit.registry import REGISTRY
        REGISTRY.load_plugins({"ssh"})
        print(sorted({c.family for c in REGISTRY.checks.values()}), "sslyze" in sys.modules,
              "p06audit.checks.signing.sites" in sys.modules, "p06audit.checks.tls.rules" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['ssh'] False False False"


def test_unknown_family_is_a_usage_error() -> None:
    from p06audit.errors import UsageError

    with pytest.raises(UsageError, match=r"unknown check family \['telepathy'\]; installed: .*ssh"):
        Registry().load_plugins({"telepathy"})
