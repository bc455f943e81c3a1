"""Shared fixtures: inventories written from dicts, and the loopback lab started per family."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from audit.inventory import Inventory, load_inventory
from audit.lab import Lab

InventoryFactory = Callable[..., Inventory]


def write_inventory_files(
    directory: Path,
    groups: dict[str, Any],
    hosts: dict[str, Any],
    defaults: dict[str, Any] | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "groups.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))
    (directory / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    (directory / "defaults.yaml").write_text(yaml.safe_dump(defaults or {"data": {}}, sort_keys=False))
    return directory


@pytest.fixture
def make_inventory(tmp_path: Path) -> InventoryFactory:
    """`make_inventory(groups, hosts, defaults=None)` writes YAML files and loads them."""

    def factory(groups: dict[str, Any], hosts: dict[str, Any], defaults: dict[str, Any] | None = None) -> Inventory:
        return load_inventory(write_inventory_files(tmp_path / "inventory", groups, hosts, defaults))

    return factory


def site(kind: str = "provincial_dc", level: int = 3, subnets: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A site group entry for test inventories."""
    return {"data": {"kind": kind, "province": "Lab Province", "security_level": level,
                     "subnets": subnets or [], **extra}}


def host(address: str, group: str, roles: list[str], **data: Any) -> dict[str, Any]:
    """A host entry for test inventories."""
    return {"hostname": address, "groups": [group], "data": {"roles": roles, **data}}


@pytest.fixture(scope="session")
def lab_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Lab]]:
    """Start one scenario module of the lab once per session: `lab_factory("core")`."""
    started: dict[str, Lab] = {}

    def start(module: str) -> Lab:
        if module not in started:
            started[module] = Lab(tmp_path_factory.mktemp(f"lab-{module}"), only=[module]).up()
        return started[module]

    yield start
    for lab in started.values():
        lab.down()
