"""SSH-001..SSH-007: pure judgements of what the anonymous probe saw, against policy.yaml.

Their words are in checks.yaml; each rule returns a status, a message key and its parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from p06audit.checks.ssh.observations import HostKey, PinState, SshServerInfo
from p06audit.checks.ssh.policy import VERDICT_STATUS, AlgorithmKind, Rating, Verdict, load_policy
from p06audit.model import Outcome, Severity, Status
from p06audit.registry import RuleContext, rule
from p06audit.text import Message, say

_WORST = (Status.ERROR, Status.FAIL, Status.WARN, Status.PASS)
_KINDS: dict[AlgorithmKind, Message] = {
    "kex": say("ssh.kind_kex"),
    "ciphers": say("ssh.kind_ciphers"),
    "macs": say("ssh.kind_macs"),
}


def worst(statuses: Iterable[Status]) -> Status:
    """The most serious of the statuses (PASS when there are none)."""
    present = set(statuses)
    return next((s for s in _WORST if s in present), Status.PASS)


def _rating_evidence(ratings: Iterable[Rating]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in ratings]


def _sources(ratings: Iterable[Rating]) -> dict[str, str]:
    return load_policy().cited({s for r in ratings for s in r.sources})


def _note(note: Message | None) -> dict[str, Any]:
    """A note as evidence: its message key and parameters, readable in either language."""
    return {"note": note.to_json() if note else None}


def _no_offer(obs: SshServerInfo) -> Outcome:
    return Outcome(Status.ERROR, say("ssh.no_offer", note=obs.offer_note or ""), {"banner": obs.banner})


def _judge_algorithms(obs: SshServerInfo, kind: AlgorithmKind) -> Outcome:
    if obs.offer is None:
        return _no_offer(obs)
    offered: tuple[str, ...] = getattr(obs.offer, kind)
    policy = load_policy()
    ratings = [policy.rate(kind, name) for name in offered]
    evidence = {"offered": _rating_evidence(ratings), "sources": _sources(ratings)}
    weak = [r.name for r in ratings if r.verdict is Verdict.WEAK]
    legacy = [r.name for r in ratings if r.verdict is Verdict.LEGACY]
    unrated = [r.name for r in ratings if r.verdict is Verdict.UNRATED]
    what = _KINDS[kind]
    tail = say("ssh.unrated", names=unrated) if unrated else ""
    if weak:
        return Outcome(Status.FAIL, say("ssh.weak_offered", what=what, names=weak, unrated=tail), evidence)
    if legacy:
        return Outcome(
            Status.WARN, say("ssh.legacy_offered", what=what, names=legacy, unrated=tail), evidence
        )
    usable = sum(r.verdict is not Verdict.SIGNAL for r in ratings)
    return Outcome(Status.PASS, say("ssh.all_meet_policy", what=what, count=usable, unrated=tail), evidence)


@rule("SSH-001", observes=SshServerInfo, needs=["ssh"])
def protocol_two_only(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    evidence = {"banner": obs.banner, "protocol": obs.protocol, "software": obs.software}
    if obs.protocol in load_policy().protocol.accepted:
        return Outcome(
            Status.PASS, say("SSH-001.two_only", protocol=obs.protocol, software=obs.software), evidence
        )
    if obs.protocol == "1.99":
        return Outcome(Status.FAIL, say("SSH-001.also_ssh1", software=obs.software), evidence)
    return Outcome(
        Status.FAIL, say("SSH-001.not_two", protocol=obs.protocol, software=obs.software), evidence
    )


@rule("SSH-002", observes=SshServerInfo, needs=["ssh"])
def no_weak_kex(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    return _judge_algorithms(obs, "kex")


@rule("SSH-003", observes=SshServerInfo, needs=["ssh"])
def no_weak_ciphers(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    return _judge_algorithms(obs, "ciphers")


@rule("SSH-004", observes=SshServerInfo, needs=["ssh"])
def no_weak_macs(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    return _judge_algorithms(obs, "macs")


def _key_verdict(key: HostKey) -> tuple[Status, dict[str, Any]]:
    rule = load_policy().key_size_rule(key.key_type)
    status = Status.PASS
    if rule is not None and key.bits < rule.fail_below:
        status = Status.FAIL
    elif rule is not None and key.bits < rule.warn_below:
        status = Status.WARN
    minimum = {"recommended_bits": rule.warn_below, "sources": list(rule.sources)} if rule else {}
    return status, {**key.evidence(), "verdict": status.value, **minimum}


def _key_size(key_type: str, bits: int) -> Message:
    return say("ssh.key_size", key_type=key_type, bits=bits)


@rule("SSH-005", observes=SshServerInfo, needs=["ssh"])
def host_keys_strong(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    if obs.offer is None:
        return _no_offer(obs)
    policy = load_policy()
    ratings = [policy.rate("host_key_algorithms", a) for a in obs.offer.host_key_algorithms]
    verdicts = [_key_verdict(k) for k in obs.host_keys]
    evidence = {
        "algorithms": _rating_evidence(ratings),
        "keys": [v for _, v in verdicts],
        "notes": [note.to_json() for note in obs.host_key_notes],
        "sources": _sources(ratings),
    }
    weak = [r.name for r in ratings if r.verdict is Verdict.WEAK]
    small = [_key_size(v["type"], v["bits"]) for s, v in verdicts if s is not Status.PASS]
    status = worst(
        [*(VERDICT_STATUS.get(r.verdict, Status.PASS) for r in ratings), *(s for s, _ in verdicts)]
    )
    if status is Status.PASS and not obs.host_keys:
        return Outcome(Status.ERROR, say("SSH-005.no_key_read", notes=list(obs.host_key_notes)), evidence)
    if weak and small:
        return Outcome(status, say("SSH-005.weak_and_small", names=weak, keys=small), evidence)
    if weak:
        return Outcome(status, say("SSH-005.weak", names=weak), evidence)
    if small:
        return Outcome(status, say("SSH-005.small", keys=small), evidence)
    shown = [_key_size(k.key_type, k.bits) for k in obs.host_keys]
    return Outcome(Status.PASS, say("SSH-005.all_ok", keys=shown), evidence)


@rule("SSH-006", observes=SshServerInfo, needs=["ssh"])
def no_password_auth(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    if obs.auth_methods is None:
        return Outcome(Status.ERROR, say("SSH-006.unknown", note=obs.auth_note or ""), _note(obs.auth_note))
    policy = load_policy().authentication
    level = ctx.site.data.security_level if ctx.site else policy.password_fail_from_level
    evidence = {
        "methods": list(obs.auth_methods),
        "security_level": level,
        "fail_from_level": policy.password_fail_from_level,
        "sources": load_policy().cited(set(policy.sources)),
    }
    if "none" in obs.auth_methods:
        return Outcome(Status.FAIL, say("SSH-006.no_authentication"), evidence, Severity.CRITICAL)
    if "password" in obs.auth_methods:
        status = load_policy().password_status(level)
        return Outcome(status, say("SSH-006.password", level=level), evidence)
    like = [m for m in obs.auth_methods if m in policy.password_like]
    if like:
        return Outcome(Status.WARN, say("SSH-006.password_like", methods=like), evidence)
    return Outcome(Status.PASS, say("SSH-006.only", methods=list(obs.auth_methods)), evidence)


@rule("SSH-007", observes=SshServerInfo, needs=["ssh"])
def host_key_pinned(obs: SshServerInfo, ctx: RuleContext) -> Outcome:
    if obs.pin is None:
        return Outcome(Status.ERROR, say("SSH-007.not_checked", note=obs.pin_note or ""), _note(obs.pin_note))
    evidence = {"pin": obs.pin.evidence(), "keys": [k.evidence() for k in obs.host_keys]}
    if obs.pin.state is PinState.CHANGED:
        changes = [
            say("SSH-007.key_change", key_type=c.key_type, pinned=c.pinned, seen=c.seen)
            for c in obs.pin.changes
        ]
        return Outcome(Status.FAIL, say("SSH-007.changed", changes=changes or obs.pin.note or ""), evidence)
    if obs.pin.state is PinState.RECORDED:
        recorded = say("SSH-007.first_contact", count=len(obs.host_keys), store=obs.pin.store)
        return Outcome(Status.PASS, recorded, evidence, Severity.INFO)
    extra = say("SSH-007.newly_recorded", fingerprints=list(obs.pin.recorded)) if obs.pin.recorded else ""
    return Outcome(
        Status.PASS, say("SSH-007.matches", first_seen=obs.pin.first_seen, recorded=extra), evidence
    )
