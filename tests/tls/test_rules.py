"""Rules from recorded observations (no I/O): the branches the lab cannot reach, such as public roots.

Observations here are built by hand the way the collector builds them; certificates are real ones
made with `cryptography` so parsing and path building run for real.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtensionOID

from p06audit.checks.tls import rules
from p06audit.checks.tls.observations import (
    WEAKNESSES,
    AcceptedSuite,
    AnchorSource,
    CertificateDeployment,
    CertificateFacts,
    ChainValidation,
    HstsFacts,
    ProtocolResult,
    TlsEndpointObservation,
    Weakness,
)
from p06audit.checks.tls.policy import load_policy
from p06audit.checks.tls.rules import name_matches
from p06audit.checks.tls.x509facts import certificate_facts, validate_chain
from p06audit.inventory import Inventory
from p06audit.lab.pki import LabPki, name, new_key
from p06audit.model import Outcome, Status, Target
from p06audit.options import RunOptions
from p06audit.registry import REGISTRY, ObservationIndex, RuleContext
from p06audit.text import TEXTS, Renderer, english, say
from tests.conftest import InventoryFactory, host, site

NOW = datetime(2026, 11, 25, tzinfo=UTC)
TARGET = Target(site="lab-dc", host="portal", address="127.0.2.1", port=443)


@pytest.fixture
def ctx(make_inventory: InventoryFactory) -> RuleContext:
    inventory: Inventory = make_inventory(
        {"lab-dc": site()}, {"portal": host("127.0.2.1", "lab-dc", ["web_portal"], tls=[{"port": 443}])}
    )
    return RuleContext(inventory, RunOptions(now=NOW), inventory.hosts["portal"], None, ObservationIndex([]))


def leaf(not_before: datetime, days: float, **facts: object) -> CertificateFacts:
    base = CertificateFacts(
        subject="CN=portal.example.gov.vn",
        issuer="CN=Public CA",
        not_before=not_before,
        not_after=not_before + timedelta(days=days) - timedelta(seconds=1),
        key_type="EC",
        key_bits=256,
        signature_hash="sha256",
        dns_names=("portal.example.gov.vn",),
        ocsp_urls=("http://ocsp.example/",),
    )
    return replace(base, **facts)  # type: ignore[arg-type]


def observation(cert: CertificateFacts, *, public: bool = True, **fields: object) -> TlsEndpointObservation:
    deployment = CertificateDeployment(
        chain=(cert,),
        validation=ChainValidation(True, (cert.subject, "CN=Root"), None, (AnchorSource("bundle", 1),), 1),
        publicly_trusted=public,
        ocsp_stapled=False,
        must_staple=False,
    )
    obs = TlsEndpointObservation(
        TARGET, "portal.example.gov.vn", "portal.example.gov.vn", deployments=(deployment,)
    )
    return replace(obs, **fields)  # type: ignore[arg-type]


def judge(check_id: str, obs: TlsEndpointObservation, ctx: RuleContext) -> Outcome:
    REGISTRY.load_plugins(["tls"])
    outcome = REGISTRY.checks[check_id].rule(obs, ctx)
    assert isinstance(outcome, Outcome)
    return outcome


def status(check_id: str, obs: TlsEndpointObservation, ctx: RuleContext) -> Status:
    return judge(check_id, obs, ctx).status


@pytest.mark.parametrize(
    ("issued", "days", "public", "expected"),
    [
        (datetime(2025, 1, 10, tzinfo=UTC), 398, True, Status.PASS),
        (datetime(2025, 1, 10, tzinfo=UTC), 399, True, Status.FAIL),
        (datetime(2026, 4, 1, tzinfo=UTC), 300, True, Status.FAIL),  # 200-day limit from 2026-03-15
        (datetime(2026, 4, 1, tzinfo=UTC), 200, True, Status.PASS),
        (datetime(2026, 4, 1, tzinfo=UTC), 825, False, Status.SKIP),  # national CA: CA/B limits do not apply
        (datetime(2019, 1, 1, tzinfo=UTC), 825, True, Status.SKIP),  # before the first limit in the policy
    ],
)
def test_cabf_validity_by_issue_date(
    ctx: RuleContext, issued: datetime, days: int, public: bool, expected: Status
) -> None:
    assert status("TLS-014", observation(leaf(issued, days), public=public), ctx) == expected


@pytest.mark.parametrize(
    ("expected", "names", "addresses", "matches"),
    [
        ("portal.tinh.gov.vn", ["portal.tinh.gov.vn"], [], True),
        ("PORTAL.tinh.gov.vn.", ["portal.tinh.gov.vn"], [], True),
        ("portal.tinh.gov.vn", ["*.tinh.gov.vn"], [], True),
        ("a.portal.tinh.gov.vn", ["*.tinh.gov.vn"], [], False),
        ("tinh.gov.vn", ["*.tinh.gov.vn"], [], False),
        ("portal.tinh.gov.vn", ["portal.other.gov.vn"], [], False),
        ("127.0.2.1", ["portal.tinh.gov.vn"], ["127.0.2.1"], True),
        ("127.0.2.1", ["127.0.2.1"], [], False),
    ],
)
def test_name_matching(expected: str, names: list[str], addresses: list[str], matches: bool) -> None:
    assert name_matches(expected, names, addresses) is matches


def test_protocol_and_suite_rules(ctx: RuleContext) -> None:
    cert = leaf(NOW - timedelta(days=10), 90)
    only_rsa = (
        ProtocolResult("SSL 2.0", ()),
        ProtocolResult("SSL 3.0", ()),
        ProtocolResult("TLS 1.0", ()),
        ProtocolResult("TLS 1.1", ()),
        ProtocolResult("TLS 1.2", (AcceptedSuite("TLS_RSA_WITH_AES_128_GCM_SHA256"),)),
        ProtocolResult("TLS 1.3", ()),
    )
    obs = observation(cert, protocols=only_rsa)
    assert status("TLS-005", obs, ctx) == Status.FAIL
    assert status("TLS-004", obs, ctx) == Status.PASS
    assert status("TLS-003", obs, ctx) == Status.PASS
    nothing_modern = observation(cert, protocols=tuple(replace(p, accepted=()) for p in only_rsa))
    assert status("TLS-003", nothing_modern, ctx) == Status.FAIL
    reset = say("tls.command_failed", reason="CONNECTIVITY_ISSUE", detail="reset")
    missing = observation(cert, protocols=only_rsa[:4], errors=(("TLS 1.2", reset),))
    assert status("TLS-003", missing, ctx) == Status.ERROR
    assert judge("TLS-003", missing, ctx).summary == "Could not check: sslyze CONNECTIVITY_ISSUE: reset"


def test_hsts_and_weaknesses(ctx: RuleContext) -> None:
    cert = leaf(NOW - timedelta(days=10), 90)
    short = HstsFacts(
        present=True, max_age=86400, include_subdomains=False, preload=False, redirected_to=None
    )
    assert status("TLS-011", observation(cert, hsts=short), ctx) == Status.FAIL
    assert status("TLS-011", observation(cert, hsts=replace(short, max_age=15552000)), ctx) == Status.PASS
    clean = (
        Weakness("heartbleed", False, "is_vulnerable_to_heartbleed=False"),
        Weakness("robot", False, "robot_result=NOT_VULNERABLE_NO_ORACLE"),
    )
    assert status("TLS-012", observation(cert, weaknesses=clean), ctx) == Status.PASS
    bleeding = (Weakness("heartbleed", True, "is_vulnerable_to_heartbleed=True"), clean[1])
    assert status("TLS-012", observation(cert, weaknesses=bleeding), ctx) == Status.FAIL
    assert judge("TLS-012", observation(cert, weaknesses=bleeding), ctx).summary == "Vulnerable: Heartbleed"
    unsure = (clean[0], Weakness("robot", None, "robot_result=UNKNOWN_INCONSISTENT_RESULTS"))
    assert status("TLS-012", observation(cert, weaknesses=unsure), ctx) == Status.WARN
    bug = say("tls.command_failed", reason="BUG_IN_SSLYZE", detail="x")
    failed = observation(
        cert,
        weaknesses=clean[:1],
        errors=(("weaknesses", say("tls.test_failed", command="robot", problem=bug)),),
    )
    assert status("TLS-012", failed, ctx) == Status.ERROR
    assert judge("TLS-012", failed, ctx).summary == "Could not check: robot: sslyze BUG_IN_SSLYZE: x"


def test_corrupt_certificate_is_a_finding_not_a_crash(ctx: RuleContext) -> None:
    key = new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("broken.lab.p06.test"))
        .issuer_name(name("broken.lab.p06.test"))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(
            x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, b"\x30\x03junk"), False
        )
        .sign(key, hashes.SHA256())
    )
    facts = certificate_facts(cert)
    assert facts.parse_error and facts.subject == "CN=broken.lab.p06.test,O=p06audit lab,C=VN"
    obs = observation(facts)
    for check_id in ("TLS-007", "TLS-008", "TLS-009", "TLS-010", "TLS-015"):
        assert status(check_id, obs, ctx) == Status.FAIL, check_id


def test_expired_intermediate_breaks_the_chain(tmp_path: Path) -> None:
    old = LabPki(tmp_path / "old", NOW - timedelta(days=4000))
    issued = old.issue_server(
        "old", ["old.lab.p06.test"], valid_from=timedelta(days=3990), valid_for=timedelta(days=30)
    )
    received = [issued.cert, old.intermediate.cert]
    sources = (AnchorSource("old root", 1),)
    result = validate_chain(received, [old.root.cert], NOW, sources)
    assert not result.trusted
    assert result.problem is not None and "CN=p06audit Lab Issuing CA" in english(result.problem)
    assert validate_chain(received, [old.root.cert], NOW - timedelta(days=3000), sources).trusted


KEY = re.compile(r"""["'](((?:TLS-\d{3})|tls|core)\.[a-z][a-z0-9_]*)["']""")


def test_every_message_the_family_can_say_has_text() -> None:
    """Each key literal in the rules and collectors, each weak-suite kind and each weakness test is
    defined in checks.yaml (or the engine's messages), in both languages."""
    REGISTRY.load_plugins(["tls"])
    package = Path(rules.__file__).parent
    keys = {m.group(1) for source in package.glob("*.py") for m in KEY.finditer(source.read_text())}
    keys |= {f"TLS-004.{w.kind}" for w in load_policy().weak_suites}
    keys |= {f"TLS-012.{name}" for name in WEAKNESSES}
    assert len(keys) > 60
    assert sorted(k for k in keys if k not in TEXTS) == []
    assert {"tls.silent", "tls.not_tls", "tls.no_handshake", "tls.issuer_not_sent"} <= keys


def test_outcomes_render_in_vietnamese(ctx: RuleContext) -> None:
    """Real outcomes read as an officer would write them, and every template gets its parameters."""
    vi = Renderer("vi")
    expired = judge("TLS-008", observation(leaf(NOW - timedelta(days=100), 90)), ctx)
    assert expired.status == Status.FAIL
    assert vi(expired.message) == "Chứng thư số đã hết hạn ngày 15/11/2026 (cách đây 10 ngày)"
    assert expired.summary == "Certificate expired on 15 Nov 2026 (10 days ago)"
    expiring = judge("TLS-008", observation(leaf(NOW - timedelta(days=89), 90)), ctx)
    assert expiring.summary == "Certificate expires on 26 Nov 2026 (in 0 days)"
    rc4 = (ProtocolResult("TLS 1.2", (AcceptedSuite("TLS_ECDHE_RSA_WITH_RC4_128_SHA"),)),)
    protocols = tuple(ProtocolResult(p, ()) for p in ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.3"))
    weak = judge("TLS-004", observation(leaf(NOW, 90), protocols=protocols + rc4), ctx)
    assert vi(weak.message) == "Máy chủ chấp nhận 1 bộ mã hoá yếu: RC4"
    assert weak.summary == "1 weak suite accepted: RC4"
    no_revocation = observation(leaf(NOW, 90, ocsp_urls=()))
    assert vi(judge("TLS-015", no_revocation, ctx).message) == (
        "Không có điểm phân phối CRL hay URL OCSP (chưa bật OCSP stapling)"
    )
    silent = say("core.not_examined", reason=say("tls.silent", seconds=3), checks=["TLS-001", "TLS-002"])
    assert vi(silent) == (
        "Không kiểm tra được đối tượng này: đã nhận kết nối TCP nhưng không trả lời TLS trong 3 giây. "
        "Các kiểm tra không thực hiện được: TLS-001, TLS-002."
    )
    for check_id in sorted(c for c in REGISTRY.checks if c.startswith("TLS-")):
        outcome = judge(check_id, observation(leaf(NOW - timedelta(days=10), 90)), ctx)
        assert vi(outcome.message) and english(outcome.message), check_id
