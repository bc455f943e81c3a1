"""Network exposure: one nmap sweep per site judged against per-role port policy (NET-001..NET-007).

The family object is `family.FAMILY` (entry point `p06audit.checks`); importing the package loads nothing.
"""
