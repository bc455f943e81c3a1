"""The signing family's collector, registered without importing what collects.

Reading certificates needs cryptography's X.509 layer, the revocation fetchers and the scan workers:
imported at the first signing collection (sites.py), not by every process that registers the family
(`p06audit checks list`, an SSH-only run, and the certificate worker processes themselves).
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.inventory import Host
from audit.model import Observation
from audit.registry import CollectContext, collector
from checks.signing.observations import RosterEntry, SigningCertificate, SigningFile

PRODUCES = (SigningFile, SigningCertificate, RosterEntry)


@collector(family="signing", produces=list(PRODUCES), per_host=False)
def collect_signing(hosts: Sequence[Host], ctx: CollectContext) -> list[Observation]:
    """Hosts are not used: signing certificates belong to sites (inventory `signing_certs`)."""
    from checks.signing import sites

    return sites.collect_signing(hosts, ctx)
