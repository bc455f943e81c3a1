"""Session fixtures for the national-scale tests: real Redis and PostgreSQL on 127.0.0.1 (started
here, stopped at the end: `make test` needs no extra step), the `distributed` lab scenario, and
scanners as real `p06audit worker` subprocesses (through `bootstrap.py`, which adds the `dprobe`
test family).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from p06audit.lab import Lab
from p06audit.lab.scenarios.distributed import GREETING_HOSTS, SILENT_HOSTS
from p06audit.model import Finding, Run
from p06audit.records import RunRecord
from tests.conftest import host, site, write_inventory_files
from tests.distributed.services import RedisServer, postgres_running, redis_running, wait_until

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = [sys.executable, "-m", "tests.distributed.bootstrap"]
SERVICE = [{"port": 8080, "name": "application"}]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_running(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_running() as url:
        yield url


@dataclass
class Scanner:
    """A `p06audit worker` subprocess in its own process group (SIGKILL takes its pool with it)."""

    queue: str
    name: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        wait_until(lambda: text in self.log() or self.process.poll() is not None, timeout, f"log {text!r}")
        assert text in self.log(), f"scanner {self.name} exited ({self.process.returncode}):\n{self.log()}"

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Scanners:
    redis: RedisServer
    workdir: Path
    started: list[Scanner] = field(default_factory=list)

    def start(self, queue: str, name: str, inventory: Path, visibility_timeout: float = 60) -> Scanner:
        log_path = self.workdir / f"{name.replace('@', '-')}.log"
        args = [
            *BOOTSTRAP, "cli", "worker", "--queue", queue, "--inventory", str(inventory),
            "--broker", self.redis.url, "--name", name, "--visibility-timeout", str(visibility_timeout),
        ]  # fmt: skip
        with log_path.open("wb") as out:
            process = subprocess.Popen(
                args,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=self.redis.env(self.workdir / f"state-{queue}"),
            )
        scanner = Scanner(queue, name, log_path, process)
        self.started.append(scanner)
        return scanner

    def stop_all(self) -> None:
        for scanner in self.started:
            scanner.stop()


@pytest.fixture(scope="module")
def scanners(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanners]:
    pool = Scanners(redis_server, tmp_path_factory.mktemp("scanners"))
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def national_lab(lab_factory: Callable[[str], Lab]) -> Lab:
    return lab_factory("distributed")


def province_inventory(directory: Path, routes: dict[str, str], hosts: dict[str, str]) -> Path:
    """Sites named by `routes` (site -> scanner queue, "local" for this process), `hosts` name -> site;
    every host offers the lab's application service on 8080."""
    addresses = {**GREETING_HOSTS, **SILENT_HOSTS}
    groups = {name: site(scanner=queue) for name, queue in routes.items()}
    entries = {
        name: host(addresses[name], group, ["app_server"], services=SERVICE) for name, group in hosts.items()
    }
    return write_inventory_files(directory, groups, entries)


def start_audit(
    mode: str, inventory: Path, out: Path, redis: RedisServer, *extra: str
) -> subprocess.Popen[str]:
    """`bootstrap national|local` as a subprocess writing its Run as JSON to `out`."""
    args = [*BOOTSTRAP, mode, str(inventory), str(out), *extra]
    if mode == "national":
        args += ["--broker", redis.url]
    return subprocess.Popen(
        args,
        cwd=REPO,
        env=redis.env(out.parent / "state"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_audit(process: subprocess.Popen[str], out: Path, timeout: float = 120) -> Run:
    """The Run a `start_audit` process wrote (fails the test with its output otherwise)."""
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-4000:]
    return RunRecord.model_validate_json(out.read_text()).to_run()


def audit_in_subprocess(mode: str, inventory: Path, out: Path, redis: RedisServer, *extra: str) -> Run:
    return finish_audit(start_audit(mode, inventory, out, redis, *extra), out)


def answering(findings: list[Finding]) -> dict[tuple[str, str | None], Finding]:
    """Findings by (check, host); a host not examined answers, with its root cause, for every
    check it blocked (as a local run would list them had the host been reachable)."""
    return {(check, f.target.host): f for f in findings for check in f.blocked or (f.check_id,)}


def tally(run: Run, site_name: str | None = None) -> Counter[tuple[str, str, str, str]]:
    """What a run found, scanner aside: (check, target, status, severity) with how often each."""
    return Counter(
        (f.check_id, f.target.key, f.status.value, f.severity.value)
        for f in run.findings
        if site_name is None or f.site == site_name
    )
