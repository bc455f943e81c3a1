"""SMTP digest against a real local SMTP server (aiosmtpd on 127.0.7.x), plain and STARTTLS with AUTH.

Given a previous and a current run with known changes, when the digest is sent, then the server
receives exactly those items, in both parts, with remote text escaped in the HTML part.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from audit.errors import ConfigFileError
from audit.lab.pki import LabPki
from audit.model import Severity, Status
from audit.notify import NotifyConfig, SmtpSettings, find_notify_config, load_notify_config, send_digest
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
    assert found.certificate_checks == ("TLS-008", "SIGN-002")


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
