"""The typed inventory: sites and hosts validated once, from any nornir inventory plugin.

The engine owns a host's roles, a site's kind, province, security level and subnets, and the
run-wide defaults (language, time zone, waivers, legal basis); each family adds its own fields
(`Family.host_fields`, `site_fields`, `defaults_fields`) and the models here are built from all
installed families. Hosts and groups come from a nornir inventory plugin: by default
`P06Inventory` (the SimpleInventory files, read with line marks so a mistake is reported as
`file:line: field 'x': problem`), or any other plugin the defaults or the command line names.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from p06audit.errors import InventoryError, Problem, UsageError
from p06audit.family import Family, Section
from p06audit.guidance.catalogue import default_catalogue
from p06audit.registry import REGISTRY
from p06audit.scope import wide_scope_problems
from p06audit.text import DEFAULT_TIMEZONE, say
from p06audit.validation import MessageError, Problems
from p06audit.yamlfile import line_of, read_yaml, validate_node

DEFAULTS_FILE = "defaults.yaml"
DEFAULT_PLUGIN = "P06Inventory"
ENV_NAME_PATTERN = r"^[A-Z_][A-Z0-9_]*$"
S = TypeVar("S", bound=BaseModel)


class Role(enum.StrEnum):
    WEB_PORTAL = "web_portal"
    APP_SERVER = "app_server"
    DATABASE = "database"
    NETWORK_DEVICE = "network_device"
    SIGNING_SERVER = "signing_server"
    WORKSTATION = "workstation"
    MAIL_SERVER = "mail_server"
    DNS_SERVER = "dns_server"
    INTEGRATION = "integration"
    JUMP_HOST = "jump_host"


class SiteKind(enum.StrEnum):
    PROVINCIAL_DC = "provincial_dc"
    PUBLIC_SERVICE_CENTRE = "public_service_centre"


_MODEL = ConfigDict(extra="forbid", frozen=True)


class HostCore(Section):
    """The engine's own fields of a host's `data`."""

    roles: tuple[Role, ...] = Field(min_length=1)
    description: str = ""


class SiteCore(Section):
    """The engine's own fields of a site group's `data`."""

    kind: SiteKind
    province: str = Field(min_length=1)
    security_level: int = Field(ge=1, le=5)
    subnets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    scanner: str = "local"
    description: str = ""

    @field_validator("subnets", mode="before")
    @classmethod
    def _strict_networks(cls, value: Any) -> Any:
        if isinstance(value, list):
            for item in value:
                ipaddress.ip_network(str(item), strict=True)
        return value


class PluginChoice(BaseModel):
    """Which nornir inventory plugin supplies hosts and groups, with its options."""

    model_config = _MODEL
    plugin: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)


class DefaultsCore(Section):
    """The engine's own run-wide settings (defaults.yaml `data`)."""

    language: Literal["vi", "en"] = "vi"
    timezone: str = DEFAULT_TIMEZONE
    waivers: Path | None = None
    legal_basis: str | None = None
    inventory_plugin: PluginChoice | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise MessageError(say("core.unknown_timezone", value=value)) from None
        return value


def _merged(name: str, core: type[Section], parts: Iterable[type[Section] | None]) -> type[Section]:
    bases = (core, *(p for p in parts if p is not None))
    return cast(type[Section], create_model(name, __base__=bases))


@dataclass(frozen=True)
class Models:
    """The data models of hosts, sites and defaults with every installed family's fields."""

    host: type[Section]
    site: type[Section]
    defaults: type[Section]
    families: tuple[Family, ...]


def models() -> Models:
    return _models(tuple(REGISTRY.discover().values()))


@cache
def _models(families: tuple[Family, ...]) -> Models:
    return Models(
        host=_merged("HostData", HostCore, (f.host_fields for f in families)),
        site=_merged("SiteData", SiteCore, (f.site_fields for f in families)),
        defaults=_merged("DefaultsData", DefaultsCore, (f.defaults_fields for f in families)),
        families=families,
    )


class HostEntry(BaseModel):
    model_config = _MODEL
    hostname: ipaddress.IPv4Address | ipaddress.IPv6Address
    groups: tuple[str, ...] = Field(min_length=1)
    data: dict[str, Any]
    port: int | None = None
    platform: str | None = None

    @field_validator("hostname", mode="before")
    @classmethod
    def _address_only(cls, value: Any) -> Any:
        """Targets are IP addresses so the scope guard can reason about them (names go in `sni`)."""
        if not isinstance(value, str):
            raise MessageError(say("core.address_not_text"))
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise MessageError(say("core.not_an_address", value=value)) from None
        return value


def part(data: BaseModel, model: type[S]) -> S:
    """A family's view of merged data: the same object, typed as the family's own fields."""
    if not isinstance(data, model):
        raise TypeError(f"{type(data).__name__} does not carry the fields of {model.__name__}")
    return data


@dataclass(frozen=True)
class Site:
    name: str
    data: SiteCore

    def part(self, model: type[S]) -> S:
        return part(self.data, model)


@dataclass(frozen=True)
class Host:
    """A validated inventory host with the site it belongs to and the ports families declare on it."""

    name: str
    address: str
    site: Site
    data: HostCore
    declared: Mapping[int, str] = field(default_factory=dict)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role.value for role in self.data.roles)

    @property
    def declared_ports(self) -> frozenset[int]:
        return frozenset(self.declared)

    def part(self, model: type[S]) -> S:
        return part(self.data, model)


@dataclass(frozen=True)
class Inventory:
    directory: Path
    name: str
    sites: dict[str, Site]
    hosts: dict[str, Host]
    defaults: DefaultsCore
    nornir: Any = None  # the nornir Inventory the hosts came from (the runner's tasks run over it)
    source: str = DEFAULT_PLUGIN

    def resolve(self, path: Path | None) -> Path | None:
        """Paths in inventory files are relative to the inventory directory."""
        if path is None:
            return None
        return path if path.is_absolute() else (self.directory / path).resolve()

    def hosts_of(self, site: str) -> list[Host]:
        return [h for h in self.hosts.values() if h.site.name == site]

    def defaults_part(self, model: type[S]) -> S:
        return part(self.defaults, model)


Locate = Any  # callable (kind, name) -> Located | None, given by plugins that read files


def load_defaults(root: Path, problems: Problems | None = None) -> DefaultsCore:
    """The run-wide settings of defaults.yaml; with `problems`, mistakes are collected there and
    the engine's defaults stand in, so the rest of the inventory is still checked."""
    collected = problems if problems is not None else Problems()
    path = root / DEFAULTS_FILE
    tree = read_yaml(path, InventoryError, collected) if path.exists() else None
    node = tree.get("data", {}) if tree is not None else {}
    data = validate_node(models().defaults, path, node, ("data",), InventoryError, collected)
    core = part(data, DefaultsCore) if data is not None else DefaultsCore()
    known = default_catalogue().legal_bases
    if core.legal_basis is not None and core.legal_basis not in known:
        line = line_of(tree, ("data", "legal_basis")) if tree is not None else None
        what = say("core.unknown_legal_basis", value=core.legal_basis)
        todo = say("core.todo_choice", expected=", ".join(known))
        collected.add(Problem(str(path), line, "data.legal_basis", what, todo))
    if problems is None:
        collected.raise_if_any(InventoryError)
    return core


def load_inventory(
    directory: Path | str,
    plugin: str | None = None,
    plugin_options: Mapping[str, Any] | None = None,
    *,
    allow_wide_scope: bool = False,
) -> Inventory:
    """Validate an inventory: defaults from DIRECTORY/defaults.yaml, hosts and groups from the
    nornir inventory plugin (the defaults' `inventory_plugin`, or `plugin`, else P06Inventory).
    Every problem of every file is reported together (up to a limit), each with file, line, field,
    what is wrong and what to do; a subnet wider than a scan may be is one unless
    `allow_wide_scope`."""
    from p06audit.inventory_plugin import load_plugin_inventory  # nornir: imported when an inventory is read

    root = Path(directory)
    if not root.is_dir():
        raise InventoryError(str(root), None, None, say("core.not_an_inventory"), say("core.todo_inventory"))
    problems = Problems()
    defaults = load_defaults(root, problems)
    chosen = defaults.inventory_plugin
    name = plugin or (chosen.plugin if chosen else DEFAULT_PLUGIN)
    options = dict(plugin_options if plugin_options is not None else (chosen.options if chosen else {}))
    nornir_inventory, locate = load_plugin_inventory(name, options, root, problems)
    sites = _sites(nornir_inventory, locate, name, problems, strict=name == DEFAULT_PLUGIN)
    _check_scope(sites, locate, name, problems, allow_wide_scope)
    hosts = _hosts(nornir_inventory, locate, name, sites, problems)
    problems.raise_if_any(InventoryError)
    resolved = root.resolve()
    return Inventory(resolved, resolved.name, sites, hosts, defaults, nornir_inventory, name)


def _check_scope(
    sites: Mapping[str, Site], locate: Locate, plugin: str, problems: Problems, allow_wide: bool
) -> None:
    """Each site's subnets, judged by the scope guard before anything is scanned."""
    for name, site in sites.items():
        where = _where(locate, "group", name, plugin)
        data = where.node.get("data") if where.node is not None else None
        for index, reason in wide_scope_problems(site.data.subnets, allow_wide=allow_wide):
            line = line_of(data, ("subnets", index)) if data is not None else None
            problems.add(Problem(str(where.path), line, f"{name}.data.subnets.{index}", reason))


def _where(locate: Locate, kind: str, name: str, plugin: str) -> Any:
    """Where an entry came from: its file and node, or the plugin that gave it."""
    from p06audit.inventory_plugin import Located

    found = locate(kind, name) if locate is not None else None
    return found if found is not None else Located(f"inventory plugin {plugin}")


def _sites(
    nornir_inventory: Any, locate: Locate, plugin: str, problems: Problems, *, strict: bool
) -> dict[str, Site]:
    """Groups carrying a site's `kind` are sites; with P06Inventory every group must be one."""
    model = models().site
    sites: dict[str, Site] = {}
    for name, group in nornir_inventory.groups.items():
        data = dict(group.data)
        if not strict and "kind" not in data:
            continue
        where = _where(locate, "group", name, plugin)
        node = where.node.get("data", data) if where.node is not None else data
        validated = validate_node(model, Path(where.path), node, (name, "data"), InventoryError, problems)
        if validated is not None:
            sites[name] = Site(name, part(validated, SiteCore))
    return sites


def _hosts(
    nornir_inventory: Any, locate: Locate, plugin: str, sites: dict[str, Site], problems: Problems
) -> dict[str, Host]:
    """Every host validated; one naming a site that is itself invalid is checked but not blamed."""
    chosen = models()
    hosts: dict[str, Host] = {}
    seen: dict[str, str] = {}
    for name, entry in nornir_inventory.hosts.items():
        where = _where(locate, "host", name, plugin)
        path = Path(where.path)
        raw = where.node if where.node is not None else _as_entry(entry)
        checked = validate_node(HostEntry, path, raw, (name,), InventoryError, problems)
        data_node = raw.get("data", {}) if isinstance(raw, Mapping) else {}
        data = validate_node(chosen.host, path, data_node, (name, "data"), InventoryError, problems)
        if checked is None:
            continue
        site_names = [g for g in checked.groups if g in sites]
        unknown = [g for g in checked.groups if g not in nornir_inventory.groups]
        invalid_site = any(g in nornir_inventory.groups and g not in sites for g in checked.groups)
        if unknown or (len(site_names) != 1 and not invalid_site):
            what = (
                say("core.unknown_group", group=unknown[0])
                if unknown
                else say("core.one_site_group", groups=list(checked.groups))
            )
            todo = say("core.todo_group", sites=sorted(sites))
            problems.add(Problem(str(path), line_of(raw, ("groups",)), f"{name}.groups", what, todo))
            continue
        address = str(checked.hostname)
        if address in seen:
            what = say("core.address_taken", address=address, host=seen[address])
            todo = say("core.todo_address_taken")
            problems.add(Problem(str(path), line_of(raw, ("hostname",)), f"{name}.hostname", what, todo))
            continue
        seen[address] = name
        if data is None or len(site_names) != 1:
            continue
        core = part(data, HostCore)
        hosts[name] = Host(name, address, sites[site_names[0]], core, _declared(core, chosen.families))
    return hosts


def _as_entry(host: Any) -> dict[str, Any]:
    """A nornir host from any plugin as the mapping HostEntry validates."""
    entry: dict[str, Any] = {
        "hostname": host.hostname,
        "groups": [g.name for g in host.groups],
        "data": dict(host.data),
    }
    if host.port is not None:
        entry["port"] = host.port
    if host.platform is not None:
        entry["platform"] = host.platform
    return entry


def _declared(data: HostCore, families: Iterable[Family]) -> dict[int, str]:
    """Each port some family expects the host to serve, with what the family calls it."""
    declared: dict[int, str] = {}
    for family in families:
        if family.declared_ports is not None:
            declared.update(family.declared_ports(data))
    return dict(sorted(declared.items()))


def build_inventory(
    name: str,
    directory: Path,
    sites: Mapping[str, Mapping[str, Any]],
    defaults: Mapping[str, Any] | None = None,
) -> Inventory:
    """An inventory made in code (`p06audit certs` audits files named on its command line)."""
    chosen = models()
    try:
        built = {
            site: Site(site, part(chosen.site.model_validate(dict(data)), SiteCore))
            for site, data in sites.items()
        }
        values = part(chosen.defaults.model_validate(dict(defaults or {})), DefaultsCore)
    except ValueError as exc:
        raise UsageError(f"invalid option: {exc}") from None
    return Inventory(directory, name, built, {}, values, None, "command line")
