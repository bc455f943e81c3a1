"""ROCA (CVE-2017-15361) fingerprint of RSA moduli made by vulnerable Infineon chips.

Such primes have the form k·M + (65537^a mod M), so the modulus, taken modulo each small prime p
below, lies in the subgroup 65537 generates in Z_p*. Nemec et al. (ACM CCS 2017) published this
test; a random modulus passes it with negligible probability. Many signing tokens and ID cards of
that era used these chips, which is why it matters for officials' keys.
"""

from __future__ import annotations

from math import prod

GENERATOR = 65537
PRIMES = (
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
    79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
)  # fmt: skip
PRIMORIAL = prod(PRIMES)


def _subgroup(p: int) -> frozenset[int]:
    members = {1}
    value = GENERATOR % p
    while value not in members:
        members.add(value)
        value = value * GENERATOR % p
    return frozenset(members)


SUBGROUPS = tuple((p, _subgroup(p)) for p in PRIMES)


def has_roca_fingerprint(modulus: int) -> bool:
    """True when every residue of the modulus is a power of 65537 (one big division, then small ones)."""
    residue = modulus % PRIMORIAL
    return all(residue % p in members for p, members in SUBGROUPS)
