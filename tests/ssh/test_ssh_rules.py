"""SSH-001..007 as pure functions of recorded observations: the cases no lab sshd can show
(SSH-1.99, arcfour/blowfish/cast128 that OpenSSH 9.2 refuses, 'none' auth accepted, key types)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from audit.guidance.catalogue import default_catalogue, registry_problems
from audit.model import Severity, Status, Target
from audit.options import RunOptions
from audit.registry import REGISTRY, ObservationIndex, RuleContext
from checks.host import rules as host_rules
from checks.ssh.observations import AlgorithmOffer, HostKey, KeyChange, PinCheck, PinState, SshServerInfo
from checks.ssh.policy import SshPolicy, load_policy
from checks.ssh.rules import (
    host_key_pinned,
    host_keys_strong,
    no_password_auth,
    no_weak_ciphers,
    no_weak_kex,
    no_weak_macs,
    protocol_two_only,
)
from tests.conftest import InventoryFactory, host, site

STRONG = AlgorithmOffer(
    kex=("curve25519-sha256", "ext-info-s"),
    host_key_algorithms=("ssh-ed25519", "rsa-sha2-512"),
    ciphers_c2s=("aes256-gcm@openssh.com",),
    ciphers_s2c=("aes256-gcm@openssh.com",),
    macs_c2s=("hmac-sha2-256-etm@openssh.com",),
    macs_s2c=("hmac-sha2-256-etm@openssh.com",),
    compression=("none",),
)
ED25519 = HostKey("ssh-ed25519", 256, "SHA256:ed", "AAAA")
OBS = SshServerInfo(
    Target(site="dc", host="h", address="192.0.2.10", port=22),
    banner="SSH-2.0-OpenSSH_9.6",
    protocol="2.0",
    software="OpenSSH_9.6",
    offer=STRONG,
    offer_note="",
    host_keys=(ED25519,),
    host_key_notes=(),
    auth_methods=("publickey",),
    auth_note="",
    pin=PinCheck(
        PinState.MATCHED, "/state/ssh_known_hosts", "192.0.2.10", matched=("SHA256:ed",), first_seen="t0"
    ),
    pin_note="",
)


@pytest.fixture
def ctx(make_inventory: InventoryFactory) -> RuleContext:
    return _ctx(make_inventory, level=3)


def _ctx(make_inventory: InventoryFactory, level: int) -> RuleContext:
    inventory = make_inventory(
        {"dc": site(level=level)}, {"h": host("192.0.2.10", "dc", ["app_server"], ssh={})}
    )
    return RuleContext(
        inventory, RunOptions(), inventory.hosts["h"], inventory.sites["dc"], ObservationIndex([])
    )


def _offer(**lists: tuple[str, ...]) -> AlgorithmOffer:
    return replace(STRONG, **lists)


def test_a_strong_server_passes_every_check(ctx: RuleContext) -> None:
    rules = (
        protocol_two_only,
        no_weak_kex,
        no_weak_ciphers,
        no_weak_macs,
        host_keys_strong,
        no_password_auth,
    )
    assert [rule(OBS, ctx).status for rule in rules] == [Status.PASS] * 6
    assert host_key_pinned(OBS, ctx).status is Status.PASS


@pytest.mark.parametrize(
    ("protocol", "status"), [("2.0", Status.PASS), ("1.99", Status.FAIL), ("1.5", Status.FAIL)]
)
def test_ssh_001_protocol(ctx: RuleContext, protocol: str, status: Status) -> None:
    assert protocol_two_only(replace(OBS, protocol=protocol), ctx).status is status


@pytest.mark.parametrize(
    "cipher", ["arcfour", "arcfour256", "blowfish-cbc", "cast128-cbc", "rijndael-cbc@lysator.liu.se", "none"]
)
def test_ciphers_openssh_no_longer_serves_are_weak(ctx: RuleContext, cipher: str) -> None:
    outcome = no_weak_ciphers(replace(OBS, offer=_offer(ciphers_s2c=("aes256-ctr", cipher))), ctx)
    assert outcome.status is Status.FAIL and cipher in outcome.summary


@pytest.mark.parametrize(
    ("mac", "status"),
    [
        ("hmac-ripemd160", Status.WARN),
        ("hmac-md5-96-etm@openssh.com", Status.FAIL),
        ("hmac-sha1-etm@openssh.com", Status.FAIL),
        ("umac-64@openssh.com", Status.FAIL),
        ("umac-64-etm@openssh.com", Status.WARN),
        ("umac-128-etm@openssh.com", Status.PASS),
    ],
)
def test_mac_verdicts(ctx: RuleContext, mac: str, status: Status) -> None:
    assert no_weak_macs(replace(OBS, offer=_offer(macs_c2s=(mac,))), ctx).status is status


def test_an_algorithm_outside_the_catalogue_is_reported_unrated_without_changing_the_status(
    ctx: RuleContext,
) -> None:
    outcome = no_weak_kex(
        replace(OBS, offer=_offer(kex=("curve25519-sha256", "future-kex@example.org"))), ctx
    )
    assert outcome.status is Status.PASS
    assert "future-kex@example.org" in outcome.summary
    verdicts = {e["name"]: e["verdict"] for e in (outcome.evidence or {})["offered"]}
    assert verdicts["future-kex@example.org"] == "unrated"


@pytest.mark.parametrize(
    "kex", ["rsa1024-sha1", "diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha1"]
)
def test_every_sha1_key_exchange_fails(ctx: RuleContext, kex: str) -> None:
    assert no_weak_kex(replace(OBS, offer=_offer(kex=(kex,))), ctx).status is Status.FAIL


@pytest.mark.parametrize(
    ("keys", "algorithms", "status"),
    [
        ((HostKey("ssh-rsa", 4096, "f", "b"),), ("rsa-sha2-512",), Status.PASS),
        ((HostKey("ssh-rsa", 3072, "f", "b"),), ("rsa-sha2-256",), Status.PASS),
        ((HostKey("ssh-rsa", 2048, "f", "b"),), ("rsa-sha2-256",), Status.WARN),
        ((HostKey("ssh-rsa", 1024, "f", "b"),), ("rsa-sha2-256",), Status.FAIL),
        ((HostKey("ecdsa-sha2-nistp384", 384, "f", "b"),), ("ecdsa-sha2-nistp384",), Status.PASS),
        ((ED25519,), ("ssh-ed25519", "ssh-dss"), Status.FAIL),
        ((), ("ssh-ed25519",), Status.ERROR),
    ],
)
def test_ssh_005_host_keys(
    ctx: RuleContext, keys: tuple[HostKey, ...], algorithms: tuple[str, ...], status: Status
) -> None:
    obs = replace(OBS, host_keys=keys, offer=_offer(host_key_algorithms=algorithms))
    assert host_keys_strong(obs, ctx).status is status


@pytest.mark.parametrize(
    ("methods", "level", "status", "severity"),
    [
        (("publickey",), 3, Status.PASS, None),
        (("publickey", "password"), 3, Status.FAIL, None),
        (("publickey", "password"), 4, Status.FAIL, None),
        (("publickey", "password"), 2, Status.WARN, None),
        (("publickey", "keyboard-interactive"), 3, Status.WARN, None),
        (("none",), 1, Status.FAIL, Severity.CRITICAL),
        (None, 3, Status.ERROR, None),
    ],
)
def test_ssh_006_follows_the_security_level(
    make_inventory: InventoryFactory,
    methods: tuple[str, ...] | None,
    level: int,
    status: Status,
    severity: Severity | None,
) -> None:
    outcome = no_password_auth(replace(OBS, auth_methods=methods, auth_note="x"), _ctx(make_inventory, level))
    assert (outcome.status, outcome.severity) == (status, severity)


def test_ssh_007_changed_key_is_critical_and_names_both_fingerprints(ctx: RuleContext) -> None:
    changed = PinCheck(
        PinState.CHANGED, "/s", "h", changes=(KeyChange("ssh-ed25519", "SHA256:old", "SHA256:new"),)
    )
    outcome = host_key_pinned(replace(OBS, pin=changed), ctx)
    assert outcome.status is Status.FAIL
    assert "SHA256:old" in outcome.summary and "SHA256:new" in outcome.summary
    assert REGISTRY.checks["SSH-007"].severity is Severity.CRITICAL


def test_no_offer_means_error_not_pass(ctx: RuleContext) -> None:
    obs = replace(OBS, offer=None, offer_note="the server speaks SSH protocol 1.5 only")
    for rule in (no_weak_kex, no_weak_ciphers, no_weak_macs, host_keys_strong):
        assert rule(obs, ctx).status is Status.ERROR


def test_every_policy_entry_cites_a_defined_source() -> None:
    data: dict[str, Any] = load_policy().model_dump(mode="json")
    data["macs"] = [*data["macs"], {"match": "x", "verdict": "ok", "reason": "r", "sources": ["nowhere"]}]
    with pytest.raises(ValidationError, match="undefined sources"):
        SshPolicy.model_validate(data)


def test_checks_declare_the_catalogue_controls() -> None:
    assert host_rules.sshd_effective_settings is REGISTRY.checks["SSH-008"].rule
    ids = [f"SSH-{n:03d}" for n in range(1, 9)] + [f"HOST-{n:03d}" for n in range(1, 5)]
    declared = {i: REGISTRY.checks[i].controls for i in ids}
    problems = [p for p in registry_problems(default_catalogue(), declared) if p.split(":")[0] in ids]
    assert problems == []
