"""SIGN checks: pure judgements of officials' signing certificates, files and roster rows.

Scale: a province audits 100,000 certificates, and a finding costs about 1.4 kB, so a PASS per
certificate per check would not fit in memory. Validity (SIGN-001/002/003) is reported per
certificate because the expiry list needs every one; every other check reports each problem per
certificate (or row, or file) and folds the verdicts shared by many into one finding per site
("key meets the minimum (9,870 certificates)") whose evidence counts them. See docs/signing.md.
Their words are in checks.yaml; a rule returns a message key and its parameters.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, TypeVar

from p06audit.checks.signing.facts import (
    CHAIN_ERROR,
    CHAIN_INVALID,
    CHAIN_UNCONFIGURED,
    CHAIN_VALID,
    REVOCATION_GOOD,
    REVOCATION_NOT_CHECKED,
    REVOCATION_REVOKED,
    CertFacts,
    Reason,
)
from p06audit.checks.signing.family import signing_of
from p06audit.checks.signing.observations import RosterEntry, SigningCertificate, SigningFile, message
from p06audit.checks.signing.policy import Regime, SigningPolicy, fold, load_policy
from p06audit.checks.signing.roster import official_key
from p06audit.inventory import Site
from p06audit.model import CollectionFailed, Observation, Outcome, Severity, Status, Target
from p06audit.registry import BatchRule, RuleContext, rule, rule_failed
from p06audit.text import Message, say

ObsT = TypeVar("ObsT", bound=Observation)

# Per observation type: the resource a folded finding is about, and the message naming what it counts.
SITE_RESOURCES: dict[type[Observation], tuple[str, str]] = {
    SigningCertificate: ("signing certificates", "signing.what_certificates"),
    SigningFile: ("signing certificate files", "signing.what_files"),
    RosterEntry: ("roster", "signing.what_rows"),
}
SAMPLE = 10


class Group:
    """A verdict many items share; it becomes one finding per site that counts them. Made by
    `group()`, which interns them, or once per site (an unreadable roster), so they hash and
    compare by identity (cheap at 100,000 items)."""

    __slots__ = ("message", "status")

    def __init__(self, status: Status, message: Message) -> None:
        self.status = status
        self.message = message


_GROUPS: dict[tuple[Status, str, tuple[tuple[str, Hashable], ...]], Group] = {}


def group(status: Status, key: str, /, **params: Hashable) -> Group:
    """The one Group of this status and message; a Reason parameter is said as its message."""
    index = (status, key, tuple(params.items()))
    found = _GROUPS.get(index)
    if found is None:
        said = {name: message(v) if isinstance(v, Reason) else v for name, v in params.items()}
        found = _GROUPS[index] = Group(status, say(key, **said))
    return found


Verdict = Outcome | Group | None
Judge = Callable[[Any, RuleContext], Verdict]
Judged = list[tuple[Observation, Outcome]]


def folded_rule(
    check_id: str, *, observes: type[ObsT], by: Callable[[ObsT], Hashable] | None = None
) -> Callable[[Judge], BatchRule]:
    """The rule of `check_id` (text in checks.yaml) from a judge that looks at one item: a batch
    rule over a site's items of type `observes` where per-item outcomes stay and shared `Group`
    verdicts fold into one finding for the site. `by` names everything the judge reads: items with
    the same value share its Group verdict without another call (a CA issues 100,000 certificates
    from a handful of profiles)."""

    def register(judge: Judge) -> BatchRule:
        @functools.wraps(judge)
        def judge_site(items: Sequence[ObsT], ctx: RuleContext) -> Judged:
            return _judge_all(items, ctx, observes, judge, by)

        return rule(check_id, observes=observes, batch=True)(judge_site)

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
        count = len(same)
        outcome = Outcome(
            shared.status,
            say("signing.folded", verdict=shared.message, count=count, what=say(noun, count=count)),
            {"count": count, "sample": [m.target.resource for m in same[:SAMPLE]]},
            target=Target(site=same[0].target.site, resource=resource),
        )
        judged.append((same[0], outcome))
    return judged


def _policy() -> SigningPolicy:
    return load_policy()


def _who(cert: CertFacts) -> Message | str:
    """The holder as a person names them: with their unit when the certificate gives one."""
    name = cert.holder or cert.subject
    return say("signing.holder_in_unit", holder=name, unit=cert.unit) if cert.unit else name


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
    spec = signing_of(site) if site is not None else None
    days = sorted(spec.warn_days if spec is not None and spec.warn_days else expiry.warn_days)
    return tuple((d, expiry.severities[min(i, len(expiry.severities) - 1)]) for i, d in enumerate(days))


# --- validity: one finding per certificate, the expiry list ---------------------------------


@rule("SIGN-001", observes=SigningCertificate)
def expired(obs: SigningCertificate, ctx: RuleContext) -> Outcome | None:
    now = ctx.options.now
    cert = obs.cert
    if cert.not_after >= now:
        return None
    evidence = expiry_evidence(obs, now)
    said = say("SIGN-001.expired", who=_who(cert), expired=cert.not_after, days=-evidence["days_left"])
    return Outcome(Status.FAIL, said, evidence)


@rule("SIGN-002", observes=SigningCertificate, batch=True)
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
            said = say("SIGN-002.expiring", who=_who(cert), expires=cert.not_after, days=left, window=days)
            return Outcome(Status.WARN, said, evidence, severity=severity)
    return Outcome(Status.PASS, say("SIGN-002.valid_until", who=_who(cert), expires=cert.not_after), evidence)


@rule("SIGN-003", observes=SigningCertificate)
def not_yet_valid(obs: SigningCertificate, ctx: RuleContext) -> Outcome | None:
    now = ctx.options.now
    cert = obs.cert
    if cert.not_before <= now:
        return None
    said = say("SIGN-003.not_yet_valid", who=_who(cert), starts=cert.not_before)
    return Outcome(Status.FAIL, said, expiry_evidence(obs, now))


# --- profile ---------------------------------------------------------------------------------

KEY_USAGE_OK = group(Status.PASS, "SIGN-004.includes")


@folded_rule("SIGN-004", observes=SigningCertificate, by=attrgetter("cert.key_usage"))
def key_usage(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    required = _policy().key_usage.required
    usage = obs.cert.key_usage
    if usage is None:
        return Outcome(
            Status.FAIL,
            say("SIGN-004.no_key_usage", who=_who(obs.cert)),
            cert_evidence(obs, key_usage=None, required=sorted(required)),
        )
    missing = sorted(required - usage)
    if missing:
        return Outcome(
            Status.FAIL,
            say("SIGN-004.lacks", who=_who(obs.cert), missing=missing),
            cert_evidence(obs, key_usage=sorted(usage), missing=missing),
        )
    return KEY_USAGE_OK


UNRESTRICTED = group(Status.PASS, "SIGN-005.unrestricted")
ALLOWS_SIGNING = group(Status.PASS, "SIGN-005.allows_signing")


@folded_rule("SIGN-005", observes=SigningCertificate, by=attrgetter("cert.extended_key_usage"))
def extended_key_usage(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    policy = _policy().extended_key_usage
    eku = obs.cert.extended_key_usage
    if eku is None:
        return UNRESTRICTED
    if set(eku) & policy.allowed_oids():
        return ALLOWS_SIGNING
    names = {u.oid: u.name for u in policy.allowed}
    return Outcome(
        Status.FAIL,
        say("SIGN-005.no_signing_purpose", who=_who(obs.cert), usages=list(eku)),
        cert_evidence(obs, extended_key_usage=list(eku), accepted=names),
    )


@folded_rule(
    "SIGN-006", observes=SigningCertificate, by=attrgetter("cert.key_type", "cert.key_bits", "cert.roca")
)
def key_strength(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    keys = _policy().keys
    cert = obs.cert
    evidence = cert_evidence(obs, key_type=cert.key_type, key_bits=cert.key_bits)
    if cert.key_type == "RSA" and cert.roca:
        return Outcome(
            Status.FAIL,
            say("SIGN-006.roca", who=_who(cert)),
            {**evidence, "roca": True, "source": keys.roca_source},
            severity=Severity.CRITICAL,
        )
    minimum = {"RSA": keys.rsa_min_bits, "EC": keys.ec_min_bits}.get(cert.key_type)
    if minimum is None:
        return Outcome(
            Status.FAIL,
            say("SIGN-006.other_algorithm", who=_who(cert), key_type=cert.key_type),
            {**evidence, "source": keys.source},
        )
    if cert.key_bits < minimum:
        return Outcome(
            Status.FAIL,
            say(
                "SIGN-006.too_short",
                who=_who(cert),
                key_type=cert.key_type,
                bits=cert.key_bits,
                minimum=minimum,
            ),
            {**evidence, "minimum_bits": minimum, "source": keys.source},
        )
    return group(Status.PASS, "SIGN-006.strong", rsa=keys.rsa_min_bits, ec=keys.ec_min_bits)


HASH_OK = group(Status.PASS, "SIGN-007.strong")


@folded_rule("SIGN-007", observes=SigningCertificate, by=attrgetter("cert.signature_hash"))
def signature_hash(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    hashes = _policy().signature_hashes
    used = obs.cert.signature_hash
    if used in hashes.allowed:
        return HASH_OK
    said = (
        say("SIGN-007.weak", who=_who(obs.cert), algorithm=used)
        if used
        else say("SIGN-007.unrecognised", who=_who(obs.cert))
    )
    return Outcome(
        Status.FAIL,
        said,
        cert_evidence(obs, signature_hash=used, allowed=sorted(hashes.allowed), source=hashes.source),
    )


# --- chain and revocation ----------------------------------------------------------------------

NO_ANCHORS = group(Status.SKIP, "SIGN-008.no_anchors")


def _why(reason: Reason | None) -> Message:
    """The reason a verdict other than valid or good always carries."""
    if reason is None:
        raise ValueError("a chain or revocation verdict came without its reason")
    return message(reason)


@folded_rule("SIGN-008", observes=SigningCertificate, by=attrgetter("chain"))
def chain(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    result = obs.chain
    if result.status == CHAIN_VALID:
        return group(Status.PASS, "SIGN-008.valid", path=" → ".join(result.path))
    if result.status == CHAIN_UNCONFIGURED:
        return NO_ANCHORS
    if result.status == CHAIN_ERROR:
        return group(Status.ERROR, "SIGN-008.not_checked", reason=result.reason)
    why = _why(result.reason)
    return Outcome(
        Status.FAIL,
        say("SIGN-008.untrusted", who=_who(obs.cert), reason=why),
        cert_evidence(obs, issuer_dn=obs.cert.issuer_dn, reason=why.to_json()),
    )


NOT_REVOKED = group(Status.PASS, "SIGN-009.not_revoked")
UNKNOWN_DATE = say("SIGN-009.unknown_date")


@folded_rule("SIGN-009", observes=SigningCertificate, by=attrgetter("revocation"))
def revocation(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    result = obs.revocation
    if result.status == REVOCATION_NOT_CHECKED:
        return None
    if result.status == REVOCATION_GOOD:
        return NOT_REVOKED
    if result.status == REVOCATION_REVOKED:
        when = result.revoked_at or UNKNOWN_DATE
        who = _who(obs.cert)
        said = (
            say(
                "SIGN-009.revoked_because",
                who=who,
                when=when,
                reason=result.revocation_reason,
                source=result.source,
            )
            if result.revocation_reason
            else say("SIGN-009.revoked", who=who, when=when, source=result.source)
        )
        return Outcome(
            Status.FAIL,
            said,
            cert_evidence(
                obs,
                revoked_at=result.revoked_at.isoformat() if result.revoked_at else None,
                reason=result.revocation_reason,
                source=result.source,
            ),
        )
    why = _why(result.reason)
    return Outcome(  # could not confirm: below the severity of a confirmed revocation
        Status.WARN,
        say("SIGN-009.unknown", who=_who(obs.cert), reason=why),
        cert_evidence(
            obs,
            reason=why.to_json(),
            source=result.source,
            crl_urls=list(obs.cert.crl_urls),
            ocsp_urls=list(obs.cert.ocsp_urls),
        ),
        severity=Severity.MEDIUM,
    )


FILES_READ = group(Status.PASS, "SIGN-010.read")
ROLES = {  # SigningFile.role → how the file is named in a sentence
    "source": say("signing.role_source"),
    "trust anchors": say("signing.role_trust_anchors"),
    "CRL": say("signing.role_crl"),
}


@folded_rule("SIGN-010", observes=SigningFile)
def file_readable(obs: SigningFile, ctx: RuleContext) -> Verdict:
    if obs.error is None:
        return FILES_READ
    return Outcome(
        Status.ERROR,
        say("SIGN-010.unreadable", role=ROLES.get(obs.role, obs.role), file=obs.path, error=obs.error),
        {
            "file": obs.path,
            "role": obs.role,
            "format": obs.kind,
            "certificates_read": obs.certificates,
            "error": obs.error.to_json(),
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


def _regime_name(name: str) -> str:
    return name.replace("_", "-")


@functools.cache
def _within(regime: str) -> Group:
    return group(Status.PASS, "SIGN-011.within", regime=_regime_name(regime))


@functools.cache
def _regime(issuer_dn: str) -> tuple[str, Regime]:
    return _policy().validity.regime_for(issuer_dn)


@folded_rule("SIGN-011", observes=SigningCertificate)
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
    return Outcome(
        Status.FAIL,
        say(
            "SIGN-011.too_long_renewed" if renewed else "SIGN-011.too_long_new",
            who=_who(cert),
            days=span,
            years=round(span / 365.25, 1),
            limit=years,
            regime=_regime_name(name),
        ),
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


POINTERS_NAMED = group(Status.PASS, "SIGN-012.named")


@folded_rule("SIGN-012", observes=SigningCertificate, by=attrgetter("cert.crl_urls", "cert.ocsp_urls"))
def revocation_pointers(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    if obs.cert.crl_urls or obs.cert.ocsp_urls:
        return POINTERS_NAMED
    return Outcome(Status.FAIL, say("SIGN-012.none", who=_who(obs.cert)), cert_evidence(obs))


# --- roster ----------------------------------------------------------------------------------------


def usable(obs: SigningCertificate, now: datetime) -> bool:
    """A certificate an official can sign with today: in its period, not revoked, chain not broken."""
    cert = obs.cert
    return (
        cert.not_before <= now <= cert.not_after
        and obs.revocation.status != REVOCATION_REVOKED
        and obs.chain.status != CHAIN_INVALID
    )


def _why_unusable(obs: SigningCertificate, now: datetime) -> str:
    """Evidence, so a code: expired, not_yet_valid, revoked or chain_invalid."""
    cert = obs.cert
    if cert.not_after < now:
        return "expired"
    if cert.not_before > now:
        return "not_yet_valid"
    if obs.revocation.status == REVOCATION_REVOKED:
        return "revoked"
    return "chain_invalid"


@dataclass
class SiteRoster:
    """A site's roster rows, indexed for matching."""

    configured: bool
    unreadable: Group | None = None  # the verdict on its certificates when the roster could not be read
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
        spec = signing_of(site)
        sites[name] = SiteRoster(spec is not None and spec.roster is not None)
    index = RosterIndex(sites)
    for failed in ctx.observations.of_type(CollectionFailed):
        if failed.expected is RosterEntry and failed.target.site in sites:
            verdict = say("signing.roster_unreadable_verdict", reason=failed.reason)
            sites[failed.target.site].unreadable = Group(Status.ERROR, verdict)
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


NO_OFFICIAL_ID = say("signing.no_official_id")


def _unjudgeable(entry: RosterEntry, problem: Message) -> Message:
    official = entry.official_id or NO_OFFICIAL_ID
    return say("signing.row_unjudgeable", row=entry.row, official=official, problem=problem)


HOLDS_VALID = group(Status.PASS, "SIGN-101.holds_valid")


@folded_rule("SIGN-101", observes=RosterEntry)
def official_has_certificate(entry: RosterEntry, ctx: RuleContext) -> Verdict:
    if entry.problem:
        return Outcome(
            Status.ERROR,
            _unjudgeable(entry, entry.problem),
            {
                "file": entry.file,
                "row": entry.row,
                "official_id": entry.official_id,
                "problem": entry.problem.to_json(),
            },
        )
    if entry.status != "active":
        return None
    matched = ctx.derived(_roster_index).certs_of.get(id(entry), [])
    now = ctx.options.now
    if any(usable(c, now) for c in matched):
        return HOLDS_VALID
    found = [
        {"serial": c.cert.serial, "file": c.file, "why_not_valid": _why_unusable(c, now)} for c in matched
    ]
    who = {"name": entry.name, "official_id": entry.official_id, "unit": entry.unit}
    said = (
        say("SIGN-101.holds_only_unusable", **who, count=len(found))
        if found
        else say("SIGN-101.holds_none", **who)
    )
    return Outcome(
        Status.FAIL,
        said,
        {**who, "position": entry.position, "row": entry.row, "certificates": found},
    )


def _roster_for(obs: SigningCertificate, ctx: RuleContext) -> RosterIndex | Group | None:
    """The roster index when a roster check applies to this certificate, else the verdict to give."""
    index: RosterIndex = ctx.derived(_roster_index)
    roster = index.sites[obs.target.site]
    if not roster.configured or not usable(obs, ctx.options.now):
        return None
    if roster.unreadable is not None:
        return roster.unreadable
    return index


ON_ROSTER = group(Status.PASS, "SIGN-102.on_roster")


@folded_rule("SIGN-102", observes=SigningCertificate)
def holder_on_roster(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    index = _roster_for(obs, ctx)
    if not isinstance(index, RosterIndex):
        return index
    entry = index.owner.get(id(obs))
    if entry is None:
        return Outcome(
            Status.FAIL,
            say("SIGN-102.nobody", who=_who(obs.cert)),
            cert_evidence(obs, identifier=obs.cert.identifier),
        )
    if entry.problem:
        return Outcome(
            Status.ERROR,
            _unjudgeable(entry, entry.problem),
            cert_evidence(obs, official_id=entry.official_id, row=entry.row, problem=entry.problem.to_json()),
        )
    if entry.status != "active":
        return Outcome(
            Status.FAIL,
            say(
                "SIGN-102.not_active",
                name=entry.name,
                official_id=entry.official_id,
                status=entry.status_text,
            ),
            cert_evidence(obs, official_id=entry.official_id, roster_status=entry.status, row=entry.row),
        )
    return ON_ROSTER


ONLY_CERTIFICATE = group(Status.PASS, "SIGN-103.only_or_newest")


@folded_rule("SIGN-103", observes=SigningCertificate)
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
        say(
            "SIGN-103.older",
            who=_who(obs.cert),
            count=len(siblings),
            serial=obs.cert.serial,
            newest=newest.cert.serial,
        ),
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


DIFFERENCES = {"unit": "SIGN-104.unit_differs", "position": "SIGN-104.position_differs"}


def _differences(obs: SigningCertificate, entry: RosterEntry) -> list[dict[str, str]]:
    cert = obs.cert
    found = []
    units = {fold(cert.unit)} | {fold(u) for u in cert.unit.split(", ")}
    if cert.unit and fold(entry.unit) not in units:
        found.append({"field": "unit", "certificate": cert.unit, "roster": entry.unit})
    if cert.position and fold(cert.position) != fold(entry.position):
        found.append({"field": "position", "certificate": cert.position, "roster": entry.position})
    return found


ROSTER_MATCH = group(Status.PASS, "SIGN-104.match")


@folded_rule("SIGN-104", observes=SigningCertificate)
def matches_roster(obs: SigningCertificate, ctx: RuleContext) -> Verdict:
    index = _roster_for(obs, ctx)
    if not isinstance(index, RosterIndex):
        return index
    entry = index.owner.get(id(obs))
    if entry is None or entry.status != "active" or not (obs.cert.unit or obs.cert.position):
        return None
    differences = _differences(obs, entry)
    if not differences:
        return ROSTER_MATCH
    said = [
        say(DIFFERENCES[d["field"]], certificate=d["certificate"], roster=d["roster"]) for d in differences
    ]
    return Outcome(
        Status.FAIL,
        say("SIGN-104.differs", name=entry.name, official_id=entry.official_id, differences=said),
        cert_evidence(obs, official_id=entry.official_id, differences=differences),
    )
