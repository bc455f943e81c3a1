"""SMTP digest against a real local SMTP server (aiosmtpd on 127.0.7.x), plain and STARTTLS with AUTH.

Given a previous and a current run with known changes, when the digest is sent, then the server
receives exactly those items, in both parts, with remote text escaped in the HTML part.
"""

from __future__ import annotations

import email.header
import logging
import ssl
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from p06audit.errors import ConfigFileError
from p06audit.lab.pki import LabPki
from p06audit.model import Severity, Status
from p06audit.notify import (
    NotifyConfig,
    SmtpSettings,
    build_digest,
    find_notify_config,
    load_notify_config,
    render_digest,
    send_digest,
)
from p06audit.notify.config import CERTIFICATE_EXPIRY_TAG
from p06audit.registry import REGISTRY
from p06audit.text import TEXTS, Template, say
from tests.history.factory import finding, make_run
from tests.history.smtp import PORT, Inbox, parts, smtp_server

PLAIN_ADDRESS = "127.0.7.1"
TLS_ADDRESS = "127.0.7.2"
DEAD_ADDRESS = "127.0.7.3"


def accept_audit_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"p06audit", b"s3cret-from-env")
    return AuthResult(success=ok, auth_data=data.login if ok else None)


@pytest.fixture
def plain_server() -> Iterator[Inbox]:
    with smtp_server(PLAIN_ADDRESS) as inbox:
        yield inbox


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPki:
    return LabPki(tmp_path_factory.mktemp("smtp-pki"), datetime.now(UTC))


@pytest.fixture
def starttls_server(pki: LabPki) -> Iterator[Inbox]:
    issued = pki.issue_server("smtp-starttls", ["mail.lab.p06.test"], ip_addresses=[TLS_ADDRESS])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(issued.chain_file, issued.key_file)
    options = {"tls_context": context, "require_starttls": True, "authenticator": accept_audit_login}
    with smtp_server(TLS_ADDRESS, auth_required=True, **options) as inbox:
        yield inbox


def config(address: str, **smtp: Any) -> NotifyConfig:
    return NotifyConfig(
        smtp=SmtpSettings(host=address, port=PORT, timeout=5, **{"starttls": False, **smtp}),
        sender="p06audit@so-tttt.lab.p06.test",
        recipients=("attt@so-tttt.lab.p06.test", "giamdoc@so-tttt.lab.p06.test"),
    )


PREVIOUS = make_run(
    0,
    [
        finding("TLS-002", Status.FAIL, Severity.HIGH, summary="TLS 1.0 accepted"),
        finding(
            "SIGN-002",
            Status.WARN,
            Severity.MEDIUM,
            host="kiosk",
            site="lab-psc",
            port=None,
            summary="Signing certificate of Nguyễn Văn A expires in 25 days",
        ),
        finding("NET-001", Status.PASS, Severity.MEDIUM, host="db", port=5432),
    ],
)
CURRENT = make_run(
    1,
    [
        finding("TLS-002", Status.FAIL, Severity.HIGH, summary="TLS 1.0 still accepted"),  # not new
        finding("TLS-004", Status.FAIL, Severity.CRITICAL, summary="RC4 accepted <script>alert(1)</script>"),
        finding("NET-001", Status.FAIL, Severity.MEDIUM, host="db", port=5432, summary="port 5432 closed"),
        finding("TLS-008", Status.WARN, Severity.HIGH, summary="certificate expires in 12 days"),
        finding(
            "SIGN-002",
            Status.WARN,
            Severity.MEDIUM,
            host="kiosk",
            site="lab-psc",
            port=None,
            summary="Signing certificate of Nguyễn Văn A expires in 24 days",
        ),  # already in its window
        finding(
            "SSH-001",
            Status.ERROR,
            Severity.HIGH,
            host="kiosk",
            site="lab-psc",
            port=22,
            summary="Could not check: connection reset by peer",
        ),
        finding(
            "SSH-002",
            Status.ERROR,
            Severity.HIGH,
            host="kiosk",
            site="lab-psc",
            port=22,
            summary="Could not check: connection reset by peer",
        ),
    ],
)


def test_vietnamese_digest_lists_exactly_the_new_items_in_text_and_escaped_html(plain_server: Inbox) -> None:
    assert send_digest(CURRENT, PREVIOUS, config(PLAIN_ADDRESS), "vi", report=Path("/srv/reports/r2"))

    [(sender, recipients, message, login)] = plain_server.received
    assert sender == "p06audit@so-tttt.lab.p06.test"
    assert recipients == ["attt@so-tttt.lab.p06.test", "giamdoc@so-tttt.lab.p06.test"]
    assert login is None
    assert message["Subject"] == (
        "[p06audit] lab: 2 lỗi mới, 1 chứng thư vào thời hạn cảnh báo, 1 máy chủ không kiểm tra được"
    )
    assert message.is_multipart() and message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    new_section = text.split("== Lỗi mới kể từ lần kiểm tra trước (2) ==")[1].split("==")[0]
    assert "[nghiêm trọng] TLS-004 lab-dc/portal:443: RC4 accepted <script>alert(1)</script>" in new_section
    assert "[trung bình] NET-001 lab-dc/db:5432: port 5432 closed" in new_section
    assert "TLS-002" not in text, "a failure already reported last time is not new"
    assert "TLS-008 lab-dc/portal:443: certificate expires in 12 days" in text
    assert "Nguyễn Văn A" not in text, "a certificate already in its window was announced before"
    assert "- lab-psc/kiosk (SSH-001, SSH-002): Could not check: connection reset by peer" in text
    assert f"So với lần kiểm tra: {PREVIOUS.id}" in text and "/srv/reports/r2" in text
    assert "RC4 accepted &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert html.count("<tr>") == 2 + 1 + 1 + 3, "header rows plus 2 new, 1 certificate, 1 host in ERROR"


def english_fragments() -> set[str]:
    """Every English word group of the digest's own text (core.digest_* and the severity names)
    that its Vietnamese text does not share (such as the `[p06audit]` tag)."""
    REGISTRY.load_texts()

    def fragments(template: Template) -> set[str]:
        return {
            literal.strip(" :.,()…")
            for pieces in template.forms.values()
            for literal, _, _ in pieces
            if len(literal.strip(" :.,()…")) > 3
        }

    TEXTS.text("core.digest_heading")  # the engine's messages are read at the first one asked for
    english: set[str] = set()
    known = TEXTS.keys()  # a Texts is not a mapping: it lists its keys, it does not iterate
    for key in [k for k in known if k.startswith(("core.digest_", "core.severity_"))]:
        english |= fragments(TEXTS.text(key).en) - fragments(TEXTS.text(key).vi)
    assert {"Security audit digest", "New failures since the previous run", "medium"} <= english
    return english


def test_vietnamese_digest_holds_no_english_text_of_its_own() -> None:
    """Given findings whose messages are real check text, the vi digest (subject, text and HTML,
    headings, severities, check titles, summaries and reasons) holds none of the English wording."""
    said = {
        "NET-001": say("NET-001.unreachable", ports=[8080]),
        "TLS-008": say("TLS-008.expiring", not_after=date(2025, 3, 14), days=12),
        "NET-000": say(
            "core.not_examined",
            reason=say("core.collector_timeout", seconds=20),
            checks=["NET-001", "NET-002"],
        ),
        "TLS-000": say(
            "core.not_examined", reason=say("core.collector_timeout", seconds=20), checks=["TLS-001"]
        ),
    }
    current = make_run(
        1,
        [
            replace(
                finding("NET-001", Status.FAIL, Severity.MEDIUM, host="db", port=None),
                message=said["NET-001"],
            ),
            replace(finding("NET-001", Status.FAIL, Severity.MEDIUM, port=None), message=said["NET-001"]),
            replace(finding("TLS-008", Status.WARN), message=said["TLS-008"]),
            replace(
                finding(
                    "NET-000",
                    Status.ERROR,
                    host="kiosk",
                    site="lab-psc",
                    port=None,
                    blocked=("NET-001", "NET-002"),
                ),
                message=said["NET-000"],
            ),
            replace(
                finding(
                    "TLS-000", Status.ERROR, host="kiosk", site="lab-psc", port=None, blocked=("TLS-001",)
                ),
                message=said["TLS-000"],
            ),
        ],
    )
    digest = build_digest(current, None, REGISTRY.tagged(CERTIFICATE_EXPIRY_TAG))
    message = render_digest(digest, "vi", limit=1, report=Path("/srv/reports/r2"))
    text = message.get_payload(0).get_payload(decode=True).decode()
    html = message.get_payload(1).get_payload(decode=True).decode()
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert (
        subject
        == "[p06audit] lab: 2 lỗi mới, 1 chứng thư vào thời hạn cảnh báo, 1 máy chủ không kiểm tra được"
    )
    assert "Các cổng TCP đã khai báo không kết nối được: 8080." in text
    assert "Chứng thư số sẽ hết hạn ngày 14/03/2025 (còn 12 ngày)" in text
    assert "- lab-psc/kiosk (NET-001, NET-002, TLS-001): không có kết quả trong 20 giây\n" in text, (
        "the reason two families share is said once"
    )
    assert "Mức độ" in html and "[trung bình] NET-001" in text
    assert "… và 1 mục khác: xem báo cáo đầy đủ." in text, "one of the two new failures is left to the report"
    for fragment in english_fragments():
        assert fragment not in subject + text + html, f"English digest text {fragment!r} in the vi digest"


def test_language_from_the_config_overrides_the_report_language(plain_server: Inbox) -> None:
    english = config(PLAIN_ADDRESS).model_copy(update={"language": "en"})
    assert send_digest(CURRENT, None, english, "vi")
    [(_, _, message, _)] = plain_server.received
    assert message["Subject"] == (
        "[p06audit] lab: 3 new failures, 2 certificates entering the warning window, 1 hosts not checked"
    )
    text, _ = parts(message)
    assert "This is the first recorded run" in text
    assert "Nguyễn Văn A" in text, "without a previous run every warning is entering its window"


def test_nothing_new_sends_nothing_unless_asked(plain_server: Inbox) -> None:
    quiet = make_run(2, [finding("TLS-002", Status.PASS)])
    assert not send_digest(quiet, PREVIOUS, config(PLAIN_ADDRESS), "vi")
    assert plain_server.received == []
    assert send_digest(quiet, PREVIOUS, config(PLAIN_ADDRESS).model_copy(update={"send_empty": True}), "en")
    [(_, _, message, _)] = plain_server.received
    assert message["Subject"] == "[p06audit] lab: nothing needs attention"
    assert (
        "No new failures, no certificates entering the warning window, no hosts in ERROR."
        in parts(message)[0]
    )


def test_starttls_verifies_the_server_and_logs_in_with_the_password_from_env(
    starttls_server: Inbox, pki: LabPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P06AUDIT_TEST_SMTP_PASSWORD", "s3cret-from-env")
    secure = config(
        TLS_ADDRESS,
        starttls=True,
        ca_file=pki.root_file,
        username="p06audit",
        password_env="P06AUDIT_TEST_SMTP_PASSWORD",
    )
    assert send_digest(CURRENT, PREVIOUS, secure, "vi")
    [(_, _, message, login)] = starttls_server.received
    assert login == b"p06audit"
    assert "TLS-004" in parts(message)[0]


def test_starttls_to_a_server_the_trust_store_does_not_vouch_for_is_refused(
    starttls_server: Inbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P06AUDIT_TEST_SMTP_PASSWORD", "s3cret-from-env")
    unverified = config(
        TLS_ADDRESS, starttls=True, username="p06audit", password_env="P06AUDIT_TEST_SMTP_PASSWORD"
    )
    with caplog.at_level(logging.ERROR):
        assert not send_digest(CURRENT, PREVIOUS, unverified, "vi")
    assert starttls_server.received == []
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert "s3cret-from-env" not in caplog.text


def test_mail_failures_are_logged_and_never_raised(
    plain_server: Inbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("P06AUDIT_TEST_SMTP_PASSWORD", raising=False)
    with caplog.at_level(logging.ERROR):
        assert not send_digest(CURRENT, PREVIOUS, config(DEAD_ADDRESS), "vi")
        needs_password = config(
            PLAIN_ADDRESS, starttls=True, username="u", password_env="P06AUDIT_TEST_SMTP_PASSWORD"
        )
        assert not send_digest(CURRENT, PREVIOUS, needs_password, "vi")
    assert f"not sent via {DEAD_ADDRESS}:{PORT}: ConnectionRefusedError" in caplog.text
    assert "SMTP password: environment variable P06AUDIT_TEST_SMTP_PASSWORD is not set" in caplog.text
    assert plain_server.received == []


def test_notify_file_beside_the_inventory_is_found_and_validated(tmp_path: Path) -> None:
    assert find_notify_config(tmp_path) is None
    (tmp_path / "notify.yaml").write_text(
        "smtp:\n  host: 127.0.7.1\n  port: 2525\n  username: p06audit\n  password_env: SMTP_PASSWORD\n"
        "  ca_file: pki/mail-ca.pem\n"
        "sender: p06audit@so.example.gov.vn\nrecipients: [attt@so.example.gov.vn]\n"
    )
    found = find_notify_config(tmp_path)
    assert found is not None
    assert found.smtp.starttls and found.smtp.port == 2525
    assert found.smtp.ca_file == (tmp_path / "pki" / "mail-ca.pem").resolve()
    assert found.certificate_checks is None, "unset: the checks tagged certificate_expiry"
    assert REGISTRY.tagged(CERTIFICATE_EXPIRY_TAG) == {"TLS-008", "SIGN-002"}


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        (
            "smtp:\n  host: mail\n  starttls: false\n  username: u\n  password_env: PW\n"
            "sender: a@b\nrecipients: [c@d]\n",
            1,
            "password would cross the network in clear",
        ),
        ("smtp:\n  host: mail\nsender: a@b\nrecipients: ['c@d, evil@x']\n", 4, "notify.recipients.0"),
        ("smtp:\n  host: mail\n  prot: 25\nsender: a@b\nrecipients: [c@d]\n", 3, "notify.smtp.prot"),
    ],
)
def test_invalid_notify_files_name_file_line_and_field(
    tmp_path: Path, body: str, line: int, problem: str
) -> None:
    path = tmp_path / "notify.yaml"
    path.write_text(body)
    with pytest.raises(ConfigFileError) as error:
        load_notify_config(path)
    assert error.value.line == line
    assert problem in str(error.value)


def test_an_explicit_notify_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="notification file is missing"):
        find_notify_config(tmp_path, tmp_path / "elsewhere.yaml")
