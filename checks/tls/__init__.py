"""TLS family: sslyze scan of every inventory TLS endpoint, checks TLS-001..TLS-015."""

from checks.tls import collect, rules

__all__ = ["collect", "rules"]
