"""Officials' signing certificates: expiry, profile, chain, revocation and roster cross-check.

Registered through `checks.signing.family`; importing the package alone registers nothing.
"""
