"""A check family for these tests only: read each declared service's greeting, waiting at most the
run's timeout. Its timing is deterministic (a silent service costs exactly one timeout), so a
scanner can be killed in the middle of a site, whatever the real families' probes cost.

It registers through the ordinary decorators when imported, which only `bootstrap.py` does, in the
subprocesses it runs: the pytest process's registry never holds it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from audit.inventory import Host
from audit.model import Observation, Outcome, Severity, Status
from audit.registry import CollectContext, RuleContext, check, collector
from audit.runner import host_target
from tests.distributed.names import CHECK_ID


@dataclass(frozen=True)
class Greeting(Observation):
    port: int
    text: str


@collector(family="dprobe", produces=[Greeting], per_host=True)
def read_greetings(host: Host, ctx: CollectContext) -> list[Observation]:
    seen: list[Observation] = []
    for service in host.data.services:
        with socket.create_connection((host.address, service.port), timeout=ctx.options.timeout) as conn:
            try:
                text = conn.recv(256).decode(errors="replace").strip()
            except TimeoutError:
                text = ""
        seen.append(Greeting(host_target(host, port=service.port), service.port, text))
    return seen


@check(
    id=CHECK_ID,
    title="Service greets its clients",
    severity=Severity.LOW,
    controls=["VN-NET-02"],
    remediation="Test family only.",
    observes=Greeting,
)
def greets(obs: Greeting, ctx: RuleContext) -> Outcome:
    if obs.text:
        return Outcome(Status.PASS, f"port {obs.port} greets", {"greeting": obs.text})
    return Outcome(Status.WARN, f"port {obs.port} stayed silent", {"greeting": ""})
