"""The TLS family's collector, registered without importing sslyze.

sslyze and its plugins take a tenth of a second to import, which every process paid at start-up
even when no TLS check ran (`p06audit checks list`, an SSH-only run). The scan itself lives in
sslyze_scan.py and is imported at the first TLS collection.
"""

from __future__ import annotations

from collections.abc import Sequence

from p06audit.checks.tls.observations import TlsEndpointObservation
from p06audit.inventory import Host
from p06audit.model import Observation
from p06audit.registry import CollectContext, collects


@collects(TlsEndpointObservation)
def collect_tls(hosts: Sequence[Host], ctx: CollectContext) -> list[Observation]:
    """Probe every endpoint, scan the ones that answer TLS with one Scanner, and describe the rest."""
    from p06audit.checks.tls import sslyze_scan

    return sslyze_scan.collect_tls(hosts, ctx)
