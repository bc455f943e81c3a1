"""Read, parse and chain-validate the certificate files of a site, over several processes when large.

Two phases, because chains need every CA certificate of every file: each part first reads its
files into facts and reports the CA certificates it holds; once the whole pool is known, each part
validates its officials' certificates' chains. Parts run in this process for small inputs and in
worker processes (separate interpreters, safe beside the runner's threads) for large ones, so
100,000 certificates use every core. Only plain facts travel back.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from p06audit.checks.signing.chain import Authority, TrustStore
from p06audit.checks.signing.der import DerError
from p06audit.checks.signing.facts import CertFacts, ChainResult, Reason, reason
from p06audit.checks.signing.parse import CertificateError, FactsReader
from p06audit.checks.signing.sources import read_file

PARALLEL_BYTES = 8 * 1024 * 1024  # below this, starting worker processes costs more than it saves
MAX_WORKERS = 4
WORKER_LAG = 0.05  # measured, 100,000 certificates on 2 cores: workers start late, then marshal results
WORKER_MODULE = "p06audit.checks.signing.worker"


class ScanError(RuntimeError):
    """A worker process died or broke the protocol; `reason` says so in a person's words."""

    def __init__(self, why: Reason) -> None:
        super().__init__(why.key)
        self.reason = why


@dataclass
class FileReport:
    path: str
    kind: str
    certificates: int
    problems: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class Inventory:
    """Phase one: what the files hold before any judgement."""

    files: list[FileReport]
    authorities: list[bytes]  # DER of CA certificates
    crls: list[tuple[str, bytes]]  # (file, DER) of CRLs found among the sources


@dataclass(frozen=True)
class Request:
    """What a part reads: its files, the PKCS#12 password, where the official's id sits."""

    paths: list[Path]
    password: bytes | None
    identifier_oids: tuple[str, ...]


@dataclass(frozen=True)
class PoolSpec:
    """Phase two's input: the whole pool of CA certificates and how to judge."""

    anchors: list[bytes]
    intermediates: list[bytes]
    configured: bool
    anchors_problem: Reason | None
    now: datetime


class Leaf(NamedTuple):
    """An official's certificate as it travels back from a part (a tuple: cheap to pickle)."""

    file: str
    facts: CertFacts
    chain: ChainResult
    issuer_fp: str | None


class ScanPart:
    """The files one process handles. Phase one reads every certificate into facts; phase two, once
    every CA is known, checks the signatures of the officials' certificates kept from phase one."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.reader = FactsReader(request.identifier_oids)
        self._leaves: list[tuple[str, x509.Certificate, bytes, bytes, CertFacts]] = []  # + TBS, issuer

    def inventory(self) -> Inventory:
        files, authorities, crls = [], [], []
        for path in self.request.paths:
            item = read_file(path, self.request.password)
            problems = [item.error] if item.error else []
            files.append(FileReport(item.path, item.kind, len(item.certs), problems))
            for number, (cert, der) in enumerate(zip(item.certs, item.ders, strict=True), start=1):
                try:
                    parts, fact = self.reader.read(cert, der)
                except CertificateError as exc:
                    problems.append(reason("signing.certificate_corrupt", number=number, error=exc.reason))
                    continue
                if parts is None or fact is None:
                    authorities.append(der)
                else:
                    issuer = self.reader.shared(parts.issuer)
                    self._leaves.append((item.path, cert, parts.tbs, issuer, fact))
            crls += [(item.path, crl.public_bytes(serialization.Encoding.DER)) for crl in item.crls]
        return Inventory(files, authorities, crls)

    def judge(self, pool: PoolSpec) -> list[Leaf]:
        """Phase two: the chain of every official's certificate, now that all CAs are known."""
        store = build_store(pool)
        leaves: list[Leaf] = []
        for path, cert, tbs, issuer, fact in self._leaves:
            chain, issuer_fp = store.validate(cert, tbs, issuer)
            leaves.append(Leaf(path, fact, self.reader.shared(chain), issuer_fp))
        self._leaves = []
        return leaves


NOT_BEFORE = CertFacts._fields.index("not_before")
NOT_AFTER = CertFacts._fields.index("not_after")
assert NOT_AFTER == NOT_BEFORE + 1


def leaves_to_wire(leaves: list[Leaf]) -> tuple[list[ChainResult], bytes]:
    """A worker's judged leaves as marshal bytes: pickling 50,000 named tuples holding two aware
    datetimes each costs a worker half a second after its last signature check, while the main
    process waits; marshal of plain tuples costs a third. Dates travel as POSIX seconds and chain
    results as an index into the (few) distinct ones, which are pickled. Shared strings stay shared."""
    chains: dict[ChainResult, int] = {}
    rows = []
    for file, facts, chain, issuer_fp in leaves:
        values = (
            *facts[:NOT_BEFORE],
            facts.not_before.timestamp(),
            facts.not_after.timestamp(),
            *facts[NOT_AFTER + 1 :],
        )
        rows.append((file, values, chains.setdefault(chain, len(chains)), issuer_fp))
    return list(chains), marshal.dumps(rows)


def leaves_from_wire(chains: list[ChainResult], data: bytes) -> list[Leaf]:
    from_timestamp = datetime.fromtimestamp
    leaves = []
    for file, values, chain, issuer_fp in marshal.loads(data):  # noqa: S302 - from our own worker's pipe
        dates = (from_timestamp(values[NOT_BEFORE], UTC), from_timestamp(values[NOT_AFTER], UTC))
        facts = CertFacts._make(values[:NOT_BEFORE] + dates + values[NOT_AFTER + 1 :])
        leaves.append(Leaf(file, facts, chains[chain], issuer_fp))
    return leaves


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
    request: Request, make_pool: Callable[[list[bytes]], PoolSpec], parts: int | None = None
) -> ScanResult:
    """Both phases over all files; `make_pool` turns the CA certificates found into the pool.
    The first part is read in this process (its results need no copying), the others in workers."""
    chunks = _split(request.paths, parts or _part_count(request.paths))
    local = ScanPart(Request(chunks[0], request.password, request.identifier_oids))
    workers: list[_Worker] = []
    try:
        for paths in chunks[1:]:
            workers.append(_Worker.start(Request(paths, request.password, request.identifier_oids)))
        inventories: list[Inventory] = [local.inventory(), *(w.receive() for w in workers)]
        pool = make_pool([der for inv in inventories for der in inv.authorities])
        for worker in workers:
            worker.requests.send(pool)
        judged: list[list[Leaf]] = [local.judge(pool), *(leaves_from_wire(*w.receive()) for w in workers)]
    finally:
        for worker in workers:
            worker.close()
    return ScanResult(
        files=sorted((f for inv in inventories for f in inv.files), key=lambda f: f.path),
        leaves=sorted((leaf for part in judged for leaf in part), key=lambda leaf: leaf.file),
        crls=[c for inv in inventories for c in inv.crls],
        store=build_store(pool),
    )


def _part_count(paths: Sequence[Path]) -> int:
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
    """Balance parts by bytes: largest files first, each to the lightest part. The first part is
    read in this process; the others start late (a new interpreter) and pickle what they find, so
    they start WORKER_LAG of an even share heavier."""
    sized = []
    for path in paths:
        try:
            sized.append((path.stat().st_size, path))
        except OSError:
            sized.append((0, path))
    parts: list[list[Path]] = [[] for _ in range(count)]
    lag = WORKER_LAG * sum(size for size, _ in sized) / count
    loads = [0.0] + [lag] * (count - 1)
    for size, path in sorted(sized, key=lambda item: -item[0]):
        lightest = loads.index(min(loads))
        parts[lightest].append(path)
        loads[lightest] += size
    return [p for p in parts if p] or [[]]


def serve_stdio() -> None:
    """Body of a worker process (checks/signing/worker.py): pickled frames on stdin/stdout."""
    out_fd = os.dup(1)
    os.dup2(2, 1)  # a stray print must not corrupt the frames
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(out_fd, readable=False)
    part = ScanPart(requests.recv())
    replies.send(part.inventory())
    replies.send(leaves_to_wire(part.judge(requests.recv())))


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    requests: Connection
    replies: Connection

    @classmethod
    def start(cls, request: Request) -> _Worker:
        """A separate interpreter (not fork: the runner has threads, some inside OpenSSL); the
        password travels over the pipe, never on a command line or in the environment."""
        process = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert process.stdin is not None and process.stdout is not None
        worker = cls(
            process,
            Connection(os.dup(process.stdin.fileno()), readable=False),
            Connection(os.dup(process.stdout.fileno()), writable=False),
        )
        process.stdin.close()
        process.stdout.close()
        worker.requests.send(request)
        return worker

    def receive(self) -> Any:
        try:
            return self.replies.recv()
        except (EOFError, OSError):
            code = self.process.wait(timeout=5)
            raise ScanError(reason("signing.worker_ended", code=code)) from None

    def close(self) -> None:
        self.requests.close()
        self.replies.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
