"""The SSH policy (policy.yaml beside this file), validated once: algorithm verdicts, key sizes, auth.

Rules ask `rate(kind, name)` for every offered algorithm, so the verdict, its reason and its
sources travel together into the evidence.
"""

from __future__ import annotations

import enum
from fnmatch import fnmatchcase
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from p06audit.model import Status
from p06audit.yamlfile import load_packaged

_STRICT = ConfigDict(extra="forbid", frozen=True)
AlgorithmKind = Literal["kex", "host_key_algorithms", "ciphers", "macs"]


class Verdict(enum.StrEnum):
    OK = "ok"
    LEGACY = "legacy"
    WEAK = "weak"
    SIGNAL = "signal"
    UNRATED = "unrated"


VERDICT_STATUS = {Verdict.WEAK: Status.FAIL, Verdict.LEGACY: Status.WARN}


class Sourced(BaseModel):
    model_config = _STRICT
    sources: tuple[str, ...] = Field(min_length=1)


class AlgorithmRule(Sourced):
    match: str = Field(min_length=1)
    verdict: Verdict
    reason: str = Field(min_length=1)


class KeySizeRule(Sourced):
    match: str = Field(min_length=1)
    fail_below: int = Field(gt=0)
    warn_below: int = Field(gt=0)


class ProtocolRule(Sourced):
    accepted: tuple[str, ...] = Field(min_length=1)


class AuthenticationRule(Sourced):
    password_fail_from_level: int = Field(ge=1, le=5)
    password_like: tuple[str, ...] = ()


class Rating(BaseModel):
    """One offered algorithm and what the policy says of it (goes into evidence as is)."""

    model_config = _STRICT
    name: str
    verdict: Verdict
    reason: str
    sources: tuple[str, ...] = ()


class SshPolicy(BaseModel):
    model_config = _STRICT
    sources: dict[str, str]
    kex: tuple[AlgorithmRule, ...]
    host_key_algorithms: tuple[AlgorithmRule, ...]
    ciphers: tuple[AlgorithmRule, ...]
    macs: tuple[AlgorithmRule, ...]
    key_sizes: tuple[KeySizeRule, ...]
    protocol: ProtocolRule
    authentication: AuthenticationRule

    @model_validator(mode="after")
    def _sources_exist(self) -> SshPolicy:
        entries: list[Sourced] = [
            *self.kex,
            *self.host_key_algorithms,
            *self.ciphers,
            *self.macs,
            *self.key_sizes,
            self.protocol,
            self.authentication,
        ]
        unknown = sorted({s for e in entries for s in e.sources} - set(self.sources))
        if unknown:
            raise ValueError(f"policy entries cite undefined sources {unknown}")
        return self

    def rate(self, kind: AlgorithmKind, name: str) -> Rating:
        rules: tuple[AlgorithmRule, ...] = getattr(self, kind)
        for rule in rules:
            if fnmatchcase(name, rule.match):
                return Rating(name=name, verdict=rule.verdict, reason=rule.reason, sources=rule.sources)
        return Rating(
            name=name, verdict=Verdict.UNRATED, reason="not in the policy catalogue; review by hand"
        )

    def key_size_rule(self, key_type: str) -> KeySizeRule | None:
        return next((r for r in self.key_sizes if fnmatchcase(key_type, r.match)), None)

    def password_status(self, security_level: int) -> Status:
        """Password logins: FAIL from the configured security level up, WARN below it."""
        return Status.FAIL if security_level >= self.authentication.password_fail_from_level else Status.WARN

    def cited(self, keys: set[str]) -> dict[str, str]:
        """The source texts behind the given keys, for evidence."""
        return {k: self.sources[k] for k in sorted(keys)}


@cache
def load_policy() -> SshPolicy:
    return load_packaged(__package__, "policy.yaml", SshPolicy)
