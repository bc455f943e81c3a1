"""What a person reads on a report page, and the sentences of our text files in one language."""

from __future__ import annotations

from html.parser import HTMLParser

from p06audit.registry import REGISTRY
from p06audit.text import TEXTS, Lang

# Pieces shorter than this are words both languages share (TLS 1.2, sshd_config, a port number).
SHORTEST_SENTENCE = 16


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def sentences(lang: Lang) -> set[str]:
    """Every literal piece of every check and engine text in `lang` that the other language does
    not share (the pieces between template fields, at least SHORTEST_SENTENCE characters long)."""
    REGISTRY.load_texts()
    other: Lang = "en" if lang == "vi" else "vi"
    found: set[str] = set()
    for key in list(TEXTS.keys()):
        text = TEXTS.text(key)
        theirs = {
            " ".join(literal.split()) for pieces in text.of(other).forms.values() for literal, _, _ in pieces
        }
        for pieces in text.of(lang).forms.values():
            for literal, _, _ in pieces:
                piece = " ".join(literal.split()).strip(" .,:;()")
                if len(piece) >= SHORTEST_SENTENCE and piece not in theirs:
                    found.add(piece)
    return found
