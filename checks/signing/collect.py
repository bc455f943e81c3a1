"""The signing family's collector, registered without importing what collects.

Reading certificates needs cryptography's X.509 layer, the revocation fetchers and the scan workers:
imported at the first signing collection (sites.py), not by every process that registers the family
(`p06audit checks list`, an SSH-only run, and the certificate worker processes themselves).
"""

from __future__ import annotations

from collections.abc import Sequence

from p06audit.checks.signing.observations import PRODUCES
from p06audit.inventory import Host
from p06audit.model import Observation
from p06audit.registry import CollectContext, collects


@collects(*PRODUCES)
def collect_signing(hosts: Sequence[Host], ctx: CollectContext) -> list[Observation]:
    """Hosts are not used: signing certificates belong to sites (inventory `signing_certs`)."""
    from p06audit.checks.signing import sites

    return sites.collect_signing(hosts, ctx)
