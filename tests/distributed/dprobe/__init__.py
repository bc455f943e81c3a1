"""A check family for these tests only: read each declared service's greeting, waiting at most the
run's timeout. Its timing is deterministic (a silent service costs exactly one timeout), so a
scanner can be killed in the middle of a site, whatever the real families' probes cost.

Importing it registers nothing: only `bootstrap.py` adds `FAMILY` to the registry, in the
subprocesses it runs, so the pytest process's registry never holds it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from p06audit.family import Family
from p06audit.inventory import Host
from p06audit.model import Observation, Outcome, Status
from p06audit.registry import CollectContext, RuleContext, collects, rule
from p06audit.runner import host_target
from p06audit.text import say

CHECK_ID = "DPROBE-001"
FAMILY = Family(name="dprobe", package=__name__, modules=(__name__,))


@dataclass(frozen=True)
class Greeting(Observation):
    port: int
    text: str


@collects(Greeting, per_host=True)
def read_greetings(host: Host, ctx: CollectContext) -> list[Observation]:
    seen: list[Observation] = []
    for port in sorted(host.declared):
        with socket.create_connection((host.address, port), timeout=ctx.options.timeout) as conn:
            try:
                text = conn.recv(256).decode(errors="replace").strip()
            except TimeoutError:
                text = ""
        seen.append(Greeting(host_target(host, port=port), port, text))
    return seen


@rule(CHECK_ID, observes=Greeting)
def greets(obs: Greeting, ctx: RuleContext) -> Outcome:
    if obs.text:
        return Outcome(Status.PASS, say(f"{CHECK_ID}.greets", port=obs.port), {"greeting": obs.text})
    return Outcome(Status.WARN, say(f"{CHECK_ID}.silent", port=obs.port), {"greeting": ""})
