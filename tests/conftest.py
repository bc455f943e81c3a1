"""Shared fixtures: inventories written from dicts, and the loopback lab started per family."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from p06audit.inventory import Inventory, load_inventory
from p06audit.lab import Lab

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

    def factory(
        groups: dict[str, Any], hosts: dict[str, Any], defaults: dict[str, Any] | None = None
    ) -> Inventory:
        return load_inventory(write_inventory_files(tmp_path / "inventory", groups, hosts, defaults))

    return factory


def site(
    kind: str = "provincial_dc", level: int = 3, subnets: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    """A site group entry for test inventories."""
    return {
        "data": {
            "kind": kind,
            "province": "Lab Province",
            "security_level": level,
            "subnets": subnets or [],
            **extra,
        }
    }


def host(address: str, group: str, roles: list[str], **data: Any) -> dict[str, Any]:
    """A host entry for test inventories."""
    return {"hostname": address, "groups": [group], "data": {"roles": roles, **data}}


class LabPool:
    """Labs started for this test session, one per scenario module, on their own addresses."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._started: dict[str, Lab] = {}

    def start(self, module: str) -> Lab:
        if module not in self._started:
            self._started[module] = Lab(self._factory.mktemp(f"lab-{module}"), only=[module]).up()
        return self._started[module]

    def stop_all(self) -> None:
        for lab in self._started.values():
            lab.down()
        self._started.clear()


@pytest.fixture(scope="session")
def lab_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabPool]:
    pool = LabPool(tmp_path_factory)
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def lab_factory(lab_pool: LabPool) -> Callable[[str], Lab]:
    """Start one scenario module of the lab once per session: `lab_factory("core")`."""
    return lab_pool.start


@pytest.fixture
def no_labs_running(lab_pool: LabPool) -> None:
    """For tests that start the whole lab themselves (demo, `lab up`): free every lab address first."""
    lab_pool.stop_all()
