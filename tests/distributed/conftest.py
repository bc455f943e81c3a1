"""Real Redis (and PostgreSQL) on 127.0.0.1 for the national-scale tests, started and stopped here.

Each server gets its own data directory under a temporary directory and a non-default port; it binds
127.0.0.1 only and is stopped by its PID at the end of the session. Scanners run as real
`p06audit worker` subprocesses (through `bootstrap.py`, which adds the `dprobe` test family).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from audit.distributed import ENV_BROKER_PASSWORD
from audit.lab import Lab
from audit.model import Run
from tests.conftest import host, site, write_inventory_files

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = [sys.executable, "-m", "tests.distributed.bootstrap"]
SERVICE = [{"port": 8080, "name": "application"}]


def free_port(first: int) -> int:
    """The first port from `first` on that nobody listens on at 127.0.0.1 (another test run may)."""
    for port in range(first, first + 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}..{first + 49}")


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.1)


@dataclass
class RedisServer:
    port: int
    password: str
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """The broker URL as configs hold it: the password travels separately, in the environment."""
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password)

    def env(self, state_dir: Path) -> dict[str, str]:
        return {**os.environ, ENV_BROKER_PASSWORD: self.password, "P06AUDIT_STATE_DIR": str(state_dir)}


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    workdir = tmp_path_factory.mktemp("redis")
    port = free_port(6390)
    password = secrets.token_urlsafe(18)
    config = workdir / "redis.conf"
    config.write_text(
        f'bind 127.0.0.1\nport {port}\nprotected-mode yes\ndir {workdir}\nsave ""\nappendonly no\n'
        f"logfile {workdir / 'redis.log'}\nrequirepass {password}\n"
    )
    config.chmod(0o600)
    process = subprocess.Popen(
        ["redis-server", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    server = RedisServer(port, password, process)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited: {(workdir / 'redis.log').read_text()}")
        try:
            return bool(server.client().ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, 20, "redis-server start")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)


POSTGRES_USER = "p06audit"


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (Debian package 'postgresql')")
    return found[-1].parent


def as_postgres_user() -> list[str]:
    """initdb and the server refuse to run as root; root (as in CI) runs them as `postgres`."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on 127.0.0.1 with password (SCRAM) login; its SQLAlchemy URL."""
    bindir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="p06audit-pg-"))  # under /tmp: pytest's dirs are root-only
    data, password = root / "data", secrets.token_urlsafe(18)
    (root / "pwfile").write_text(password)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(root / "pwfile", "postgres", "postgres")
    port = free_port(5440)
    run_as = as_postgres_user()
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            POSTGRES_USER,
            "-A",
            "scram-sha-256",
            f"--pwfile={root / 'pwfile'}",
            "-E",
            "UTF8",
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
    )
    server = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root}"
    pg_ctl = [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
    subprocess.run(
        [*pg_ctl, "-l", str(root / "server.log"), "-o", server, "start"], check=True, capture_output=True
    )
    try:
        yield f"postgresql://{POSTGRES_USER}:{password}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


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
            *BOOTSTRAP,
            "cli",
            "worker",
            "--queue",
            queue,
            "--inventory",
            str(inventory),
            "--broker",
            self.redis.url,
            "--name",
            name,
            "--visibility-timeout",
            str(visibility_timeout),
        ]
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
    from audit.lab.scenarios.distributed import GREETING_HOSTS, SILENT_HOSTS

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
    return Run.model_validate_json(out.read_text())


def audit_in_subprocess(mode: str, inventory: Path, out: Path, redis: RedisServer, *extra: str) -> Run:
    return finish_audit(start_audit(mode, inventory, out, redis, *extra), out)


def tally(run: Run, site_name: str | None = None) -> Counter[tuple[str, str, str, str]]:
    """What a run found, scanner aside: (check, target, status, severity) with how often each."""
    return Counter(
        (f.check_id, f.target.key, f.status.value, f.severity.value)
        for f in run.findings
        if site_name is None or f.site == site_name
    )
