"""`p06audit lab up|status|down` runs real servers in a background process, stopped by PID."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from p06audit.lab.servers import BannerListener


def p06audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "p06audit", *args], capture_output=True, text=True, timeout=120
    )


def reachable(address: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((address, port)) == 0


@pytest.mark.usefixtures("no_labs_running")
def test_lab_up_status_down(tmp_path: Path) -> None:
    workdir = tmp_path / "lab"
    up = p06audit("lab", "up", "--only", "core", "--workdir", str(workdir))
    try:
        assert up.returncode == 0, up.stderr
        assert "core-app-service" in up.stdout
        assert reachable("127.0.1.3", 8080)
        assert (workdir / "pki" / "lab-root.pem").exists()
        status = p06audit("lab", "status", "--workdir", str(workdir))
        assert status.returncode == 0 and "127.0.1.2" in status.stdout
    finally:
        down = p06audit("lab", "down", "--workdir", str(workdir))
    assert down.returncode == 0 and "lab stopped" in down.stdout
    assert not reachable("127.0.1.3", 8080)
    assert p06audit("lab", "status", "--workdir", str(workdir)).returncode == 1


@pytest.mark.parametrize("address", ["0.0.0.0", "192.0.2.10", "10.1.2.3"])
def test_lab_refuses_non_loopback(address: str) -> None:
    with pytest.raises(ValueError, match=r"only 127\.0\.0\.0/8"):
        BannerListener("x", address, 9)


def test_no_lab_process_left_behind(tmp_path: Path) -> None:
    assert p06audit("lab", "down", "--workdir", str(tmp_path)).stdout.strip() == "no lab was running"
    assert os.listdir(tmp_path) == []


@pytest.mark.usefixtures("no_labs_running")
def test_stopping_our_own_background_lab_reaps_it(tmp_path: Path) -> None:
    from p06audit import lab

    state = lab.start_background(tmp_path / "lab", ["core"])
    assert lab.stop_background(tmp_path / "lab")
    with pytest.raises(ChildProcessError):
        os.waitpid(int(state["pid"]), os.WNOHANG)
    assert lab.status(tmp_path / "lab") is None
