"""Real Redis and PostgreSQL on 127.0.0.1 for the national-scale tests and benchmark.

Each server gets its own data directory under a temporary directory and a non-default port (the
first free one from 6390 / 5440, so a second test run beside this one still works), binds 127.0.0.1
only, and is stopped by its PID when the context ends.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from p06audit.distributed import ENV_BROKER_PASSWORD

POSTGRES_USER = "p06audit"


def free_port(first: int) -> int:
    """The first port from `first` on that nobody listens on at 127.0.0.1."""
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


@contextmanager
def redis_running(workdir: Path) -> Iterator[RedisServer]:
    """Debian's redis-server with a password (from an owner-only config file, not the command line)."""
    port, password = free_port(6390), secrets.token_urlsafe(18)
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


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (Debian package 'postgresql')")
    return found[-1].parent


def as_postgres_user() -> list[str]:
    """initdb and the server refuse to run as root; root (as in CI) runs them as `postgres`."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@contextmanager
def postgres_running() -> Iterator[str]:
    """A throw-away PostgreSQL cluster with password (SCRAM) login; its `postgresql://` URL."""
    bindir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="p06audit-pg-"))  # under /tmp: pytest's dirs are root-only
    data, password = root / "data", secrets.token_urlsafe(18)
    (root / "pwfile").write_text(password)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(root / "pwfile", "postgres", "postgres")
    port = free_port(5440)
    run_as = as_postgres_user()
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", POSTGRES_USER, "-A", "scram-sha-256"]
    initdb += [f"--pwfile={root / 'pwfile'}", "-E", "UTF8", "--no-instructions"]
    subprocess.run([*run_as, *initdb], check=True, capture_output=True)
    server = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root}"
    pg_ctl = [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
    try:
        subprocess.run(
            [*pg_ctl, "-l", str(root / "server.log"), "-o", server, "start"], check=True, capture_output=True
        )
        yield f"postgresql://{POSTGRES_USER}:{password}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
