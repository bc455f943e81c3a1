"""Waivers: a matching FAIL/WARN shows as WAIVED and counts apart; an expired waiver is reported."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from p06audit.assessment import assess
from p06audit.inventory import load_inventory
from p06audit.model import Run, Status
from p06audit.pipeline import inventory_waivers
from p06audit.waivers import WaiverError, WaiverSet, load_waivers
from tests.conftest import InventoryFactory, host, site
from tests.reports.fixtures import FINISHED, finding, make_run, write_outputs

RUN_DAY = FINISHED.date()


def waiver(
    check: str, target: str, expires: date, owner: str = "Phòng CNTT — Nguyễn Văn A"
) -> dict[str, object]:
    return {
        "check": check,
        "target": target,
        "reason": "Kế hoạch nâng cấp quý 1",
        "owner": owner,
        "expires": expires.isoformat(),
    }


def write_waivers(path: Path, *entries: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump({"waivers": list(entries)}, allow_unicode=True), encoding="utf-8")
    return path


def test_waiver_covers_matching_fail_and_warn_only(tmp_path: Path) -> None:
    waivers = load_waivers(
        write_waivers(tmp_path / "w.yaml", waiver("TLS-00?", "dc-hue/portal:*", date(2027, 1, 1)))
    )
    findings = [
        finding("TLS-002", Status.FAIL),
        finding("TLS-008", Status.WARN),
        finding("TLS-001", Status.PASS),
        finding("TLS-006", Status.ERROR),
        finding("TLS-002", Status.FAIL, host="db"),
        finding("TLS-011", Status.FAIL),
    ]
    outcome = waivers.apply(findings, RUN_DAY)
    assert sorted(outcome.waived) == [0, 1]
    assert outcome.expired == () and outcome.unused == ()


def test_expiry_date_is_the_last_day_a_waiver_applies(tmp_path: Path) -> None:
    path = write_waivers(
        tmp_path / "w.yaml",
        waiver("TLS-002", "dc-hue/*", RUN_DAY),
        waiver("NET-004", "psc-hue/*", date(2026, 11, 19)),
        waiver("SSH-006", "*", date(2027, 1, 1)),
    )
    findings = [
        finding("TLS-002", Status.FAIL),
        finding("NET-004", Status.FAIL, site="psc-hue", host="kiosk"),
    ]
    outcome = load_waivers(path).apply(findings, RUN_DAY)
    assert list(outcome.waived) == [0]
    ((expired, matched),) = outcome.expired
    assert (expired.check, matched) == ("NET-004", 1)
    assert [w.check for w in outcome.unused] == ["SSH-006"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "waivers:\n  - check: TLS-002\n    target: '*'\n    reason: r\n    owner: o\n"
            "    expires: someday\n",
            r"w\.yaml:6: field 'waivers\.0\.expires'",
        ),
        (
            "waivers:\n  - check: TLS-002\n    target: '*'\n    reason: r\n    expires: 2027-01-01\n",
            r"w\.yaml:2: field 'waivers\.0\.owner': is required but missing — add it",
        ),
        (
            "waivers:\n  - check: tls-002; rm -rf /\n    target: '*'\n    reason: r\n    owner: o\n"
            "    expires: 2027-01-01\n",
            r"w\.yaml:2: field 'waivers\.0\.check'",
        ),
        ("waivers: [\n", r"w\.yaml:2: invalid YAML"),
    ],
)
def test_a_bad_waiver_file_names_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WaiverError, match=message):
        load_waivers(path)


def with_inventory_waivers(
    run: Run, directory: Path, out: Path, formats: tuple[str, ...], lang: str = "vi"
) -> dict[str, Path]:
    """Assess `run` with the waivers its inventory names, as the pipeline does, and write reports."""
    waivers, problem = inventory_waivers(load_inventory(directory))
    return write_outputs(
        replace(run, inventory=str(directory)),
        out,
        formats=formats,
        lang=lang,
        waivers=waivers,
        waiver_error=problem,
    )


def inventory_with_waivers(make_inventory: InventoryFactory, tmp_path: Path, waivers_file: str) -> str:
    inventory = make_inventory(
        {"dc-hue": site(level=3), "psc-hue": site(kind="public_service_centre", level=2)},
        {
            "portal": host("127.0.6.10", "dc-hue", ["web_portal"]),
            "kiosk": host("127.0.6.11", "psc-hue", ["workstation"]),
        },
        {"data": {"waivers": waivers_file}},
    )
    return str(inventory.directory)


def test_report_reads_the_inventory_waivers_and_counts_waived_apart(
    make_inventory: InventoryFactory, tmp_path: Path
) -> None:
    inventory = inventory_with_waivers(make_inventory, tmp_path, "waivers.yaml")
    write_waivers(
        tmp_path / "inventory" / "waivers.yaml",
        waiver("TLS-002", "dc-hue/portal:443", date(2027, 3, 31)),
        waiver("NET-004", "psc-hue/kiosk:22", date(2026, 10, 1), owner="Trung tâm PVHCC"),
    )
    run = make_run(
        [
            finding("TLS-002", Status.FAIL),
            finding("TLS-001", Status.PASS),
            finding("NET-004", Status.FAIL, site="psc-hue", host="kiosk", port=22),
        ]
    )
    written = with_inventory_waivers(run, Path(inventory), tmp_path / "out", ("json", "html"))
    doc = json.loads(written["json"].read_text(encoding="utf-8"))
    assert doc["summary"]["by_status"] == {
        "FAIL": 1,
        "ERROR": 0,
        "WARN": 0,
        "WAIVED": 1,
        "SKIP": 0,
        "PASS": 1,
    }
    waived = [f for f in doc["findings"] if f["waiver"]]
    assert [(f["check_id"], f["status"]) for f in waived] == [
        ("TLS-002", "FAIL")
    ]  # the finding itself is untouched
    assert [(w["check"], w["matched"]) for w in doc["waivers"]["expired"]] == [("NET-004", 1)]
    assert doc["waivers"]["source"].endswith("waivers.yaml") and doc["waivers"]["error"] is None
    html = written["html"].read_text(encoding="utf-8")
    assert "Miễn trừ đã hết hạn (không còn áp dụng)" in html and "Trung tâm PVHCC" in html
    shown = {s["site"]: s["percent"] for s in doc["compliance"]["sites"]}
    waivers, _ = inventory_waivers(load_inventory(inventory))
    assert assess(run, waivers=waivers).site_percentages() == shown  # what history stores matches the report
    assert assess(run, waivers=WaiverSet()).site_percentages()["dc-hue"] < shown["dc-hue"]


def test_a_broken_waiver_file_costs_nothing_but_is_shown(
    make_inventory: InventoryFactory, tmp_path: Path
) -> None:
    inventory = inventory_with_waivers(make_inventory, tmp_path, "waivers.yaml")
    (tmp_path / "inventory" / "waivers.yaml").write_text("waivers:\n  - check: [\n", encoding="utf-8")
    run = make_run([finding("TLS-002", Status.FAIL)])
    written = with_inventory_waivers(run, Path(inventory), tmp_path / "out", ("json",))
    doc = json.loads(written["json"].read_text(encoding="utf-8"))
    assert "invalid YAML" in doc["waivers"]["error"]
    assert doc["summary"]["by_status"]["FAIL"] == 1


def test_explicit_waiver_set_overrides_the_inventory(tmp_path: Path) -> None:
    waivers = load_waivers(write_waivers(tmp_path / "w.yaml", waiver("TLS-002", "*", date(2027, 1, 1))))
    run = make_run([finding("TLS-002", Status.FAIL)])
    written = write_outputs(run, tmp_path / "out", formats=("json",), waivers=waivers)
    assert json.loads(written["json"].read_text())["summary"]["by_status"]["WAIVED"] == 1
    written = write_outputs(run, tmp_path / "out2", formats=("json",), waivers=WaiverSet())
    assert json.loads(written["json"].read_text())["summary"]["by_status"]["WAIVED"] == 0
