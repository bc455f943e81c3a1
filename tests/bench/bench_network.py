"""Benchmark: p06audit's network family vs one nmap process per host, on 60 loopback hosts.

    .venv/bin/python tests/bench/bench_network.py [--hosts 60] [--runs 5]

Starts its own listeners on 127.0.8.65 onwards (one to three open ports each), writes an inventory
of those hosts (one site), then in each round runs, one after the other:
- p06audit: the network family (NET-001..NET-007 through the real runner: one nmap sweep for the
  site, HTTP redirect probes, rules);
- naive sequential: one python-nmap scan per host, the same arguments and ports, one after another;
- naive parallel: the same per-host scans, 8 at a time (p06audit's default --workers).
Both naive variants only scan; they judge nothing. Prints wall-time medians and ratios and checks
that every variant saw the same open ports. Touches only 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nmap

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from p06audit.checks.network.collect import nmap_arguments  # noqa: E402
from p06audit.checks.network.policy import load_policy  # noqa: E402
from p06audit.inventory import Inventory, load_inventory  # noqa: E402
from p06audit.lab.servers import BannerListener, LabServer  # noqa: E402
from p06audit.options import RunOptions  # noqa: E402
from p06audit.registry import CollectContext  # noqa: E402
from p06audit.runner import run_audit  # noqa: E402
from tests.conftest import host, site, write_inventory_files  # noqa: E402

FIRST = 65
PROFILES = [  # (roles, open ports): a mix of portals, app servers and databases
    (["web_portal"], [443]),
    (["app_server"], [8443, 22]),
    (["database"], [5432]),
    (["app_server"], [8080, 443, 3306]),
]
NET_CHECKS = frozenset(f"NET-00{n}" for n in range(1, 8))
Seen = dict[str, frozenset[int]]


def address(i: int) -> str:
    return f"127.0.8.{FIRST + i}"


def start_lab(count: int) -> list[LabServer]:
    servers: list[LabServer] = []
    for i in range(count):
        for port in PROFILES[i % len(PROFILES)][1]:
            server = BannerListener(f"bench-net-{i}-{port}", address(i), port, b"")
            server.start()
            servers.append(server)
    return servers


def write_bench_inventory(directory: Path, count: int) -> Inventory:
    hosts = {}
    for i in range(count):
        roles, ports = PROFILES[i % len(PROFILES)]
        services = [{"port": p, "name": f"svc{p}"} for p in ports]
        hosts[f"bench-{i:03d}"] = host(address(i), "bench-dc", roles, services=services)
    return load_inventory(write_inventory_files(directory, {"bench-dc": site()}, hosts))


def run_p06audit(inventory: Inventory, options: RunOptions) -> Seen:
    run = run_audit(inventory, options)
    seen: dict[str, set[int]] = {}
    for finding in run.findings:
        if finding.check_id == "NET-006":
            seen[finding.target.address or ""] = {p["port"] for p in finding.evidence["open"]}
    return {a: frozenset(p) for a, p in seen.items()}


def scan_one(addr: str, ports: str, arguments: str) -> tuple[str, frozenset[int]]:
    scanner = nmap.PortScanner()
    scanner.scan(hosts=addr, ports=ports, arguments=arguments)
    tcp = scanner[addr].get("tcp", {}) if addr in scanner.all_hosts() else {}
    return addr, frozenset(p for p, info in tcp.items() if info["state"] == "open")


def run_naive(addresses: list[str], ports: str, arguments: str, workers: int) -> Seen:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(lambda a: scan_one(a, ports, arguments), addresses))


def timed(func: Callable[[], Seen]) -> tuple[float, Seen]:
    start = time.perf_counter()
    seen = func()
    return time.perf_counter() - start, seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not 50 <= args.hosts <= 120:
        parser.error("--hosts must be between 50 and 120 (127.0.8.65-127.0.8.184)")
    options = RunOptions(checks=NET_CHECKS, timeout=10.0)
    with tempfile.TemporaryDirectory(prefix="bench-net-") as tmp:
        inventory = write_bench_inventory(Path(tmp), args.hosts)
        addresses = [h.address for h in inventory.hosts.values()]
        ports = ",".join(str(p) for p in sorted(load_policy().scan_ports() | {8443, 8080}))
        arguments = " ".join(nmap_arguments(CollectContext(inventory, options, ())))
        expected = {address(i): frozenset(PROFILES[i % len(PROFILES)][1]) for i in range(args.hosts)}
        variants: dict[str, Callable[[], Seen]] = {
            "p06audit network family (1 nmap per site)": lambda: run_p06audit(inventory, options),
            "naive: 1 nmap per host, sequential": lambda: run_naive(addresses, ports, arguments, 1),
            "naive: 1 nmap per host, 8 in parallel": lambda: run_naive(addresses, ports, arguments, 8),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        servers = start_lab(args.hosts)
        try:
            for _ in range(args.runs):
                for name, func in variants.items():
                    elapsed, seen = timed(func)
                    if seen != expected:
                        print(f"{name}: saw different open ports than the lab has", file=sys.stderr)
                        return 1
                    times[name].append(elapsed)
        finally:
            with ThreadPoolExecutor(max_workers=32) as pool:  # each stop waits out a 0.5 s poll
                list(pool.map(lambda server: server.stop(), servers))
    print(f"{args.hosts} hosts on 127.0.8.x, {len(ports.split(','))} TCP ports each, nmap {arguments}")
    print(f"median of {args.runs} runs (all runs in seconds):")
    ours = statistics.median(times[next(iter(variants))])
    for name, samples in times.items():
        median = statistics.median(samples)
        runs = ", ".join(f"{s:.2f}" for s in samples)
        print(f"  {name:44s} {median:7.2f} s   x{median / ours:5.1f}   [{runs}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
