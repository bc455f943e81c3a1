"""Network exposure: one nmap sweep per site judged against per-role port policy (NET-001..NET-007)."""

from checks.network import collect, rules

__all__ = ["collect", "rules"]
