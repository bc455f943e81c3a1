"""A family's checks.yaml: each check's severity and its text in Vietnamese and English.

The file is the one place a check's title, remediation, remediation when it could not check, and
summaries live; rules only name a message and its parameters. It is validated like an inventory
(`file:line: field 'x': problem`), and both languages must name the same template fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from p06audit.errors import CheckDataError
from p06audit.model import Severity
from p06audit.text import TEXTS, TextError, Texts
from p06audit.yamlfile import line_of, load_validated, read_yaml

CHECKS_FILE = "checks.yaml"
CHECK_ID = r"^[A-Z]{2,8}-\d{3}$"
MESSAGE_NAME = r"^[a-z][a-z0-9_]*$"
RESERVED = frozenset({"title", "remediation", "error_remediation"})

_STRICT = ConfigDict(extra="forbid", frozen=True)
Sentence = Annotated[str, StringConstraints(min_length=1)]


class PluralText(BaseModel):
    """An English text with a singular and a plural form, chosen by the parameter `plural` names."""

    model_config = _STRICT
    plural: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    one: Sentence
    other: Sentence


class Bilingual(BaseModel):
    model_config = _STRICT
    vi: Sentence | PluralText
    en: Sentence | PluralText

    def forms(self) -> tuple[str | dict[str, str], str | dict[str, str]]:
        return _form(self.vi), _form(self.en)


def _form(value: str | PluralText) -> str | dict[str, str]:
    return value if isinstance(value, str) else value.model_dump()


class CheckEntry(BaseModel):
    model_config = _STRICT
    severity: Severity
    title: Bilingual
    remediation: Bilingual
    error_remediation: Bilingual
    tags: tuple[str, ...] = ()
    messages: dict[Annotated[str, StringConstraints(pattern=MESSAGE_NAME)], Bilingual] = Field(
        default_factory=dict
    )

    @field_validator("messages")
    @classmethod
    def _not_reserved(cls, value: dict[str, Bilingual]) -> dict[str, Bilingual]:
        clash = sorted(RESERVED & set(value))
        if clash:
            raise ValueError(f"message names {clash} are reserved for the check's own text")
        return value


class NotExamined(BaseModel):
    """The family's root-cause finding: one ERROR per target it could not examine at all."""

    model_config = _STRICT
    id: Annotated[str, StringConstraints(pattern=CHECK_ID)]
    title: Bilingual
    remediation: Bilingual


class ChecksFile(BaseModel):
    model_config = _STRICT
    family: Bilingual  # the family's name as a heading
    not_examined: NotExamined
    messages: dict[Annotated[str, StringConstraints(pattern=MESSAGE_NAME)], Bilingual] = Field(
        default_factory=dict
    )
    checks: dict[Annotated[str, StringConstraints(pattern=CHECK_ID)], CheckEntry]


def read_checks_file(path: Path) -> ChecksFile:
    """`path` validated (file:line errors). A family's ids need not share one prefix (a family may
    hold a check of another series); the registry refuses an id that two families declare."""
    return load_validated(ChecksFile, path, CheckDataError)


def add_texts(data: ChecksFile, path: Path, family: str, texts: Texts = TEXTS) -> None:
    """Add the file's text to `texts` under `<check>.<name>` and `<family>.<name>`."""
    entries: list[tuple[tuple[str, ...], str, Bilingual]] = [
        (("family",), f"{family}.title", data.family),
        (("not_examined", "title"), f"{data.not_examined.id}.title", data.not_examined.title),
        (
            ("not_examined", "remediation"),
            f"{data.not_examined.id}.remediation",
            data.not_examined.remediation,
        ),
        *((("messages", name), f"{family}.{name}", text) for name, text in data.messages.items()),
    ]
    for check_id, entry in data.checks.items():
        own: Mapping[str, Bilingual] = {
            "title": entry.title,
            "remediation": entry.remediation,
            "error_remediation": entry.error_remediation,
            **entry.messages,
        }
        for name, text in own.items():
            where = ("checks", check_id, *(("messages", name) if name not in RESERVED else (name,)))
            entries.append((where, f"{check_id}.{name}", text))
    for where, key, text in entries:
        try:
            texts.add(key, *text.forms())
        except TextError as exc:
            line = line_of(read_yaml(path, CheckDataError), where) or 1
            raise CheckDataError(str(path), line, key, str(exc)) from None
