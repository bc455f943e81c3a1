"""TLS family: sslyze scan of every inventory TLS endpoint, checks TLS-001..TLS-015.

The family object is `family.FAMILY` (entry point `p06audit.checks`); importing the package loads nothing.
"""
