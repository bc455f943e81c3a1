"""SIGN checks: pure judgements of officials' signing certificates, files and roster rows.

Scale: a province audits 100,000 certificates, and a finding costs about 1.4 kB, so a PASS per
certificate per check would not fit in memory. Validity (SIGN-001/002/003) is reported per
certificate because the expiry list needs every one; every other check reports each problem per
certificate (or row, or file) and folds the verdicts shared by many into one finding per site
("key meets the minimum (9,870 certificates)") whose evidence counts them. See docs/signing.md.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, TypeVar

from audit import wording
from audit.inventory import Site
from audit.model import CollectionFailed, Observation, Outcome, Severity, Status, Target
from audit.registry import RuleContext, check, rule_failed
from checks.signing.facts import (
    CHAIN_ERROR,
    CHAIN_INVALID,
    CHAIN_UNCONFIGURED,
    CHAIN_VALID,
    REVOCATION_GOOD,
    REVOCATION_NOT_CHECKED,
    REVOCATION_REVOKED,
    CertFacts,
)
from checks.signing.observations import RosterEntry, SigningCertificate, SigningFile
from checks.signing.policy import Regime, SigningPolicy, fold, load_policy
from checks.signing.roster import official_key

FAMILY = "signing"
sign_check = functools.partial(check, family=FAMILY)
ObsT = TypeVar("ObsT", bound=Observation)

SITE_RESOURCES: dict[type[Observation], tuple[str, str]] = {
    SigningCertificate: ("signing certificates", "certificates"),
    SigningFile: ("signing certificate files", "files"),
    RosterEntry: ("roster", "roster rows"),
}
SAMPLE = 10


class Group:
    """A verdict many items share; it becomes one finding per site that counts them. Made only by
    `group()`, which interns them, so they hash and compare by identity (cheap at 100,000 items)."""

    __slots__ = ("status", "summary")

    def __init__(self, status: Status, summary: str) -> None:
        self.status = status
        self.summary = summary


_GROUPS: dict[tuple[Status, str], Group] = {}


def group(status: Status, summary: str) -> Group:
    found = _GROUPS.get((status, summary))
    if found is None:
        found = _GROUPS[(status, summary)] = Group(status, summary)
    return found


Verdict = Outcome | Group | None
Judge = Callable[[Any, RuleContext], Verdict]
Judged = list[tuple[Observation, Outcome]]


def folded_check(
    *,
    id: str,
    title: str,
    severity: Severity,
    controls: Sequence[str],
    remediation: str,
    observes: type[ObsT],
    by: Callable[[ObsT], Hashable] | None = None,
) -> Callable[[Judge], Callable[[Sequence[ObsT], RuleContext], Judged]]:
    """Declare a check whose judge looks at one item and is registered as a batch rule over a
    site's items of type `observes`: per-item outcomes stay, shared `Group` verdicts fold into one
    finding for the site. `by` names everything the judge reads: items with the same value share
    its Group verdict without another call (a CA issues 100,000 certificates from a handful of
    profiles)."""

    def register(judge: Judge) -> Callable[[Sequence[ObsT], RuleContext], Judged]:
        @functools.wraps(judge)
        def rule(items: Sequence[ObsT], ctx: RuleContext) -> Judged:
            return _judge_all(items, ctx, observes, judge, by)

        declare = check(
            id=id, title=title, severity=severity, controls=controls, remediation=remediation,
            observes=observes, family=FAMILY, batch=True,
        )  # fmt: skip
        return declare(rule)

    return register


def _judge_all(
    items: Sequence[Observation],
    ctx: RuleContext,
    kind: type[Observation],
    judge: Judge,
    by: Callable[[Any], Hashable] | None,
) -> Judged:
    judged: Judged = []
    members: dict[Group, list[Observation]] = {}

    def judge_one(obs: Observation) -> Verdict:
        try:
            return judge(obs, ctx)
        except Exception as exc:  # one bad item must not cost the site its other verdicts
            return rule_failed(exc)

    def record(obs: Observation, verdict: Verdict) -> None:
        if isinstance(verdict, Group):
            members.setdefault(verdict, []).append(obs)
        elif verdict is not None:
            judged.append((obs, verdict))

    if by is None:
        for obs in items:
            record(obs, judge_one(obs))
    else:  # one call per profile; a per-item verdict (a problem to report) is asked of each item
        profiles: dict[Hashable, list[Observation]] = {}
        for obs in items:
            profile = by(obs)
            same = profiles.get(profile)
            if same is None:
                profiles[profile] = [obs]
            else:
                same.append(obs)
        for same in profiles.values():
            verdict = judge_one(same[0])
            if isinstance(verdict, Group):
                members.setdefault(verdict, []).extend(same)
            else:
                record(same[0], verdict)
                for obs in same[1:]:
                    record(obs, judge_one(obs))
    resource, noun = SITE_RESOURCES[kind]
    for shared, same in members.items():
        outcome = Outcome(
            shared.status,
            f"{shared.summary} ({len(same):,} {noun})",
            {"count": len(same), "sample": [m.target.resource for m in same[:SAMPLE]]},
            target=Target(site=same[0].target.site, resource=resource),
        )
        judged.append((same[0], outcome))
    return judged


def _policy() -> SigningPolicy:
    return load_policy()


def _who(cert: CertFacts) -> str:
    return f"{cert.holder or cert.subject} ({cert.unit})" if cert.unit else cert.holder or cert.subject


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def days_left(cert: CertFacts, now: datetime) -> int:
    return math.floor((cert.not_after - now).total_seconds() / 86400)


def expiry_evidence(obs: SigningCertificate, now: datetime) -> dict[str, Any]:
    """The contract with the report's expiry section: exactly these keys for SIGN-001/002/003."""
    cert = obs.cert
    return {
        "holder": cert.holder,
        "unit": cert.unit,
        "issuer": cert.issuer,
        "serial": cert.serial,
        "not_before": cert.not_before.isoformat(),
        "not_after": cert.not_after.isoformat(),
        "days_left": days_left(cert, now),
        "file": obs.file,
    }


def cert_evidence(obs: SigningCertificate, **extra: Any) -> dict[str, Any]:
    cert = obs.cert
    return {
        "holder": cert.holder,
        "unit": cert.unit,
        "serial": cert.serial,
        "issuer": cert.issuer,
        "file": obs.file,
        **extra,
    }


def warning_windows(site: Site | None) -> tuple[tuple[int, Severity], ...]:
    """(days, severity), nearest window first; the inventory's warn_days override the policy."""
    expiry = _policy().expiry
    spec = site.data.signing_certs if site is not None else None
    days = sorted(spec.warn_days if spec is not None and spec.warn_days else expiry.warn_days)
    return tuple((d, expiry.severities[min(i, len(expiry.severities) - 1)]) for i, d in enumerate(days))


# --- validity: one finding per certificate, the expiry list ---------------------------------


@sign_check(
    id="SIGN-001",
    title="Signing certificate has expired",
    severity=Severity.CRITICAL,
    controls=["VN-SIGN-04"],
    remediation=(
        "Stop using the expired certificate. If the official still signs, have the issuing CA issue a "
        "new certificate; otherwise remove it from the signing tokens and systems."
    ),
    observes=SigningCertificate,
)
def expired(obs: SigningCertificate, ctx: RuleContext) -> Outcome | None:
    now = ctx.options.now
    if obs.cert.not_after >= now:
        return None
    evidence = expiry_evidence(obs, now)
    return Outcome(
        Status.FAIL,
        f"Certificate of {_who(obs.cert)} expired on {_day(obs.cert.not_after)} "
        f"({wording.days(-evidence['days_left'])} ago).",
        evidence,
    )


@sign_check(
    id="SIGN-002",
    title="Signing certificate expires soon",
    severity=Severity.HIGH,
    controls=["VN-SIGN-04"],
    remediation=(
        "Ask the issuing CA to renew the certificate before it expires (Decree 68/2024: a renewal is "
        "valid for at most 3 years), and plan the token hand-over with the official."
    ),
    observes=SigningCertificate,
    batch=True,
)
def expiring(items: Sequence[SigningCertificate], ctx: RuleContext) -> Judged:
    """Batch: the site's warning windows are worked out once for all its certificates."""
    now = ctx.options.now
    windows = warning_windows(ctx.site)
    return [(obs, outcome) for obs in items if (outcome := _expiry(obs, now, windows)) is not None]


def _expiry(
    obs: SigningCertificate, now: datetime, windows: tuple[tuple[int, Severity], ...]
) -> Outcome | None:
    cert = obs.cert
    if not cert.not_before <= now <= cert.not_after:
        return None
    evidence = expiry_evidence(obs, now)
    left = evidence["days_left"]
    for days, severity in windows:
        if left <= days:
            return Outcome(
                Status.WARN,
                f"Certificate of {_who(cert)} expires on {_day(cert.not_after)}: {wording.days(left)} left "
                f"(inside the {days}-day window).",
                evidence,
                severity=severity,
            )
    return Outcome(
        Status.PASS, f"Certificate of {_who(cert)} is valid until {_day(cert.not_after)}.", evidence
    )


@sign_check(
    id="SIGN-003",
    title="Signing certificate is not yet valid",
    severity=Severity.MEDIUM,
    controls=["VN-SIGN-04"],
    remediation=(
        "Check the issuing CA's clock and the requested start date; signatures made before the start "
        "date will not validate."
    ),
    observes=SigningCertificate,
)
def not_yet_valid(obs: SigningCertificate, ctx: RuleContext) -> Outcome | None:
    now = ctx.options.now
    if obs.cert.not_before <= now:
        return None
    return Outcome(
        Status.FAIL,
        f"Certificate of {_who(obs.cert)} is not valid before {_day(obs.cert.not_before)}.",
        expiry_evidence(obs, now),
    )


# --- profile ---------------------------------------------------------------------------------


@folded_check(
    id="SIGN-004",
    title="Key usage allows digital signature and non-repudiation",
    severity=Severity.HIGH,
    controls=["VN-SIGN-02"],
    remediation=(
        "Have the CA reissue the certificate from a signing profile whose key usage includes "
        "digitalSignature and nonRepudiation (contentCommitment)."
    ),
    observes=SigningCertificate,
    by=attrgetter("cert.key_usage"),
)
def key_usage(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    required = _policy().key_usage.required
    usage = obs.cert.key_usage
    if usage is None:
        return Outcome(
            Status.FAIL,
            f"Certificate of {_who(obs.cert)} has no key usage extension.",
            cert_evidence(obs, key_usage=None, required=sorted(required)),
        )
    missing = sorted(required - usage)
    if missing:
        return Outcome(
            Status.FAIL,
            f"Key usage of {_who(obs.cert)}'s certificate lacks {', '.join(missing)}.",
            cert_evidence(obs, key_usage=sorted(usage), missing=missing),
        )
    return group(Status.PASS, "Key usage includes digitalSignature and nonRepudiation")


@folded_check(
    id="SIGN-005",
    title="Extended key usage allows document or e-mail signing",
    severity=Severity.MEDIUM,
    controls=["VN-SIGN-02"],
    remediation=(
        "Have the CA reissue the certificate with an extended key usage for signing "
        "(emailProtection or documentSigning), or without the extension."
    ),
    observes=SigningCertificate,
    by=attrgetter("cert.extended_key_usage"),
)
def extended_key_usage(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    policy = _policy().extended_key_usage
    eku = obs.cert.extended_key_usage
    if eku is None:
        return group(Status.PASS, "No extended key usage: the certificate is not restricted")
    if set(eku) & policy.allowed_oids():
        return group(Status.PASS, "Extended key usage allows document or e-mail signing")
    names = {u.oid: u.name for u in policy.allowed}
    return Outcome(
        Status.FAIL,
        f"Extended key usage of {_who(obs.cert)}'s certificate ({', '.join(eku)}) allows no signing purpose.",
        cert_evidence(obs, extended_key_usage=list(eku), accepted=names),
    )


@folded_check(
    id="SIGN-006",
    title="Signing key is strong enough",
    severity=Severity.HIGH,
    controls=["VN-SIGN-01"],
    remediation=(
        "Generate a new key (RSA ≥ 2048 bits or ECDSA ≥ 256 bits) on a token whose chip is not affected "
        "by ROCA, have a new certificate issued, and revoke the old one."
    ),
    observes=SigningCertificate,
    by=attrgetter("cert.key_type", "cert.key_bits", "cert.roca"),
)
def key_strength(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    keys = _policy().keys
    cert = obs.cert
    evidence = cert_evidence(obs, key_type=cert.key_type, key_bits=cert.key_bits)
    if cert.key_type == "RSA" and cert.roca:
        return Outcome(
            Status.FAIL,
            f"RSA key of {_who(cert)} has the ROCA fingerprint (CVE-2017-15361): "
            "its private key can be computed.",
            {**evidence, "roca": True, "source": keys.roca_source},
            severity=Severity.CRITICAL,
        )
    minimum = {"RSA": keys.rsa_min_bits, "EC": keys.ec_min_bits}.get(cert.key_type)
    if minimum is None:
        return Outcome(
            Status.FAIL,
            f"Key of {_who(cert)} uses {cert.key_type}, which is neither RSA nor ECDSA.",
            {**evidence, "source": keys.source},
        )
    if cert.key_bits < minimum:
        return Outcome(
            Status.FAIL,
            f"{cert.key_type} key of {_who(cert)} has {cert.key_bits} bits; at least {minimum} are required.",
            {**evidence, "minimum_bits": minimum, "source": keys.source},
        )
    return group(
        Status.PASS,
        f"Key meets the minimum (RSA ≥ {keys.rsa_min_bits}, EC ≥ {keys.ec_min_bits} bits; "
        "no ROCA fingerprint)",
    )


@folded_check(
    id="SIGN-007",
    title="Certificate signature uses SHA-256 or stronger",
    severity=Severity.HIGH,
    controls=["VN-SIGN-01"],
    remediation="Have the CA reissue the certificate signed with SHA-256 or stronger.",
    observes=SigningCertificate,
    by=attrgetter("cert.signature_hash"),
)
def signature_hash(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    hashes = _policy().signature_hashes
    used = obs.cert.signature_hash
    if used in hashes.allowed:
        return group(Status.PASS, "Signed with SHA-256 or stronger")
    return Outcome(
        Status.FAIL,
        f"Certificate of {_who(obs.cert)} is signed with {used or 'an unrecognised algorithm'}.",
        cert_evidence(obs, signature_hash=used, allowed=sorted(hashes.allowed), source=hashes.source),
    )


# --- chain and revocation ----------------------------------------------------------------------


@folded_check(
    id="SIGN-008",
    title="Certificate chains to a configured government trust anchor",
    severity=Severity.HIGH,
    controls=["VN-SIGN-06"],
    remediation=(
        "Use certificates issued by the government CA (public-service signatures) or a licensed public "
        "CA; add the missing intermediate certificate to the sources, or correct trust_anchors."
    ),
    observes=SigningCertificate,
    by=attrgetter("chain"),
)
def chain(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    result = obs.chain
    if result.status == CHAIN_VALID:
        return group(Status.PASS, "Chain validates: " + " → ".join(result.path))
    if result.status == CHAIN_UNCONFIGURED:
        return group(Status.SKIP, "No trust anchors are configured (signing_certs.trust_anchors)")
    if result.status == CHAIN_ERROR:
        return group(Status.ERROR, f"Chain not checked: {result.reason}")
    return Outcome(
        Status.FAIL,
        f"Certificate of {_who(obs.cert)} does not chain to a trust anchor: {result.reason}.",
        cert_evidence(obs, issuer_dn=obs.cert.issuer_dn, reason=result.reason),
    )


@folded_check(
    id="SIGN-009",
    title="Certificate is not revoked",
    severity=Severity.CRITICAL,
    controls=["VN-SIGN-04"],
    remediation=(
        "Stop accepting signatures made after the revocation date and remove the certificate from use. "
        "When the status is unknown, make the CRL distribution point or OCSP responder reachable from "
        "the audit station, or supply the CA's CRL file (crl_files)."
    ),
    observes=SigningCertificate,
    by=attrgetter("revocation"),
)
def revocation(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    result = obs.revocation
    if result.status == REVOCATION_NOT_CHECKED:
        return None
    if result.status == REVOCATION_GOOD:
        return group(Status.PASS, "Not revoked (CRL or OCSP answer verified)")
    if result.status == REVOCATION_REVOKED:
        when = _day(result.revoked_at) if result.revoked_at else "an unknown date"
        why = f" ({result.revocation_reason})" if result.revocation_reason else ""
        return Outcome(
            Status.FAIL,
            f"Certificate of {_who(obs.cert)} was revoked on {when}{why} according to {result.source}.",
            cert_evidence(
                obs,
                revoked_at=result.revoked_at.isoformat() if result.revoked_at else None,
                reason=result.revocation_reason,
                source=result.source,
            ),
        )
    return Outcome(  # could not confirm: below the severity of a confirmed revocation
        Status.WARN,
        f"Revocation unknown for {_who(obs.cert)}: {result.reason.removeprefix('revocation unknown: ')}.",
        cert_evidence(
            obs,
            reason=result.reason,
            source=result.source,
            crl_urls=list(obs.cert.crl_urls),
            ocsp_urls=list(obs.cert.ocsp_urls),
        ),
        severity=Severity.MEDIUM,
    )


@folded_check(
    id="SIGN-010",
    title="Certificate files are readable",
    severity=Severity.MEDIUM,
    controls=["VN-SIGN-02"],
    remediation=(
        "Replace the file with an intact export from the CA or token (PEM, DER, PKCS#7 or PKCS#12); "
        "for PKCS#12, name the environment variable holding its password in pkcs12_password_env."
    ),
    observes=SigningFile,
)
def file_readable(obs: SigningFile, ctx: RuleContext) -> Verdict:
    if obs.error is None:
        return group(Status.PASS, "Files read")
    return Outcome(
        Status.ERROR,
        f"Cannot read {obs.role} file {obs.path}: {obs.error}.",
        {
            "file": obs.path,
            "role": obs.role,
            "format": obs.kind,
            "certificates_read": obs.certificates,
            "error": obs.error,
        },
    )


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _renewal_starts(ctx: RuleContext) -> dict[tuple[str, str, str], datetime]:
    """Earliest start per (site, subject, key): a later certificate for the same pair is a renewal."""
    first: dict[tuple[str, str, str], datetime] = {}
    for obs in ctx.observations.of_type(SigningCertificate):
        key = (obs.target.site, obs.cert.subject, obs.cert.spki_sha256)
        if key not in first or obs.cert.not_before < first[key]:
            first[key] = obs.cert.not_before
    return first


@functools.cache
def _surely_within(years: int) -> timedelta:
    """365 days a year plus the day of grace: no span this long exceeds `years` calendar years."""
    return timedelta(days=365 * years + 1)


@functools.cache
def _within(regime: str) -> Group:
    return group(Status.PASS, f"Validity within the {regime} limits")


@functools.cache
def _regime(issuer_dn: str) -> tuple[str, Regime]:
    return _policy().validity.regime_for(issuer_dn)


@folded_check(
    id="SIGN-011",
    title="Validity period is within the regime's limit",
    severity=Severity.MEDIUM,
    controls=["VN-SIGN-03"],
    remediation=(
        "Ask the CA to reissue within the legal limit (Decree 68/2024 Art. 9: 5 years for a new "
        "public-service certificate, 3 years for a renewal) and review its issuing profile."
    ),
    observes=SigningCertificate,
)
def validity_limit(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    cert = obs.cert
    name, regime = _regime(cert.issuer_dn)
    first = ctx.derived(_renewal_starts)[(obs.target.site, cert.subject, cert.spki_sha256)]
    renewed = first < cert.not_before
    years = regime.renewed_years if renewed else regime.new_years
    if cert.not_after - cert.not_before <= _surely_within(years) or cert.not_after <= _add_years(
        cert.not_before, years
    ) + timedelta(days=1):
        return _within(name)
    span = (cert.not_after - cert.not_before).days
    kind = "renewed" if renewed else "new"
    return Outcome(
        Status.FAIL,
        f"Certificate of {_who(cert)} is valid for {span} days ({span / 365.25:.1f} years), more than the "
        f"{years}-year limit for a {kind} {name.replace('_', '-')} certificate.",
        cert_evidence(
            obs,
            regime=name,
            renewal=renewed,
            limit_years=years,
            validity_days=span,
            not_before=cert.not_before.isoformat(),
            not_after=cert.not_after.isoformat(),
            source=regime.source,
        ),
    )


@folded_check(
    id="SIGN-012",
    title="Certificate names a CRL distribution point or OCSP responder",
    severity=Severity.MEDIUM,
    controls=["VN-SIGN-02"],
    remediation=(
        "Have the CA issue certificates with a CRL distribution point and an OCSP address (RFC 5280, "
        "RFC 6960) so relying parties can check revocation."
    ),
    observes=SigningCertificate,
    by=attrgetter("cert.crl_urls", "cert.ocsp_urls"),
)
def revocation_pointers(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    if obs.cert.crl_urls or obs.cert.ocsp_urls:
        return group(Status.PASS, "Certificate names where to check its revocation")
    return Outcome(
        Status.FAIL,
        f"Certificate of {_who(obs.cert)} names no CRL distribution point and no OCSP responder: its "
        "revocation cannot be checked.",
        cert_evidence(obs),
    )


# --- roster ----------------------------------------------------------------------------------------


def usable(obs: SigningCertificate, now: datetime) -> bool:
    """A certificate an official can sign with today: in its period, not revoked, chain not broken."""
    cert = obs.cert
    return (
        cert.not_before <= now <= cert.not_after
        and obs.revocation.status != REVOCATION_REVOKED
        and obs.chain.status != CHAIN_INVALID
    )


def _unusable_because(obs: SigningCertificate, now: datetime) -> str:
    cert = obs.cert
    if cert.not_after < now:
        return f"expired on {_day(cert.not_after)}"
    if cert.not_before > now:
        return f"not valid before {_day(cert.not_before)}"
    if obs.revocation.status == REVOCATION_REVOKED:
        return "revoked"
    return f"chain invalid: {obs.chain.reason}"


@dataclass
class SiteRoster:
    """A site's roster rows, indexed for matching."""

    configured: bool
    error: str | None = None
    by_id: dict[str, RosterEntry] = field(default_factory=dict)
    by_serial: dict[str, RosterEntry] = field(default_factory=dict)


@dataclass
class RosterIndex:
    """Every roster joined with every certificate, built once per run."""

    sites: dict[str, SiteRoster]
    owner: dict[int, RosterEntry] = field(default_factory=dict)  # id(certificate) → its roster row
    official: dict[int, str] = field(default_factory=dict)  # id(certificate) → official key
    certs_of: dict[int, list[SigningCertificate]] = field(default_factory=dict)  # id(row) → certificates
    usable_of: dict[tuple[str, str], list[SigningCertificate]] = field(default_factory=dict)


def _roster_index(ctx: RuleContext) -> RosterIndex:
    """Match by a serial listed in the roster, else by the identifier in the subject (docs/signing.md)."""
    now = ctx.options.now
    sites = {}
    for name, site in ctx.inventory.sites.items():
        spec = site.data.signing_certs
        sites[name] = SiteRoster(spec is not None and spec.roster is not None)
    index = RosterIndex(sites)
    for failed in ctx.observations.of_type(CollectionFailed):
        if failed.expected is RosterEntry and failed.target.site in sites:
            sites[failed.target.site].error = failed.reason
    for entry in ctx.observations.of_type(RosterEntry):
        roster = sites.setdefault(entry.target.site, SiteRoster(True))
        roster.by_id.setdefault(official_key(entry.official_id), entry)
        for serial in entry.serials:
            roster.by_serial.setdefault(serial, entry)
    for obs in ctx.observations.of_type(SigningCertificate):
        roster = sites.setdefault(obs.target.site, SiteRoster(False))
        subject_key = official_key(obs.cert.identifier)
        owner = roster.by_serial.get(obs.cert.serial) or roster.by_id.get(subject_key)
        key = subject_key
        if owner is not None:
            index.owner[id(obs)] = owner
            index.certs_of.setdefault(id(owner), []).append(obs)
            key = official_key(owner.official_id)
        if key:
            index.official[id(obs)] = key
            if usable(obs, now):
                index.usable_of.setdefault((obs.target.site, key), []).append(obs)
    return index


ROSTER_REMEDIATION = (
    "Reconcile the roster with the CA's records: request certificates for active officials, revoke the "
    "certificates of officials who left, retired or changed position (Decree 68/2024 Arts 15 and 17), "
    "and keep the roster's cert_serials column up to date."
)


@folded_check(
    id="SIGN-101",
    title="Every active official holds a valid certificate",
    severity=Severity.HIGH,
    controls=["VN-SIGN-05"],
    remediation=ROSTER_REMEDIATION,
    observes=RosterEntry,
)
def official_has_certificate(entry: RosterEntry, ctx: RuleContext) -> Verdict:
    if entry.problem:
        return Outcome(
            Status.ERROR,
            f"Roster row {entry.row} ({entry.official_id or 'no id'}) cannot be judged: {entry.problem}.",
            {
                "file": entry.file,
                "row": entry.row,
                "official_id": entry.official_id,
                "problem": entry.problem,
            },
        )
    if entry.status != "active":
        return None
    matched = ctx.derived(_roster_index).certs_of.get(id(entry), [])
    now = ctx.options.now
    if any(usable(c, now) for c in matched):
        return group(Status.PASS, "Active official holds a valid certificate")
    found = [
        {"serial": c.cert.serial, "file": c.file, "why_not_valid": _unusable_because(c, now)} for c in matched
    ]
    detail = f" ({len(found)} unusable certificate(s) found)" if found else ""
    return Outcome(
        Status.FAIL,
        f"{entry.name} ({entry.official_id}, {entry.unit}) is active but holds no valid signing "
        f"certificate{detail}.",
        {
            "official_id": entry.official_id,
            "name": entry.name,
            "unit": entry.unit,
            "position": entry.position,
            "row": entry.row,
            "certificates": found,
        },
    )


def _roster_for(obs: SigningCertificate, ctx: RuleContext) -> RosterIndex | Group | None:
    """The roster index when a roster check applies to this certificate, else the verdict to give."""
    index: RosterIndex = ctx.derived(_roster_index)
    roster = index.sites[obs.target.site]
    if not roster.configured or not usable(obs, ctx.options.now):
        return None
    if roster.error:
        return group(Status.ERROR, f"Roster unreadable: {roster.error}")
    return index


@folded_check(
    id="SIGN-102",
    title="Valid certificates belong to active officials on the roster",
    severity=Severity.CRITICAL,
    controls=["VN-SIGN-05"],
    remediation=ROSTER_REMEDIATION,
    observes=SigningCertificate,
)
def holder_on_roster(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    index = _roster_for(obs, ctx)
    if not isinstance(index, RosterIndex):
        return index
    entry = index.owner.get(id(obs))
    if entry is None:
        return Outcome(
            Status.FAIL,
            f"Valid certificate of {_who(obs.cert)} belongs to nobody on the roster: it should be revoked.",
            cert_evidence(obs, identifier=obs.cert.identifier),
        )
    if entry.problem:
        return Outcome(
            Status.ERROR,
            f"Roster row {entry.row} for {entry.official_id} cannot be judged: {entry.problem}.",
            cert_evidence(obs, official_id=entry.official_id, row=entry.row, problem=entry.problem),
        )
    if entry.status != "active":
        return Outcome(
            Status.FAIL,
            f"Valid certificate of {entry.name} ({entry.official_id}), whose roster status is "
            f"'{entry.status_text}', should be revoked.",
            cert_evidence(obs, official_id=entry.official_id, roster_status=entry.status, row=entry.row),
        )
    return group(Status.PASS, "Holder is an active official on the roster")


ONLY_CERTIFICATE = group(Status.PASS, "Only or newest valid certificate of its holder")


@folded_check(
    id="SIGN-103",
    title="Each official holds one valid certificate",
    severity=Severity.MEDIUM,
    controls=["VN-SIGN-05"],
    remediation=(
        "Keep one valid signing certificate per official: revoke the older ones once the newest is in use."
    ),
    observes=SigningCertificate,
)
def one_certificate_each(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    index: RosterIndex = ctx.derived(_roster_index)
    key = index.official.get(id(obs))
    if key is None or not usable(obs, ctx.options.now):
        return None
    siblings = index.usable_of[(obs.target.site, key)]
    if len(siblings) == 1:
        return ONLY_CERTIFICATE
    newest = max(siblings, key=lambda c: (c.cert.not_before, c.cert.serial))
    if newest is obs:
        return ONLY_CERTIFICATE
    return Outcome(
        Status.FAIL,
        f"{_who(obs.cert)} holds {len(siblings)} valid certificates; this older one "
        f"(serial {obs.cert.serial}) should be revoked in favour of serial {newest.cert.serial}.",
        cert_evidence(
            obs,
            official=key,
            newest_serial=newest.cert.serial,
            valid_certificates=[
                {"serial": c.cert.serial, "file": c.file, "not_before": c.cert.not_before.isoformat()}
                for c in siblings
            ],
        ),
    )


def _differences(obs: SigningCertificate, entry: RosterEntry) -> list[dict[str, str]]:
    cert = obs.cert
    found = []
    units = {fold(cert.unit)} | {fold(u) for u in cert.unit.split(", ")}
    if cert.unit and fold(entry.unit) not in units:
        found.append({"field": "unit", "certificate": cert.unit, "roster": entry.unit})
    if cert.position and fold(cert.position) != fold(entry.position):
        found.append({"field": "position", "certificate": cert.position, "roster": entry.position})
    return found


@folded_check(
    id="SIGN-104",
    title="Certificate unit and position match the roster",
    severity=Severity.MEDIUM,
    controls=["VN-SIGN-05"],
    remediation=ROSTER_REMEDIATION,
    observes=SigningCertificate,
)
def matches_roster(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    index = _roster_for(obs, ctx)
    if not isinstance(index, RosterIndex):
        return index
    entry = index.owner.get(id(obs))
    if entry is None or entry.status != "active" or not (obs.cert.unit or obs.cert.position):
        return None
    differences = _differences(obs, entry)
    if not differences:
        return group(Status.PASS, "Unit and position match the roster")
    said = "; ".join(f"{d['field']} '{d['certificate']}' vs roster '{d['roster']}'" for d in differences)
    return Outcome(
        Status.FAIL,
        f"Certificate of {entry.name} ({entry.official_id}) no longer matches the roster: {said}.",
        cert_evidence(obs, official_id=entry.official_id, differences=differences),
    )
