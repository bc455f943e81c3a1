"""A broken inventory names file, line and field, and the CLI exits 2 with one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from p06audit.cli import main
from p06audit.errors import InventoryError
from p06audit.inventory import load_inventory

DEMO = Path(__file__).resolve().parents[2] / "inventories" / "demo"
EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example-province"


@pytest.fixture
def inventory_copy(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(DEMO, target)
    return target


def replace_in(path: Path, old: str, new: str) -> int:
    """Replace once and return the 1-based line where the change landed."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def test_shipped_inventories_are_valid() -> None:
    demo = load_inventory(DEMO)
    assert set(demo.sites) == {"lab-dc", "lab-psc"}
    assert all(h.address.startswith("127.") for h in demo.hosts.values())
    example = load_inventory(EXAMPLE)
    assert example.hosts, "the example province documents at least one host"


def test_security_level_out_of_range(inventory_copy: Path) -> None:
    line = replace_in(inventory_copy / "groups.yaml", "security_level: 2", "security_level: 7")
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory_copy)
    assert caught.value.line == line
    assert caught.value.field == "lab-psc.data.security_level"
    assert str(caught.value).startswith(
        f"{inventory_copy / 'groups.yaml'}:{line}: field 'lab-psc.data.security_level':"
    )


def test_unknown_role(inventory_copy: Path) -> None:
    line = replace_in(inventory_copy / "hosts.yaml", "roles: [app_server]", "roles: [app_server, toaster]")
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory_copy)
    assert caught.value.line == line
    assert caught.value.field == "app-service.data.roles.1"
    assert "toaster" in str(caught.value)


def test_bad_yaml(inventory_copy: Path) -> None:
    hosts = inventory_copy / "hosts.yaml"
    lines = hosts.read_text().count("\n")
    hosts.write_text(hosts.read_text() + "broken:\n  - a\n b: [\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory_copy)
    assert caught.value.path.endswith("hosts.yaml")
    assert caught.value.line is not None and caught.value.line > lines
    assert "invalid YAML" in str(caught.value)


def test_hostname_must_be_an_address(inventory_copy: Path) -> None:
    line = replace_in(inventory_copy / "hosts.yaml", "hostname: 127.0.1.3", "hostname: 'app; rm -rf /'")
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory_copy)
    assert caught.value.line == line
    assert "is not an IP address" in str(caught.value)


def test_host_in_unknown_site(inventory_copy: Path) -> None:
    line = replace_in(inventory_copy / "hosts.yaml", "groups: [lab-psc]", "groups: [lab-nowhere]")
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory_copy)
    assert caught.value.line == line
    assert "lab-nowhere" in str(caught.value)


def test_inline_secret_fields_are_refused(inventory_copy: Path) -> None:
    hosts = inventory_copy / "hosts.yaml"
    hosts.write_text(
        hosts.read_text()
        + "leaky:\n  hostname: 127.0.1.99\n  groups: [lab-dc]\n  data:\n    roles: [app_server]\n"
        + "    ssh:\n      username: audit\n      password: hunter2\n"
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory_copy)
    assert caught.value.field == "leaky.data.ssh.password"
    assert "hunter2" not in str(caught.value)


def test_cli_exit_code_and_single_line(inventory_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = replace_in(inventory_copy / "groups.yaml", "security_level: 2", "security_level: 7")
    assert main(["inventory", "validate", str(inventory_copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"groups.yaml:{line}:" in err


def test_invalid_defaults_name_line_and_field(inventory_copy: Path) -> None:
    line = replace_in(inventory_copy / "defaults.yaml", "tls_warn_days: 30", "tls_warn_days: -3")
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory_copy)
    assert caught.value.line == line
    assert caught.value.field == "data.tls_warn_days"


def test_unknown_legal_basis(inventory_copy: Path) -> None:
    line = replace_in(inventory_copy / "defaults.yaml", "legal_basis: nd85-2016", "legal_basis: nd999")
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory_copy)
    assert caught.value.line == line
    assert "unknown legal basis 'nd999'" in str(caught.value)


def test_packaged_policy_errors_name_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import BaseModel

    from p06audit.errors import ConfigFileError
    from p06audit.yamlfile import load_packaged

    class Policy(BaseModel):
        max_days: int

    package = tmp_path / "fake_family"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "policy.yaml").write_text("# limits\nmax_days: soon\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigFileError) as caught:
        load_packaged("fake_family", "policy.yaml", Policy)
    assert caught.value.line == 2
    assert caught.value.field == "max_days"
