"""Benchmark: p06audit's TLS family vs testssl.sh vs the sslyze CLI on every lab TLS endpoint.

    .venv/bin/python tests/bench/bench_tls.py [--runs 3] [--timeout 5]

Starts the loopback lab (foundation + TLS scenarios, 127.0.1.x and 127.0.2.x) in its own process,
then in each round runs, one after the other on the same endpoints:
- p06audit: `p06audit run` with TLS-001..TLS-015 only (JSON report);
- testssl.sh: `-p -E -S -h` (protocols, suites per protocol, certificate, HTTP headers incl. HSTS),
  every endpoint at once as `--parallel` would; `--fast` is not used because it skips the suites
  OpenSSL 3 cannot speak (RC4, 3DES), so it no longer covers suites;
- sslyze CLI: its default scan of all targets in one process.
Prints wall-time medians, peak memory (summed RSS of the tool's process tree, sampled every 50 ms),
ratios, and every disagreement between the tools' verdicts on the checks they overlap on.
Touches only 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from p06audit.checks.tls.policy import load_policy  # noqa: E402
from p06audit.lab import LabError, start_background, stop_background  # noqa: E402

VENV_BIN = Path(sys.executable).parent
TLS_CHECKS = [f"TLS-{n:03d}" for n in range(1, 16)]
LAB_PREFIXES = ("127.0.1.", "127.0.2.")
POLICY = load_policy()
Verdicts = dict[tuple[str, str], str]  # (address, check id) -> PASS/FAIL/WARN/ERROR


@dataclass(frozen=True)
class Endpoint:
    host: str
    address: str
    port: int
    sni: str | None

    @property
    def name(self) -> str:
        return self.sni or self.address


def lab_endpoints() -> tuple[dict[str, Any], list[Endpoint]]:
    """The demo inventory's hosts that have TLS endpoints on the lab's foundation and TLS addresses."""
    hosts = yaml.safe_load((REPO / "inventories/demo/hosts.yaml").read_text())
    chosen = {
        n: h for n, h in hosts.items() if h["data"].get("tls") and h["hostname"].startswith(LAB_PREFIXES)
    }
    endpoints = [
        Endpoint(n, h["hostname"], e["port"], e.get("sni"))
        for n, h in chosen.items()
        for e in h["data"]["tls"]
    ]
    return chosen, endpoints


def write_inventory(directory: Path, hosts: dict[str, Any], anchors: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "inventories/demo/groups.yaml", directory / "groups.yaml")
    (directory / "hosts.yaml").write_text(yaml.safe_dump(hosts, allow_unicode=True))
    defaults = {"data": {"trust_anchors": str(anchors), "use_system_trust_store": False, "tls_warn_days": 30}}
    (directory / "defaults.yaml").write_text(yaml.safe_dump(defaults))
    return directory


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(parent, []).append(int(entry))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory:
    """Peak summed RSS of this process's descendants, excluding the lab's process tree."""

    def __init__(self, exclude: int) -> None:
        self.exclude, self.peak_kb = exclude, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            tree, total, todo = _children(), 0, [os.getpid()]
            while todo:
                for child in tree.get(todo.pop(), []):
                    if child != self.exclude:
                        total += _rss_kb(child)
                        todo.append(child)
            self.peak_kb = max(self.peak_kb, total)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def scan_p06audit(work: Path, inventory: Path, timeout: float) -> None:
    out, state = work / "p06-out", work / "p06-state"
    shutil.rmtree(out, ignore_errors=True)
    args = [
        str(VENV_BIN / "p06audit"),
        "run",
        str(inventory),
        "--timeout",
        str(timeout),
        "--format",
        "json",
        "--no-progress",
        "--out",
        str(out),
        "--state-dir",
        str(state),
        "--fail-on",
        "critical",
    ]
    for check_id in TLS_CHECKS:
        args += ["--check", check_id]
    subprocess.run(args, capture_output=True, check=False, timeout=900)


def p06audit_verdicts(endpoints: list[Endpoint], work: Path) -> Verdicts:
    (report,) = (work / "p06-out").glob("*/report.json")
    address = {e.host: e.address for e in endpoints}
    findings = json.loads(report.read_text())["findings"]
    return {  # a root-cause ERROR answers for every check it blocked
        (address[f["target"]["host"]], check_id): f["status"]
        for f in findings
        for check_id in f["blocked"] or [f["check_id"]]
    }


def _testssl_report(work: Path, e: Endpoint) -> Path:
    return work / f"testssl-{e.address}-{e.port}.json"


def scan_testssl(endpoints: list[Endpoint], work: Path, anchors: Path, timeout: float) -> None:
    def one(e: Endpoint) -> None:
        report = _testssl_report(work, e)
        report.unlink(missing_ok=True)
        args = [
            "testssl",
            "--quiet",
            "--color",
            "0",
            "--warnings",
            "off",
            "--add-ca",
            str(anchors),
            "--connect-timeout",
            str(int(timeout)),
            "--openssl-timeout",
            str(int(timeout)),
            "-p",
            "-E",
            "-S",
            "-h",
            f"--ip={e.address}",
            "--jsonfile",
            str(report),
            f"https://{e.name}:{e.port}",
        ]
        subprocess.run(args, capture_output=True, stdin=subprocess.DEVNULL, check=False, timeout=1800)

    with ThreadPoolExecutor(max_workers=20) as pool:  # testssl's own --parallel runs up to 20 at once
        list(pool.map(one, endpoints))


def testssl_all_verdicts(endpoints: list[Endpoint], work: Path) -> Verdicts:
    verdicts: Verdicts = {}
    for e in endpoints:
        report = _testssl_report(work, e)
        verdicts |= _parsed(e, testssl_verdicts, json.loads(report.read_text()) if report.exists() else [])
    return verdicts


def scan_sslyze(endpoints: list[Endpoint], work: Path) -> None:
    targets = [f"{e.name}:{e.port}{{{e.address}}}" for e in endpoints]
    subprocess.run(
        [str(VENV_BIN / "sslyze"), "--quiet", "--json_out", str(work / "sslyze.json"), *targets],
        capture_output=True,
        check=False,
        timeout=1800,
    )


def sslyze_all_verdicts(endpoints: list[Endpoint], work: Path) -> Verdicts:
    by_address = {e.address: e for e in endpoints}
    verdicts: Verdicts = {}
    for result in json.loads((work / "sslyze.json").read_text())["server_scan_results"]:
        verdicts |= _parsed(by_address[result["server_location"]["ip_address"]], sslyze_verdicts, result)
    return verdicts


def _parsed(e: Endpoint, parse: Callable[[Endpoint, Any], Verdicts], raw: Any) -> Verdicts:
    """A peer's output this script cannot read counts as ERROR for that endpoint, with a note."""
    try:
        return parse(e, raw)
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        print(f"  (could not read {parse.__name__} output for {e.name}: {exc!r})", flush=True)
        return dict.fromkeys(((e.address, c) for c in TLS_CHECKS), "ERROR")


def _status(failed: bool) -> str:
    return "FAIL" if failed else "PASS"


def _expiry(not_before: datetime, not_after: datetime) -> str:
    now = datetime.now(UTC)
    if now < not_before or now > not_after:
        return "FAIL"
    return "WARN" if not_after - now < timedelta(days=30) else "PASS"


def _suite_verdicts(accepted: dict[str, list[tuple[str, int | None, str]]]) -> dict[str, str]:
    """TLS-001..005 and 013 from accepted suites per protocol: (IANA name, kx bits, kx type)."""
    on = {p for p, suites in accepted.items() if suites}
    all_suites = [s for suites in accepted.values() for s in suites]
    legacy = [s for p, suites in accepted.items() if p != "TLS 1.3" for s in suites]
    dh = [bits for name, bits, kind in legacy if kind == "DH"]
    return {
        "TLS-001": _status(bool(on & {"SSL 2.0", "SSL 3.0"})),
        "TLS-002": _status(bool(on & {"TLS 1.0", "TLS 1.1"})),
        "TLS-003": _status(not on & {"TLS 1.2", "TLS 1.3"}),
        "TLS-004": _status(any(POLICY.weaknesses_of(name) for name, _, _ in all_suites)),
        "TLS-005": _status(any(not POLICY.forward_secret.matches(name) for name, _, _ in legacy)),
        "TLS-013": "SKIP" if not dh else _status(any(b is None or b < POLICY.dh_min_bits for b in dh)),
    }


def _hsts(max_age: int | None, present: bool) -> str:
    return _status(not present or max_age is None or max_age < POLICY.hsts.min_max_age_seconds)


TESTSSL_PROTOCOLS = {
    "ssl2": "SSL 2.0",
    "ssl3": "SSL 3.0",
    "tls1": "TLS 1.0",
    "tls1_1": "TLS 1.1",
    "tls1_2": "TLS 1.2",
    "tls1_3": "TLS 1.3",
}
_KEY_EXCHANGES = {"DH", "ECDH", "RSA", "X25519", "X448"}


def _testssl_cipher(finding: str) -> tuple[str, int | None, str]:
    """`TLS 1.2  xc011  ECDHE-RSA-RC4-SHA  ECDH 521  RC4  128  TLS_ECDHE_RSA_WITH_RC4_128_SHA`."""
    tokens = finding.split()
    at = next((i for i, t in enumerate(tokens) if t in _KEY_EXCHANGES), None)
    if at is None:
        return tokens[-1], None, ""
    bits = tokens[at + 1] if at + 1 < len(tokens) else ""
    return tokens[-1], int(bits) if bits.isdigit() else None, tokens[at]


def testssl_verdicts(e: Endpoint, entries: list[dict[str, Any]]) -> Verdicts:
    found = {x["id"]: x["finding"] for x in entries}
    if "TLS1_2" not in found or "doesn't seem to be a TLS/SSL" in found.get("optimal_proto", ""):
        return dict.fromkeys(((e.address, c) for c in TLS_CHECKS), "ERROR")
    accepted: dict[str, list[tuple[str, int | None, str]]] = {p: [] for p in TESTSSL_PROTOCOLS.values()}
    for x in entries:
        if x["id"].startswith("cipher-"):
            protocol = TESTSSL_PROTOCOLS[x["id"].split("-", 1)[1].rsplit("_", 1)[0]]
            accepted[protocol].append(_testssl_cipher(x["finding"]))
    verdicts = _suite_verdicts(accepted)
    if "cert_notAfter" not in found:  # no certificate section: the certificate checks could not run
        return {(e.address, c): v for c, v in verdicts.items()} | {
            (e.address, c): "ERROR" for c in ("TLS-006", "TLS-007", "TLS-008", "TLS-009", "TLS-010")
        }
    key_type, _, rest = found.get("cert_keySize", "").partition(" ")
    bits = int(rest.split()[0]) if rest.split() and rest.split()[0].isdigit() else 0
    minimum = POLICY.key_sizes.minimum(key_type) or 0
    hsts_seconds = found.get("HSTS_time", "").split("=")[-1].split()[0] if "HSTS_time" in found else None
    verdicts |= {
        "TLS-006": _status(not found.get("cert_chain_of_trust", "").startswith("passed")),
        "TLS-007": _status(not found.get("cert_trust", "").startswith("Ok via SAN")),
        "TLS-008": _expiry(
            *(
                datetime.strptime(found[k], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
                for k in ("cert_notBefore", "cert_notAfter")
            )
        ),
        "TLS-009": _status(bits < minimum),
        "TLS-010": _status(
            any(h in found.get("cert_signatureAlgorithm", "").upper() for h in ("SHA1", "MD5"))
        ),
        "TLS-011": "ERROR"
        if "HTTP_status_code" not in found
        else _hsts(
            int(hsts_seconds) if hsts_seconds and hsts_seconds.isdigit() else None, "HSTS_time" in found
        ),
    }
    return {(e.address, c): v for c, v in verdicts.items()}


def sslyze_verdicts(e: Endpoint, result: dict[str, Any]) -> Verdicts:
    scan = result.get("scan_result")
    if result["connectivity_status"] != "COMPLETED" or not scan:
        return dict.fromkeys(((e.address, c) for c in TLS_CHECKS), "ERROR")
    commands = {
        "SSL 2.0": "ssl_2_0",
        "SSL 3.0": "ssl_3_0",
        "TLS 1.0": "tls_1_0",
        "TLS 1.1": "tls_1_1",
        "TLS 1.2": "tls_1_2",
        "TLS 1.3": "tls_1_3",
    }
    accepted = {
        p: [
            (
                s["cipher_suite"]["name"],
                (s.get("ephemeral_key") or {}).get("size"),
                (s.get("ephemeral_key") or {}).get("type_name")
                or ("DH" if "_DHE_" in s["cipher_suite"]["name"] else ""),
            )
            for s in scan[f"{c}_cipher_suites"]["result"]["accepted_cipher_suites"]
        ]
        for p, c in commands.items()
    }
    verdicts = _suite_verdicts(accepted)
    leaf = scan["certificate_info"]["result"]["certificate_deployments"][0]["received_certificate_chain"][0]
    verdicts["TLS-008"] = _expiry(
        datetime.fromisoformat(leaf["not_valid_before"]).replace(tzinfo=UTC),
        datetime.fromisoformat(leaf["not_valid_after"]).replace(tzinfo=UTC),
    )
    key = leaf["public_key"]
    key_type = (
        "RSA" if "RSA" in key["algorithm"] else "EC" if "Elliptic" in key["algorithm"] else key["algorithm"]
    )
    verdicts["TLS-009"] = _status(key["key_size"] < (POLICY.key_sizes.minimum(key_type) or 0))
    verdicts["TLS-010"] = _status(leaf["signature_hash_algorithm"]["name"] in ("sha1", "md5"))
    headers = scan["http_headers"]["result"]
    if headers is not None and headers.get("http_error_trace") is None:
        hsts = headers.get("strict_transport_security_header")
        verdicts["TLS-011"] = _hsts(hsts and hsts.get("max_age"), hsts is not None)
    return {(e.address, c): v for c, v in verdicts.items()}


def start_lab(lab_dir: Path, attempts: int = 36) -> dict[str, Any]:
    """Start the foundation + TLS lab; wait while another lab (a demo, a test run) holds the addresses."""
    for attempt in range(attempts):
        try:
            return start_background(lab_dir, only=["core", "tls"])
        except LabError as exc:
            if "Address already in use" not in str(exc) or attempt == attempts - 1:
                raise
            print("lab addresses busy (another lab is running); waiting…", flush=True)
            time.sleep(5)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Tool:
    name: str
    scan: Callable[[], None]
    verdicts: Callable[[], Verdicts]


def measure(scan: Callable[[], None], lab_pid: int) -> tuple[float, int]:
    """Wall time and peak memory of one scan; parsing its output is not timed."""
    with PeakMemory(lab_pid) as memory:
        started = time.monotonic()
        scan()
        seconds = time.monotonic() - started
    return seconds, memory.peak_kb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=5.0, help="per network operation, all tools")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-tls-"))
    lab_dir = work / "lab"
    state = start_lab(lab_dir)
    try:
        hosts, endpoints = lab_endpoints()
        anchors = lab_dir / "pki" / "lab-root.pem"
        inventory = write_inventory(work / "inventory", hosts, anchors)
        tools = [
            Tool(
                "p06audit",
                lambda: scan_p06audit(work, inventory, args.timeout),
                lambda: p06audit_verdicts(endpoints, work),
            ),
            Tool(
                "sslyze CLI",
                lambda: scan_sslyze(endpoints, work),
                lambda: sslyze_all_verdicts(endpoints, work),
            ),
            Tool(
                "testssl.sh",
                lambda: scan_testssl(endpoints, work, anchors, args.timeout),
                lambda: testssl_all_verdicts(endpoints, work),
            ),
        ]
        times: dict[str, list[float]] = {t.name: [] for t in tools}
        memory: dict[str, int] = {t.name: 0 for t in tools}
        verdicts: dict[str, Verdicts] = {}
        print(
            f"{len(endpoints)} lab TLS endpoints, {args.runs} rounds, timeout {args.timeout:g} s", flush=True
        )
        for round_no in range(1, args.runs + 1):
            for tool in tools:
                seconds, peak = measure(tool.scan, int(state["pid"]))
                times[tool.name].append(seconds)
                memory[tool.name] = max(memory[tool.name], peak)
                print(
                    f"  round {round_no}: {tool.name:<11} {seconds:7.1f} s  peak {peak / 1024:6.0f} MB",
                    flush=True,
                )
                verdicts[tool.name] = tool.verdicts()
        report(times, memory, verdicts)
    finally:
        stop_background(lab_dir)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(times: dict[str, list[float]], memory: dict[str, int], verdicts: dict[str, Verdicts]) -> None:
    base = statistics.median(times["p06audit"])
    print(f"\n{'tool':<12}{'median s':>10}{'min s':>8}{'max s':>8}{'peak MB':>9}{'x p06audit':>12}")
    for tool, samples in times.items():
        median = statistics.median(samples)
        print(
            f"{tool:<12}{median:>10.1f}{min(samples):>8.1f}{max(samples):>8.1f}"
            f"{memory[tool] / 1024:>9.0f}{median / base:>12.1f}"
        )
    ours = verdicts["p06audit"]
    print("\nDisagreements on overlapping checks (p06audit vs peer):")
    count = 0
    for peer in ("testssl.sh", "sslyze CLI"):
        for key in sorted(set(ours) & set(verdicts[peer])):
            if ours[key] != verdicts[peer][key]:
                count += 1
                print(f"  {key[0]:<12} {key[1]}  p06audit {ours[key]:<5} {peer} {verdicts[peer][key]}")
        compared = len(set(ours) & set(verdicts[peer]))
        print(f"  ({peer}: {compared} verdicts compared)")
    print(f"  {count} disagreement(s)")


if __name__ == "__main__":
    raise SystemExit(main())
