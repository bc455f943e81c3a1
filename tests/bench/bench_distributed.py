"""Benchmark: 8 lab sites audited by 1 local process versus 4 Celery scanners on this machine.

    .venv/bin/python tests/bench/bench_distributed.py [--runs 3] [--timeout 5]

Starts its own Redis (127.0.0.1, first free port from 6390) and, in a child process, 16 lab servers
on 127.0.8.185-200: per site an HTTPS portal (lab PKI) and a TCP application service. Four
`p06audit worker` processes (queues q1..q4, two sites each) start and are warmed up before timing.
Each round then runs, in alternating order, the same command on the same inventory:
- local:  `p06audit run INVENTORY --executor local`
- celery: `p06audit run INVENTORY --executor celery --broker URL`
(JSON report, history in a temporary state dir, every registered check family), and checks that
both found the same (check, target, status). Prints the medians, their ratio, and the broker
overhead per site: the median round trip of a site task whose site has no hosts (coordinator ->
Redis -> scanner -> runner with nothing to collect -> result store -> coordinator).
Touches only 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from p06audit.distributed import broker_url, execute_celery  # noqa: E402
from p06audit.history import HistoryStore, database_url  # noqa: E402
from p06audit.inventory import load_inventory  # noqa: E402
from p06audit.lab.pki import LabPki  # noqa: E402
from p06audit.lab.servers import BannerListener, LabServer, TlsHttpServer, TlsSettings  # noqa: E402
from p06audit.model import Run  # noqa: E402
from p06audit.options import RunOptions  # noqa: E402
from tests.conftest import host, site, write_inventory_files  # noqa: E402
from tests.distributed.services import RedisServer, redis_running  # noqa: E402

P06AUDIT = str(Path(sys.executable).parent / "p06audit")
SITES = 8
SCANNERS = 4
FIRST_ADDRESS = 185  # 127.0.8.185-200: free of bench_network (65-184) and the tests (201-254)
OVERHEAD_SAMPLES = 8
Tally = Counter[tuple[str, str, str]]


def site_addresses(index: int) -> tuple[str, str]:
    return f"127.0.8.{FIRST_ADDRESS + 2 * index}", f"127.0.8.{FIRST_ADDRESS + 2 * index + 1}"


def serve_lab(pki_dir: Path, ready: Event, stop: Event) -> None:
    """Child process: the 16 lab servers, until told to stop (so their threads never share a GIL
    with the audit being timed)."""
    pki = LabPki(pki_dir, datetime.now(UTC))
    servers: list[LabServer] = []
    for i in range(SITES):
        portal, app = site_addresses(i)
        cert = pki.issue_server(f"bench-{i}", [f"portal{i}.bench.p06.test"], ip_addresses=[portal])
        settings = TlsSettings(
            cert.chain_file, cert.key_file, http_headers={"Strict-Transport-Security": "max-age=31536000"}
        )
        servers.append(TlsHttpServer(f"bench-{i}-portal", portal, 443, settings, "bench HTTPS portal"))
        servers.append(BannerListener(f"bench-{i}-app", app, 8080, b"p06 bench app\r\n", "bench app service"))
    for server in servers:
        server.start()
    ready.set()
    stop.wait()
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:  # each stop waits out a 0.5 s poll
        list(pool.map(lambda server: server.stop(), servers))


def write_inventories(work: Path, pki_dir: Path) -> tuple[Path, Path, Path]:
    """The 8 bench sites; one empty site (no hosts) per queue for the overhead; the scanners' copy
    holding both. Entries are identical in each, so every site's fingerprint matches."""
    groups, hosts = {}, {}
    for i in range(SITES):
        name, portal, app = f"bench-{i}", *site_addresses(i)
        groups[name] = site(scanner=f"q{i % SCANNERS + 1}")
        hosts[f"{name}-portal"] = host(
            portal, name, ["web_portal"], tls=[{"port": 443, "sni": f"portal{i}.bench.p06.test"}]
        )
        hosts[f"{name}-app"] = host(
            app, name, ["app_server"], services=[{"port": 8080, "name": "application"}]
        )
    empty = {f"empty-{q}": site(scanner=f"q{q}") for q in range(1, SCANNERS + 1)}
    defaults = {"data": {"trust_anchors": str(pki_dir / "lab-root.pem"), "use_system_trust_store": False}}
    return (
        write_inventory_files(work / "bench", groups, hosts, defaults),
        write_inventory_files(work / "empty", {"empty-1": empty["empty-1"]}, {}, defaults),
        write_inventory_files(work / "scanners", {**groups, **empty}, hosts, defaults),
    )


def start_scanners(redis: RedisServer, inventory: Path, work: Path) -> list[subprocess.Popen[bytes]]:
    scanners = []
    for q in range(1, SCANNERS + 1):
        log = (work / f"scanner-q{q}.log").open("wb")
        command = [
            P06AUDIT,
            "worker",
            "--queue",
            f"q{q}",
            "--inventory",
            str(inventory),
            "--broker",
            redis.url,
        ]
        scanners.append(
            subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=redis.env(work / f"state-q{q}"),
                start_new_session=True,
            )
        )
    return scanners


def audit(
    executor: str, inventory: Path, redis: RedisServer, work: Path, timeout: float
) -> tuple[float, Run]:
    """Wall time of one `p06audit run` and the Run it recorded in its history."""
    state = Path(tempfile.mkdtemp(prefix=f"{executor}-", dir=work))
    command = [
        P06AUDIT, "run", str(inventory), "--executor", executor, "--broker", redis.url,
        "--out", str(state / "reports"), "--state-dir", str(state), "--format", "json", "--no-progress",
        "--timeout", str(timeout),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=redis.env(state), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{executor} run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    (report,) = (state / "reports").iterdir()
    with HistoryStore(database_url(None, state), create=False) as store:
        return elapsed, store.load(report.name)


def tally(run: Run) -> Tally:
    return Counter((f.check_id, f.target.key, f.status.value) for f in run.findings)


def broker_overhead(redis: RedisServer, inventory: Path, timeout: float) -> list[float]:
    """Round trips of a site task with nothing to audit, one at a time, through the real coordinator."""
    url = broker_url(redis.url, {"P06AUDIT_BROKER_PASSWORD": redis.password})
    empty, options = load_inventory(inventory), RunOptions(timeout=timeout)
    samples = []
    for _ in range(OVERHEAD_SAMPLES + 1):
        started = time.perf_counter()
        run = execute_celery(empty, options, url, deadline=60)
        samples.append(time.perf_counter() - started)
        if run.errors:
            raise RuntimeError(f"overhead probe failed: {run.errors}")
    return samples[1:]  # the first one pays for connecting


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"local": [], "celery": []}
    with tempfile.TemporaryDirectory(prefix="bench-dist-") as tmp:
        work = Path(tmp)
        ready, stop = multiprocessing.Event(), multiprocessing.Event()
        lab = multiprocessing.Process(target=serve_lab, args=(work / "pki", ready, stop))
        lab.start()
        scanners: list[subprocess.Popen[bytes]] = []
        try:
            if not ready.wait(60):
                raise RuntimeError("lab servers did not start")
            bench, empty, scanner_copy = write_inventories(work, work / "pki")
            with redis_running(work) as redis:
                scanners = start_scanners(redis, scanner_copy, work)
                order = ["local", "celery"]
                for round_no in range(args.runs + 1):  # round 0 warms both up, untimed
                    results = {name: audit(name, bench, redis, work, args.timeout) for name in order}
                    if tally(results["local"][1]) != tally(results["celery"][1]):
                        print("local and celery runs found different things", file=sys.stderr)
                        return 1
                    if round_no:
                        for name, (elapsed, _) in results.items():
                            times[name].append(elapsed)
                    order.reverse()
                overhead = broker_overhead(redis, empty, args.timeout)
                findings = len(results["local"][1].findings)
        finally:
            for scanner in scanners:
                scanner.send_signal(signal.SIGTERM)
            for scanner in scanners:
                scanner.wait(timeout=60)
            stop.set()
            lab.join(timeout=30)
    local, celery = statistics.median(times["local"]), statistics.median(times["celery"])
    addresses = f"127.0.8.{FIRST_ADDRESS}-{FIRST_ADDRESS + 2 * SITES - 1}"
    print(
        f"{SITES} sites x 2 hosts on {addresses}, {findings} findings per run, timeout {args.timeout:g} s, "
        f"{args.runs} timed runs each (after one warm-up)"
    )
    for name, samples in times.items():
        runs = ", ".join(f"{s:.2f}" for s in samples)
        print(f"  {name:6s} median {statistics.median(samples):7.2f} s   [{runs}]")
    print(f"  ratio local / celery ({SCANNERS} scanners): {local / celery:.2f}")
    print(
        f"  broker overhead per site (empty-site round trip, median of {OVERHEAD_SAMPLES}): "
        f"{statistics.median(overhead) * 1000:.0f} ms  [{', '.join(f'{s * 1000:.0f}' for s in overhead)}]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
