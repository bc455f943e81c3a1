"""What the network sweep saw: ports per declared host, and addresses nobody declared.

A sweep that failed for a site is recorded by the collector as `CollectionFailed` for each of these
types (per host, and per site for the subnet sweep), so every NET check reports ERROR with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from p06audit.model import Observation

OPEN = "open"


@dataclass(frozen=True)
class PortSeen:
    """One scanned TCP port: nmap's state and, where known, what answered there."""

    port: int
    state: str
    protocol: str = "tcp"
    service: str = ""
    product: str = ""
    version: str = ""
    extra_info: str = ""
    banner: str = ""
    detected: bool = False

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def evidence(self) -> dict[str, Any]:
        """Only the facts that are known, so an officer reads what was seen, not empty fields."""
        seen: dict[str, Any] = {"port": self.port, "protocol": self.protocol, "state": self.state}
        for key in ("service", "product", "version", "extra_info", "banner"):
            if value := getattr(self, key):
                seen[key] = value
        if self.service and not self.detected:
            seen["service_source"] = "nmap port table (guess; use --service-detection to probe)"
        return seen


@dataclass(frozen=True)
class HttpProbe:
    """The answer to `GET /` over plain HTTP, fetched to see whether it redirects to HTTPS."""

    port: int
    status: int | None = None
    location: str = ""
    error: str = ""

    @property
    def redirects_to_https(self) -> bool:
        return self.status in {301, 302, 303, 307, 308} and self.location.lower().startswith("https://")

    def evidence(self) -> dict[str, Any]:
        if self.error:
            return {"port": self.port, "request": "GET /", "error": self.error}
        return {"port": self.port, "request": "GET /", "status": self.status, "location": self.location}


@dataclass(frozen=True)
class HostPorts(Observation):
    """The scan of one declared host: every port of the scanned set, with state."""

    scanned: tuple[int, ...]
    ports: tuple[PortSeen, ...]
    service_detection: bool
    http: tuple[HttpProbe, ...] = ()

    @property
    def open_ports(self) -> tuple[PortSeen, ...]:
        return tuple(p for p in self.ports if p.is_open)

    def port(self, number: int) -> PortSeen | None:
        return next((p for p in self.ports if p.port == number), None)

    def http_probe(self, port: int) -> HttpProbe | None:
        return next((h for h in self.http if h.port == port), None)


@dataclass(frozen=True)
class UnmanagedAddress:
    """An address inside a site subnet, declared by no inventory host, that has open ports."""

    address: str
    ports: tuple[PortSeen, ...]


@dataclass(frozen=True)
class SubnetSweep(Observation):
    """The sweep of a site's subnets: one per unmanaged address found, or one with `unmanaged=None`
    when every address that answered is in the inventory (so the check can say PASS)."""

    subnets: tuple[str, ...]
    scanned: tuple[int, ...]
    unmanaged: UnmanagedAddress | None
