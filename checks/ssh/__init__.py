"""SSH family: the anonymous probe of every `ssh` endpoint (algorithms, host keys, auth methods, pins)."""

from checks.ssh import collect, rules

__all__ = ["collect", "rules"]
