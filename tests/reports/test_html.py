"""The HTML file itself: self-contained, translated, escaped, with the sections officers need."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from p06audit.model import Status
from p06audit.reports.html import script_hash
from p06audit.reports.i18n import strings
from p06audit.text import say
from tests.reports.fixtures import (
    VIETNAMESE,
    XSS_IMG,
    XSS_SCRIPT,
    XSS_URL,
    finding,
    make_run,
    rich_run,
    write_outputs,
)


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def render(tmp_path: Path, lang: str = "vi", run=None) -> str:  # type: ignore[no-untyped-def]
    written = write_outputs(run or rich_run(), tmp_path / lang, formats=("html",), lang=lang)
    return written["html"].read_text(encoding="utf-8")


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


def test_translation_files_have_the_same_keys() -> None:
    assert strings("vi").keys() == strings("en").keys()
    differing = [k for k in strings("vi") if strings("vi")[k] != strings("en")[k]]
    assert len(differing) > 0.9 * len(strings("vi"))  # only names such as "TLS" and "SSH" stay the same


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_string_comes_from_the_language_file(tmp_path: Path, lang: str) -> None:
    html = render(tmp_path, lang)
    assert f'<html lang="{lang}">' in html
    table = strings(lang)
    for key in ("report.title", "section.scorecard", "status.FAIL", "control_status.NOT EVIDENCED"):
        assert table[key] in html
    other = strings("en" if lang == "vi" else "vi")
    for key in ("report.title", "section.findings", "filter.reset", "meta.disclaimer"):
        assert other[key] not in html


def test_self_contained_and_offline(tmp_path: Path) -> None:
    html = render(tmp_path)
    tags = parse(html)
    for tag, attrs in tags:
        for name in ("src", "href", "action", "data", "poster"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    assert [t for t, _ in tags if t in ("link", "iframe", "object", "embed", "img", "base")] == []
    scripts = [a for t, a in tags if t == "script"]
    assert scripts == [{}]  # one inline script of our own, nothing loaded
    csp = next(
        a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None and "default-src 'none'" in csp
    own_script = re.search(r"<script>(.*)</script>", html, re.S)
    assert own_script is not None and script_hash(own_script.group(1)) in csp


def test_hostile_evidence_is_text_not_markup(tmp_path: Path) -> None:
    html = render(tmp_path)
    for payload in (XSS_SCRIPT, XSS_IMG):
        assert payload not in html
    assert "&lt;script&gt;window.__xss = &#39;script&#39;;&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=&#34;window.__xss=&#39;img&#39;&#34;&gt;" in html
    assert XSS_URL.replace("'", "&#39;") in html
    tags = parse(html)
    assert sum(1 for t, _ in tags if t == "script") == 1
    assert not any(name.startswith("on") for _, attrs in tags for name in attrs)
    assert not any("javascript:" in (value or "") for _, attrs in tags for value in attrs.values())


def test_vietnamese_text_is_utf8_nfc(tmp_path: Path) -> None:
    path = tmp_path / "vi"
    write_outputs(rich_run(), path, formats=("html",), lang="vi")
    raw = (path / "report.html").read_bytes()
    text = raw.decode("utf-8")
    assert '<meta charset="utf-8">' in text
    assert VIETNAMESE in text and "Thừa Thiên Huế" in text and "Nguyễn Văn Ánh" in text
    assert "Báo cáo kiểm tra an toàn thông tin".encode() in raw
    assert unicodedata.is_normalized("NFC", text)


def test_sections_scorecard_citations_and_metadata(tmp_path: Path) -> None:
    run = replace(rich_run(), errors=[say("core.detail", text="nmap exited with code 1 on site psc-hue")])
    html = render(tmp_path, "en", run)
    for section in ("summary", "scorecard", "signing", "findings", "waivers", "metadata"):
        assert f'<section id="{section}">' in html
    assert "Circular 39/2017/TT-BTTTT, Annex item 4.2 (TLS v1.2 mandatory)" in html  # a citation of VN-TLS-01
    assert "Controls no automated check can evidence (review by hand)" in html
    assert "TCVN 11930:2017, level 3, network and server groups" in html  # dc-hue is level 3
    assert "TCVN 11930:2017, level 2, network and server groups" in html  # psc-hue is level 2
    ssh02 = html[html.index('<td class="nowrap">VN-SSH-02</td>') :].split("</tr>")[0]
    assert "international practice" in ssh02  # backed by BSI only, no Vietnamese text
    assert "nmap exited with code 1 on site psc-hue" in html and "0.1.0" in html
    assert run.id in html


def test_signing_section_counts_windows_and_draws_a_timeline(tmp_path: Path) -> None:
    html = render(tmp_path, "en")
    section = html[html.index('<section id="signing">') : html.index('<section id="findings">')]
    windows = dict(re.findall(r'card win-(\w+)"><span class="card-count">(\d+)</span>', section))
    assert windows == {
        "expired": "1",
        "within_7": "1",
        "within_30": "0",
        "within_60": "0",
        "within_90": "0",
        "later": "1",
    }
    bars = re.findall(r'<g class="month (\w+)"><title>([\d/]+): (\d+)</title>', section)
    assert [(kind, count) for kind, _, count in bars if count != "0"] == [
        ("past", "1"),
        ("soon", "1"),
        ("later", "1"),
    ]
    assert section.count('<tr class="win-') == 3


def test_no_signing_section_without_signing_findings(tmp_path: Path) -> None:
    html = render(tmp_path, "vi", make_run([finding("TLS-002", Status.FAIL)]))
    assert 'id="signing"' not in html


def test_large_runs_list_only_problems_and_say_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("p06audit.reports.html.FULL_LISTING_LIMIT", 5)
    monkeypatch.setattr("p06audit.checks.signing.views.TABLE_LIMIT", 2)
    run = rich_run()
    html = render(tmp_path, "en", run)
    problems = [f for f in run.findings if f.status not in (Status.PASS, Status.SKIP)]
    assert html.count('<tr class="finding"') == len(problems)
    hidden = len(run.findings) - len(problems)
    assert f"{hidden} passed or not-applicable findings are not listed here" in html
    assert "The 2 nearest expiries of 3 certificates are listed" in html
