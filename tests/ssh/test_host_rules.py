"""SSH-008 and HOST-001..004 as pure functions of recorded probe output.

The lab machine has no chrony, ntpd, rsyslog, nftables or ufw, so their outputs are recorded here
in the formats those tools print under the C locale (the same text the collector receives).
"""

from __future__ import annotations

import pytest

from p06audit.checks.host.observations import CommandResult, HostFacts
from p06audit.checks.host.rules import (
    clock_synchronised,
    firewall_active,
    logs_forwarded,
    security_updates,
    sshd_effective_settings,
)
from p06audit.model import Status, Target
from p06audit.options import RunOptions
from p06audit.registry import ObservationIndex, RuleContext
from p06audit.text import Renderer
from tests.conftest import InventoryFactory, host, site

MISSING = 127

CHRONY_SYNCED = """Reference ID    : C0000201 (192.0.2.1)
Stratum         : 3
System time     : 0.000012345 seconds fast of NTP time
Last offset     : +0.000001234 seconds
Leap status     : Normal
"""
CHRONY_FAR = CHRONY_SYNCED.replace("0.000012345 seconds fast", "2.500000000 seconds slow")
CHRONY_UNSYNCED = """Reference ID    : 00000000 ()
Stratum         : 0
System time     : 0.000000000 seconds fast of NTP time
Leap status     : Not synchronised
"""
NTPQ = """     remote           refid      st t when poll reach   delay   offset  jitter
==============================================================================
*192.0.2.1       .GPS.            1 u   33   64  377    0.512   -0.123   0.045
+192.0.2.2       192.0.2.1        2 u   12   64  377    0.601    0.210   0.050
"""
NFT_ACTIVE = """table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\tiif "lo" accept
\t\ttcp dport 22 ip saddr 192.0.2.0/24 accept
\t}
\tchain output {
\t\ttype filter hook output priority filter; policy accept;
\t}
}
"""
NFT_OPEN = """table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t}
}
"""
RSYSLOG = """### /etc/rsyslog.conf
module(load="imuxsock")
#*.* @@old-server.example:514
auth,authpriv.* /var/log/auth.log
*.* @@logs.example.vn:514
### /etc/rsyslog.d/50-remote.conf
action(type="omfwd" target="192.0.2.50" port="6514" protocol="tcp")
"""
SYSLOG_NG = """### /etc/syslog-ng/syslog-ng.conf
destination d_remote { network("192.0.2.60" port(514) transport("tcp")); };
log { source(s_src); destination(d_remote); };
"""
APT = """# lists-age-seconds: 3600
Listing...
openssl/oldstable-security 3.0.17-1~deb12u3 amd64 [upgradable from: 3.0.16-1~deb12u1]
libssl3/oldstable,oldstable-security 3.0.17-1~deb12u3 amd64 [upgradable from: 3.0.16-1~deb12u1]
bash/oldstable 5.2.15-2+b13 amd64 [upgradable from: 5.2.15-2+b8]
"""
UFW_ACTIVE = """Status: active

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW       192.0.2.0/24
"""
SSHD_T = """# config: /etc/ssh/sshd_config
port 22
permitrootlogin without-password
permitemptypasswords no
passwordauthentication no
maxauthtries 4
x11forwarding no
loglevel INFO
"""


def ok(probe: str, stdout: str) -> CommandResult:
    return CommandResult(probe, 0, stdout, "")


def missing(probe: str) -> CommandResult:
    return CommandResult(probe, MISSING, "", f"p06audit: {probe} is not installed")


def facts(*results: CommandResult) -> HostFacts:
    return HostFacts(Target(site="dc", host="h", address="192.0.2.10", port=22), tuple(results))


@pytest.fixture
def ctx(make_inventory: InventoryFactory) -> RuleContext:
    inventory = make_inventory({"dc": site(level=3)}, {"h": host("192.0.2.10", "dc", ["app_server"], ssh={})})
    return RuleContext(
        inventory, RunOptions(), inventory.hosts["h"], inventory.sites["dc"], ObservationIndex([])
    )


NO_CLOCK_TOOLS = (missing("timedatectl"), missing("chronyc"), missing("ntpq"))


@pytest.mark.parametrize(
    ("results", "status"),
    [
        ((missing("timedatectl"), ok("chronyc", CHRONY_SYNCED), missing("ntpq")), Status.PASS),
        ((missing("timedatectl"), ok("chronyc", CHRONY_FAR), missing("ntpq")), Status.WARN),
        ((missing("timedatectl"), ok("chronyc", CHRONY_UNSYNCED), missing("ntpq")), Status.FAIL),
        ((missing("timedatectl"), missing("chronyc"), ok("ntpq", NTPQ)), Status.PASS),
        ((missing("timedatectl"), missing("chronyc"), ok("ntpq", NTPQ.replace("*", " "))), Status.FAIL),
        (
            (ok("timedatectl", "NTP=yes\nNTPSynchronized=yes\n"), missing("chronyc"), missing("ntpq")),
            Status.PASS,
        ),
        (
            (ok("timedatectl", "NTP=no\nNTPSynchronized=no\n"), missing("chronyc"), missing("ntpq")),
            Status.FAIL,
        ),
        (
            (
                missing("timedatectl"),
                CommandResult("chronyc", 1, "", "506 Cannot talk to daemon"),
                missing("ntpq"),
            ),
            Status.FAIL,
        ),
        (NO_CLOCK_TOOLS, Status.SKIP),
    ],
)
def test_host_001_clock(ctx: RuleContext, results: tuple[CommandResult, ...], status: Status) -> None:
    assert clock_synchronised(facts(*results), ctx).status is status


def test_host_001_skip_names_every_missing_tool(ctx: RuleContext) -> None:
    outcome = clock_synchronised(facts(*NO_CLOCK_TOOLS), ctx)
    assert outcome is not None and "timedatectl, chronyc, ntpq" in outcome.summary


def test_host_002_finds_forwarding_in_rsyslog_and_ignores_comments(ctx: RuleContext) -> None:
    outcome = logs_forwarded(
        facts(ok("rsyslog", RSYSLOG), missing("syslog-ng"), missing("journal-upload")), ctx
    )
    assert outcome is not None and outcome.status is Status.PASS
    assert (outcome.evidence or {})["forwarders"]["rsyslog"] == [
        "tcp logs.example.vn:514",
        "omfwd 192.0.2.50",
    ]


@pytest.mark.parametrize(
    ("results", "status"),
    [
        ((missing("rsyslog"), ok("syslog-ng", SYSLOG_NG), missing("journal-upload")), Status.PASS),
        (
            (
                missing("rsyslog"),
                missing("syslog-ng"),
                ok("journal-upload", "[Upload]\nURL=https://logs.example.vn:19532\n### enabled: enabled\n"),
            ),
            Status.PASS,
        ),
        (
            (
                missing("rsyslog"),
                missing("syslog-ng"),
                ok("journal-upload", "[Upload]\nURL=https://logs.example.vn:19532\n### enabled: disabled\n"),
            ),
            Status.FAIL,
        ),
        (
            (ok("rsyslog", "auth.* /var/log/auth.log\n"), missing("syslog-ng"), missing("journal-upload")),
            Status.FAIL,
        ),
        ((missing("rsyslog"), missing("syslog-ng"), missing("journal-upload")), Status.SKIP),
    ],
)
def test_host_002_log_forwarding(
    ctx: RuleContext, results: tuple[CommandResult, ...], status: Status
) -> None:
    assert logs_forwarded(facts(*results), ctx).status is status


DENIED = CommandResult("nft", 1, "", "netlink: Error: cache initialization failed: Operation not permitted")


@pytest.mark.parametrize(
    ("results", "status"),
    [
        ((ok("nft", NFT_ACTIVE), missing("iptables"), missing("ufw")), Status.PASS),
        ((ok("nft", NFT_OPEN), missing("iptables"), missing("ufw")), Status.FAIL),
        ((ok("nft", ""), missing("iptables"), missing("ufw")), Status.FAIL),
        (
            (
                missing("nft"),
                ok("iptables", "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"),
                missing("ufw"),
            ),
            Status.FAIL,
        ),
        (
            (missing("nft"), ok("iptables", "-P INPUT DROP\n-A INPUT -i lo -j ACCEPT\n"), missing("ufw")),
            Status.PASS,
        ),
        ((missing("nft"), missing("iptables"), ok("ufw", "Status: inactive\n")), Status.FAIL),
        (
            (
                missing("nft"),
                missing("iptables"),
                ok(
                    "ufw",
                    UFW_ACTIVE,
                ),
            ),
            Status.PASS,
        ),
        ((DENIED, missing("iptables"), missing("ufw")), Status.ERROR),
        ((missing("nft"), missing("iptables"), missing("ufw")), Status.SKIP),
    ],
)
def test_host_003_firewall(ctx: RuleContext, results: tuple[CommandResult, ...], status: Status) -> None:
    assert firewall_active(facts(*results), ctx).status is status


def test_host_003_permission_error_asks_for_sudo(ctx: RuleContext) -> None:
    outcome = firewall_active(facts(DENIED, missing("iptables"), missing("ufw")), ctx)
    assert outcome is not None and "sudo -n" in outcome.summary


def test_host_004_counts_security_updates(ctx: RuleContext) -> None:
    outcome = security_updates(facts(ok("apt", APT), missing("dnf")), ctx)
    assert outcome is not None and outcome.status is Status.FAIL
    evidence = outcome.evidence or {}
    assert (evidence["pending_total"], evidence["pending_security"]) == (3, 2)
    assert evidence["security_packages"] == ["openssl 3.0.17-1~deb12u3", "libssl3 3.0.17-1~deb12u3"]


@pytest.mark.parametrize(
    ("results", "status"),
    [
        ((ok("apt", "# lists-age-seconds: 3600\nListing...\n"), missing("dnf")), Status.PASS),
        ((ok("apt", "# lists-age-seconds: 2592000\nListing...\n"), missing("dnf")), Status.WARN),
        (
            (missing("apt"), ok("dnf", "FEDORA-2024-1a2b Important/Sec. openssl-libs-3.1.4-3.fc39.x86_64\n")),
            Status.FAIL,
        ),
        ((missing("apt"), ok("dnf", "")), Status.PASS),
        ((CommandResult("apt", 100, "", "E: broken lists"), missing("dnf")), Status.ERROR),
        ((missing("apt"), missing("dnf")), Status.SKIP),
    ],
)
def test_host_004_updates(ctx: RuleContext, results: tuple[CommandResult, ...], status: Status) -> None:
    assert security_updates(facts(*results), ctx).status is status


@pytest.mark.parametrize(
    ("change", "status", "keyword"),
    [
        (("", ""), Status.PASS, None),
        (("permitemptypasswords no", "permitemptypasswords yes"), Status.FAIL, "permitemptypasswords"),
        (("maxauthtries 4", "maxauthtries 5"), Status.FAIL, "maxauthtries"),
        (("loglevel INFO", "loglevel QUIET"), Status.FAIL, "loglevel"),
        (("loglevel INFO", ""), Status.WARN, "loglevel"),
    ],
)
def test_ssh_008_settings(
    ctx: RuleContext, change: tuple[str, str], status: Status, keyword: str | None
) -> None:
    text = SSHD_T.replace(*change) if change[0] else SSHD_T
    outcome = sshd_effective_settings(facts(ok("sshd", text)), ctx)
    assert outcome is not None and outcome.status is status
    assert (outcome.evidence or {})["config"] == "/etc/ssh/sshd_config"
    if keyword:
        assert keyword in outcome.summary


def test_ssh_008_password_authentication_is_a_warning_below_level_three(
    make_inventory: InventoryFactory,
) -> None:
    inventory = make_inventory(
        {"psc": site("public_service_centre", level=2)},
        {"h": host("192.0.2.10", "psc", ["app_server"], ssh={})},
    )
    ctx = RuleContext(
        inventory, RunOptions(), inventory.hosts["h"], inventory.sites["psc"], ObservationIndex([])
    )
    text = SSHD_T.replace("passwordauthentication no", "passwordauthentication yes")
    assert sshd_effective_settings(facts(ok("sshd", text)), ctx).status is Status.WARN


def test_ssh_008_without_root_asks_for_sudo(ctx: RuleContext) -> None:
    denied = CommandResult(
        "sshd",
        1,
        "# config: default\n",
        "Unable to load host key: /etc/ssh/ssh_host_ed25519_key\nsshd: no hostkeys available -- exiting.",
    )
    outcome = sshd_effective_settings(facts(denied), ctx)
    assert outcome is not None and outcome.status is Status.ERROR and "sudo -n sshd -T" in outcome.summary
    assert sshd_effective_settings(facts(missing("sshd")), ctx).status is Status.SKIP


def test_host_outcomes_render_in_vietnamese(ctx: RuleContext) -> None:
    vi = Renderer("vi")
    far = clock_synchronised(facts(missing("timedatectl"), ok("chronyc", CHRONY_FAR), missing("ntpq")), ctx)
    assert far is not None and vi(far.message) == "Đồng hồ đã được đồng bộ (chronyc) nhưng lệch 2,5 giây."
    assert far.summary == "Clock synchronised (chronyc) but 2.5 s off."
    none = clock_synchronised(facts(*NO_CLOCK_TOOLS), ctx)
    assert none is not None and vi(none.message) == (
        "Máy chủ không có công cụ nào trong số timedatectl, chronyc, ntpq, nên không đọc được "
        "trạng thái đồng bộ thời gian theo cách này; hãy kiểm tra thủ công."
    )
    updates = security_updates(facts(ok("apt", APT), missing("dnf")), ctx)
    assert updates is not None and vi(updates.message) == (
        "Có 2 bản cập nhật bảo mật đang chờ (3 bản cập nhật tất cả, apt)."
    )
    assert updates.summary == "2 security updates pending (3 in all, apt)."
    text = SSHD_T.replace("maxauthtries 4", "maxauthtries 6").replace("loglevel INFO\n", "")
    sshd = sshd_effective_settings(facts(ok("sshd", text)), ctx)
    assert sshd is not None and vi(sshd.message) == (
        "Các thiết lập sshd không đạt chính sách (/etc/ssh/sshd_config): maxauthtries 6, "
        "loglevel (sshd -T không liệt kê)."
    )
    firewall = firewall_active(facts(ok("nft", NFT_OPEN), missing("iptables"), missing("ufw")), ctx)
    assert firewall is not None and vi(firewall.message) == (
        "Tường lửa trên máy chủ không hoạt động: nft (0 luật, chính sách chiều vào accept)."
    )
    assert firewall.summary == "No active host firewall: nft (0 rules, input policy accept)."
    denied = CommandResult("apt", 100, "", "E: broken lists")
    broken = security_updates(facts(denied, missing("dnf")), ctx)
    assert broken is not None and vi(broken.message) == (
        "Không liệt kê được các bản cập nhật đang chờ: apt: mã thoát 100: E: broken lists."
    )
    assert (broken.evidence or {})["failed"] == [
        {"probe": "apt", "exit_status": 100, "output": "E: broken lists"}
    ]
