"""What travels through the broker: a site task and its result, strict JSON models both ways.

A worker trusts nothing it receives: the task names a site and the run options, never a target; the
hosts come from the worker's own inventory. The coordinator trusts a result only after validating it
against these models and the site it asked about.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from p06audit.family import FamilyOptions
from p06audit.options import RunOptions
from p06audit.records import MessageRecord, RunRecord
from p06audit.registry import REGISTRY

RUN_ID_PATTERN = r"^\d{8}T\d{6}Z-[0-9a-f]{6}$"
DIGEST_PATTERN = r"^[0-9a-f]{64}$"
LOCAL_OPTIONS = frozenset({"state_dir", "scanner"})
"""RunOptions each scanner keeps for itself: where its pinned keys live, and its own name."""

_WIRE = ConfigDict(frozen=True, extra="forbid")
SiteName = Annotated[str, Field(min_length=1, max_length=200)]


class WireOptions(BaseModel):
    """RunOptions as sent to a scanner: every field but LOCAL_OPTIONS (extra fields are refused)."""

    model_config = _WIRE

    timeout: float = Field(gt=0, le=3600)
    workers: int = Field(ge=1, le=1024)
    now: AwareDatetime
    checks: tuple[str, ...] | None
    families: tuple[str, ...] | None
    allow_wide_scope: bool
    family_options: dict[str, dict[str, Any]]

    @field_validator("checks", "families", mode="before")
    @classmethod
    def _sorted_names(cls, value: Any) -> Any:
        return tuple(sorted(value)) if isinstance(value, set | frozenset) else value

    @field_validator("family_options")
    @classmethod
    def _valid_family_options(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Checked by each family's own model on arrival, so bad options make the task malformed."""
        _family_options(value)
        return value

    @classmethod
    def of(cls, options: RunOptions) -> WireOptions:
        """Fails loudly if RunOptions gains a field this model does not carry."""
        values = {f.name: getattr(options, f.name) for f in fields(options) if f.name not in LOCAL_OPTIONS}
        values["family_options"] = {
            name: o.model_dump(mode="json") for name, o in options.family_options.items()
        }
        return cls.model_validate(values)

    def to_options(self, *, state_dir: Path, scanner: str, allow_wide_scope: bool) -> RunOptions:
        """The scanner's RunOptions; a message may narrow the scope but never widen what it allows."""
        values: dict[str, Any] = dict(self)
        values["checks"] = None if self.checks is None else frozenset(self.checks)
        values["families"] = None if self.families is None else frozenset(self.families)
        values["allow_wide_scope"] = self.allow_wide_scope and allow_wide_scope
        values["family_options"] = _family_options(self.family_options)
        return RunOptions(**values, state_dir=state_dir, scanner=scanner)


def _family_options(sent: dict[str, dict[str, Any]]) -> dict[str, FamilyOptions]:
    """Each family's options validated by the family's own model; an unknown family is refused."""
    models = {name: f.options for name, f in REGISTRY.discover().items() if f.options is not None}
    unknown = sorted(set(sent) - set(models))
    if unknown:
        raise ValueError(f"options for unknown families {unknown}")
    return {name: models[name].model_validate(values) for name, values in sent.items()}


class SiteTask(BaseModel):
    """Audit one site for one run. `digest` fingerprints the coordinator's view of that site."""

    model_config = _WIRE

    run_id: str = Field(pattern=RUN_ID_PATTERN)
    site: SiteName
    digest: str = Field(pattern=DIGEST_PATTERN)
    options: WireOptions


class SiteResult(BaseModel):
    """A scanner's answer: the site's Run, or why it could not audit the site."""

    model_config = ConfigDict(extra="forbid")

    run_id: str = Field(pattern=RUN_ID_PATTERN)
    site: SiteName
    scanner: str = Field(min_length=1, max_length=200)
    run: RunRecord | None = None
    error: MessageRecord | None = None  # why the scanner refused the site


def task_id(run_id: str, site: str) -> str:
    """One task id per (run, site): a second delivery of it is the same task, never a second audit."""
    return f"p06audit:{run_id}:{site}"
