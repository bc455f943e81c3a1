"""The TLS family as the engine loads it: one sslyze scanner over every inventory TLS endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from p06audit.family import Family, Section
from p06audit.inventory import Host, HostCore, part


class TlsEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    port: int = Field(ge=1, le=65535)
    sni: str | None = None


class TlsHost(Section):
    """A host's `tls` endpoints."""

    tls: tuple[TlsEndpoint, ...] = ()


class TlsDefaults(Section):
    """Run-wide TLS settings in defaults.yaml: the national anchors and the expiry warning window."""

    trust_anchors: Path | None = None
    use_system_trust_store: bool = True
    tls_warn_days: int = Field(default=30, ge=0)


def has_tls(host: Host) -> bool:
    return bool(host.part(TlsHost).tls)


def declared_endpoints(data: HostCore) -> Mapping[int, str]:
    return {e.port: "tls" for e in part(data, TlsHost).tls}


FAMILY = Family(
    name="tls",
    package="p06audit.checks.tls",
    modules=("p06audit.checks.tls.sslyze_scan", "p06audit.checks.tls.rules"),
    host_fields=TlsHost,
    defaults_fields=TlsDefaults,
    needs={"tls": has_tls},
    declared_ports=declared_endpoints,
    lab="p06audit.checks.tls.lab",
)
