"""The network family as the engine loads it: one nmap sweep per site, judged against port policy."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from p06audit.family import Family, FamilyOptions, RunOption, Section
from p06audit.inventory import HostCore, part


class Service(BaseModel):
    """A TCP service the host is declared to offer (NET-001 expects it reachable)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    port: int = Field(ge=1, le=65535)
    name: str = ""


class NetworkHost(Section):
    """A host's `services` and, to replace its roles' allowlists, `allowed_ports`."""

    services: tuple[Service, ...] = ()
    allowed_ports: tuple[int, ...] | None = None


class NetworkOptions(FamilyOptions):
    extra_ports: tuple[int, ...] = ()
    service_detection: bool = False


def positive_ports(text: str) -> tuple[int, ...]:
    """`8443,9000` as ports, each 1..65535 (argparse shows the ValueError's words)."""
    try:
        ports = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of ports") from None
    if not all(1 <= p <= 65535 for p in ports):
        raise argparse.ArgumentTypeError("ports must be between 1 and 65535")
    return ports


def declared_services(data: HostCore) -> Mapping[int, str]:
    return {s.port: s.name or "service" for s in part(data, NetworkHost).services}


FAMILY = Family(
    name="network",
    package="p06audit.checks.network",
    modules=("p06audit.checks.network.collect", "p06audit.checks.network.rules"),
    host_fields=NetworkHost,
    declared_ports=declared_services,
    options=NetworkOptions,
    run_options=(
        RunOption(
            "--ports",
            "extra_ports",
            "extra TCP ports to scan, e.g. 8443,9000",
            parse=positive_ports,
            metavar="LIST",
        ),
        RunOption(
            "--service-detection",
            "service_detection",
            "nmap -sV service/version detection",
            action="store_true",
        ),
    ),
    lab="p06audit.checks.network.lab",
)
