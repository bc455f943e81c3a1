"""Load a nornir SimpleInventory directory, validate it, and keep line numbers for errors.

The YAML is read once with ruamel (which records where every key sits) and validated with pydantic;
an invalid field is reported as `file:line: field 'x': problem`. nornir is then built from the same
directory so its threaded runner can drive per-host collectors.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from ruamel.yaml.comments import CommentedMap

from audit.errors import InventoryError
from audit.yamlfile import line_of, read_yaml, validate_node

INVENTORY_FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")
ENV_NAME_PATTERN = r"^[A-Z_][A-Z0-9_]*$"


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
Port = int


class TlsEndpoint(BaseModel):
    model_config = _MODEL
    port: Port = Field(ge=1, le=65535)
    sni: str | None = None


class Service(BaseModel):
    """A TCP service the host is declared to offer (NET-001 expects it reachable)."""

    model_config = _MODEL
    port: Port = Field(ge=1, le=65535)
    name: str = ""


class SshSpec(BaseModel):
    """SSH access. Credentials are references only: environment variable names or key-file paths."""

    model_config = _MODEL
    port: Port = Field(default=22, ge=1, le=65535)
    username: str | None = None
    username_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    password_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    key_file: Path | None = None
    key_passphrase_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)

    @property
    def has_credentials(self) -> bool:
        return bool((self.username or self.username_env) and (self.password_env or self.key_file))


class HostData(BaseModel):
    model_config = _MODEL
    roles: tuple[Role, ...] = Field(min_length=1)
    tls: tuple[TlsEndpoint, ...] = ()
    ssh: SshSpec | None = None
    services: tuple[Service, ...] = ()
    allowed_ports: tuple[Port, ...] | None = None
    description: str = ""


class SigningCertsSpec(BaseModel):
    """Where a site's officials' signing certificates, roster and trust anchors are."""

    model_config = _MODEL
    sources: tuple[Path, ...] = Field(min_length=1)
    roster: Path | None = None
    trust_anchors: Path | None = None
    crl_files: tuple[Path, ...] = ()
    pkcs12_password_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    # Days before expiry at which SIGN-002 reports; None keeps checks/signing/policy.yaml's windows.
    warn_days: tuple[int, ...] | None = Field(default=None, min_length=1)

    @field_validator("warn_days")
    @classmethod
    def _positive_days(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and any(d <= 0 for d in value):
            raise ValueError("warning windows are positive numbers of days")
        return value


class SiteData(BaseModel):
    model_config = _MODEL
    kind: SiteKind
    province: str = Field(min_length=1)
    security_level: int = Field(ge=1, le=5)
    subnets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    scanner: str = "local"
    signing_certs: SigningCertsSpec | None = None
    description: str = ""

    @field_validator("subnets", mode="before")
    @classmethod
    def _strict_networks(cls, value: Any) -> Any:
        if isinstance(value, list):
            for item in value:
                ipaddress.ip_network(str(item), strict=True)
        return value


class DefaultsData(BaseModel):
    model_config = _MODEL
    trust_anchors: Path | None = None
    use_system_trust_store: bool = True
    tls_warn_days: int = Field(default=30, ge=0)
    language: Literal["vi", "en"] = "vi"
    waivers: Path | None = None
    legal_basis: str | None = None

    @field_validator("legal_basis")
    @classmethod
    def _known_legal_basis(cls, value: str | None) -> str | None:
        """The report cites this basis (e.g. nd85-2016 or nd331-2026); a typo must not fall back silently."""
        from audit.guidance import default_catalogue

        known = default_catalogue().legal_bases
        if value is not None and value not in known:
            raise ValueError(f"unknown legal basis '{value}'; known: {', '.join(known)}")
        return value


class HostEntry(BaseModel):
    model_config = _MODEL
    hostname: ipaddress.IPv4Address | ipaddress.IPv6Address
    groups: tuple[str, ...] = Field(min_length=1)
    data: HostData
    port: int | None = None
    platform: str | None = None

    @field_validator("hostname", mode="before")
    @classmethod
    def _address_only(cls, value: Any) -> Any:
        """Targets are IP addresses so the scope guard can reason about them (names go in `sni`)."""
        if not isinstance(value, str):
            raise ValueError("must be an IP address written as a string")
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"'{value}' is not an IP address (put DNS names in tls[].sni)") from None
        return value


class GroupEntry(BaseModel):
    model_config = _MODEL
    data: SiteData
    groups: tuple[str, ...] = ()


class DefaultsEntry(BaseModel):
    model_config = _MODEL
    data: DefaultsData = Field(default_factory=DefaultsData)


@dataclass(frozen=True)
class Site:
    name: str
    data: SiteData


@dataclass(frozen=True)
class Host:
    """A validated inventory host with the site it belongs to."""

    name: str
    address: str
    site: Site
    data: HostData

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role.value for role in self.data.roles)

    @property
    def declared_ports(self) -> frozenset[int]:
        ports = {e.port for e in self.data.tls} | {s.port for s in self.data.services}
        if self.data.ssh is not None:
            ports.add(self.data.ssh.port)
        return frozenset(ports)


@dataclass(frozen=True)
class Inventory:
    directory: Path
    name: str
    sites: dict[str, Site]
    hosts: dict[str, Host]
    defaults: DefaultsData

    def resolve(self, path: Path | None) -> Path | None:
        """Paths in inventory files are relative to the inventory directory."""
        if path is None:
            return None
        return path if path.is_absolute() else (self.directory / path).resolve()

    def hosts_of(self, site: str) -> list[Host]:
        return [h for h in self.hosts.values() if h.site.name == site]


def _read(path: Path) -> CommentedMap:
    if not path.exists():
        if path.name == "defaults.yaml":
            return CommentedMap()
        raise InventoryError(str(path), None, None, "file is missing")
    return read_yaml(path, InventoryError)


def load_inventory(directory: Path | str) -> Inventory:
    """Validate every file of an inventory directory; raise InventoryError at the first problem."""
    root = Path(directory)
    if not root.is_dir():
        raise InventoryError(str(root), None, None, "is not an inventory directory")
    trees = {name: _read(root / name) for name in INVENTORY_FILES}
    defaults = validate_node(
        DefaultsEntry, root / "defaults.yaml", trees["defaults.yaml"], (), InventoryError
    ).data
    sites = _load_sites(root / "groups.yaml", trees["groups.yaml"])
    hosts = _load_hosts(root / "hosts.yaml", trees["hosts.yaml"], sites)
    return Inventory(root.resolve(), root.resolve().name, sites, hosts, defaults)


def _load_sites(path: Path, tree: CommentedMap) -> dict[str, Site]:
    sites: dict[str, Site] = {}
    for name, raw in tree.items():
        entry = validate_node(GroupEntry, path, raw, (str(name),), InventoryError)
        sites[str(name)] = Site(str(name), entry.data)
    return sites


def _load_hosts(path: Path, tree: CommentedMap, sites: dict[str, Site]) -> dict[str, Host]:
    hosts: dict[str, Host] = {}
    for name, raw in tree.items():
        entry = validate_node(HostEntry, path, raw, (str(name),), InventoryError)
        site_names = [g for g in entry.groups if g in sites]
        unknown = [g for g in entry.groups if g not in sites]
        if unknown or len(site_names) != 1:
            problem = (
                f"group '{unknown[0]}' is not defined in groups.yaml"
                if unknown
                else "a host must belong to exactly one site group"
            )
            line = line_of(tree, (str(name), "groups"))
            raise InventoryError(str(path), line, f"{name}.groups", problem)
        hosts[str(name)] = Host(str(name), str(entry.hostname), sites[site_names[0]], entry.data)
    _check_unique_addresses(hosts, path, tree)
    return hosts


def _check_unique_addresses(hosts: dict[str, Host], path: Path, tree: CommentedMap) -> None:
    seen: dict[str, str] = {}
    for host in hosts.values():
        if host.address in seen:
            line = line_of(tree, (host.name, "hostname"))
            problem = f"address {host.address} is already used by host '{seen[host.address]}'"
            raise InventoryError(str(path), line, f"{host.name}.hostname", problem)
        seen[host.address] = host.name


def build_nornir(inventory: Inventory, workers: int) -> Any:
    """A nornir object over the same (already validated) files, with the threaded runner."""
    from nornir import InitNornir

    return InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": workers}},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(inventory.directory / "hosts.yaml"),
                "group_file": str(inventory.directory / "groups.yaml"),
                "defaults_file": str(inventory.directory / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )
