"""Officials' signing certificates: expiry, profile, chain, revocation and roster cross-check."""

from checks.signing import collect, rules

__all__ = ["collect", "rules"]
