"""SSH-001..SSH-007: pure judgements of what the anonymous probe saw, against policy.yaml."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from audit.model import Outcome, Severity, Status
from audit.registry import RuleContext, check
from checks.ssh.observations import HostKey, PinState, SshServerInfo
from checks.ssh.policy import VERDICT_STATUS, AlgorithmKind, Rating, Verdict, load_policy

_WORST = (Status.ERROR, Status.FAIL, Status.WARN, Status.PASS)


def worst(statuses: Iterable[Status]) -> Status:
    """The most serious of the statuses (PASS when there are none)."""
    present = set(statuses)
    return next((s for s in _WORST if s in present), Status.PASS)


def sentence(text: str) -> str:
    """Capitalise the first letter only (str.capitalize would lower-case algorithm names)."""
    return text[:1].upper() + text[1:]


def _rating_evidence(ratings: Iterable[Rating]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in ratings]


def _sources(ratings: Iterable[Rating]) -> dict[str, str]:
    return load_policy().cited({s for r in ratings for s in r.sources})


def _no_offer(obs: SshServerInfo) -> Outcome:
    return Outcome(
        Status.ERROR, f"No SSH-2 algorithm offer to judge: {obs.offer_note}", {"banner": obs.banner}
    )


def _judge_algorithms(obs: SshServerInfo, kind: AlgorithmKind, what: str) -> Outcome:
    if obs.offer is None:
        return _no_offer(obs)
    offered: tuple[str, ...] = getattr(obs.offer, kind)
    policy = load_policy()
    ratings = [policy.rate(kind, name) for name in offered]
    evidence = {"offered": _rating_evidence(ratings), "sources": _sources(ratings)}
    weak = [r.name for r in ratings if r.verdict is Verdict.WEAK]
    legacy = [r.name for r in ratings if r.verdict is Verdict.LEGACY]
    unrated = [r.name for r in ratings if r.verdict is Verdict.UNRATED]
    tail = f" Not in the policy catalogue: {', '.join(unrated)}." if unrated else ""
    if weak:
        return Outcome(Status.FAIL, f"Weak {what} offered: {', '.join(weak)}.{tail}", evidence)
    if legacy:
        return Outcome(
            Status.WARN, f"{sentence(what)} outside the recommended set: {', '.join(legacy)}.{tail}", evidence
        )
    usable = [r for r in ratings if r.verdict is not Verdict.SIGNAL]
    return Outcome(Status.PASS, f"All {len(usable)} offered {what} meet the policy.{tail}", evidence)


@check(
    id="SSH-001",
    title="SSH protocol 2 only; banner and software version recorded",
    severity=Severity.HIGH,
    controls=["VN-SSH-01"],
    remediation=(
        "Run an SSH server that speaks only protocol 2 (OpenSSH has done so since 7.4); replace devices "
        "whose firmware offers SSH-1 or answers with the 1.99 compatibility banner."
    ),
    observes=SshServerInfo,
    needs=["ssh"],
)
def protocol_two_only(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    evidence = {"banner": obs.banner, "protocol": obs.protocol, "software": obs.software}
    if obs.protocol in load_policy().protocol.accepted:
        return Outcome(Status.PASS, f"SSH protocol {obs.protocol} only ({obs.software}).", evidence)
    if obs.protocol == "1.99":
        return Outcome(Status.FAIL, f"Banner 1.99: the server also accepts SSH-1 ({obs.software}).", evidence)
    return Outcome(
        Status.FAIL, f"The server speaks SSH protocol {obs.protocol}, not SSH-2 ({obs.software}).", evidence
    )


@check(
    id="SSH-002",
    title="No weak SSH key exchange (SHA-1, 1024-bit groups)",
    severity=Severity.HIGH,
    controls=["VN-SSH-02"],
    remediation=(
        "Set KexAlgorithms to e.g. sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
        "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,diffie-hellman-group16-sha512,"
        "diffie-hellman-group-exchange-sha256 in sshd_config and reload sshd."
    ),
    observes=SshServerInfo,
    needs=["ssh"],
)
def no_weak_kex(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    return _judge_algorithms(obs, "kex", "key exchange algorithms")


@check(
    id="SSH-003",
    title="No weak SSH ciphers (CBC, 3DES, arcfour, blowfish, cast128)",
    severity=Severity.HIGH,
    controls=["VN-SSH-02"],
    remediation=(
        "Set Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
        "aes256-ctr,aes192-ctr,aes128-ctr in sshd_config and reload sshd."
    ),
    observes=SshServerInfo,
    needs=["ssh"],
)
def no_weak_ciphers(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    return _judge_algorithms(obs, "ciphers", "ciphers")


@check(
    id="SSH-004",
    title="No weak SSH MACs (MD5, SHA-1, 96-bit, umac-64 without EtM)",
    severity=Severity.MEDIUM,
    controls=["VN-SSH-02"],
    remediation=(
        "Set MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com,"
        "hmac-sha2-512,hmac-sha2-256,umac-128@openssh.com in sshd_config and reload sshd."
    ),
    observes=SshServerInfo,
    needs=["ssh"],
)
def no_weak_macs(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    return _judge_algorithms(obs, "macs", "MACs")


def _key_verdict(key: HostKey) -> tuple[Status, dict[str, Any]]:
    rule = load_policy().key_size_rule(key.key_type)
    status = Status.PASS
    if rule is not None and key.bits < rule.fail_below:
        status = Status.FAIL
    elif rule is not None and key.bits < rule.warn_below:
        status = Status.WARN
    minimum = {"recommended_bits": rule.warn_below, "sources": list(rule.sources)} if rule else {}
    return status, {**key.evidence(), "verdict": status.value, **minimum}


@check(
    id="SSH-005",
    title="Host keys: no DSA or SHA-1 RSA signatures; RSA keys of 3072 bits or more",
    severity=Severity.HIGH,
    controls=["VN-SSH-02"],
    remediation=(
        "Remove DSA host keys and ssh-rsa from HostKeyAlgorithms; generate an Ed25519 key "
        "(ssh-keygen -t ed25519) and replace RSA keys shorter than 3072 bits (ssh-keygen -t rsa -b 3072), "
        "then tell administrators the new fingerprints."
    ),
    observes=SshServerInfo,
    needs=["ssh"],
)
def host_keys_strong(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    if obs.offer is None:
        return _no_offer(obs)
    policy = load_policy()
    ratings = [policy.rate("host_key_algorithms", a) for a in obs.offer.host_key_algorithms]
    verdicts = [_key_verdict(k) for k in obs.host_keys]
    evidence = {
        "algorithms": _rating_evidence(ratings),
        "keys": [v for _, v in verdicts],
        "notes": list(obs.host_key_notes),
        "sources": _sources(ratings),
    }
    weak = [r.name for r in ratings if r.verdict is Verdict.WEAK]
    problems = [f"{v['type']} {v['bits']}-bit" for s, v in verdicts if s is not Status.PASS]
    status = worst(
        [*(VERDICT_STATUS.get(r.verdict, Status.PASS) for r in ratings), *(s for s, _ in verdicts)]
    )
    if status is Status.PASS and not obs.host_keys:
        return Outcome(Status.ERROR, "No host key could be read: " + "; ".join(obs.host_key_notes), evidence)
    parts = [f"weak host-key algorithms offered: {', '.join(weak)}"] if weak else []
    parts += [f"keys below the recommended size: {', '.join(problems)}"] if problems else []
    if parts:
        return Outcome(status, sentence("; ".join(parts)) + ".", evidence)
    shown = ", ".join(f"{k.key_type} {k.bits}-bit" for k in obs.host_keys)
    return Outcome(Status.PASS, f"Host keys meet the policy: {shown}.", evidence)


@check(
    id="SSH-006",
    title="Password authentication not offered",
    severity=Severity.MEDIUM,
    controls=["VN-SSH-03"],
    remediation=(
        "Set PasswordAuthentication no and KbdInteractiveAuthentication no (unless it carries a one-time "
        "password module) in sshd_config; give administrators keys or MFA first."
    ),
    observes=SshServerInfo,
    needs=["ssh"],
)
def no_password_auth(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    if obs.auth_methods is None:
        return Outcome(
            Status.ERROR, f"Authentication methods unknown: {obs.auth_note}", {"note": obs.auth_note}
        )
    policy = load_policy().authentication
    level = ctx.site.data.security_level if ctx.site else policy.password_fail_from_level
    evidence = {
        "methods": list(obs.auth_methods),
        "security_level": level,
        "fail_from_level": policy.password_fail_from_level,
        "sources": load_policy().cited(set(policy.sources)),
    }
    if "none" in obs.auth_methods:
        return Outcome(
            Status.FAIL, "The server lets anyone in without authentication.", evidence, Severity.CRITICAL
        )
    if "password" in obs.auth_methods:
        status = load_policy().password_status(level)
        return Outcome(status, f"Password authentication is offered (security level {level}).", evidence)
    like = [m for m in obs.auth_methods if m in policy.password_like]
    if like:
        return Outcome(
            Status.WARN,
            f"{', '.join(like)} is offered; it usually asks for the account password through PAM.",
            evidence,
        )
    return Outcome(Status.PASS, f"Only {', '.join(obs.auth_methods)} offered.", evidence)


@check(
    id="SSH-007",
    title="Host key pinned (trust on first use) and unchanged",
    severity=Severity.CRITICAL,
    controls=["VN-SSH-01"],
    remediation=(
        "Confirm the new key with the host's administrator out of band (console fingerprint). If the change "
        "was planned, remove the old pin with ssh-keygen -R '[address]:port' -f <state dir>/ssh_known_hosts "
        "and rerun; otherwise treat the host as possibly intercepted."
    ),
    observes=SshServerInfo,
    needs=["ssh"],
)
def host_key_pinned(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    if obs.pin is None:
        return Outcome(Status.ERROR, f"Host key not checked: {obs.pin_note}", {"note": obs.pin_note})
    evidence = {"pin": obs.pin.evidence(), "keys": [k.evidence() for k in obs.host_keys]}
    if obs.pin.state is PinState.CHANGED:
        changed = "; ".join(f"{c.key_type} was {c.pinned}, now {c.seen}" for c in obs.pin.changes)
        return Outcome(
            Status.FAIL,
            f"HOST KEY CHANGED ({changed or obs.pin.note}). No credential was sent to this host in this run.",
            evidence,
        )
    if obs.pin.state is PinState.RECORDED:
        return Outcome(
            Status.PASS,
            f"First contact: {len(obs.host_keys)} host key(s) pinned in {obs.pin.store} (trust on first use)",
            evidence,
            Severity.INFO,
        )
    extra = f"; newly recorded: {', '.join(obs.pin.recorded)}" if obs.pin.recorded else ""
    return Outcome(Status.PASS, f"Host key matches the pin first seen {obs.pin.first_seen}{extra}.", evidence)
