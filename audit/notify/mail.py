"""Render the digest as a multipart text + HTML message and hand it to the configured SMTP server.

Everything a remote host said (summaries, titles, reasons) goes through jinja2 autoescaping in the
HTML part. Sending never raises: a failure is logged and reported as False, and the run, its
reports and its history stay as they are.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from p06audit.assessment import Assessment
from p06audit.model import Run
from p06audit.notify.config import CERTIFICATE_EXPIRY_TAG, NotifyConfig, SmtpSettings
from p06audit.notify.digest import Digest, build_digest
from p06audit.processors import AuditProcessor
from p06audit.registry import REGISTRY
from p06audit.secrets import SecretError, optional_env_secret
from p06audit.text import DEFAULT_TIMEZONE, Lang, Renderer, say

log = logging.getLogger(__name__)

_TEMPLATES = Environment(
    loader=PackageLoader("p06audit.notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class MailError(Exception):
    """The digest could not be delivered (reason in the message, never the password)."""


@dataclass(frozen=True)
class _Section:
    title: str
    total: int
    shown: tuple[Any, ...]

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


def _section(title: str, items: tuple[Any, ...], limit: int) -> _Section:
    return _Section(title, len(items), items[:limit])


def render_digest(
    digest: Digest, lang: Lang, limit: int, report: Path | None = None, timezone: str | None = None
) -> Message:
    """The message without envelope addresses: subject, text part and HTML part."""
    REGISTRY.load_texts()
    render = Renderer(lang, timezone or DEFAULT_TIMEZONE)
    inventory = Path(digest.run.inventory).name or digest.run.inventory
    counts = {
        "new": len(digest.new_failures),
        "certs": len(digest.certificate_warnings),
        "errors": len(digest.hosts_in_error),
    }
    subject = render(
        say("core.digest_subject_quiet", inventory=inventory)
        if digest.empty
        else say("core.digest_subject", inventory=inventory, **counts)
    )
    context = {
        "m": lambda key, **params: render(say(key, **params)),
        "m_of": render,
        "lang": lang,
        "d": digest,
        "inventory": inventory,
        "report": str(report) if report else None,
        "subject": subject,
        "sections": [
            _section(render(say("core.digest_new_failures")), digest.new_failures, limit),
            _section(render(say("core.digest_certificate_warnings")), digest.certificate_warnings, limit),
        ],
        "hosts": _section(render(say("core.digest_hosts_in_error")), digest.hosts_in_error, limit),
    }
    # The compat32 MIME classes: the newer EmailMessage folding drops the space between two encoded
    # words of a long non-ASCII subject (seen with Vietnamese subjects on Python 3.11).
    message = MIMEMultipart("alternative")
    message["Subject"] = Header(subject, "utf-8")  # type: ignore[assignment]  # typeshed says str only
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="p06audit.invalid")
    message.attach(MIMEText(_TEMPLATES.get_template("digest.txt.j2").render(context), "plain", "utf-8"))
    message.attach(MIMEText(_TEMPLATES.get_template("digest.html.j2").render(context), "html", "utf-8"))
    return message


def _password(smtp: SmtpSettings) -> str | None:
    try:
        secret = optional_env_secret(smtp.password_env, "SMTP password")
    except SecretError as exc:
        raise MailError(str(exc)) from None
    return None if secret is None else secret.reveal()


def deliver(message: Message, smtp: SmtpSettings, sender: str, recipients: tuple[str, ...]) -> None:
    """Connect, upgrade with verified STARTTLS when configured, log in if configured, and send."""
    password = _password(smtp)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
            client.ehlo()
            if smtp.starttls:
                context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
                client.starttls(context=context)
                client.ehlo()
            if smtp.username and password:
                client.login(smtp.username, password)
            refused = client.send_message(message, from_addr=sender, to_addrs=list(recipients))
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from None
    if refused:
        raise MailError(f"the server refused recipients {sorted(refused)}")


def send_digest(
    run: Run,
    previous: Run | None,
    config: NotifyConfig,
    lang: Lang = "vi",
    *,
    report: Path | None = None,
    timezone: str | None = None,
) -> bool:
    """Mail the digest of `run` (compared with `previous`); True if the server accepted it."""
    checks = config.certificate_checks
    digest = build_digest(
        run, previous, REGISTRY.tagged(CERTIFICATE_EXPIRY_TAG) if checks is None else checks
    )
    if digest.empty and not config.send_empty:
        log.info("nothing new to notify for run %s; no digest sent", run.id)
        return False
    where = f"{config.smtp.host}:{config.smtp.port}"
    try:
        message = render_digest(digest, config.language or lang, config.max_items, report, timezone)
        message["From"] = f"p06audit <{config.sender}>"
        message["To"] = ", ".join(config.recipients)
        deliver(message, config.smtp, config.sender, config.recipients)
    except MailError as exc:
        log.error("the audit digest of run %s was not sent via %s: %s", run.id, where, exc)
        return False
    except Exception:
        # The digest is a side concern: even a bug here must not fail a run that is already recorded.
        log.exception("the audit digest of run %s could not be built", run.id)
        return False
    log.info("audit digest of run %s sent via %s to %d recipients", run.id, where, len(config.recipients))
    return True


class Notifier(AuditProcessor):
    """Mails the digest once the reports of a run are on disk, compared with the run `previous`
    gives (the history's baseline, read before the scan)."""

    def __init__(self, config: NotifyConfig, previous: Callable[[], Run | None] = lambda: None) -> None:
        self.config = config
        self.previous = previous

    def reported(self, assessment: Assessment, directory: Path) -> None:
        send_digest(
            assessment.run,
            self.previous(),
            self.config,
            assessment.language,
            report=directory,
            timezone=assessment.timezone,
        )
