"""The loopback lab: real servers on their own 127.0.x.y addresses for tests and the demo.

Scenario modules each expose `build(ctx) -> list[LabServer]`: the engine's own under
`p06audit.lab.scenarios`, and each family's named by its Family object (`lab=`), so a family adds
scenarios without touching this file. Address plan (third octet):
1 foundation, 2 TLS, 3 network, 4 SSH, 5 signing PKI, 6 reports, 7 scheduling/mail, 8 benchmarks.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import pkgutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from types import FrameType
from typing import Any

from p06audit.errors import AuditError
from p06audit.lab.pki import LabPki
from p06audit.lab.servers import LabServer

log = logging.getLogger(__name__)
STATE_FILE = "lab.json"


class LabError(AuditError):
    """The lab could not start or stop."""


@dataclass
class LabContext:
    workdir: Path
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @cached_property
    def pki(self) -> LabPki:
        return LabPki(self.workdir / "pki", self.now)


def scenario_modules() -> dict[str, str]:
    """Scenario name -> module: the engine's own scenarios, then one per family that has a lab."""
    from p06audit.lab import scenarios
    from p06audit.registry import REGISTRY

    found = {m.name: f"{scenarios.__name__}.{m.name}" for m in pkgutil.iter_modules(scenarios.__path__)}
    found |= {name: family.lab for name, family in REGISTRY.discover().items() if family.lab}
    return dict(sorted(found.items()))


class Lab:
    """Builds the servers of the chosen scenario modules (all by default) and runs them in-process."""

    def __init__(self, workdir: Path, only: Iterable[str] | None = None, now: datetime | None = None) -> None:
        self.context = LabContext(Path(workdir).resolve(), now or datetime.now(UTC))
        self.context.workdir.mkdir(parents=True, exist_ok=True)
        known = scenario_modules()
        chosen = list(only) if only is not None else list(known)
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise LabError(f"unknown lab scenario modules {unknown}; known: {list(known)}")
        self.modules = {name: known[name] for name in chosen}
        self.servers: list[LabServer] = []

    def up(self) -> Lab:
        try:
            for module_name in self.modules.values():
                module = importlib.import_module(module_name)
                for server in module.build(self.context):
                    try:
                        server.start()
                    except Exception as exc:
                        where = f"{server.name} on {server.address}:{server.port}"
                        raise LabError(f"lab server {where} failed to start: {exc}") from exc
                    self.servers.append(server)
        except Exception as exc:
            self.down()
            raise exc if isinstance(exc, LabError) else LabError(f"lab failed to start: {exc}") from exc
        return self

    def down(self) -> None:
        for server in reversed(self.servers):
            try:
                server.stop()
            except Exception:  # a stop failure must not keep the other servers running
                log.exception("stopping lab server %s failed", server.name)
        self.servers.clear()

    def describe(self) -> list[dict[str, Any]]:
        return [s.describe() for s in self.servers]

    def __enter__(self) -> Lab:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()


def _state(workdir: Path) -> dict[str, Any] | None:
    path = workdir / STATE_FILE
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _alive(pid: int) -> bool:
    """True while the process runs; reaps it first when it is our own exited child (no zombie wait)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def status(workdir: Path) -> dict[str, Any] | None:
    state = _state(workdir)
    if state is None or not _alive(int(state["pid"])):
        return None
    return state


def start_background(workdir: Path, only: Iterable[str] | None = None, wait: float = 60.0) -> dict[str, Any]:
    """Start the lab as a detached process that outlives this command (`p06audit lab up`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    running = status(workdir)
    if running is not None:
        return running
    (workdir / STATE_FILE).unlink(missing_ok=True)
    args = [sys.executable, "-m", "p06audit.lab", "serve", "--workdir", str(workdir)]
    for module in only or ():
        args += ["--only", module]
    with (workdir / "lab.log").open("ab") as logfile:
        process = subprocess.Popen(args, stdout=logfile, stderr=logfile, start_new_session=True)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        state = _state(workdir)
        if state is not None:
            return state
        if process.poll() is not None:
            tail = (workdir / "lab.log").read_text(errors="replace")[-2000:]
            raise LabError(f"lab process exited with code {process.returncode}:\n{tail}")
        time.sleep(0.1)
    process.terminate()
    raise LabError(f"lab did not become ready within {wait:.0f} s (see {workdir / 'lab.log'})")


def stop_background(workdir: Path, wait: float = 30.0) -> bool:
    """Stop a background lab by its PID; True if one was running."""
    state = _state(workdir)
    if state is None:
        return False
    pid = int(state["pid"])
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    (workdir / STATE_FILE).unlink(missing_ok=True)
    return True


def serve(workdir: Path, only: Iterable[str] | None) -> None:
    """Foreground body of the background lab process: start, publish state, wait for SIGTERM."""
    lab = Lab(workdir, only).up()
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    state = {"pid": os.getpid(), "started": lab.context.now.isoformat(), "servers": lab.describe()}
    tmp = workdir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(workdir / STATE_FILE)
    try:
        while not stopping:
            time.sleep(0.2)
    finally:
        lab.down()
