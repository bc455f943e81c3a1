"""SSH family: the anonymous probe of every `ssh` endpoint (algorithms, host keys, auth methods, pins).

The family object is `family.FAMILY` (entry point `p06audit.checks`); importing the package loads nothing.
"""
