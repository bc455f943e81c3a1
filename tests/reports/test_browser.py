"""The report in a real headless Chromium: no console errors, working filters, no script from data.

Screenshots and a PDF print are kept under test-artifacts/reports/ for a human to look at.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reports.browser import Chromium
from tests.reports.fixtures import VIETNAMESE, XSS_IMG, XSS_SCRIPT, XSS_URL, rich_run, write_outputs

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
VISIBLE_ROWS = "document.querySelectorAll('#findings-table tr.finding:not([hidden])').length"


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("browser-report")
    run = rich_run()
    return {
        lang: write_outputs(run, out / lang, formats=("html",), lang=lang)["html"] for lang in ("vi", "en")
    }


def visible_statuses(browser: Chromium) -> set[str]:
    return set(
        browser.evaluate(
            "Array.from(document.querySelectorAll('#findings-table tr.finding:not([hidden])'))"
            ".map(r => r.dataset.status)"
        )
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_opens_without_console_errors_and_a_filter_click_reduces_rows(
    browser: Chromium, report_files: dict[str, Path], lang: str
) -> None:
    browser.open(report_files[lang])
    assert browser.evaluate("document.documentElement.lang") == lang
    assert browser.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    total = browser.evaluate(VISIBLE_ROWS)
    assert total == len(rich_run().findings)
    browser.click('[data-quick-status="FAIL"]')
    shown = browser.evaluate(VISIBLE_ROWS)
    assert 0 < shown < total
    assert visible_statuses(browser) == {"FAIL"}
    assert browser.evaluate("document.getElementById('shown-count').textContent") == str(shown)
    browser.click('[data-quick-status="FAIL"]')
    assert browser.evaluate(VISIBLE_ROWS) == total
    browser.click("#filters input[name=q]")
    browser.call("Input.insertText", text="kiosk")
    assert browser.evaluate(VISIBLE_ROWS) == sum(1 for f in rich_run().findings if f.target.host == "kiosk")
    assert browser.evaluate(
        "Array.from(document.querySelectorAll('#findings-table tr.finding:not([hidden])'))"
        ".every(r => r.textContent.includes('kiosk'))"
    )
    browser.click("#filters button[type=reset]")
    browser.wait_until(f"{VISIBLE_ROWS} === {total}")
    browser.evaluate("window.scrollTo(0, 0)")
    browser.screenshot(ARTIFACTS / f"report-{lang}.png")
    assert browser.problems() == []


def test_hostile_evidence_renders_as_text_and_executes_nothing(
    browser: Chromium, report_files: dict[str, Path]
) -> None:
    browser.open(report_files["en"])
    browser.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    browser.click('[data-quick-status="ERROR"]')
    text = browser.evaluate("document.getElementById('findings-table').innerText")
    for payload in (XSS_SCRIPT, XSS_IMG, XSS_URL):
        assert payload in text
    assert browser.evaluate("typeof window.__xss") == "undefined"
    assert browser.evaluate("document.scripts.length") == 1
    assert browser.evaluate("document.images.length") == 0
    assert browser.evaluate("document.querySelectorAll('[onerror], a[href^=javascript]').length") == 0
    browser.screenshot(ARTIFACTS / "report-xss.png", full_page=False)
    assert browser.problems() == []


def vietnamese_fonts() -> set[str]:
    listed = subprocess.run(
        ["fc-list", ":lang=vi", "family"], capture_output=True, text=True, check=True
    ).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",")}


def test_vietnamese_diacritics_are_drawn(browser: Chromium, report_files: dict[str, Path]) -> None:
    """Drawn with a font that covers Vietnamese, and 'ệ' is neither a plain 'e' nor a missing-glyph box."""
    browser.open(report_files["vi"])
    fonts = vietnamese_fonts()
    assert fonts, "no font covering Vietnamese is installed (fonts-noto-core)"
    for selector in ("h1", "#summary .card-label"):
        used = browser.platform_fonts(selector)
        assert used and all(f["familyName"] in fonts for f in used), used
    browser.evaluate(
        "(() => { for (const [id, ch] of [['g-e', 'e'], ['g-ee', '\\u1EC7'], ['g-none', '\\u{10FFFD}']]) {"
        " const s = document.createElement('span'); s.id = id; s.textContent = ch;"
        " s.style.cssText = 'display:inline-block;width:64px;height:72px;font-size:48px;background:#fff';"
        " document.body.prepend(s); } })()"
    )
    plain, marked, missing = (browser.clip_screenshot(f"#{i}") for i in ("g-e", "g-ee", "g-none"))
    assert marked != plain and marked != missing
    text = browser.evaluate("document.body.textContent")
    assert VIETNAMESE in text and "Báo cáo kiểm tra an toàn thông tin" in text
    browser.evaluate("window.scrollTo(0, 0)")
    browser.screenshot(ARTIFACTS / "report-vi-diacritics.png", full_page=False)


def test_print_stylesheet_hides_controls_and_prints(browser: Chromium, report_files: dict[str, Path]) -> None:
    browser.open(report_files["vi"])
    browser.call("Emulation.setEmulatedMedia", media="print")
    try:
        assert browser.evaluate("getComputedStyle(document.getElementById('filters')).display") == "none"
        pdf = browser.call("Page.printToPDF", printBackground=True)["data"]
    finally:
        browser.call("Emulation.setEmulatedMedia", media="")
    data = base64.b64decode(pdf)
    assert data.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report-vi.pdf").write_bytes(data)
