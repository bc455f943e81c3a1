"""National scale: province scanners as Celery workers behind a Redis broker.

The coordinator (`execute_celery`) sends one task per site to the queue its inventory names
(`SiteData.scanner`); a worker (`run_worker`, `p06audit worker`) audits that site from its own copy of
the inventory with the same `Runner` and checks as a local run, and answers with the site's `Run`.
The coordinator merges the answers into one `Run` of the same shape as a local run.
"""

from p06audit.distributed.broker import ENV_BROKER_PASSWORD, ENV_BROKER_URL, broker_url, redact
from p06audit.distributed.executor import (
    EXECUTORS,
    LOCAL_SCANNER,
    choose_executor,
    default_deadline,
    execute_celery,
)
from p06audit.distributed.worker import ScannerWorker, run_worker

__all__ = [
    "ENV_BROKER_PASSWORD",
    "ENV_BROKER_URL",
    "EXECUTORS",
    "LOCAL_SCANNER",
    "ScannerWorker",
    "broker_url",
    "choose_executor",
    "default_deadline",
    "execute_celery",
    "redact",
    "run_worker",
]
