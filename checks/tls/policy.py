"""The TLS policy (policy.yaml beside this file), validated once and shared by the rules."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from p06audit.yamlfile import load_packaged

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Sourced(BaseModel):
    model_config = _STRICT
    source: str = Field(min_length=1)


class SuitePattern(Sourced):
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value

    def matches(self, suite: str) -> bool:
        return re.search(self.pattern, suite, re.IGNORECASE) is not None


class WeakSuite(SuitePattern):
    name: str = Field(min_length=1)
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # its message: TLS-004.<kind>


class KeySizes(Sourced):
    rsa_min_bits: int = Field(gt=0)
    ec_min_bits: int = Field(gt=0)
    dsa_min_bits: int = Field(gt=0)

    def minimum(self, key_type: str) -> int | None:
        """Minimum size for a key type; None for types with no size rule (Ed25519, Ed448)."""
        return {"RSA": self.rsa_min_bits, "EC": self.ec_min_bits, "DSA": self.dsa_min_bits}.get(key_type)


class ForbiddenHashes(Sourced):
    hashes: frozenset[str]


class Hsts(Sourced):
    min_max_age_seconds: int = Field(gt=0)


class ValidityLimit(Sourced):
    issued_from: date
    max_days: int = Field(gt=0)


class TlsPolicy(BaseModel):
    model_config = _STRICT
    weak_suites: tuple[WeakSuite, ...]
    forward_secret: SuitePattern
    key_sizes: KeySizes
    forbidden_signature_hashes: ForbiddenHashes
    hsts: Hsts
    dh_min_bits: int = Field(gt=0)
    dh_source: str = Field(min_length=1)
    cabf_validity: tuple[ValidityLimit, ...] = Field(min_length=1)

    def weak_entries(self, suite: str) -> list[WeakSuite]:
        return [w for w in self.weak_suites if w.matches(suite)]

    def weaknesses_of(self, suite: str) -> list[str]:
        return [w.name for w in self.weak_entries(suite)]

    def validity_limit(self, issued: datetime) -> ValidityLimit | None:
        """The CA/B limit in force on the issue date, or None before the first dated limit."""
        in_force = [limit for limit in self.cabf_validity if limit.issued_from <= issued.date()]
        return max(in_force, key=lambda limit: limit.issued_from, default=None)


@cache
def load_policy() -> TlsPolicy:
    return load_packaged(__package__, "policy.yaml", TlsPolicy)
