"""TLS-001..TLS-015: pure rules over one endpoint's TlsEndpointObservation.

Thresholds and suite lists come from policy.yaml; the warning window from the inventory
(`tls_warn_days`). A part the collector could not observe turns only the checks reading it ERROR.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from audit import wording
from audit.model import Outcome, Severity, Status
from audit.registry import RuleContext, check
from checks.tls.observations import (
    LEGACY_PROTOCOLS,
    PROTOCOLS,
    CertificateDeployment,
    CertificateFacts,
    ProtocolResult,
    TlsEndpointObservation,
)
from checks.tls.policy import load_policy

_ORDER = (Status.PASS, Status.SKIP, Status.WARN, Status.ERROR, Status.FAIL)
SECONDS_PER_DAY = 86400


def _error(reason: str) -> Outcome:
    return Outcome(Status.ERROR, f"Could not check: {reason}", {"reason": reason})


def _protocols(obs: TlsEndpointObservation, names: Iterable[str]) -> list[ProtocolResult] | str:
    """The scanned results for `names`, or why one of them is missing."""
    found = []
    for name in names:
        result = obs.protocol(name)
        if result is None:
            return obs.error(name) or f"{name} was not scanned"
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


def _reject_protocols(obs: TlsEndpointObservation, names: tuple[str, ...]) -> Outcome:
    results = _protocols(obs, names)
    if isinstance(results, str):
        return _error(results)
    accepted = _accepted(results)
    evidence = {**_protocol_evidence(obs), "accepted_suites": accepted}
    if accepted:
        return Outcome(Status.FAIL, f"Accepts {', '.join(accepted)}", evidence)
    return Outcome(Status.PASS, f"{' and '.join(names)} refused", evidence)


@check(
    id="TLS-001",
    title="SSL 2.0 and SSL 3.0 are not accepted",
    severity=Severity.CRITICAL,
    controls=["VN-TLS-01"],
    remediation="Disable SSLv2 and SSLv3 on the server or load balancer (e.g. nginx `ssl_protocols "
    "TLSv1.2 TLSv1.3;`, Apache `SSLProtocol -all +TLSv1.2 +TLSv1.3`).",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def ssl_protocols_refused(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    return _reject_protocols(obs, ("SSL 2.0", "SSL 3.0"))


@check(
    id="TLS-002",
    title="TLS 1.0 and TLS 1.1 are not accepted",
    severity=Severity.HIGH,
    controls=["VN-TLS-01"],
    remediation="Allow only TLS 1.2 and TLS 1.3 (nginx `ssl_protocols TLSv1.2 TLSv1.3;`); upgrade "
    "clients that still need TLS 1.0/1.1.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def old_tls_refused(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    return _reject_protocols(obs, ("TLS 1.0", "TLS 1.1"))


@check(
    id="TLS-003",
    title="TLS 1.2 or TLS 1.3 is supported (TLS 1.3 reported)",
    severity=Severity.HIGH,
    controls=["VN-TLS-01"],
    remediation="Enable TLS 1.2 (mandatory under Circular 39/2017) and TLS 1.3 on the server; upgrade "
    "the TLS library if it cannot.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def modern_tls_supported(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    results = _protocols(obs, ("TLS 1.2", "TLS 1.3"))
    if isinstance(results, str):
        return _error(results)
    tls12, tls13 = (r.supported for r in results)
    evidence = {**_protocol_evidence(obs), "tls_1_2": tls12, "tls_1_3": tls13}
    if not (tls12 or tls13):
        return Outcome(Status.FAIL, "Neither TLS 1.2 nor TLS 1.3 is accepted", evidence)
    if tls12 and tls13:
        return Outcome(Status.PASS, "TLS 1.2 and TLS 1.3 supported", evidence)
    return Outcome(
        Status.PASS, "TLS 1.2 supported; TLS 1.3 not offered" if tls12 else "TLS 1.3 only", evidence
    )


@check(
    id="TLS-004",
    title="No weak cipher suites (NULL, anonymous, EXPORT, RC4, DES, 3DES, IDEA, MD5) are accepted",
    severity=Severity.HIGH,
    controls=["VN-TLS-02"],
    remediation="Restrict the suite list to ECDHE/DHE with AES-GCM or ChaCha20-Poly1305 (Mozilla "
    "'intermediate'), e.g. nginx `ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM;`.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def no_weak_suites(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    results = _protocols(obs, PROTOCOLS)
    if isinstance(results, str):
        return _error(results)
    policy = load_policy()
    weak = {
        f"{r.protocol} {s.name}": policy.weaknesses_of(s.name)
        for r in results
        for s in r.accepted
        if policy.weaknesses_of(s.name)
    }
    evidence = {**_protocol_evidence(obs), "weak_suites": weak, "accepted_suites": _accepted(results)}
    if weak:
        kinds = sorted({k for reasons in weak.values() for k in reasons})
        return Outcome(Status.FAIL, f"{len(weak)} weak suite(s) accepted: {', '.join(kinds)}", evidence)
    return Outcome(Status.PASS, "No weak suites accepted", evidence)


@check(
    id="TLS-005",
    title="Forward secrecy: every accepted TLS 1.2 (and older) suite uses ECDHE or DHE",
    severity=Severity.MEDIUM,
    controls=["VN-TLS-02"],
    remediation="Remove static-RSA (TLS_RSA_*) and static-DH suites; keep ECDHE (and DHE with a "
    "2048-bit group) only.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def forward_secrecy(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    results = _protocols(obs, LEGACY_PROTOCOLS)
    if isinstance(results, str):
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
        return Outcome(Status.FAIL, f"{count} suite(s) without forward secrecy accepted", evidence)
    if not any(r.supported for r in results):
        return Outcome(Status.PASS, "Only TLS 1.3 accepted; its key exchange is always ephemeral", evidence)
    return Outcome(Status.PASS, "Every accepted suite below TLS 1.3 uses ECDHE or DHE", evidence)


@dataclass(frozen=True)
class Verdict:
    """One certificate deployment's result; a check combines them (worst wins)."""

    status: Status
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _certificate_check(
    obs: TlsEndpointObservation, judge: Callable[[CertificateDeployment], Verdict]
) -> Outcome:
    problem = obs.error("certificate")
    if problem is None and obs.deployments is None:
        problem = "the certificate was not scanned"
    if problem is not None:
        return _error(problem)
    assert obs.deployments is not None
    if not obs.deployments:
        return Outcome(Status.FAIL, "The server sent no certificate", {"server_name": obs.server_name})
    verdicts = [judge(d) for d in obs.deployments]
    status = max((v.status for v in verdicts), key=_ORDER.index)
    summary = "; ".join(dict.fromkeys(v.summary for v in verdicts if v.status == status))
    return Outcome(
        status, summary, {"server_name": obs.server_name, "certificates": [v.evidence for v in verdicts]}
    )


def _unparsed(cert: CertificateFacts) -> Verdict | None:
    if cert.parse_error is None:
        return None
    return Verdict(
        Status.FAIL, f"Certificate '{cert.subject}' could not be parsed: {cert.parse_error}", cert.brief()
    )


def _checked_chain(d: CertificateDeployment) -> list[CertificateFacts]:
    """Leaf and intermediates as sent; a root the server also sends is the anchor's business."""
    return [c for i, c in enumerate(d.chain) if i == 0 or not (c.self_signed and c.is_ca)]


@check(
    id="TLS-006",
    title="Certificate chain is complete and valid to the configured trust anchors",
    severity=Severity.HIGH,
    controls=["VN-TLS-04"],
    remediation="Serve the full chain (leaf then intermediates) from a CA in the inventory's trust anchors; "
    "replace self-signed or untrusted certificates with ones from the national or a public CA.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def chain_trusted(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    def judge(d: CertificateDeployment) -> Verdict:
        v = d.validation
        evidence = {
            "received_chain": [c.brief() for c in d.chain],
            "path_to_anchor": list(v.path),
            "anchor_sources": list(v.anchor_sources),
            **({"problem": v.problem} if v.problem else {}),
        }
        if not v.anchor_count:
            return Verdict(Status.ERROR, f"Could not check: {v.problem}", evidence)
        if v.trusted:
            return Verdict(Status.PASS, f"Chain leads to trust anchor '{v.path[-1]}'", evidence)
        return Verdict(Status.FAIL, f"Chain not trusted: {v.problem}", evidence)

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


@check(
    id="TLS-007",
    title="Certificate matches the host name (SNI)",
    severity=Severity.HIGH,
    controls=["VN-TLS-04"],
    remediation="Issue the certificate with the portal's DNS name in subjectAltName (or fix the inventory's "
    "`sni` if it names the wrong host).",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
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
            return Verdict(Status.PASS, f"Certificate is valid for {obs.server_name}", evidence)
        names = ", ".join([*leaf.dns_names, *leaf.ip_addresses]) or "none"
        return Verdict(
            Status.FAIL, f"Certificate is not valid for {obs.server_name} (names: {names})", evidence
        )

    return _certificate_check(obs, judge)


@check(
    id="TLS-008",
    title="Certificate is within its validity period and not about to expire",
    severity=Severity.HIGH,
    controls=["VN-TLS-04"],
    remediation="Renew the certificate before it expires (automate renewal); correct the server clock or "
    "the certificate if it is not valid yet.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def certificate_expiry(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    now, warn_days = ctx.options.now, ctx.inventory.defaults.tls_warn_days

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
            return Verdict(Status.FAIL, f"Certificate not valid until {leaf.not_before:%Y-%m-%d}", evidence)
        if now > leaf.not_after:
            return Verdict(
                Status.FAIL,
                f"Certificate expired on {leaf.not_after:%Y-%m-%d} ({wording.days(-days_left)} ago)",
                evidence,
            )
        if days_left < warn_days:
            return Verdict(
                Status.WARN,
                f"Certificate expires on {leaf.not_after:%Y-%m-%d} (in {wording.days(days_left)})",
                evidence,
            )
        return Verdict(
            Status.PASS, f"Certificate valid until {leaf.not_after:%Y-%m-%d} ({days_left} days)", evidence
        )

    return _certificate_check(obs, judge)


@check(
    id="TLS-009",
    title="Certificate keys are strong enough (RSA >= 2048 bits, EC >= 256 bits)",
    severity=Severity.HIGH,
    controls=["VN-TLS-04"],
    remediation="Reissue the certificate with an RSA 2048/3072-bit or ECDSA P-256/P-384 key.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def key_strength(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    sizes = load_policy().key_sizes

    def judge(d: CertificateDeployment) -> Verdict:
        weak = []
        for cert in _checked_chain(d):
            if (bad := _unparsed(cert)) is not None:
                return bad
            minimum = sizes.minimum(cert.key_type)
            if cert.key_bits == 0 or (minimum is not None and cert.key_bits < minimum):
                weak.append(f"'{cert.subject}': {cert.key_type} {cert.key_bits} bits (minimum {minimum})")
        evidence = {
            "keys": {c.subject: f"{c.key_type} {c.key_bits}" for c in d.chain},
            "source": sizes.source,
        }
        if weak:
            return Verdict(Status.FAIL, "Weak key: " + "; ".join(weak), evidence)
        return Verdict(Status.PASS, f"Server key {d.leaf.key_type} {d.leaf.key_bits} bits", evidence)

    return _certificate_check(obs, judge)


@check(
    id="TLS-010",
    title="Certificates are not signed with MD5 or SHA-1 (leaf and intermediates)",
    severity=Severity.MEDIUM,
    controls=["VN-TLS-04"],
    remediation="Reissue the certificate (and any intermediate) signed with SHA-256 or stronger.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def signature_hash(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    forbidden = load_policy().forbidden_signature_hashes

    def judge(d: CertificateDeployment) -> Verdict:
        chain = _checked_chain(d)
        if (bad := next(filter(None, map(_unparsed, chain)), None)) is not None:
            return bad
        weak = [
            f"'{c.subject}' signed with {c.signature_hash.upper()}"
            for c in chain
            if c.signature_hash and c.signature_hash in forbidden.hashes
        ]
        evidence = {
            "signature_hashes": {c.subject: c.signature_hash for c in chain},
            "source": forbidden.source,
        }
        if weak:
            return Verdict(Status.FAIL, "; ".join(weak), evidence)
        return Verdict(
            Status.PASS,
            "Leaf and intermediates signed with "
            + ", ".join(
                sorted({str(c.signature_hash or "an algorithm without a separate hash") for c in chain})
            ),
            evidence,
        )

    return _certificate_check(obs, judge)


@check(
    id="TLS-011",
    title="HSTS is sent with max-age of at least 180 days",
    severity=Severity.MEDIUM,
    controls=["VN-TLS-03"],
    remediation="Send `Strict-Transport-Security: max-age=63072000; includeSubDomains` on every HTTPS "
    "response of the portal.",
    observes=TlsEndpointObservation,
    roles=["web_portal"],
    needs=["tls"],
)
def hsts(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    if (problem := obs.error("http_headers")) is not None or obs.hsts is None:
        return _error(problem or "the HTTP headers were not fetched")
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
        return Outcome(Status.FAIL, "No Strict-Transport-Security header", evidence)
    if facts.max_age is None or facts.max_age < minimum:
        return Outcome(Status.FAIL, f"HSTS max-age {facts.max_age} is below {minimum} s (180 days)", evidence)
    return Outcome(Status.PASS, f"HSTS max-age {facts.max_age} s", evidence)


@check(
    id="TLS-012",
    title="No known TLS weaknesses (Heartbleed, ROBOT, CCS injection, insecure renegotiation, compression)",
    severity=Severity.CRITICAL,
    controls=["VN-TLS-02", "VN-HOST-04"],
    remediation="Update the TLS library (OpenSSL) and server; disable TLS compression and client-initiated "
    "renegotiation; remove RSA key-exchange suites if ROBOT is reported.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def known_weaknesses(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    if obs.weaknesses is None:
        return _error(obs.error("weaknesses") or "the vulnerability tests were not run")
    results = {w.name: w.detail for w in obs.weaknesses}
    errors = [reason for part, reason in obs.errors if part == "weaknesses"]
    evidence: dict[str, Any] = {"server_name": obs.server_name, "tests": results, "errors": errors}
    hits = [w.name for w in obs.weaknesses if w.vulnerable]
    if hits:
        return Outcome(Status.FAIL, "Vulnerable: " + ", ".join(hits), evidence)
    if errors:
        return Outcome(Status.ERROR, f"Could not check: {errors[0]}", evidence)
    unknown = [w.name for w in obs.weaknesses if w.vulnerable is None]
    if unknown:
        return Outcome(Status.WARN, "Inconclusive: " + ", ".join(unknown), evidence)
    return Outcome(Status.PASS, f"Not vulnerable to {len(results)} known weaknesses", evidence)


@check(
    id="TLS-013",
    title="Ephemeral DH groups are at least 2048 bits",
    severity=Severity.MEDIUM,
    controls=["VN-TLS-02"],
    remediation="Configure a 2048-bit (or larger) DH group, e.g. RFC 7919 ffdhe2048 (nginx `ssl_dhparam`), "
    "or drop DHE suites in favour of ECDHE.",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def dh_group_size(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    results = _protocols(obs, LEGACY_PROTOCOLS)
    if isinstance(results, str):
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
        return Outcome(Status.SKIP, "No finite-field DHE suite accepted", evidence)
    small = {k: v for k, v in groups.items() if v is None or v < policy.dh_min_bits}
    if small:
        sizes = sorted({"too small to measure" if v is None else f"{v} bits" for v in small.values()})
        return Outcome(Status.FAIL, f"DH group below {policy.dh_min_bits} bits: {', '.join(sizes)}", evidence)
    smallest = min(v for v in groups.values() if v is not None)
    return Outcome(Status.PASS, f"DH groups of {smallest} bits or more", evidence)


@check(
    id="TLS-014",
    title="Publicly trusted certificate's validity is within the CA/Browser Forum limit for its issue date",
    severity=Severity.LOW,
    controls=["VN-TLS-05"],
    remediation="Have the public CA reissue the certificate with a validity within the Baseline Requirements "
    "limit (398 days from 2020-09-01, 200 from 2026-03-15, 100 from 2027-03-15, 47 from 2029-03-15).",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def cabf_validity(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    def judge(d: CertificateDeployment) -> Verdict:
        leaf = d.leaf
        if not d.publicly_trusted:
            return Verdict(
                Status.SKIP,
                "Not issued under a public root; the CA/B Forum limits do not apply",
                {"publicly_trusted": False},
            )
        if (bad := _unparsed(leaf)) is not None:
            return bad
        assert leaf.not_before is not None and leaf.not_after is not None
        seconds = (leaf.not_after - leaf.not_before).total_seconds() + 1  # RFC 5280 bounds are inclusive
        days = seconds / SECONDS_PER_DAY
        limit = load_policy().validity_limit(leaf.not_before)
        evidence = {**leaf.brief(), "validity_days": round(days, 2), "publicly_trusted": True}
        if limit is None:
            return Verdict(
                Status.SKIP,
                f"No CA/B limit in the policy for issue date {leaf.not_before:%Y-%m-%d}",
                evidence,
            )
        evidence |= {
            "max_days": limit.max_days,
            "limit_from": limit.issued_from.isoformat(),
            "source": limit.source,
        }
        if days > limit.max_days:
            return Verdict(Status.FAIL, f"Validity {days:.0f} days exceeds {limit.max_days} days", evidence)
        return Verdict(Status.PASS, f"Validity {days:.0f} days within {limit.max_days} days", evidence)

    return _certificate_check(obs, judge)


@check(
    id="TLS-015",
    title="Certificate has revocation information (CRL or OCSP URL); OCSP stapling reported",
    severity=Severity.LOW,
    controls=["VN-TLS-06"],
    remediation="Use a certificate whose CA publishes a CRL distribution point or OCSP URL, and enable OCSP "
    "stapling (nginx `ssl_stapling on;`).",
    observes=TlsEndpointObservation,
    needs=["tls"],
)
def revocation_info(obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
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
        stapling = "OCSP stapling on" if d.ocsp_stapled else "no OCSP stapling"
        if not (leaf.crl_urls or leaf.ocsp_urls):
            return Verdict(Status.FAIL, f"No CRL distribution point or OCSP URL ({stapling})", evidence)
        kinds = " and ".join(k for k, v in (("CRL", leaf.crl_urls), ("OCSP", leaf.ocsp_urls)) if v)
        return Verdict(Status.PASS, f"{kinds} URL present ({stapling})", evidence)

    return _certificate_check(obs, judge)
