"""Benchmark: `p06audit certs` over 100,000 signing certificates, offline, vs an openssl loop.

    .venv/bin/python tests/bench/bench_signing.py [--count 100000] [--runs 3] [--roster] [--workdir DIR]

Generates (once, cached in --workdir) a government root, an RSA-2048 issuing CA and `--count`
officials' certificates sharing one key, in PEM bundles of 1,000, plus the CA's CRL revoking 1 %
of them (and, with --roster, a roster CSV of every official). Then, in each round:
- p06audit: `p06audit certs` on the folder with the trust anchor and the local CRL (offline: the
  CRL is loaded once and nothing is fetched), writing expiry.csv; wall time and peak memory
  (summed RSS of its process tree, sampled every 20 ms);
- openssl: `openssl x509 -checkend 0 -noout` once per certificate over 1,000 of them.
Prints medians, the per-certificate times and their ratio, and whether the targets (< 10 s wall,
< 1 GiB peak) are met. Touches no network at all.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from p06audit.checks.signing.lab_pki import SIGNING_USAGE, GovernmentPki  # noqa: E402
from p06audit.lab.pki import new_key  # noqa: E402

VENV_BIN = Path(sys.executable).parent
BUNDLE = 1000
OPENSSL_SAMPLE = 1000
TARGET_SECONDS = 10.0
TARGET_BYTES = 1024**3
CRL_URL = "http://127.0.8.1/crl/bench.crl"  # never fetched: the benchmark gives the CRL as a file
OCSP_URL = "http://127.0.8.1/ocsp"
UNITS = [f"Sở {n}" for n in ("Nội vụ", "Tư pháp", "Tài chính", "Y tế", "Xây dựng", "Công Thương", "Giáo dục")]


def _bundle(args: tuple[bytes, bytes, bytes, int, int, str]) -> int:
    """Worker: sign `count` certificates from `first` and write them as one PEM bundle."""
    key_pem, ca_pem, public_pem, first, count, directory = args
    ca_key = serialization.load_pem_private_key(key_pem, None)
    ca = x509.load_pem_x509_certificate(ca_pem)
    public = serialization.load_pem_public_key(public_pem)
    now = datetime.fromisoformat(json.loads((Path(directory) / "manifest.json").read_text())["now"])
    crl_point = x509.DistributionPoint([x509.UniformResourceIdentifier(CRL_URL)], None, None, None)
    ocsp = x509.AccessDescription(
        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(OCSP_URL)
    )
    extensions = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.KeyUsage(**SIGNING_USAGE), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False),
        (x509.CRLDistributionPoints([crl_point]), False),
        (x509.AuthorityInformationAccess([ocsp]), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),  # type: ignore[arg-type]
    ]
    chunks = []
    for i in range(first, first + count):
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND tỉnh Thí Điểm (bench)"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, UNITS[i % len(UNITS)]),
                x509.NameAttribute(NameOID.TITLE, "Chuyên viên"),
                x509.NameAttribute(NameOID.USER_ID, f"CCCD:{i:012d}"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"Cán bộ số {i}"),
            ]
        )
        start = now - timedelta(days=i % 760)  # about 4 % expired, the rest spread over two years
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca.subject)
            .public_key(public)  # type: ignore[arg-type]
            .serial_number(serial_of(i))
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=730))
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical)  # type: ignore[arg-type]
        chunks.append(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))  # type: ignore[arg-type]
    (Path(directory) / "certs" / f"bundle-{first // BUNDLE:04d}.pem").write_bytes(b"".join(chunks))
    return count


def serial_of(i: int) -> int:
    return 0x1000000000 + i * 7919


def generate(directory: Path, count: int) -> None:
    """Write the PKI, the bundles, the CRL and the roster, unless a matching set is cached."""
    manifest = directory / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("count") == count:
        print(f"using cached certificates in {directory}")
        return
    started = time.perf_counter()
    (directory / "certs").mkdir(parents=True, exist_ok=True)
    for old in (directory / "certs").glob("*.pem"):
        old.unlink()
    now = datetime.now(UTC)
    pki = GovernmentPki(now, sub_key=rsa.generate_private_key(65537, 2048))
    shared = new_key("ec256")
    assert isinstance(shared, ec.EllipticCurvePrivateKey)
    (directory / "gov-root.pem").write_bytes(pki.root.cert.public_bytes(serialization.Encoding.PEM))
    (directory / "certs" / "issuing-ca.pem").write_bytes(
        pki.sub.cert.public_bytes(serialization.Encoding.PEM)
    )
    manifest.write_text(json.dumps({"now": now.isoformat(), "count": None}))
    key_pem = pki.sub.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jobs = [
        (
            key_pem,
            pki.sub.cert.public_bytes(serialization.Encoding.PEM),
            shared.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            first,
            min(BUNDLE, count - first),
            str(directory),
        )
        for first in range(0, count, BUNDLE)
    ]
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        done = 0
        for made in pool.imap_unordered(_bundle, jobs):
            done += made
            print(f"\rgenerated {done:,}/{count:,} certificates", end="", flush=True)
    print()
    for i in range(0, count, 100):
        pki.revoked[serial_of(i)] = now - timedelta(days=1)
    (directory / "issuing-ca.crl").write_bytes(pki.crl().public_bytes(serialization.Encoding.DER))
    with (directory / "roster.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["official_id", "name", "unit", "position", "status"])
        writer.writerows(
            [f"{i:012d}", f"Cán bộ số {i}", UNITS[i % len(UNITS)], "Chuyên viên", "active"]
            for i in range(count)
        )
    manifest.write_text(json.dumps({"now": now.isoformat(), "count": count}))
    print(f"generation took {time.perf_counter() - started:.0f} s (not part of the measurement)")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree_rss(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
        todo += _children(current)
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(command: list[str]) -> tuple[float, int, float]:
    """Wall seconds, peak summed RSS (bytes) and CPU seconds of a command's process tree. CPU time
    is what a shared machine's load does not inflate much; wall time is what the target is about."""
    peak = 0
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {stderr.decode()[-2000:]}")
    return elapsed, peak, _children_cpu() - cpu_before


def openssl_sample(directory: Path) -> list[Path]:
    """1,000 certificates as single files, the way `openssl x509 -in` reads them."""
    sample_dir = directory / "openssl-sample"
    if not sample_dir.exists():
        sample_dir.mkdir()
        text = (directory / "certs" / "bundle-0000.pem").read_text()
        blocks = text.split("-----END CERTIFICATE-----")[:OPENSSL_SAMPLE]
        for n, block in enumerate(blocks):
            (sample_dir / f"{n:04d}.pem").write_text(block.strip() + "\n-----END CERTIFICATE-----\n")
    return sorted(sample_dir.glob("*.pem"))


def openssl_loop(files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        subprocess.run(
            ["openssl", "x509", "-checkend", "0", "-noout", "-in", str(path)],
            capture_output=True,
            check=False,
        )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--roster", action="store_true", help="also cross-check a roster of every official")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "p06audit-bench-signing"
    )
    args = parser.parse_args()
    generate(args.workdir, args.count)
    out = args.workdir / "out"
    command = [
        str(VENV_BIN / "p06audit"), "certs", str(args.workdir / "certs"),
        "--trust-anchors", str(args.workdir / "gov-root.pem"),
        "--crl", str(args.workdir / "issuing-ca.crl"),
        "--out", str(out), "--limit", "5",
    ]  # fmt: skip
    if args.roster:
        command += ["--roster", str(args.workdir / "roster.csv")]
    files = openssl_sample(args.workdir)
    ours, peaks, cpus, theirs = [], [], [], []
    for round_number in range(1, args.runs + 1):
        elapsed, peak, cpu = measured(command)
        ours.append(elapsed)
        peaks.append(peak)
        cpus.append(cpu)
        theirs.append(openssl_loop(files))
        print(
            f"round {round_number}: p06audit {elapsed:.2f} s wall, {cpu:.1f} s CPU, "
            f"peak {peak / 2**20:.0f} MiB; "
            f"openssl loop over {len(files)}: {theirs[-1]:.2f} s (load average {os.getloadavg()[0]:.1f})"
        )
    with (out / "expiry.csv").open(encoding="utf-8-sig") as handle:
        rows = sum(1 for _ in handle) - 1
    wall, peak = statistics.median(ours), max(peaks)
    per_ours = wall / args.count
    per_theirs = statistics.median(theirs) / len(files)
    roster = "yes" if args.roster else "no"
    print(f"\ncertificates audited: {args.count:,} (expiry.csv rows: {rows:,}); roster: {roster}")
    print(f"p06audit certs: median {wall:.2f} s wall, {statistics.median(cpus):.1f} s CPU (all processes)")
    print(f"peak memory: {peak / 2**20:.0f} MiB (summed RSS of the process tree, max of {args.runs} runs)")
    print(f"per certificate: p06audit {per_ours * 1e6:.1f} µs, openssl -checkend {per_theirs * 1e3:.2f} ms")
    print(f"ratio: openssl takes {per_theirs / per_ours:.0f}x longer per certificate (it checks expiry only)")
    met = wall < TARGET_SECONDS and peak < TARGET_BYTES
    print(f"targets (< {TARGET_SECONDS:.0f} s, < 1 GiB): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
