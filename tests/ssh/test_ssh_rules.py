"""SSH-001..007 as pure functions of recorded observations: the cases no lab sshd can show
(SSH-1.99, arcfour/blowfish/cast128 that OpenSSH 9.2 refuses, 'none' auth accepted, key types)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from p06audit.checks.host import rules as host_rules
from p06audit.checks.ssh.observations import (
    AlgorithmOffer,
    HostKey,
    KeyChange,
    PinCheck,
    PinState,
    SshServerInfo,
)
from p06audit.checks.ssh.policy import SshPolicy, load_policy
from p06audit.checks.ssh.rules import (
    host_key_pinned,
    host_keys_strong,
    no_password_auth,
    no_weak_ciphers,
    no_weak_kex,
    no_weak_macs,
    protocol_two_only,
)
from p06audit.guidance.catalogue import default_catalogue, registry_problems
from p06audit.model import Severity, Status, Target
from p06audit.options import RunOptions
from p06audit.registry import REGISTRY, ObservationIndex, RuleContext
from p06audit.text import TEXTS, Renderer, say
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
    offer_note=None,
    host_keys=(ED25519,),
    host_key_notes=(),
    auth_methods=("publickey",),
    auth_note=None,
    pin=PinCheck(
        PinState.MATCHED, "/state/ssh_known_hosts", "192.0.2.10", matched=("SHA256:ed",), first_seen="t0"
    ),
    pin_note=None,
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
    note = say("core.detail", text="x")
    outcome = no_password_auth(
        replace(OBS, auth_methods=methods, auth_note=note), _ctx(make_inventory, level)
    )
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
    obs = replace(OBS, offer=None, offer_note=say("ssh.protocol_only", protocol="1.5", error="no KEXINIT"))
    for rule in (no_weak_kex, no_weak_ciphers, no_weak_macs, host_keys_strong):
        assert rule(obs, ctx).status is Status.ERROR


def test_every_policy_entry_cites_a_defined_source() -> None:
    data: dict[str, Any] = load_policy().model_dump(mode="json")
    data["macs"] = [*data["macs"], {"match": "x", "verdict": "ok", "reason": "r", "sources": ["nowhere"]}]
    with pytest.raises(ValidationError, match="undefined sources"):
        SshPolicy.model_validate(data)


def test_checks_declare_the_catalogue_controls() -> None:
    assert host_rules.sshd_effective_settings is REGISTRY.checks["SSH-008"].rule
    assert REGISTRY.checks["SSH-008"].family == "host"
    ids = [f"SSH-{n:03d}" for n in range(1, 9)] + [f"HOST-{n:03d}" for n in range(1, 5)]
    problems = [p for p in registry_problems(default_catalogue(), REGISTRY.checks) if p.split(":")[0] in ids]
    assert problems == []
    assert all(default_catalogue().controls_for_check(i) for i in ids)


KEY = re.compile(r"""\bsay\(\s*["']([A-Za-z0-9_.-]+)["']""")


def test_every_message_the_families_can_say_has_text() -> None:
    """Each key literal said in the ssh and host packages is defined in a checks.yaml (or the
    engine's messages), in both languages; so is every key a rule picks from a variable."""
    import p06audit.checks.host as host_package
    import p06audit.checks.ssh as ssh_package

    sources = [
        path.read_text()
        for package in (ssh_package, host_package)
        for path in Path(package.__file__ or "").parent.glob("*.py")
    ]
    keys = {m.group(1) for text in sources for m in KEY.finditer(text)}
    keys |= {"ssh.key_file_wrong_passphrase", "ssh.key_file_unloadable"}
    assert len(keys) > 80
    assert sorted(k for k in keys if k not in TEXTS) == []
    assert {"ssh.silent", "ssh.refused", "host.probe_exit", "SSH-008.outside_policy"} <= keys


def test_outcomes_render_in_vietnamese(ctx: RuleContext) -> None:
    vi = Renderer("vi")
    weak = no_weak_kex(replace(OBS, offer=_offer(kex=("diffie-hellman-group1-sha1", "future-kex"))), ctx)
    assert vi(weak.message) == (
        "Máy chủ đề nghị thuật toán trao đổi khoá yếu: diffie-hellman-group1-sha1. "
        "Chưa được chính sách phân loại: future-kex."
    )
    assert weak.summary == (
        "Weak key exchange algorithms offered: diffie-hellman-group1-sha1. "
        "Not in the policy catalogue: future-kex."
    )
    passing = no_weak_ciphers(OBS, ctx)
    assert vi(passing.message) == "Cả 1 thuật toán mã hoá máy chủ đề nghị đều đáp ứng chính sách."
    assert passing.summary == "The 1 algorithm offered (ciphers) meets the policy."
    small = host_keys_strong(replace(OBS, host_keys=(HostKey("ssh-rsa", 2048, "f", "b"),)), ctx)
    assert vi(small.message) == "Khoá máy chủ nhỏ hơn kích thước khuyến nghị: ssh-rsa 2048 bit."
    assert vi(no_password_auth(replace(OBS, auth_methods=("publickey", "password")), ctx).message) == (
        "Máy chủ cho phép xác thực bằng mật khẩu (cấp độ an toàn 3)."
    )
    changed = PinCheck(
        PinState.CHANGED, "/s", "h", changes=(KeyChange("ssh-ed25519", "SHA256:a", "SHA256:b"),)
    )
    assert vi(host_key_pinned(replace(OBS, pin=changed), ctx).message) == (
        "KHOÁ MÁY CHỦ ĐÃ THAY ĐỔI (ssh-ed25519 trước là SHA256:a, nay là SHA256:b). "
        "Trong lần kiểm tra này không có thông tin xác thực nào được gửi tới máy chủ."
    )
    matched = replace(
        OBS, pin=replace(OBS.pin, first_seen="2026-08-05T07:03:00+00:00", recorded=("SHA256:n",))
    )
    outcome = host_key_pinned(matched, ctx)
    assert (
        vi(outcome.message)
        == "Khoá máy chủ khớp với khoá đã ghim từ 14:03 05/08/2026; mới ghi nhận thêm: SHA256:n."
    )
    assert (
        outcome.summary == "Host key matches the pin first seen 5 Aug 2026 14:03; newly recorded: SHA256:n."
    )
