"""Hosts and groups through nornir's inventory plugins, p06audit's own first.

`P06Inventory` is a nornir inventory plugin (registered under nornir's entry-point group
`nornir.plugins.inventory`) that reads the SimpleInventory files with line marks, so the typed
validation in `p06audit.inventory` can point at `file:line`. Any other registered plugin (NetBox,
Nautobot, Ansible, one of your own) feeds the same validation; its errors name the plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nornir.core.exceptions import PluginNotRegistered
from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups
from nornir.core.plugins.inventory import InventoryPluginRegister
from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml.comments import CommentedMap

from p06audit.errors import AuditError, InventoryError, Problem, UsageError
from p06audit.text import say
from p06audit.validation import Problems, shown
from p06audit.yamlfile import plain, read_yaml, validate_node

HOSTS_FILE = "hosts.yaml"
GROUPS_FILE = "groups.yaml"
DEFAULTS_FILE = "defaults.yaml"


@dataclass(frozen=True)
class Located:
    """Where an entry was read, so a validation error can name file and line (no node: no file)."""

    path: Path | str
    node: Any = None


class GroupEntry(BaseModel):
    """A group as written in groups.yaml: its data (validated as a site later) and parent groups."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    data: dict[str, Any] = Field(default_factory=dict)
    groups: tuple[str, ...] = ()


class P06Inventory:
    """nornir inventory plugin over a SimpleInventory directory, keeping where each entry was written.

    Given a `Problems` collector (p06audit's own validation passes one), it records every problem
    of every file there and loads what it can, so the typed validation can go on and report the
    rest in the same pass; used by nornir alone, it raises them all at the end of `load`."""

    def __init__(self, inventory_dir: str, problems: Problems | None = None) -> None:
        self.root = Path(inventory_dir)
        self.problems = problems
        self._where: dict[tuple[str, str], tuple[Path, Mapping[str, Any]]] = {}

    def _read(self, name: str, required: bool, problems: Problems) -> CommentedMap:
        path = self.root / name
        if not path.exists():
            if required:
                problems.add(
                    Problem(str(path), None, None, say("core.file_missing"), say("core.todo_file_missing"))
                )
            return CommentedMap()
        return read_yaml(path, InventoryError, problems)

    def load(self) -> Inventory:
        problems = self.problems if self.problems is not None else Problems()
        hosts_tree = self._read(HOSTS_FILE, True, problems)
        groups_tree = self._read(GROUPS_FILE, True, problems)
        defaults_tree = self._read(DEFAULTS_FILE, False, problems)
        defaults_data = defaults_tree.get("data")
        defaults = Defaults(data=plain(defaults_data if isinstance(defaults_data, Mapping) else {}))
        groups = Groups()
        path = self.root / GROUPS_FILE
        for name, node in groups_tree.items():
            entry = validate_node(GroupEntry, path, node, (str(name),), InventoryError, problems)
            if entry is None:
                continue
            groups[str(name)] = Group(str(name), data=dict(entry.data), defaults=defaults)
            self._where["group", str(name)] = (path, node)
        for name, group in groups.items():
            parents = groups_tree[name].get("groups") or []
            group.groups = ParentGroups([groups[p] for p in parents if p in groups])
        hosts = self._hosts(hosts_tree, groups, defaults, problems)
        if self.problems is None:
            problems.raise_if_any(InventoryError)
        return Inventory(hosts=hosts, groups=groups, defaults=defaults)

    def _hosts(self, tree: CommentedMap, groups: Groups, defaults: Defaults, problems: Problems) -> Hosts:
        hosts = Hosts()
        for name, node in tree.items():
            if not isinstance(node, Mapping):
                line = tree.lc.key(name)[0] + 1
                what = say("core.invalid_mapping", value=shown(node))
                problems.add(
                    Problem(str(self.root / HOSTS_FILE), line, str(name), what, say("core.todo_mapping"))
                )
                continue
            member_of = [groups[g] for g in (node.get("groups") or []) if isinstance(g, str) and g in groups]
            hosts[str(name)] = Host(
                str(name),
                hostname=str(node.get("hostname", "")),
                port=node.get("port"),
                platform=node.get("platform"),
                groups=ParentGroups(member_of),
                data=plain(node.get("data") if isinstance(node.get("data"), Mapping) else {}),
                defaults=defaults,
            )
            self._where["host", str(name)] = (self.root / HOSTS_FILE, node)
        return hosts

    def locate(self, kind: str, name: str) -> Located | None:
        found = self._where.get((kind, name))
        return Located(found[0], found[1]) if found else None


def registered_plugins() -> dict[str, Any]:
    InventoryPluginRegister.auto_register()
    return dict(InventoryPluginRegister.available)


def load_plugin_inventory(
    name: str, options: Mapping[str, Any], root: Path, problems: Problems | None = None
) -> tuple[Inventory, Any]:
    """The nornir Inventory of plugin `name`, and its `locate` when it reads files with line marks.
    P06Inventory records its problems in `problems`; another plugin's failure raises."""
    available = registered_plugins()
    try:
        plugin_class = InventoryPluginRegister.get_plugin(name)
    except PluginNotRegistered:
        raise UsageError(
            f"inventory plugin '{name}' is not installed; registered nornir inventory plugins: "
            f"{', '.join(sorted(available))}"
        ) from None
    plugin = (
        plugin_class(inventory_dir=str(root), problems=problems, **options)
        if plugin_class is P06Inventory
        else plugin_class(**options)
    )
    try:
        loaded = plugin.load()
    except AuditError:
        raise
    except Exception as exc:
        raise InventoryError(f"inventory plugin {name}", None, None, f"failed to load: {exc}") from exc
    return loaded, getattr(plugin, "locate", None)
