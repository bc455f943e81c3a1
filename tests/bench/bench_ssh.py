"""Benchmark: p06audit's SSH family vs ssh-audit over 12 lab sshd endpoints on 127.0.8.41-52.

    .venv/bin/python tests/bench/bench_ssh.py [--rounds 5]

Starts real OpenSSH sshd processes (hardened, weak, middling, legacy-only configs from the SSH lab),
then per round: p06audit (SSH-001..007, fresh state dir) in a fresh Python process, so imports and
start-up count as they do for ssh-audit, and ssh-audit run on each endpoint in turn. Prints wall
medians, the ratio (target <= 0.5x) and compares the verdicts both tools give every offered
key-exchange, host-key, cipher and MAC algorithm, printing each disagreement.
Needs root (sshd), touches only 127.0.8.x.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from p06audit.checks.ssh.lab import LEGACY_ONLY, MIDDLING, WEAK  # noqa: E402
from p06audit.checks.ssh.lab_sshd import HARDENED, LAB_SSH_PORT, SshdServer  # noqa: E402

PROFILES = {
    "hardened": (["ed25519", "ecdsa256", "rsa3072"], HARDENED),
    "weak": (["rsa2048", "dsa"], WEAK),
    "middling": (["rsa2048"], MIDDLING),
    "legacy": (["rsa1024"], LEGACY_ONLY),
}
ENDPOINTS = [(f"127.0.8.{41 + i}", profile) for i, profile in enumerate(list(PROFILES) * 3)]
SSH_CHECKS = [f"SSH-{n:03d}" for n in range(1, 8)]
TIMEOUT = 5.0

# ssh-audit's first note on an algorithm's line is its worst: fail > warn > info.
SSH_AUDIT_LINE = re.compile(r"^\((kex|key|enc|mac)\) (\S+)(?: \(\d+-bit\))?\s+-- \[(fail|warn|info)\]")
THEIRS = {"fail": "weak", "warn": "legacy", "info": "ok"}
KIND_OF_CHECK = {"SSH-002": "kex", "SSH-003": "enc", "SSH-004": "mac"}

# The child process: `full` loads every installed family (a plain `p06audit run`); `ssh` loads only the
# SSH family through the same loader `p06audit run --family ssh` uses.
CHILD = """
import json, sys
from pathlib import Path
from p06audit.inventory import load_inventory
from p06audit.options import RunOptions
from p06audit.records import RunRecord
from p06audit.runner import Runner
families = None if sys.argv[3] == "full" else frozenset({{"ssh"}})
options = RunOptions(timeout={timeout}, state_dir=Path(sys.argv[2]), checks=frozenset({checks!r}),
                     families=families)
run = Runner(load_inventory(sys.argv[1]), options).execute()
print(RunRecord.of(run).model_dump_json(include={{"findings"}}))
"""


def start_servers(workdir: Path) -> list[SshdServer]:
    servers = []
    for address, profile in ENDPOINTS:
        keys, options = PROFILES[profile]
        server = SshdServer(f"bench-{address}", address, workdir, keys, options, f"bench {profile}")
        server.start()
        servers.append(server)
    return servers


def write_inventory(directory: Path) -> Path:
    directory.mkdir(parents=True)
    groups = {"bench": {"data": {"kind": "provincial_dc", "province": "Bench", "security_level": 3}}}
    hosts = {
        f"{profile}-{address.rsplit('.', 1)[1]}": {
            "hostname": address,
            "groups": ["bench"],
            "data": {"roles": ["app_server"], "ssh": {"port": LAB_SSH_PORT}},
        }
        for address, profile in ENDPOINTS
    }
    (directory / "groups.yaml").write_text(yaml.safe_dump(groups))
    (directory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (directory / "defaults.yaml").write_text("data: {}\n")
    return directory


def run_p06audit(inventory: Path, state: Path, plugins: str) -> tuple[float, list[dict[str, Any]]]:
    code = CHILD.format(timeout=TIMEOUT, checks=SSH_CHECKS)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, str(inventory), str(state), plugins],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started, json.loads(done.stdout)["findings"]


def run_in_process(inventory: Path, state: Path) -> float:
    from p06audit.inventory import load_inventory
    from p06audit.options import RunOptions
    from p06audit.runner import Runner

    options = RunOptions(timeout=TIMEOUT, state_dir=state, checks=frozenset(SSH_CHECKS))
    started = time.perf_counter()
    Runner(load_inventory(inventory), options).execute()
    return time.perf_counter() - started


def run_ssh_audit_threaded(targets: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["ssh-audit", "-n", "-t", str(int(TIMEOUT)), "-T", str(targets), "--threads", str(len(ENDPOINTS))],
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started


def run_ssh_audit() -> tuple[float, dict[str, str]]:
    started = time.perf_counter()
    outputs = {
        address: subprocess.run(
            ["ssh-audit", "-n", "-t", str(int(TIMEOUT)), "-p", str(LAB_SSH_PORT), address],
            capture_output=True,
            text=True,
        ).stdout
        for address, _ in ENDPOINTS
    }
    return time.perf_counter() - started, outputs


def ssh_audit_verdicts(text: str) -> dict[tuple[str, str], str]:
    found = {}
    for line in text.splitlines():
        match = SSH_AUDIT_LINE.match(line)
        if match:
            found.setdefault((match.group(1), match.group(2)), THEIRS[match.group(3)])
    return found


def our_verdicts(findings: list[dict[str, Any]], address: str) -> dict[tuple[str, str], str]:
    mine = [f for f in findings if f["target"]["address"] == address]
    verdicts: dict[tuple[str, str], str] = {}
    for finding in mine:
        kind = KIND_OF_CHECK.get(finding["check_id"])
        if kind:
            for item in finding["evidence"].get("offered", []):
                verdicts[(kind, item["name"])] = item["verdict"]
        if finding["check_id"] == "SSH-005":
            sizes = {k["type"]: k["verdict"] for k in finding["evidence"].get("keys", [])}
            for item in finding["evidence"].get("algorithms", []):
                size = sizes.get("ssh-rsa" if "rsa" in item["name"] else item["name"], "PASS")
                worst = "weak" if size == "FAIL" else "legacy" if size == "WARN" else "ok"
                verdicts[("key", item["name"])] = item["verdict"] if item["verdict"] != "ok" else worst
    return {k: v for k, v in verdicts.items() if v != "signal"}


def compare(findings: list[dict[str, Any]], outputs: dict[str, str]) -> None:
    exact = flagged = total = 0
    disagreements = []
    for address, profile in ENDPOINTS:
        ours, theirs = our_verdicts(findings, address), ssh_audit_verdicts(outputs[address])
        for key in sorted(set(ours) & set(theirs)):
            total += 1
            exact += ours[key] == theirs[key]
            agree = (ours[key] == "ok") == (theirs[key] == "ok")
            flagged += agree
            if not agree:
                disagreements.append((profile, address, *key, ours[key], theirs[key]))
    print(f"\nverdicts compared: {total} (endpoint, algorithm) pairs")
    print(f"  same flag (ok vs weak|legacy  ==  info vs fail|warn): {flagged}/{total}")
    print(f"  same exact level (ok/legacy/weak == info/warn/fail): {exact}/{total}")
    unique = sorted({(kind, name, ours_, theirs_) for _, _, kind, name, ours_, theirs_ in disagreements})
    print(f"flag disagreements: {len(disagreements)} pairs, {len(unique)} distinct")
    for kind, name, ours_, theirs_ in unique:
        where = sorted({p for p, _, k, n, *_ in disagreements if (k, n) == (kind, name)})
        print(
            f"  {kind:3} {name:40} p06audit={ours_:7} ssh-audit={THEIRS_BACK[theirs_]:5} ({', '.join(where)})"
        )


THEIRS_BACK = {v: k for k, v in THEIRS.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    times: dict[str, list[float]] = {name: [] for name in LABELS}
    with tempfile.TemporaryDirectory(prefix="bench-ssh-") as tmp:
        workdir = Path(tmp)
        servers = start_servers(workdir / "lab")
        try:
            inventory = write_inventory(workdir / "inventory")
            targets = workdir / "targets.txt"
            targets.write_text("".join(f"{a}:{LAB_SSH_PORT}\n" for a, _ in ENDPOINTS))
            for n in range(rounds):
                seconds, findings = run_p06audit(inventory, workdir / f"full-{n}", "full")
                times["full"].append(seconds)
                times["ssh"].append(run_p06audit(inventory, workdir / f"ssh-{n}", "ssh")[0])
                times["inproc"].append(run_in_process(inventory, workdir / f"inproc-{n}"))
                seconds, outputs = run_ssh_audit()
                times["peer"].append(seconds)
                times["peer_threads"].append(run_ssh_audit_threaded(targets))
                print("round", n + 1, ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
        finally:
            for server in servers:
                server.stop()
    medians = {k: statistics.median(v) for k, v in times.items()}
    profiles = ", ".join(f"{p} x3" for p in PROFILES)
    print(f"\nendpoints: {len(ENDPOINTS)} real sshd ({profiles}); rounds: {rounds}; medians:")
    for name, label in LABELS.items():
        ratio = "" if name.startswith("peer") else f"  ratio {medians[name] / medians['peer']:.2f}x"
        print(f"  {label:58} {medians[name]:6.2f} s{ratio}")
    print("  (target: p06audit <= 0.5x ssh-audit run on each endpoint in turn)")
    errors = [f["check_id"] + " " + f["target"]["address"] for f in findings if f["status"] == "ERROR"]
    print(f"p06audit ERROR findings: {len(errors)} {errors}")
    compare(findings, outputs)


LABELS = {
    "full": "p06audit, fresh process, every family loaded (CLI-like)",
    "ssh": "p06audit, fresh process, --family ssh (only the SSH family loaded)",
    "inproc": "p06audit, in process (collect + rules, imports warm)",
    "peer": "ssh-audit, each endpoint in turn",
    "peer_threads": "ssh-audit -T --threads 12 (its own parallel mode, info)",
}


if __name__ == "__main__":
    main()
