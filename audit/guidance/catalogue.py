"""The guidance catalogue: one YAML file per source document, validated into typed controls.

Controls, their citations and the checks that evidence them are data an officer can review and
change without touching code. Every citation says how sure we are of it (confirmed / secondary /
not confirmed), and every control carries citations for each configured legal basis.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from p06audit.errors import AuditError, UsageError
from p06audit.yamlfile import plain, read_yaml

GUIDANCE_DIR = Path(__file__).parent
LEGAL_BASES_FILE = "legal-bases.yaml"
COMMON_BASIS = "common"
Lang = Literal["vi", "en"]

_MODEL = ConfigDict(extra="forbid", frozen=True)
CONTROL_ID = r"^VN-[A-Z]{2,6}-\d{2}$"
CHECK_ID = r"^[A-Z]{2,8}-\d{3}$"


class GuidanceError(AuditError):
    """The catalogue data is inconsistent; the message names the file and the control."""


class UnknownBasisError(GuidanceError, UsageError):
    """A legal basis asked for on the command line or in an inventory that the catalogue lacks."""


class Confidence(enum.StrEnum):
    """How sure the research note is: [P] read in primary form, [S] secondary, [U] not confirmed."""

    CONFIRMED = "confirmed"
    SECONDARY = "secondary"
    UNCONFIRMED = "unconfirmed"


class Text(BaseModel):
    """A string in both report languages."""

    model_config = _MODEL
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __call__(self, lang: Lang) -> str:
        return self.vi if lang == "vi" else self.en


class Document(BaseModel):
    model_config = _MODEL
    id: str = Field(pattern=r"^[a-z0-9.-]+$")
    short: Text
    title: Text
    jurisdiction: Literal["vn", "international"]
    legal_basis: str
    issued: date | None = None
    in_force: date | None = None
    confidence: Confidence
    source: str = Field(min_length=1)
    note: Text | None = None


class Citation(BaseModel):
    model_config = _MODEL
    document: str
    where: Text
    confidence: Confidence

    def where_at(self, lang: Lang, level: int | None = None) -> str:
        """The location text; `{level}` (a per-level clause of a standard) becomes the site's level."""
        return self.where(lang).replace("{level}", str(level) if level is not None else "N")


class Control(BaseModel):
    model_config = _MODEL
    id: str = Field(pattern=CONTROL_ID)
    title: Text
    levels: tuple[int, ...]
    advisory_levels: tuple[int, ...] = ()
    levels_source: Literal["stated", "proposed"]
    citations: tuple[Citation, ...] = Field(min_length=1)
    checks: tuple[str, ...] = ()
    manual_review: Text | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Control:
        if any(not 1 <= n <= 5 for n in (*self.levels, *self.advisory_levels)):
            raise ValueError("levels must be between 1 and 5")
        if set(self.levels) & set(self.advisory_levels):
            raise ValueError("a level cannot be both required and advisory")
        if not self.levels and not self.advisory_levels:
            raise ValueError("a control applies to at least one level")
        bad = [c for c in self.checks if not re.match(CHECK_ID, c)]
        if bad:
            raise ValueError(f"check ids must look like ABC-001, got {bad}")
        if not self.checks and self.manual_review is None:
            raise ValueError("a control without checks needs `manual_review` (how to evidence it by hand)")
        return self

    @property
    def automated(self) -> bool:
        return bool(self.checks)

    def applies_at(self, level: int) -> bool:
        return level in self.levels or level in self.advisory_levels

    def advisory_at(self, level: int) -> bool:
        return level in self.advisory_levels


class DocumentFile(BaseModel):
    model_config = _MODEL
    document: Document
    controls: tuple[Control, ...] = ()


class LegalBasis(BaseModel):
    model_config = _MODEL
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: Text


class LegalBasesFile(BaseModel):
    model_config = _MODEL
    default: str
    bases: tuple[LegalBasis, ...] = Field(min_length=1)
    control_order: tuple[str, ...] = ()  # control families (the middle of VN-NET-01) in report order


@dataclass(frozen=True)
class Catalogue:
    documents: dict[str, Document]
    controls: dict[str, Control]
    control_document: dict[str, str]
    legal_bases: dict[str, LegalBasis]
    default_basis: str
    check_controls: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def basis(self, name: str | None) -> LegalBasis:
        """The chosen legal basis (the catalogue's default when None)."""
        key = name or self.default_basis
        if key not in self.legal_bases:
            raise UnknownBasisError(f"unknown legal basis '{key}'; known: {', '.join(self.legal_bases)}")
        return self.legal_bases[key]

    def citations(self, control: Control, basis: str | None = None) -> list[Citation]:
        """The citations valid under `basis`: its own documents plus the common ones."""
        chosen = self.basis(basis).id
        return [
            c for c in control.citations if self.documents[c.document].legal_basis in (chosen, COMMON_BASIS)
        ]

    def is_legal(self, control: Control, basis: str | None = None) -> bool:
        """'Legal' only where a Vietnamese text backs it at [P] or [S]; otherwise international practice."""
        return any(
            self.documents[c.document].jurisdiction == "vn" and c.confidence is not Confidence.UNCONFIRMED
            for c in self.citations(control, basis)
        )

    def controls_for_check(self, check_id: str) -> tuple[str, ...]:
        """The controls a check evidences: the catalogue's `checks:` lists, inverted once at load."""
        return self.check_controls.get(check_id, ())

    def check_ids(self) -> set[str]:
        return set(self.check_controls)

    def at_level(self, level: int | None) -> list[Control]:
        return [c for c in self.controls.values() if level is None or c.applies_at(level)]


def _read(path: Path) -> object:
    return plain(read_yaml(path))


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], path: Path) -> M:
    try:
        return model.model_validate(_read(path))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise GuidanceError(f"{path}: {where}: {error['msg']}") from None


def load_catalogue(directory: Path = GUIDANCE_DIR) -> Catalogue:
    """Read and cross-check every document file; raise GuidanceError naming the first problem."""
    bases = _parse(LegalBasesFile, directory / LEGAL_BASES_FILE)
    legal_bases = {b.id: b for b in bases.bases}
    if bases.default not in legal_bases:
        raise GuidanceError(
            f"{directory / LEGAL_BASES_FILE}: default '{bases.default}' is not a listed basis"
        )
    files = sorted(p for p in directory.glob("*.yaml") if p.name != LEGAL_BASES_FILE)
    parsed = [(path, _parse(DocumentFile, path)) for path in files]
    documents: dict[str, Document] = {}
    controls: dict[str, Control] = {}
    control_document: dict[str, str] = {}
    for path, data in parsed:
        doc = data.document
        if doc.id != path.stem:
            raise GuidanceError(f"{path}: document id '{doc.id}' must match the file name")
        if doc.legal_basis not in (*legal_bases, COMMON_BASIS):
            raise GuidanceError(
                f"{path}: legal_basis '{doc.legal_basis}' is not defined in {LEGAL_BASES_FILE}"
            )
        documents[doc.id] = doc
        for control in data.controls:
            if control.id in controls:
                other = control_document[control.id]
                raise GuidanceError(f"{path}: control {control.id} is already defined in {other}.yaml")
            controls[control.id] = control
            control_document[control.id] = doc.id
    inverted: dict[str, list[str]] = {}
    ordered = dict(sorted(controls.items(), key=lambda kv: _control_order(kv[0], bases.control_order)))
    for control in ordered.values():
        for check in control.checks:
            inverted.setdefault(check, []).append(control.id)
    catalogue = Catalogue(
        documents=documents,
        controls=ordered,
        control_document=control_document,
        legal_bases=legal_bases,
        default_basis=bases.default,
        check_controls={check: tuple(ids) for check, ids in inverted.items()},
    )
    _cross_check(catalogue)
    return catalogue


def _control_order(control_id: str, order: tuple[str, ...]) -> tuple[int, str]:
    family = control_id.split("-")[1]
    rank = order.index(family) if family in order else len(order)
    return rank, control_id


def _cross_check(catalogue: Catalogue) -> None:
    for control in catalogue.controls.values():
        where = f"{catalogue.control_document[control.id]}.yaml: control {control.id}"
        for citation in control.citations:
            if citation.document not in catalogue.documents:
                raise GuidanceError(f"{where} cites unknown document '{citation.document}'")
        for basis in catalogue.legal_bases:
            if not catalogue.citations(control, basis):
                raise GuidanceError(f"{where} has no citation valid under legal basis '{basis}'")


@cache
def default_catalogue() -> Catalogue:
    """The catalogue shipped with the package, loaded once."""
    return load_catalogue()


def registry_problems(catalogue: Catalogue, registered: Iterable[str]) -> list[str]:
    """Disagreements between the catalogue and the registered checks (empty = agreed): a check the
    catalogue names that no family registers, and a registered check no control lists."""
    known = set(registered)
    problems = []
    for check_id in sorted(catalogue.check_ids() - known):
        controls = ", ".join(catalogue.controls_for_check(check_id))
        problems.append(f"{check_id}: named by {controls} in the catalogue but no such check is registered")
    for check_id in sorted(known - catalogue.check_ids()):
        problems.append(f"{check_id}: registered but no catalogue control lists it")
    return problems
