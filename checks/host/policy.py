"""The authenticated host policy (policy.yaml beside this file), validated once."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from p06audit.yamlfile import load_packaged

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Sourced(BaseModel):
    model_config = _STRICT
    sources: tuple[str, ...] = Field(min_length=1)


class SshdSetting(Sourced):
    keyword: str = Field(pattern=r"^[a-z0-9]+$")
    why: str = Field(min_length=1)
    allowed: tuple[str, ...] = ()
    at_most: int | None = None
    by_security_level: bool = False

    @model_validator(mode="after")
    def _one_test(self) -> SshdSetting:
        if bool(self.allowed) == (self.at_most is not None):
            raise ValueError(f"{self.keyword}: give exactly one of `allowed` or `at_most`")
        return self

    def accepts(self, value: str) -> bool:
        if self.at_most is not None:
            return value.isdigit() and int(value) <= self.at_most
        return value.lower() in {a.lower() for a in self.allowed}

    def expected(self) -> dict[str, Any]:
        """The accepted values as evidence."""
        return {"at_most": self.at_most} if self.at_most is not None else {"one_of": list(self.allowed)}


class TimeSync(Sourced):
    max_offset_seconds: float = Field(gt=0)


class Updates(Sourced):
    max_list_age_days: float = Field(gt=0)


class HostPolicy(BaseModel):
    model_config = _STRICT
    sources: dict[str, str]
    sshd_settings: tuple[SshdSetting, ...]
    time_sync: TimeSync
    updates: Updates

    @model_validator(mode="after")
    def _sources_exist(self) -> HostPolicy:
        entries: list[Sourced] = [*self.sshd_settings, self.time_sync, self.updates]
        unknown = sorted({s for e in entries for s in e.sources} - set(self.sources))
        if unknown:
            raise ValueError(f"policy entries cite undefined sources {unknown}")
        return self

    def cited(self, keys: set[str]) -> dict[str, str]:
        return {k: self.sources[k] for k in sorted(keys)}


@cache
def load_policy() -> HostPolicy:
    return load_packaged(__package__, "policy.yaml", HostPolicy)
