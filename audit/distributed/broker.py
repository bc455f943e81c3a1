"""The Celery application both sides share: Redis broker and result store, JSON only, late acks.

Reliability comes from the broker, not from code of ours: a task is acknowledged only after it
finished (`task_acks_late`), a worker takes one task at a time (prefetch 1), a task whose worker
process died is handed back (`task_reject_on_worker_lost`), and a task left unacknowledged by a
worker that vanished is restored to its queue after the visibility timeout.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

from p06audit.errors import UsageError

if TYPE_CHECKING:  # Celery and kombu are imported where used: a tenth of a second every command paid
    from celery import Celery

ENV_BROKER_URL = "P06AUDIT_BROKER_URL"
ENV_BROKER_PASSWORD = "P06AUDIT_BROKER_PASSWORD"  # noqa: S105 - the name of the variable, not a secret
TASK_NAME = "p06audit.audit_site"
BROKER_SCHEMES = ("redis", "rediss")
DEFAULT_VISIBILITY_TIMEOUT = 3600.0
RESULT_TTL_SECONDS = 24 * 3600
PUBLISH_RETRIES = 2


def broker_url(flag: str | None, env: Mapping[str, str] = os.environ) -> str:
    """The broker URL from `--broker` or $P06AUDIT_BROKER_URL, with $P06AUDIT_BROKER_PASSWORD added.

    Keeping the password in its own variable lets the URL appear in configs and process lists safely.
    """
    url = flag or env.get(ENV_BROKER_URL, "")
    if not url:
        raise UsageError(f"no broker given: pass --broker redis://HOST:PORT/DB or set ${ENV_BROKER_URL}")
    parts = urlsplit(url)
    if parts.scheme not in BROKER_SCHEMES or not parts.hostname:
        raise UsageError(
            f"broker URL {redact(url)} must look like redis://HOST:PORT/DB (or rediss:// for TLS)"
        )
    password = env.get(ENV_BROKER_PASSWORD)
    if not password or parts.password:
        return url
    user = quote(parts.username or "", safe="")
    where = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{where}"))


def redact(url: str) -> str:
    """The URL as it may be printed or logged: the password masked."""
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))


def make_app(url: str, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT) -> Celery:
    """A Celery app on `url` (broker and results) that speaks JSON only; it registers no task itself."""
    from celery import Celery

    app = Celery("p06audit", broker=url, backend=url, set_as_current=False)
    restore_every = max(1.0, min(10.0, visibility_timeout / 5))
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_enable_remote_control=False,
        worker_send_task_events=False,
        result_expires=RESULT_TTL_SECONDS,
        broker_connection_retry_on_startup=True,
        task_publish_retry_policy={"max_retries": PUBLISH_RETRIES, "interval_start": 0.2},
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            "unacked_restore_interval": restore_every,
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"retry_policy": {"max_retries": PUBLISH_RETRIES}},
    )
    return app
