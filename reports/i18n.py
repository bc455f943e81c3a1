"""Report strings in Vietnamese and English, kept as data (translations/<lang>.yaml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from p06audit.errors import UsageError
from p06audit.yamlfile import plain, read_yaml

TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGES = ("vi", "en")


def _flatten(prefix: str, node: dict[str, Any], out: dict[str, str]) -> dict[str, str]:
    for key, value in node.items():
        if isinstance(value, dict):
            _flatten(f"{prefix}{key}.", value, out)
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


@cache
def strings(lang: str) -> dict[str, str]:
    """Flat dotted keys ('status.FAIL') to text for one language."""
    if lang not in LANGUAGES:
        raise UsageError(f"report language must be one of {', '.join(LANGUAGES)}, not '{lang}'")
    data = plain(read_yaml(TRANSLATIONS / f"{lang}.yaml"))
    return _flatten("", data, {})


class Translator:
    """`t('key', n=3)`: a missing key raises, so an untranslated string never reaches a report."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._strings = strings(lang)

    def __call__(self, key: str, **values: Any) -> str:
        try:
            text = self._strings[key]
        except KeyError:
            raise KeyError(f"no '{self.lang}' translation for report string '{key}'") from None
        return text.format(**values) if values else text
