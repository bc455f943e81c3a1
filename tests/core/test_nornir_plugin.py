"""Any nornir inventory plugin can feed p06audit: a second plugin, registered through nornir's own
entry-point registry, supplies the hosts of a run against the core lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import yaml

from p06audit.lab import Lab

REPO = Path(__file__).resolve().parents[2]

PLUGIN = '''
import json
from pathlib import Path
from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups

class JsonInventory:
    """Hosts and groups from one JSON file, as a CMDB export would give them."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def load(self) -> Inventory:
        data = json.loads(self.path.read_text())
        defaults = Defaults()
        groups = Groups({name: Group(name, data=g, defaults=defaults) for name, g in data["groups"].items()})
        hosts = Hosts()
        for name, h in data["hosts"].items():
            member_of = ParentGroups([groups[g] for g in h["groups"]])
            hosts[name] = Host(
                name, hostname=h["address"], groups=member_of, data=h["data"], defaults=defaults
            )
        return Inventory(hosts=hosts, groups=groups, defaults=defaults)
'''


def install(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "json_inventory.py").write_text(textwrap.dedent(PLUGIN))
    dist = tmp_path / "json_inventory-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: json-inventory\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[nornir.plugins.inventory]\nJsonInventory = json_inventory:JsonInventory\n"
    )
    return {**os.environ, "PYTHONPATH": str(tmp_path)}


def cmdb(tmp_path: Path, app_roles: list[str]) -> Path:
    """An audit directory whose defaults name the plugin; the hosts live only in the CMDB export."""
    export = tmp_path / "cmdb.json"
    export.write_text(
        json.dumps(
            {
                "groups": {
                    "dc": {"kind": "provincial_dc", "province": "Lab", "security_level": 3},
                    "platform_linux": {},  # a CMDB grouping that is not a site
                },
                "hosts": {
                    "app-service": {
                        "address": "127.0.1.3",
                        "groups": ["dc", "platform_linux"],
                        "data": {"roles": app_roles, "services": [{"port": 8080, "name": "app"}]},
                    },
                },
            }
        )
    )
    directory = tmp_path / "audit"
    directory.mkdir()
    plugin = {"plugin": "JsonInventory", "options": {"path": str(export)}}
    (directory / "defaults.yaml").write_text(yaml.safe_dump({"data": {"inventory_plugin": plugin}}))
    return directory


def test_a_second_nornir_plugin_feeds_a_run_against_the_lab(
    lab_factory: Callable[[str], Lab], tmp_path: Path
) -> None:
    lab_factory("core")
    env = install(tmp_path)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "p06audit", "run", str(cmdb(tmp_path, ["app_server"])), "--family", "network",
         "--out", str(out), "--state-dir", str(tmp_path / "state"), "--no-progress", "--timeout", "2"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    (run_dir,) = out.iterdir()
    doc = json.loads((run_dir / "report.json").read_text())
    verdicts = {f["check_id"]: f["status"] for f in doc["findings"] if f["target"]["host"] == "app-service"}
    assert verdicts["NET-001"] == "PASS" and verdicts["NET-006"] == "PASS"
    assert [s["name"] for s in doc["sites"]] == ["dc"]


def test_a_foreign_plugin_s_bad_host_names_the_plugin_host_and_field(tmp_path: Path) -> None:
    env = install(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "p06audit", "inventory", "validate", str(cmdb(tmp_path, ["toaster"]))],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "inventory plugin JsonInventory" in done.stderr and "app-service.data.roles.0" in done.stderr


def test_an_unknown_plugin_is_a_usage_error_listing_the_registered_ones(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "p06audit", "run", str(cmdb(tmp_path, ["app_server"])),
         "--inventory-plugin", "Nope"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "inventory plugin 'Nope' is not installed" in done.stderr and "P06Inventory" in done.stderr
