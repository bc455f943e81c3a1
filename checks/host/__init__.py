"""Host family: authenticated checks over SSH (effective sshd settings, clock, logs, firewall, updates)."""

from checks.host import collect, rules

__all__ = ["collect", "rules"]
