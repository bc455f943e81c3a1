"""Host family: authenticated checks over SSH (effective sshd settings, clock, logs, firewall, updates).

The family object is `family.FAMILY` (entry point `p06audit.checks`); importing the package loads nothing.
"""
