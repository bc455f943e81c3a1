"""End to end: a lab host answers with script-injection payloads, the real network and TLS
collectors put them into evidence, and the report renders them as text in a real Chromium.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from p06audit.lab import Lab
from p06audit.lab.scenarios.reports import HOSTILE_ADDRESS, HOSTILE_NAME, PAYLOADS
from p06audit.model import Run
from p06audit.options import RunOptions
from p06audit.runner import run_audit
from tests.conftest import InventoryFactory, host, site
from tests.reports.browser import Chromium
from tests.reports.fixtures import write_outputs

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
CHECKS = frozenset({"NET-003", "TLS-007", "TLS-011"})


def hostile_run(lab_factory: Callable[[str], Lab], make_inventory: InventoryFactory, tmp_path: Path) -> Run:
    lab = lab_factory("reports")
    inventory = make_inventory(
        {"lab-dc": site(level=3)},
        {
            "hostile-portal": host(
                HOSTILE_ADDRESS, "lab-dc", ["web_portal"], tls=[{"port": 443, "sni": HOSTILE_NAME}]
            )
        },
        {"data": {"trust_anchors": str(lab.context.pki.root_file), "use_system_trust_store": False}},
    )
    return run_audit(inventory, RunOptions(timeout=3, state_dir=tmp_path / "state", checks=CHECKS))


def test_hostile_answers_reach_evidence_and_render_inert(
    lab_factory: Callable[[str], Lab], make_inventory: InventoryFactory, tmp_path: Path
) -> None:
    run = hostile_run(lab_factory, make_inventory, tmp_path)
    assert {f.check_id for f in run.findings} == CHECKS
    evidence = json.dumps([f.evidence for f in run.findings], ensure_ascii=False)
    for payload in PAYLOADS:
        assert json.dumps(payload)[1:-1] in evidence, f"payload never reached evidence: {payload}"

    written = write_outputs(run, tmp_path / "out", formats=("html", "json", "junit", "csv"), lang="vi")
    html = written["html"].read_text(encoding="utf-8")
    assert all(payload not in html for payload in PAYLOADS)
    with Chromium() as browser:
        browser.open(written["html"])
        browser.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        text = browser.evaluate("document.getElementById('findings-table').innerText")
        for payload in PAYLOADS:  # shown as text, JSON-quoted where it sits inside a list
            assert payload in text or json.dumps(payload)[1:-1] in text
        assert browser.evaluate("typeof window.__xss") == "undefined"
        assert browser.evaluate("document.scripts.length") == 1
        assert browser.evaluate("document.images.length") == 0
        assert browser.evaluate("document.querySelectorAll('a[href^=javascript], [onerror]').length") == 0
        browser.evaluate("document.getElementById('findings').scrollIntoView()")
        browser.screenshot(ARTIFACTS / "report-xss-lab.png", full_page=False)
        assert browser.problems() == []
