"""The network exposure policy (policy.yaml beside this file), validated once and shared.

Both sides read it: collect.py scans the union of every port named here, and rules.py judges what
was seen against the same lists, so a port the policy cares about is never missing from the scan.
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from p06audit.inventory import Role, SiteKind
from p06audit.yamlfile import load_packaged

_STRICT = ConfigDict(extra="forbid", frozen=True)
Port = int


class PortGroup(BaseModel):
    model_config = _STRICT
    ports: tuple[Port, ...]
    source: str = Field(min_length=1)


class RoleAllowance(PortGroup):
    why: str = Field(min_length=1)


class LegacyService(PortGroup):
    service: str = Field(min_length=1)


class HttpRedirectRule(PortGroup):
    roles: frozenset[Role]


class ExposureRule(PortGroup):
    site_kinds: frozenset[SiteKind]
    roles: frozenset[Role]


class NetworkPolicy(BaseModel):
    model_config = _STRICT
    role_allowlists: dict[Role, RoleAllowance]
    cleartext_ports: tuple[LegacyService, ...]
    http_redirect: HttpRedirectRule
    admin_db_ports: ExposureRule
    watch_ports: PortGroup

    def allowed_for_roles(self, roles: frozenset[str]) -> frozenset[int]:
        return frozenset(
            p for role, a in self.role_allowlists.items() if role.value in roles for p in a.ports
        )

    def legacy_service(self, port: int) -> LegacyService | None:
        return next((s for s in self.cleartext_ports if port in s.ports), None)

    def scan_ports(self) -> frozenset[int]:
        """Every port some rule needs to see."""
        groups: list[PortGroup] = [
            *self.role_allowlists.values(),
            *self.cleartext_ports,
            self.http_redirect,
            self.admin_db_ports,
            self.watch_ports,
        ]
        return frozenset(p for g in groups for p in g.ports)


@cache
def load_policy() -> NetworkPolicy:
    return load_packaged(__package__, "policy.yaml", NetworkPolicy)
