"""A site as one scanner sees it: the inventory cut down to it, and a fingerprint of its entries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace

from p06audit.inventory import Inventory


def restrict(inventory: Inventory, sites: Iterable[str]) -> Inventory:
    """Only these sites and their hosts, so a runner (and its rules) sees nothing of other sites."""
    chosen = set(sites)
    return replace(
        inventory,
        sites={name: s for name, s in inventory.sites.items() if name in chosen},
        hosts={name: h for name, h in inventory.hosts.items() if h.site.name in chosen},
    )


def site_digest(inventory: Inventory, site: str) -> str:
    """SHA-256 of a site's entries, so a scanner holding a different copy refuses instead of
    auditing other hosts than the coordinator's report will list."""
    entries = {
        "site": inventory.sites[site].data.model_dump(mode="json"),
        "hosts": {
            h.name: {"address": h.address, "data": h.data.model_dump(mode="json")}
            for h in inventory.hosts_of(site)
        },
    }
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
