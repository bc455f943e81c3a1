"""Revocation status: local CRL files first, then the CRL distribution points, then OCSP.

Every CRL URL is fetched once per run and every OCSP answer asked once (the cache is shared by the
sites of a run); a responder that fails on the network is not asked again, and the whole stage has
a time budget. A CRL or OCSP answer counts only when its signature verifies with the issuing CA's
key (or, for OCSP, a responder certificate that CA delegated). Anything short of a verified answer
is "unknown", never "good".
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from p06audit.checks.signing.chain import Authority, TrustStore
from p06audit.checks.signing.der import DerError, crl_issuer, public_key_bits
from p06audit.checks.signing.facts import (
    REVOCATION_GOOD,
    REVOCATION_NOT_CHECKED,
    REVOCATION_REVOKED,
    REVOCATION_UNKNOWN,
    CertFacts,
    Reason,
    RevocationResult,
    combined,
    reason,
)
from p06audit.checks.signing.fetch import OCSP_LIMIT, FetchError, HttpClient, check_url
from p06audit.checks.signing.signatures import signature_ok

log = logging.getLogger(__name__)

PARALLEL_FETCHES = 4  # distinct CRL servers / OCSP responders asked at once
CLOCK_SKEW = timedelta(minutes=5)
BUDGET_FACTOR = 20  # the whole revocation stage of a run gets timeout times this
OUTSIDE_VALIDITY = RevocationResult(REVOCATION_NOT_CHECKED, reason("signing.outside_validity"))
NO_ISSUER = RevocationResult(REVOCATION_UNKNOWN, reason("signing.no_issuer_for_revocation"))
NO_ANSWER = reason("signing.no_revocation_answer")
BUDGET_USED = reason("signing.revocation_budget_used")
OCSP_GOOD = reason("signing.ocsp_good")
OCSP_REVOKED = reason("signing.ocsp_revoked")


@dataclass
class CrlIndex:
    """A CRL parsed once: who issued it, when it is fresh until, and its revoked serials."""

    source: str
    crl: x509.CertificateRevocationList
    issuer: bytes
    _revoked: dict[str, tuple[datetime, str | None]] | None = None
    _verified: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        next_update = self.crl.next_update_utc
        self._stale_after = next_update + CLOCK_SKEW if next_update is not None else None
        self._good = RevocationResult(
            REVOCATION_GOOD, reason("signing.not_on_crl"), self.source
        )  # one for all

    @classmethod
    def load(cls, source: str, der: bytes) -> CrlIndex:
        try:
            crl = x509.load_der_x509_crl(der)
        except ValueError:
            crl = x509.load_pem_x509_crl(der)
            der = crl.public_bytes(serialization.Encoding.DER)
        return cls(source, crl, crl_issuer(der))

    def signed_by(self, authority: Authority) -> bool:
        if authority.sha256 not in self._verified:
            try:
                valid = self.crl.is_signature_valid(authority.cert.public_key())  # type: ignore[arg-type]
            except (TypeError, ValueError, UnsupportedAlgorithm):
                valid = False
            self._verified[authority.sha256] = valid
        return self._verified[authority.sha256]

    def revoked(self) -> dict[str, tuple[datetime, str | None]]:
        if self._revoked is None:
            self._revoked = {f"{r.serial_number:X}": (r.revocation_date_utc, _reason(r)) for r in self.crl}
        return self._revoked

    def judge(self, cert: CertFacts, now: datetime) -> RevocationResult | Reason:
        """A verdict, or the reason this CRL cannot give one (out of date)."""
        entry = self.revoked().get(cert.serial)
        if entry is not None:
            return RevocationResult(
                REVOCATION_REVOKED, reason("signing.listed_on_crl"), self.source, entry[0], entry[1]
            )
        if self._stale_after is not None and self._stale_after < now:
            return reason("signing.crl_stale", source=self.source, when=self._stale_after)
        return self._good


def _reason(entry: x509.RevokedCertificate) -> str | None:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
    except (x509.ExtensionNotFound, ValueError):
        return None


def load_crl_files(items: Iterable[tuple[str, bytes]]) -> tuple[list[CrlIndex], dict[str, Reason]]:
    """Parse local CRLs; (indices, file → problem) so SIGN-010 can name an unreadable one."""
    indices, problems = [], {}
    for source, der in items:
        try:
            indices.append(CrlIndex.load(source, der))
        except (ValueError, DerError) as exc:
            problems[source] = reason("signing.crl_unreadable", error=str(exc))
    return indices, problems


@dataclass
class RevocationCache:
    """Shared by every site of a run: each CRL URL and OCSP question is asked once."""

    client: HttpClient
    deadline: float
    crls: dict[str, CrlIndex | Reason] = field(default_factory=dict)
    ocsp: dict[tuple[str, str, str], RevocationResult] = field(default_factory=dict)
    dead_responders: dict[str, Reason] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_run(cls, timeout: float) -> RevocationCache:
        return cls(HttpClient(timeout), time.monotonic() + timeout * BUDGET_FACTOR)

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def fetch_crls(self, urls: Iterable[str]) -> None:
        wanted = sorted({u for u in urls if u not in self.crls})
        if not wanted:
            return
        with ThreadPoolExecutor(max_workers=min(PARALLEL_FETCHES, len(wanted))) as pool:
            for url, result in zip(wanted, pool.map(self._fetch_crl, wanted), strict=True):
                self.crls[url] = result

    def _fetch_crl(self, url: str) -> CrlIndex | Reason:
        if self.out_of_time():
            return reason("signing.crl_budget_used")
        try:
            return CrlIndex.load(url, self.client.get(url))
        except FetchError as exc:
            return exc.reason
        except (ValueError, DerError) as exc:
            return reason("signing.not_a_crl", url=url, error=str(exc))


@dataclass(frozen=True)
class Question:
    """One certificate whose status is still open after the CRLs."""

    key: int
    cert: CertFacts
    issuer: Authority


class RevocationChecker:
    """Revocation verdicts for one site's certificates."""

    def __init__(
        self, store: TrustStore, local_crls: Sequence[CrlIndex], cache: RevocationCache, now: datetime
    ) -> None:
        self.authorities = {a.sha256: a for a in store.authorities()}
        self.local: dict[bytes, list[CrlIndex]] = {}
        for index in local_crls:
            self.local.setdefault(index.issuer, []).append(index)
        self.cache = cache
        self.now = now

    def check(self, certs: Sequence[tuple[CertFacts, str | None]]) -> list[RevocationResult]:
        """One verdict per (facts, issuer fingerprint), in order."""
        results: list[RevocationResult | None] = [None] * len(certs)
        reasons: dict[int, list[Reason]] = defaultdict(list)
        pending: list[tuple[int, CertFacts, Authority]] = []
        for i, (cert, issuer_fp) in enumerate(certs):
            if not cert.not_before <= self.now <= cert.not_after:
                results[i] = OUTSIDE_VALIDITY
                continue
            issuer = self.authorities.get(issuer_fp or "")
            if issuer is None:
                results[i] = NO_ISSUER
                continue
            problems: list[Reason] = []
            results[i] = self._from_crls(self.local.get(issuer.subject, ()), cert, issuer, self.now, problems)
            if problems:
                reasons[i] = problems
            if results[i] is None:
                pending.append((i, cert, issuer))
        self.cache.fetch_crls(u for _, cert, _ in pending for u in cert.crl_urls if not check_url(u))
        questions = []
        for i, cert, issuer in pending:
            fetched = []
            for url in cert.crl_urls:
                entry = self.cache.crls.get(url, check_url(url))
                if isinstance(entry, CrlIndex):
                    fetched.append(entry)
                elif entry is not None:
                    reasons[i].append(entry)
            results[i] = self._from_crls(fetched, cert, issuer, self.now, reasons[i])
            if results[i] is None:
                questions.append(Question(i, cert, issuer))
        for question, verdict in self._ask_ocsp(questions, reasons):
            results[question.key] = verdict
        return [
            result or RevocationResult(REVOCATION_UNKNOWN, combined(reasons[i]) or NO_ANSWER)
            for i, result in enumerate(results)
        ]

    @staticmethod
    def _from_crls(
        indices: Iterable[CrlIndex], cert: CertFacts, issuer: Authority, now: datetime, reasons: list[Reason]
    ) -> RevocationResult | None:
        """The first verdict a usable CRL gives; else None, with why in `reasons`."""
        for index in indices:
            if index.issuer != issuer.subject:
                reasons.append(reason("signing.crl_other_ca", source=index.source))
            elif not index.signed_by(issuer):
                reasons.append(reason("signing.crl_bad_signature", source=index.source, ca=issuer.name))
            else:
                verdict = index.judge(cert, now)
                if isinstance(verdict, RevocationResult):
                    return verdict
                reasons.append(verdict)
        return None

    def _ask_ocsp(
        self, questions: list[Question], reasons: dict[int, list[Reason]]
    ) -> list[tuple[Question, RevocationResult]]:
        by_responder: dict[str, list[Question]] = {}
        for question in questions:
            urls = [u for u in question.cert.ocsp_urls if not check_url(u)]
            if not urls:
                if not question.cert.crl_urls and not question.cert.ocsp_urls:
                    reasons[question.key].append(reason("signing.no_pointers"))
                else:
                    reasons[question.key].append(reason("signing.no_ocsp_responder"))
                continue
            by_responder.setdefault(urls[0], []).append(question)
        if not by_responder:
            return []
        answers: list[tuple[Question, RevocationResult]] = []
        with ThreadPoolExecutor(max_workers=min(PARALLEL_FETCHES, len(by_responder))) as pool:
            for batch in pool.map(lambda item: self._ask_responder(*item), by_responder.items()):
                answers += batch
        return answers

    def _ask_responder(self, url: str, questions: list[Question]) -> list[tuple[Question, RevocationResult]]:
        """Ask one responder about its certificates in turn; stop at the first network failure."""
        out = []
        for question in questions:
            key = (url, question.issuer.sha256, question.cert.serial)
            with self.cache.lock:
                cached = self.cache.ocsp.get(key)
                dead = self.cache.dead_responders.get(url)
            if cached is None:
                if dead:
                    cached = RevocationResult(REVOCATION_UNKNOWN, dead, url)
                elif self.cache.out_of_time():
                    cached = RevocationResult(REVOCATION_UNKNOWN, BUDGET_USED, url)
                else:
                    cached = self._query(url, question)
                    with self.cache.lock:
                        self.cache.ocsp[key] = cached
            out.append((question, cached))
        return out

    def _query(self, url: str, question: Question) -> RevocationResult:
        try:
            body = _ocsp_request(question)
            answer = self.cache.client.post(url, body, "application/ocsp-request", OCSP_LIMIT)
        except FetchError as exc:
            failed = reason("signing.ocsp_failed", error=exc.reason)
            with self.cache.lock:
                self.cache.dead_responders[url] = failed
            return RevocationResult(REVOCATION_UNKNOWN, failed, url)
        try:
            return judge_ocsp(answer, question.cert, question.issuer, self.now, url)
        except (ValueError, DerError) as exc:
            return RevocationResult(
                REVOCATION_UNKNOWN, reason("signing.ocsp_unreadable", error=str(exc)), url
            )


def _ocsp_request(question: Question) -> bytes:
    issuer = question.issuer
    serial = question.cert.serial
    number = -int(serial[1:], 16) if serial.startswith("-") else int(serial, 16)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            hashlib.sha1(issuer.subject).digest(),  # noqa: S324 - RFC 6960 CertID uses SHA-1
            hashlib.sha1(public_key_bits(issuer.spki)).digest(),  # noqa: S324
            number,
            hashes.SHA1(),  # noqa: S303
        )
        .build()
    )
    return request.public_bytes(serialization.Encoding.DER)


def judge_ocsp(data: bytes, cert: CertFacts, issuer: Authority, now: datetime, url: str) -> RevocationResult:
    """A verified OCSP answer about `cert`, or an "unknown" saying what was wrong with it."""
    response = ocsp.load_der_ocsp_response(data)

    def unknown(why: Reason) -> RevocationResult:
        return RevocationResult(REVOCATION_UNKNOWN, why, url)

    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return unknown(reason("signing.ocsp_status", status=response.response_status.name))
    problem = _responder_problem(response, issuer)
    if problem:
        return unknown(problem)
    single = next(
        (
            r
            for r in response.responses
            if f"{r.serial_number:X}" == cert.serial
            and r.issuer_key_hash == _key_hash(issuer, r.hash_algorithm)
        ),
        None,
    )
    if single is None:
        return unknown(reason("signing.ocsp_other_certificate"))
    if single.this_update_utc > now + CLOCK_SKEW:
        return unknown(reason("signing.ocsp_future"))
    if single.next_update_utc is not None and single.next_update_utc + CLOCK_SKEW < now:
        return unknown(reason("signing.ocsp_stale", when=single.next_update_utc))
    if single.certificate_status == ocsp.OCSPCertStatus.GOOD:
        return RevocationResult(REVOCATION_GOOD, OCSP_GOOD, url)
    if single.certificate_status == ocsp.OCSPCertStatus.REVOKED:
        why = single.revocation_reason.name if single.revocation_reason else None
        return RevocationResult(REVOCATION_REVOKED, OCSP_REVOKED, url, single.revocation_time_utc, why)
    return unknown(reason("signing.ocsp_unknown_certificate"))


def _key_hash(issuer: Authority, algorithm: hashes.HashAlgorithm) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(public_key_bits(issuer.spki))
    return digest.finalize()


def _responder_problem(response: ocsp.OCSPResponse, issuer: Authority) -> Reason | None:
    """None when the answer is signed by the CA itself or by a responder it delegated."""
    signers: list[tuple[x509.Certificate, bool]] = [(issuer.cert, True)]
    signers += [(c, False) for c in response.certificates]
    for signer, is_issuer in signers:
        if not signature_ok(
            signer.public_key(),
            response.signature,
            response.tbs_response_bytes,
            response.signature_hash_algorithm,
            response.signature_algorithm_oid,
        ):
            continue
        if is_issuer:
            return None
        try:
            signer.verify_directly_issued_by(issuer.cert)
            usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (InvalidSignature, ValueError, TypeError, x509.ExtensionNotFound):
            return reason("signing.ocsp_not_delegated")
        if ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
            return reason("signing.ocsp_no_signing_usage")
        return None
    return reason("signing.ocsp_bad_signature")
