"""The signing family as the registry loads it (entry point `signing`): its collector and checks.

Not the package's `__init__`: the certificate worker processes (scan.py) import the package too,
and should not pay for the inventory, nornir and pydantic they never use (0.2 s each).
"""

from checks.signing import collect, rules

__all__ = ["collect", "rules"]
