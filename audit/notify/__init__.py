"""SMTP digest after a run: new failures, certificates nearing expiry, hosts in ERROR."""

from audit.notify.config import NotifyConfig, SmtpSettings, find_notify_config, load_notify_config
from audit.notify.digest import Digest, build_digest
from audit.notify.mail import render_digest, send_digest

__all__ = [
    "Digest",
    "NotifyConfig",
    "SmtpSettings",
    "build_digest",
    "find_notify_config",
    "load_notify_config",
    "render_digest",
    "send_digest",
]
