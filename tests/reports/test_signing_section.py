"""The expiry section from real SIGN findings: the signing lab's certificates, its real collector."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from pathlib import Path

from p06audit.lab import Lab
from p06audit.options import RunOptions
from p06audit.runner import run_audit
from tests.conftest import InventoryFactory, host, site
from tests.reports.fixtures import write_outputs

EXPIRY_CHECKS = frozenset({"SIGN-001", "SIGN-002", "SIGN-003"})


def test_expiry_section_counts_every_lab_certificate_once(
    lab_factory: Callable[[str], Lab], make_inventory: InventoryFactory, tmp_path: Path
) -> None:
    files = lab_factory("signing").context.workdir / "signing"
    signing = {"sources": [str(files / "certs")], "trust_anchors": str(files / "gov-root.pem")}
    inventory = make_inventory(
        {"lab-dc": site(level=3, signing_certs=signing)},
        {"signer": host("127.0.6.20", "lab-dc", ["signing_server"])},
    )
    run = run_audit(inventory, RunOptions(timeout=3, state_dir=tmp_path / "state", checks=EXPIRY_CHECKS))
    certs = {
        (f.evidence["issuer"], f.evidence["serial"], f.evidence["file"]): f.evidence
        for f in run.findings
        if f.check_id in EXPIRY_CHECKS
    }
    assert len(certs) >= 3

    written = write_outputs(run, tmp_path / "out", formats=("html",), lang="vi")
    page = written["html"].read_text("utf-8")
    section = page[page.index('<section id="signing">') : page.index('<section id="findings">')]
    windows = {
        name: int(n) for name, n in re.findall(r'card win-(\w+)"><span class="card-count">(\d+)<', section)
    }
    assert sum(windows.values()) == len(certs)
    assert windows["expired"] == sum(1 for e in certs.values() if e["days_left"] < 0)
    assert windows["within_7"] == sum(1 for e in certs.values() if 0 <= e["days_left"] <= 7)
    assert section.count('<tr class="win-') == len(certs)
    for evidence in certs.values():
        assert html_lib.escape(evidence["holder"]) in section and evidence["serial"] in section
    bars = [int(n) for n in re.findall(r'<g class="month \w+"><title>[\d/]+: (\d+)</title>', section)]
    assert 0 < sum(bars) <= len(certs)
