"""Text people read, kept as data: a message is a key and named parameters, rendered per language.

Rules and collectors never write a sentence. They return `say("unreachable", ports=...)`; the
sentence lives in the family's checks.yaml (or, for the engine's own words, in messages.yaml beside
this file) in Vietnamese and English, and is chosen when a report, a terminal table or a digest is
written. One run therefore renders in either language, today or years later from report.json.

Templates use `str.format` fields with three optional specs: `{count:n}` a number grouped the
way the language writes it (100.000 / 100,000), `{when:date}` and `{when:datetime}` a moment in the
report's time zone. An English template may be plural-aware: `{plural: count, one: ..., other: ...}`
picks the form by Babel's plural rules. A list parameter is joined with ", "; a Message parameter
is rendered in the same language, so a reason can travel inside a summary.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ruamel.yaml import YAML

Lang = Literal["vi", "en"]
LANGUAGES: tuple[Lang, ...] = ("vi", "en")
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
SPECS = frozenset({"", "n", "date", "datetime"})
DATE_PATTERNS: dict[str, str] = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
DATETIME_PATTERNS: dict[str, str] = {"vi": "HH:mm dd/MM/yyyy", "en": "d MMM yyyy HH:mm"}
_EMPTY: Mapping[str, Any] = {}


class TextError(ValueError):
    """A message key no text file defines, or parameters its template does not name."""


@dataclass(frozen=True, slots=True)
class Message:
    """A sentence to be: a key into the text files and the values its template names. Keys are
    `<check id>.<name>` for a check's own text (`ABC-001.unreachable`), `<family>.<name>` for text a
    family shares, and `core.<name>` for the engine's own."""

    key: str
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def __hash__(self) -> int:
        """Equal messages hash alike, so verdicts can be shared and de-duplicated by their message."""
        return hash((self.key, repr(sorted(self.params.items())) if self.params else ""))

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "params": {k: _param_json(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        return cls(str(data["key"]), {str(k): _param_from_json(v) for k, v in dict(data["params"]).items()})


def say(key: str, /, **params: Any) -> Message:
    """The message `key` with its parameters (what a rule returns instead of a sentence)."""
    return Message(key, params) if params else Message(key)


def _param_json(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.to_json()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_param_json(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _param_from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"message"}:
        return Message.from_json(value["message"])
    if isinstance(value, list):
        return [_param_from_json(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Template:
    """One language's text of a message: parsed once, with its plural forms if it has them."""

    forms: Mapping[str, tuple[tuple[str, str | None, str], ...]]  # plural category -> parsed pieces
    plural: str | None = None

    @classmethod
    def parse(cls, text: str | Mapping[str, str]) -> Template:
        if isinstance(text, str):
            return cls({"other": _pieces(text)})
        forms = {k: _pieces(v) for k, v in text.items() if k != "plural"}
        return cls(forms, text.get("plural"))

    def fields(self) -> frozenset[str]:
        return frozenset(name for pieces in self.forms.values() for _, name, _ in pieces if name is not None)


def _pieces(text: str) -> tuple[tuple[str, str | None, str], ...]:
    pieces = []
    for literal, name, spec, conversion in string.Formatter().parse(text):
        if conversion:
            raise TextError(f"'{text}': conversions such as !r are not allowed in message text")
        if name is not None and (not name.isidentifier() or (spec or "") not in SPECS):
            raise TextError(
                f"'{text}': field {{{name}:{spec}}} is not a plain name with spec n, date or datetime"
            )
        pieces.append((literal, name, spec or ""))
    return tuple(pieces)


@dataclass(frozen=True, slots=True)
class Text:
    """A message in both languages."""

    vi: Template
    en: Template

    def of(self, lang: Lang) -> Template:
        return self.vi if lang == "vi" else self.en


CORE_MESSAGES = Path(__file__).with_name("messages.yaml")


class Texts:
    """Every message of the engine and the loaded families, by key. The engine's own messages
    (messages.yaml beside this module) are read at the first `core.` key asked for."""

    def __init__(self) -> None:
        self._texts: dict[str, Text] = {}
        self._core_loaded = False

    def add(self, key: str, vi: str | Mapping[str, str], en: str | Mapping[str, str]) -> None:
        text = Text(Template.parse(vi), Template.parse(en))
        if key in self._texts:
            if self._texts[key] == text:
                return  # the same file read again (a second registry in one process)
            raise TextError(f"message '{key}' is defined twice, with different text")
        if text.vi.fields() != text.en.fields():
            raise TextError(
                f"message '{key}': the Vietnamese text names {sorted(text.vi.fields())}, "
                f"the English text {sorted(text.en.fields())}"
            )
        self._texts[key] = text

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self.text(key)
        except TextError:
            return False
        return True

    def keys(self) -> Iterable[str]:
        if not self._core_loaded:
            self._load_core()
        return self._texts.keys()

    def text(self, key: str) -> Text:
        found = self._texts.get(key)
        if found is None and key.startswith("core.") and not self._core_loaded:
            self._load_core()
            found = self._texts.get(key)
        if found is None:
            raise TextError(f"no text for message '{key}'")
        return found

    def _load_core(self) -> None:
        self._core_loaded = True
        loaded = YAML(typ="safe", pure=False).load(CORE_MESSAGES.read_text(encoding="utf-8"))
        for name, text in loaded["messages"].items():
            self.add(f"core.{name}", text["vi"], text["en"])


TEXTS = Texts()


@dataclass(frozen=True)
class Renderer:
    """Renders messages in one language and time zone."""

    lang: Lang
    timezone: str = DEFAULT_TIMEZONE
    texts: Texts = TEXTS

    def __call__(self, message: Message) -> str:
        template = self.texts.text(message.key).of(self.lang)
        params = message.params
        form = "other"
        if template.plural is not None:
            form = _plural_form(self.lang, params.get(template.plural, 0))
        pieces = template.forms.get(form) or template.forms["other"]
        out = []
        for literal, name, spec in pieces:
            out.append(literal)
            if name is not None:
                if name not in params:
                    raise TextError(f"message '{message.key}' needs the parameter '{name}'")
                out.append(self.value(params[name], spec))
        return "".join(out)

    def value(self, value: Any, spec: str = "") -> str:
        """One parameter as text: numbers grouped, moments in the time zone, lists joined."""
        if isinstance(value, Message):
            return self(value)
        if spec == "n" and isinstance(value, int | float) and not isinstance(value, bool):
            return number(value, self.lang)
        if spec in ("date", "datetime"):
            return moment(value, spec, self.lang, self.timezone)
        if isinstance(value, list | tuple):
            return ", ".join(self.value(v, spec) for v in value)
        return "" if value is None else str(value)


@cache
def _plural_rule(lang: str) -> Any:
    from babel import Locale  # Babel's locale data: read when a plural is first rendered

    return Locale.parse(lang).plural_form


def _plural_form(lang: str, count: Any) -> str:
    try:
        return str(_plural_rule(lang)(abs(count)))
    except (TypeError, ValueError):
        return "other"


@cache
def _symbols(lang: str) -> tuple[str, str]:
    from babel import Locale

    symbols = Locale.parse(lang).number_symbols["latn"]
    return symbols["group"], symbols["decimal"]


def number(value: int | float, lang: Lang) -> str:
    """100000 as 100.000 (vi) or 100,000 (en); Babel's symbols, Python's speed."""
    group, decimal = _symbols(lang)
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def moment(value: Any, spec: str, lang: Lang, timezone: str) -> str:
    """A date, or a moment shown in `timezone`; an ISO string (from report.json) is read first."""
    from babel.dates import format_date, format_datetime

    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(ZoneInfo(timezone))
        if spec == "date":
            return format_date(local.date(), DATE_PATTERNS[lang], locale=lang)
        return format_datetime(local, DATETIME_PATTERNS[lang], locale=lang)
    if isinstance(value, date):
        return format_date(value, DATE_PATTERNS[lang], locale=lang)
    return str(value)


def english(message: Message) -> str:
    """The English sentence (logs, tests, the CLI's plain lines)."""
    return _ENGLISH(message)


_ENGLISH = Renderer("en")
