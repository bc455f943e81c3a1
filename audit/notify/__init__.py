"""SMTP digest after a run: new failures, certificates nearing expiry, hosts in ERROR."""

from p06audit.notify.config import NotifyConfig, SmtpSettings, find_notify_config, load_notify_config
from p06audit.notify.digest import Digest, build_digest
from p06audit.notify.mail import Notifier, render_digest, send_digest

__all__ = [
    "Digest",
    "Notifier",
    "NotifyConfig",
    "SmtpSettings",
    "build_digest",
    "find_notify_config",
    "load_notify_config",
    "render_digest",
    "send_digest",
]
