"""Read, parse and chain-validate the certificate files of a site, over several processes when large.

Two phases, because chains need every CA certificate of every file: each part first decodes its
files and reports the CA certificates it holds; once the whole pool is known, each part turns its
officials' certificates into facts and chain verdicts. Parts run in this process for small inputs
and in worker processes (forkserver: safe beside the runner's threads) for large ones, so 100,000
certificates use every core. Workers keep their parsed certificates between the phases; only
plain facts travel back.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from checks.signing.chain import Authority, TrustStore
from checks.signing.der import DerError, tbs_parts
from checks.signing.observations import CertFacts, ChainResult
from checks.signing.parse import CertificateError, facts, is_ca
from checks.signing.sources import Decoded, read_file

PARALLEL_BYTES = 8 * 1024 * 1024  # below this, starting worker processes costs more than it saves
MAX_WORKERS = 4


class ScanError(RuntimeError):
    """A worker process died or broke the protocol."""


@dataclass
class FileReport:
    path: str
    kind: str
    certificates: int
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Inventory:
    """Phase one: what the files hold before any judgement."""

    files: list[FileReport]
    authorities: list[bytes]  # DER of CA certificates
    crls: list[tuple[str, bytes]]  # (file, DER) of CRLs found among the sources


@dataclass(frozen=True)
class PoolSpec:
    """Phase two's input: the whole pool of CA certificates and how to judge."""

    anchors: list[bytes]
    intermediates: list[bytes]
    configured: bool
    anchors_problem: str | None
    now: datetime
    identifier_oids: tuple[str, ...]


@dataclass(frozen=True)
class Leaf:
    file: str
    facts: CertFacts
    chain: ChainResult
    issuer_fp: str | None


@dataclass(frozen=True)
class Judged:
    leaves: list[Leaf]
    problems: dict[str, list[str]]  # file → certificates that could not be read


class ScanPart:
    """The files one process handles."""

    def __init__(self, paths: Sequence[Path], password: bytes | None) -> None:
        self.decoded: list[Decoded] = [read_file(p, password) for p in paths]
        self._leaves: list[tuple[str, int, x509.Certificate, bytes]] = []

    def inventory(self) -> Inventory:
        files, authorities, crls = [], [], []
        for item in self.decoded:
            files.append(
                FileReport(item.path, item.kind, len(item.certs), [item.error] if item.error else [])
            )
            for number, (cert, der) in enumerate(zip(item.certs, item.ders, strict=True), start=1):
                if is_ca(cert):
                    authorities.append(der)
                else:
                    self._leaves.append((item.path, number, cert, der))
            crls += [(item.path, crl.public_bytes(serialization.Encoding.DER)) for crl in item.crls]
        self.decoded = []
        return Inventory(files, authorities, crls)

    def judge(self, pool: PoolSpec) -> Judged:
        store = build_store(pool)
        leaves: list[Leaf] = []
        problems: dict[str, list[str]] = {}
        for path, number, cert, der in self._leaves:
            try:
                parts = tbs_parts(der)
                fact = facts(cert, der, parts, pool.identifier_oids)
            except (CertificateError, DerError) as exc:
                problems.setdefault(path, []).append(f"certificate {number} is corrupt: {exc}")
                continue
            chain, issuer_fp = store.validate(cert, parts.issuer)
            leaves.append(Leaf(path, fact, chain, issuer_fp))
        self._leaves = []
        return Judged(leaves, problems)


def build_store(pool: PoolSpec) -> TrustStore:
    anchors = _authorities(pool.anchors)
    return TrustStore(
        anchors,
        _authorities(pool.intermediates),
        pool.now,
        configured=pool.configured,
        anchors_problem=pool.anchors_problem,
    )


def _authorities(ders: list[bytes]) -> list[Authority]:
    found = []
    for der in ders:
        try:
            found.append(Authority.from_der(der))
        except (ValueError, DerError):
            continue  # already reported: the file it came from is named by SIGN-010
    return found


@dataclass(frozen=True)
class ScanResult:
    files: list[FileReport]
    leaves: list[Leaf]
    crls: list[tuple[str, bytes]]
    store: TrustStore


def scan(
    paths: Sequence[Path],
    password: bytes | None,
    make_pool: Callable[[list[bytes]], PoolSpec],
    workers: int | None = None,
) -> ScanResult:
    """Both phases over all files; `make_pool` turns the CA certificates found into the pool."""
    count = workers if workers is not None else _worker_count(paths)
    if count <= 1:
        part = ScanPart(paths, password)
        inventory = part.inventory()
        pool = make_pool(inventory.authorities)
        judged = [part.judge(pool)]
        inventories = [inventory]
    else:
        inventories, pool, judged = _scan_in_processes(_split(paths, count), password, make_pool)
    files = [f for inv in inventories for f in inv.files]
    by_path = {f.path: f for f in files}
    for result in judged:
        for path, problems in result.problems.items():
            by_path[path].problems += problems
    return ScanResult(
        files=sorted(files, key=lambda f: f.path),
        leaves=sorted((leaf for r in judged for leaf in r.leaves), key=lambda leaf: leaf.file),
        crls=[c for inv in inventories for c in inv.crls],
        store=build_store(pool),
    )


def _worker_count(paths: Sequence[Path]) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue
    if total < PARALLEL_BYTES or len(paths) < 2:
        return 1
    return max(1, min(cores, MAX_WORKERS, len(paths)))


def _split(paths: Sequence[Path], count: int) -> list[list[Path]]:
    """Balance parts by bytes: largest files first, each to the lightest part."""
    sized = []
    for path in paths:
        try:
            sized.append((path.stat().st_size, path))
        except OSError:
            sized.append((0, path))
    parts: list[list[Path]] = [[] for _ in range(count)]
    loads = [0] * count
    for size, path in sorted(sized, key=lambda item: -item[0]):
        lightest = loads.index(min(loads))
        parts[lightest].append(path)
        loads[lightest] += size
    return [p for p in parts if p]


def _serve(conn: Connection, paths: list[Path], password: bytes | None) -> None:
    """Body of a worker process: phase one, wait for the pool, phase two."""
    part = ScanPart(paths, password)
    conn.send(part.inventory())
    pool = conn.recv()
    conn.send(part.judge(pool))
    conn.close()


def _scan_in_processes(
    parts: list[list[Path]], password: bytes | None, make_pool: Callable[[list[bytes]], PoolSpec]
) -> tuple[list[Inventory], PoolSpec, list[Judged]]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    workers = []
    try:
        for paths in parts:
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_serve, args=(child_end, paths, password), daemon=True)
            process.start()
            child_end.close()
            workers.append((process, parent_end))
        inventories: list[Inventory] = [_receive(conn, process) for process, conn in workers]
        pool = make_pool([der for inv in inventories for der in inv.authorities])
        for _, conn in workers:
            conn.send(pool)
        judged: list[Judged] = [_receive(conn, process) for process, conn in workers]
    finally:
        for process, conn in workers:
            conn.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    return inventories, pool, judged


def _receive(conn: Connection, process: multiprocessing.process.BaseProcess) -> Any:
    try:
        return conn.recv()
    except EOFError:
        process.join(timeout=5)
        raise ScanError(
            f"a certificate worker process ended unexpectedly (exit code {process.exitcode})"
        ) from None
