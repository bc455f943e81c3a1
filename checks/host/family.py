"""The host family as the engine loads it: authenticated checks over the SSH family's login."""

from __future__ import annotations

from p06audit.family import Family

FAMILY = Family(
    name="host",
    package="p06audit.checks.host",
    modules=("p06audit.checks.host.collect", "p06audit.checks.host.rules"),
)
