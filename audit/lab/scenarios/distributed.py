"""National-scale scenarios on 127.0.8.200-254: small province sites for Celery scanners.

Each province has an application service that greets its clients and one that accepts TCP and
stays silent, so auditing it takes the run's timeout: long enough to kill a scanner mid-task.
(127.0.8.1-199 stay free for the benchmarks.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from p06audit.lab.servers import BannerListener, LabServer, SilentListener

if TYPE_CHECKING:
    from p06audit.lab import LabContext

SERVICE_PORT = 8080
GREETING_HOSTS = {
    "prov-a-app": "127.0.8.201",
    "prov-b-app": "127.0.8.211",
    "prov-c-app": "127.0.8.221",
    "prov-local-app": "127.0.8.231",
    "prov-d-app": "127.0.8.241",
    "prov-k-app": "127.0.8.252",
}
SILENT_HOSTS = {
    "prov-a-stall": "127.0.8.202",
    "prov-b-stall": "127.0.8.212",
    "prov-k-stall": "127.0.8.251",
}


def build(ctx: LabContext) -> list[LabServer]:
    greeting = [
        BannerListener(
            name,
            address,
            SERVICE_PORT,
            banner=f"p06 {name} ready\r\n".encode(),
            description="application service that greets its clients",
        )
        for name, address in GREETING_HOSTS.items()
    ]
    silent: list[LabServer] = [
        SilentListener(name, address, SERVICE_PORT) for name, address in SILENT_HOSTS.items()
    ]
    return [*greeting, *silent]
