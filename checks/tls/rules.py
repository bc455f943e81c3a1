"""TLS-001..TLS-015: pure rules over one endpoint's TlsEndpointObservation.

Thresholds and suite lists come from policy.yaml; the warning window from the inventory
(`tls_warn_days`); the words from checks.yaml (each rule returns a message key and its parameters).
A part the collector could not observe turns only the checks reading it ERROR.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from p06audit.checks.tls.family import TlsDefaults
from p06audit.checks.tls.observations import (
    LEGACY_PROTOCOLS,
    PROTOCOLS,
    CertificateDeployment,
    CertificateFacts,
    ProtocolResult,
    TlsEndpointObservation,
)
from p06audit.checks.tls.policy import load_policy
from p06audit.model import Outcome, Status
from p06audit.registry import RuleContext, rule
from p06audit.text import Message, say

_ORDER = (Status.PASS, Status.SKIP, Status.WARN, Status.ERROR, Status.FAIL)
SECONDS_PER_DAY = 86400


def _fact(reason: Message | str) -> Any:
    """A reason as evidence: the message's key and parameters, not a sentence in one language."""
    return reason.to_json() if isinstance(reason, Message) else reason


def _error(reason: Message | str) -> Outcome:
    return Outcome(Status.ERROR, say("core.could_not_check", reason=reason), {"reason": _fact(reason)})


def _protocols(obs: TlsEndpointObservation, names: Iterable[str]) -> list[ProtocolResult] | Message:
    """The scanned results for `names`, or why one of them is missing."""
    found = []
    for name in names:
        result = obs.protocol(name)
        if result is None:
            return obs.error(name) or say("tls.protocol_not_scanned", protocol=name)
        found.append(result)
    return found


def _accepted(results: Iterable[ProtocolResult]) -> dict[str, list[str]]:
    return {r.protocol: [s.name for s in r.accepted] for r in results if r.supported}


def _protocol_evidence(obs: TlsEndpointObservation) -> dict[str, Any]:
    return {
        "server_name": obs.server_name,
        "protocols_tested": [p.protocol for p in obs.protocols],
        "accepted_protocols": [p.protocol for p in obs.protocols if p.supported],
    }


def _reject_protocols(obs: TlsEndpointObservation, names: tuple[str, ...], refused: Message) -> Outcome:
    results = _protocols(obs, names)
    if isinstance(results, Message):
        return _error(results)
    accepted = _accepted(results)
    evidence = {**_protocol_evidence(obs), "accepted_suites": accepted}
    if accepted:
        return Outcome(Status.FAIL, say("tls.accepts", protocols=list(accepted)), evidence)
    return Outcome(Status.PASS, refused, evidence)


@rule("TLS-001", observes=TlsEndpointObservation, needs=["tls"])
def ssl_protocols_refused(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    return _reject_protocols(obs, ("SSL 2.0", "SSL 3.0"), say("TLS-001.refused"))


@rule("TLS-002", observes=TlsEndpointObservation, needs=["tls"])
def old_tls_refused(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    return _reject_protocols(obs, ("TLS 1.0", "TLS 1.1"), say("TLS-002.refused"))


@rule("TLS-003", observes=TlsEndpointObservation, needs=["tls"])
def modern_tls_supported(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    results = _protocols(obs, ("TLS 1.2", "TLS 1.3"))
    if isinstance(results, Message):
        return _error(results)
    tls12, tls13 = (r.supported for r in results)
    evidence = {**_protocol_evidence(obs), "tls_1_2": tls12, "tls_1_3": tls13}
    if not (tls12 or tls13):
        return Outcome(Status.FAIL, say("TLS-003.neither"), evidence)
    if tls12 and tls13:
        return Outcome(Status.PASS, say("TLS-003.both"), evidence)
    return Outcome(Status.PASS, say("TLS-003.tls12_only" if tls12 else "TLS-003.tls13_only"), evidence)


@rule("TLS-004", observes=TlsEndpointObservation, needs=["tls"])
def no_weak_suites(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    results = _protocols(obs, PROTOCOLS)
    if isinstance(results, Message):
        return _error(results)
    policy = load_policy()
    weak = {
        f"{r.protocol} {s.name}": entries
        for r in results
        for s in r.accepted
        if (entries := policy.weak_entries(s.name))
    }
    evidence = {
        **_protocol_evidence(obs),
        "weak_suites": {suite: [w.name for w in entries] for suite, entries in weak.items()},
        "accepted_suites": _accepted(results),
    }
    if weak:
        found = {w.kind for entries in weak.values() for w in entries}
        kinds = [say(f"TLS-004.{w.kind}") for w in policy.weak_suites if w.kind in found]
        return Outcome(Status.FAIL, say("TLS-004.weak", count=len(weak), kinds=kinds), evidence)
    return Outcome(Status.PASS, say("TLS-004.none"), evidence)


@rule("TLS-005", observes=TlsEndpointObservation, needs=["tls"])
def forward_secrecy(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    results = _protocols(obs, LEGACY_PROTOCOLS)
    if isinstance(results, Message):
        return _error(results)
    forward_secret = load_policy().forward_secret
    static = {
        r.protocol: names
        for r in results
        if (names := [s.name for s in r.accepted if not forward_secret.matches(s.name)])
    }
    evidence = {**_protocol_evidence(obs), "without_forward_secrecy": static}
    if static:
        count = sum(len(v) for v in static.values())
        return Outcome(Status.FAIL, say("TLS-005.static", count=count), evidence)
    if not any(r.supported for r in results):
        return Outcome(Status.PASS, say("TLS-005.tls13_only"), evidence)
    return Outcome(Status.PASS, say("TLS-005.all_ephemeral"), evidence)


@dataclass(frozen=True)
class Verdict:
    """One certificate deployment's result; a check combines them (worst wins)."""

    status: Status
    message: Message
    evidence: dict[str, Any] = field(default_factory=dict)


def _certificate_check(
    obs: TlsEndpointObservation, judge: Callable[[CertificateDeployment], Verdict]
) -> Outcome:
    problem = obs.error("certificate")
    if problem is None and obs.deployments is None:
        problem = say("tls.certificate_not_scanned")
    if problem is not None:
        return _error(problem)
    assert obs.deployments is not None
    if not obs.deployments:
        return Outcome(Status.FAIL, say("tls.no_certificate"), {"server_name": obs.server_name})
    verdicts = [judge(d) for d in obs.deployments]
    status = max((v.status for v in verdicts), key=_ORDER.index)
    messages: list[Message] = []
    for verdict in verdicts:
        if verdict.status == status and verdict.message not in messages:
            messages.append(verdict.message)
    message = messages[0] if len(messages) == 1 else say("tls.listing", items=messages)
    return Outcome(
        status, message, {"server_name": obs.server_name, "certificates": [v.evidence for v in verdicts]}
    )


def _subject(cert: CertificateFacts) -> str | Message:
    return cert.subject or say("tls.unparsable_subject")


def _unparsed(cert: CertificateFacts) -> Verdict | None:
    if cert.parse_error is None:
        return None
    return Verdict(
        Status.FAIL, say("tls.unparsable", subject=_subject(cert), error=cert.parse_error), cert.brief()
    )


def _checked_chain(d: CertificateDeployment) -> list[CertificateFacts]:
    """Leaf and intermediates as sent; a root the server also sends is the anchor's business."""
    return [c for i, c in enumerate(d.chain) if i == 0 or not (c.self_signed and c.is_ca)]


@rule("TLS-006", observes=TlsEndpointObservation, needs=["tls"])
def chain_trusted(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    def judge(d: CertificateDeployment) -> Verdict:
        v = d.validation
        evidence = {
            "received_chain": [c.brief() for c in d.chain],
            "path_to_anchor": list(v.path),
            "anchor_sources": [s.evidence() for s in v.anchor_sources],
            **({"problem": _fact(v.problem)} if v.problem else {}),
        }
        if not v.anchor_count:
            return Verdict(Status.ERROR, say("core.could_not_check", reason=v.problem), evidence)
        if v.trusted:
            return Verdict(Status.PASS, say("TLS-006.trusted", anchor=v.path[-1]), evidence)
        return Verdict(Status.FAIL, say("TLS-006.untrusted", problem=v.problem), evidence)

    return _certificate_check(obs, judge)


def name_matches(expected: str, dns_names: Iterable[str], ip_addresses: Iterable[str]) -> bool:
    """RFC 6125 matching on subjectAltName only: exact names, or one left-most `*` label."""
    try:
        address = ipaddress.ip_address(expected)
    except ValueError:
        pass
    else:
        return any(ipaddress.ip_address(a) == address for a in ip_addresses)
    host = expected.lower().rstrip(".")
    label, _, parent = host.partition(".")
    for pattern in (n.lower().rstrip(".") for n in dns_names):
        if pattern == host or (pattern.startswith("*.") and parent and label and pattern[2:] == parent):
            return True
    return False


@rule("TLS-007", observes=TlsEndpointObservation, needs=["tls"])
def name_matches_host(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    def judge(d: CertificateDeployment) -> Verdict:
        leaf = d.leaf
        if (bad := _unparsed(leaf)) is not None:
            return bad
        evidence = {
            "expected": obs.server_name,
            "subject": leaf.subject,
            "dns_names": list(leaf.dns_names),
            "ip_addresses": list(leaf.ip_addresses),
        }
        if name_matches(obs.server_name, leaf.dns_names, leaf.ip_addresses):
            return Verdict(Status.PASS, say("TLS-007.matches", name=obs.server_name), evidence)
        names: list[str | Message] = [*leaf.dns_names, *leaf.ip_addresses] or [say("TLS-007.no_names")]
        return Verdict(Status.FAIL, say("TLS-007.mismatch", name=obs.server_name, names=names), evidence)

    return _certificate_check(obs, judge)


@rule("TLS-008", observes=TlsEndpointObservation, needs=["tls"])
def certificate_expiry(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    now, warn_days = ctx.options.now, ctx.inventory.defaults_part(TlsDefaults).tls_warn_days

    def judge(d: CertificateDeployment) -> Verdict:
        leaf = d.leaf
        if (bad := _unparsed(leaf)) is not None:
            return bad
        assert leaf.not_before is not None and leaf.not_after is not None
        days_left = int((leaf.not_after - now).total_seconds() // SECONDS_PER_DAY)
        evidence = {
            **leaf.brief(),
            "days_left": days_left,
            "warn_days": warn_days,
            "checked_at": now.isoformat(),
        }
        if now < leaf.not_before:
            return Verdict(Status.FAIL, say("TLS-008.not_yet_valid", not_before=leaf.not_before), evidence)
        if now > leaf.not_after:
            days_ago = int((now - leaf.not_after).total_seconds() // SECONDS_PER_DAY)  # whole days past
            return Verdict(
                Status.FAIL, say("TLS-008.expired", not_after=leaf.not_after, days=days_ago), evidence
            )
        if days_left < warn_days:
            return Verdict(
                Status.WARN, say("TLS-008.expiring", not_after=leaf.not_after, days=days_left), evidence
            )
        return Verdict(Status.PASS, say("TLS-008.valid", not_after=leaf.not_after, days=days_left), evidence)

    return _certificate_check(obs, judge)


@rule("TLS-009", observes=TlsEndpointObservation, needs=["tls"])
def key_strength(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    sizes = load_policy().key_sizes

    def judge(d: CertificateDeployment) -> Verdict:
        weak = []
        for cert in _checked_chain(d):
            if (bad := _unparsed(cert)) is not None:
                return bad
            minimum = sizes.minimum(cert.key_type)
            if cert.key_bits == 0:
                weak.append(say("TLS-009.unknown_size", subject=cert.subject, key_type=cert.key_type))
            elif minimum is not None and cert.key_bits < minimum:
                weak.append(
                    say(
                        "TLS-009.weak_key",
                        subject=cert.subject,
                        key_type=cert.key_type,
                        bits=cert.key_bits,
                        minimum=minimum,
                    )
                )
        evidence = {
            "keys": {c.subject: f"{c.key_type} {c.key_bits}" for c in d.chain},
            "source": sizes.source,
        }
        if weak:
            return Verdict(Status.FAIL, say("TLS-009.weak", keys=weak), evidence)
        leaf = d.leaf
        return Verdict(
            Status.PASS, say("TLS-009.strong", key_type=leaf.key_type, bits=leaf.key_bits), evidence
        )

    return _certificate_check(obs, judge)


@rule("TLS-010", observes=TlsEndpointObservation, needs=["tls"])
def signature_hash(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    forbidden = load_policy().forbidden_signature_hashes

    def judge(d: CertificateDeployment) -> Verdict:
        chain = _checked_chain(d)
        if (bad := next(filter(None, map(_unparsed, chain)), None)) is not None:
            return bad
        weak = [
            say("TLS-010.weak_hash", subject=c.subject, hash=c.signature_hash.upper())
            for c in chain
            if c.signature_hash and c.signature_hash in forbidden.hashes
        ]
        evidence = {
            "signature_hashes": {c.subject: c.signature_hash for c in chain},
            "source": forbidden.source,
        }
        if weak:
            return Verdict(Status.FAIL, say("tls.listing", items=weak), evidence)
        hashes: list[str | Message] = [*sorted({c.signature_hash for c in chain if c.signature_hash})]
        if any(c.signature_hash is None for c in chain):
            hashes.append(say("TLS-010.no_separate_hash"))
        return Verdict(Status.PASS, say("TLS-010.strong", hashes=hashes), evidence)

    return _certificate_check(obs, judge)


@rule("TLS-011", observes=TlsEndpointObservation, roles=["web_portal"], needs=["tls"])
def hsts(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    if (problem := obs.error("http_headers")) is not None or obs.hsts is None:
        return _error(problem or say("tls.headers_not_fetched"))
    facts, minimum = obs.hsts, load_policy().hsts.min_max_age_seconds
    evidence = {
        "server_name": obs.server_name,
        "header_present": facts.present,
        "max_age": facts.max_age,
        "include_subdomains": facts.include_subdomains,
        "preload": facts.preload,
        "redirected_to": facts.redirected_to,
        "minimum_max_age": minimum,
    }
    if not facts.present:
        return Outcome(Status.FAIL, say("TLS-011.missing"), evidence)
    if facts.max_age is None:
        return Outcome(Status.FAIL, say("TLS-011.no_max_age"), evidence)
    if facts.max_age < minimum:
        short = say("TLS-011.short", max_age=facts.max_age, minimum=minimum, days=minimum // SECONDS_PER_DAY)
        return Outcome(Status.FAIL, short, evidence)
    return Outcome(Status.PASS, say("TLS-011.ok", max_age=facts.max_age), evidence)


@rule("TLS-012", observes=TlsEndpointObservation, needs=["tls"])
def known_weaknesses(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    if obs.weaknesses is None:
        return _error(obs.error("weaknesses") or say("tls.weaknesses_not_run"))
    errors = [reason for part, reason in obs.errors if part == "weaknesses"]
    evidence: dict[str, Any] = {
        "server_name": obs.server_name,
        "tests": {w.name: w.detail for w in obs.weaknesses},
        "errors": [_fact(e) for e in errors],
    }
    hits = [say(f"TLS-012.{w.name}") for w in obs.weaknesses if w.vulnerable]
    if hits:
        return Outcome(Status.FAIL, say("TLS-012.vulnerable", names=hits), evidence)
    if errors:
        return Outcome(Status.ERROR, say("core.could_not_check", reason=errors[0]), evidence)
    unknown = [say(f"TLS-012.{w.name}") for w in obs.weaknesses if w.vulnerable is None]
    if unknown:
        return Outcome(Status.WARN, say("TLS-012.inconclusive", names=unknown), evidence)
    return Outcome(Status.PASS, say("TLS-012.clean", count=len(obs.weaknesses)), evidence)


@rule("TLS-013", observes=TlsEndpointObservation, needs=["tls"])
def dh_group_size(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    results = _protocols(obs, LEGACY_PROTOCOLS)
    if isinstance(results, Message):
        return _error(results)
    groups = {
        f"{r.protocol} {s.name}": s.key_exchange_bits
        for r in results
        for s in r.accepted
        if s.key_exchange == "DH"
    }
    policy = load_policy()
    evidence = {
        "server_name": obs.server_name,
        "dh_groups": groups,
        "minimum_bits": policy.dh_min_bits,
        "source": policy.dh_source,
    }
    if not groups:
        return Outcome(Status.SKIP, say("TLS-013.no_dhe"), evidence)
    small = [v for v in groups.values() if v is None or v < policy.dh_min_bits]
    if small:
        sizes = [say("TLS-013.bits", bits=v) for v in sorted({v for v in small if v is not None})]
        if None in small:
            sizes.append(say("TLS-013.unmeasurable"))
        return Outcome(Status.FAIL, say("TLS-013.small", minimum=policy.dh_min_bits, sizes=sizes), evidence)
    smallest = min(v for v in groups.values() if v is not None)
    return Outcome(Status.PASS, say("TLS-013.ok", bits=smallest), evidence)


@rule("TLS-014", observes=TlsEndpointObservation, needs=["tls"])
def cabf_validity(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    def judge(d: CertificateDeployment) -> Verdict:
        leaf = d.leaf
        if not d.publicly_trusted:
            return Verdict(Status.SKIP, say("TLS-014.not_public"), {"publicly_trusted": False})
        if (bad := _unparsed(leaf)) is not None:
            return bad
        assert leaf.not_before is not None and leaf.not_after is not None
        seconds = (leaf.not_after - leaf.not_before).total_seconds() + 1  # RFC 5280 bounds are inclusive
        days = seconds / SECONDS_PER_DAY
        limit = load_policy().validity_limit(leaf.not_before)
        evidence = {**leaf.brief(), "validity_days": round(days, 2), "publicly_trusted": True}
        if limit is None:
            return Verdict(Status.SKIP, say("TLS-014.no_limit", issued=leaf.not_before), evidence)
        evidence |= {
            "max_days": limit.max_days,
            "limit_from": limit.issued_from.isoformat(),
            "source": limit.source,
        }
        shown = {"days": round(days), "limit": limit.max_days}
        if days > limit.max_days:
            return Verdict(Status.FAIL, say("TLS-014.too_long", **shown), evidence)
        return Verdict(Status.PASS, say("TLS-014.within", **shown), evidence)

    return _certificate_check(obs, judge)


@rule("TLS-015", observes=TlsEndpointObservation, needs=["tls"])
def revocation_info(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    stapling_on, stapling_off = say("TLS-015.stapling_on"), say("TLS-015.stapling_off")

    def judge(d: CertificateDeployment) -> Verdict:
        leaf = d.leaf
        if (bad := _unparsed(leaf)) is not None:
            return bad
        evidence = {
            "crl_urls": list(leaf.crl_urls),
            "ocsp_urls": list(leaf.ocsp_urls),
            "ocsp_stapled": d.ocsp_stapled,
            "must_staple": d.must_staple,
        }
        stapling = stapling_on if d.ocsp_stapled else stapling_off
        if leaf.crl_urls and leaf.ocsp_urls:
            key = "TLS-015.crl_and_ocsp"
        elif leaf.crl_urls or leaf.ocsp_urls:
            key = "TLS-015.crl" if leaf.crl_urls else "TLS-015.ocsp"
        else:
            return Verdict(Status.FAIL, say("TLS-015.none", stapling=stapling), evidence)
        return Verdict(Status.PASS, say(key, stapling=stapling), evidence)

    return _certificate_check(obs, judge)
