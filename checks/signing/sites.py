"""The signing family's collector: every site's `signing_certs` in one pass.

Per site: find the files, read the trust anchors and local CRLs, parse and chain-validate every
certificate (scan.py, over several processes when large), drop duplicates, establish revocation
(revocation.py, each CRL and responder asked once per run), and read the roster. Targets are
site-level: a file, a certificate (file#serial) or an official id; there is no host.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from p06audit.checks.signing.facts import REVOCATION_NOT_CHECKED, Reason, RevocationResult, combined, reason
from p06audit.checks.signing.family import SigningCertsSpec, signing_of
from p06audit.checks.signing.observations import (
    PRODUCES,
    RosterEntry,
    SigningCertificate,
    SigningFile,
    message,
)
from p06audit.checks.signing.policy import SigningPolicy, load_policy
from p06audit.checks.signing.revocation import RevocationCache, RevocationChecker, load_crl_files
from p06audit.checks.signing.roster import RosterError, read_roster
from p06audit.checks.signing.scan import Leaf, PoolSpec, Request, ScanError, ScanResult, scan
from p06audit.checks.signing.sources import find_files, read_file
from p06audit.inventory import Host, Inventory
from p06audit.model import CollectionFailed, Observation, Target
from p06audit.registry import CollectContext, collects, describe_error
from p06audit.secrets import SecretError, env_secret
from p06audit.text import Message, say

log = logging.getLogger(__name__)

SITE_RESOURCE = "signing certificates"
ROSTER_CHECKS = ("SIGN-101", "SIGN-102", "SIGN-103", "SIGN-104")
REVOCATION_CHECKS = ("SIGN-009", *ROSTER_CHECKS)  # roster checks count only unrevoked certificates
NOT_SELECTED = RevocationResult(REVOCATION_NOT_CHECKED, reason("signing.revocation_not_selected"))


@collects(*PRODUCES)
def collect_signing(hosts: Sequence[Host], ctx: CollectContext) -> list[Observation]:
    """Hosts are not used: signing certificates belong to sites (inventory `signing_certs`)."""
    policy = load_policy()
    cache = RevocationCache.for_run(ctx.options.timeout)
    observed: list[Observation] = []
    for site in ctx.inventory.sites.values():
        spec = signing_of(site)
        if spec is None:
            continue
        try:
            observed += SiteCollector(site.name, ctx, spec, policy, cache).collect()
        except Exception as exc:
            log.exception("signing certificates of site %s could not be collected", site.name)
            target = Target(site=site.name, resource=SITE_RESOURCE)
            why = say("signing.collection_failed", error=_error(exc))
            observed += [CollectionFailed(target=target, expected=kind, reason=why) for kind in PRODUCES]
    return observed


def _error(exc: Exception) -> Message | str:
    return message(exc.reason) if isinstance(exc, ScanError) else describe_error(exc)


class SiteCollector:
    def __init__(
        self,
        site: str,
        ctx: CollectContext,
        spec: SigningCertsSpec,
        policy: SigningPolicy,
        cache: RevocationCache,
    ) -> None:
        self.site = site
        self.ctx = ctx
        self.spec = spec
        self.policy = policy
        self.cache = cache
        self.inventory: Inventory = ctx.inventory
        self.observed: list[Observation] = []

    def target(self, resource: str) -> Target:
        return Target(site=self.site, resource=resource)

    def file_seen(self, path: str, role: str, kind: str, certificates: int, error: Reason | None) -> None:
        said = message(error) if error is not None else None
        self.observed.append(SigningFile(self.target(path), path, role, kind, certificates, said))

    def collect(self) -> list[Observation]:
        sources = [self._path(p) for p in self.spec.sources]
        files, missing = find_files(sources)
        for path, why in missing:
            self.file_seen(str(path), "source", "", 0, why)
        anchors, anchors_problem = self._anchors()
        local_crls = self._crl_files()

        def make_pool(authorities: list[bytes]) -> PoolSpec:
            return PoolSpec(
                anchors=anchors,
                intermediates=authorities,
                configured=self.spec.trust_anchors is not None,
                anchors_problem=anchors_problem,
                now=self.ctx.options.now,
            )

        request = Request(files, self._password(), self.policy.subject_identifiers.oids)
        result = scan(request, make_pool)
        for report in result.files:
            self.file_seen(report.path, "source", report.kind, report.certificates, combined(report.problems))
        self._certificates(result, local_crls + result.crls)
        if self.spec.roster is not None and any(self.ctx.wants(c) for c in ROSTER_CHECKS):
            self._roster(self._path(self.spec.roster))
        return self.observed

    def _path(self, path: Path) -> Path:
        resolved = self.inventory.resolve(path)
        assert resolved is not None
        return resolved

    def _password(self) -> bytes | None:
        name = self.spec.pkcs12_password_env
        if name is None:
            return None
        try:
            return env_secret(name, f"site {self.site}: PKCS#12 password").reveal().encode("utf-8")
        except SecretError as exc:
            log.warning("%s", exc)
            return None

    def _anchors(self) -> tuple[list[bytes], Reason | None]:
        if self.spec.trust_anchors is None:
            return [], None
        decoded = read_file(self._path(self.spec.trust_anchors), None)
        problem = decoded.error or (None if decoded.ders else reason("signing.holds_no_certificate"))
        self.file_seen(decoded.path, "trust anchors", decoded.kind, len(decoded.ders), problem)
        return decoded.ders, (problem if not decoded.ders else None)

    def _crl_files(self) -> list[tuple[str, bytes]]:
        items = []
        for path in self.spec.crl_files:
            decoded = read_file(self._path(path), None)
            problem = decoded.error or (None if decoded.crls else reason("signing.holds_no_crl"))
            self.file_seen(decoded.path, "CRL", decoded.kind, 0, problem)
            items += [(decoded.path, crl.public_bytes(serialization.Encoding.DER)) for crl in decoded.crls]
        return items

    def _certificates(self, result: ScanResult, crls: list[tuple[str, bytes]]) -> None:
        leaves, also_in = _unique(result.leaves)
        if any(self.ctx.wants(c) for c in REVOCATION_CHECKS):
            indices, problems = load_crl_files(crls)
            for path, problem in problems.items():
                self.file_seen(path, "CRL", "CRL", 0, problem)
            checker = RevocationChecker(result.store, indices, self.cache, self.ctx.options.now)
            verdicts = checker.check([(leaf.facts, leaf.issuer_fp) for leaf in leaves])
        else:
            verdicts = [NOT_SELECTED] * len(leaves)
        for leaf, verdict in zip(leaves, verdicts, strict=True):
            self.observed.append(
                SigningCertificate(
                    target=self.target(f"{leaf.file}#{leaf.facts.serial}"),
                    file=leaf.file,
                    cert=leaf.facts,
                    chain=leaf.chain,
                    revocation=verdict,
                    also_in=tuple(also_in.get(leaf.facts.sha256, ())),
                )
            )

    def _roster(self, path: Path) -> None:
        try:
            rows = read_roster(path, self.policy.roster_statuses)
        except RosterError as exc:
            self.observed.append(
                CollectionFailed(target=self.target(str(path)), expected=RosterEntry, reason=exc.message)
            )
            return
        for row in rows:
            self.observed.append(
                RosterEntry(
                    target=self.target(row.official_id or f"{path}:{row.row}"),
                    file=str(path),
                    row=row.row,
                    official_id=row.official_id,
                    name=row.name,
                    unit=row.unit,
                    position=row.position,
                    status=row.status,
                    status_text=row.status_text,
                    serials=row.serials,
                    problem=row.problem,
                )
            )


def _unique(leaves: list[Leaf]) -> tuple[list[Leaf], dict[str, list[str]]]:
    """The same certificate in several files (a .cer and a .p12) is audited once."""
    first: dict[str, Leaf] = {}
    also_in: dict[str, list[str]] = {}
    for leaf in leaves:
        fingerprint = leaf.facts.sha256
        if fingerprint in first:
            also_in.setdefault(fingerprint, []).append(leaf.file)
        else:
            first[fingerprint] = leaf
    return list(first.values()), also_in
