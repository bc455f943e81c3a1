"""A run recorded through the pipeline reads back from the history as it was assessed: its message
keys, its legal basis, time zone and waivers, and the next run of the inventory is compared with it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import yaml

from p06audit.history import HistoryStore, database_url
from p06audit.inventory import Inventory, load_inventory
from p06audit.model import Finding, Run, Severity, SiteInfo, Status, Target
from p06audit.options import RunOptions
from p06audit.pipeline import AuditResult, Executor, HistoryLink, audit_to_reports
from p06audit.processors import AuditProcessor
from p06audit.runner import new_run_id
from p06audit.text import Message, say
from tests.conftest import host, site, write_inventory_files

WAIVER = {
    "check": "NET-002",
    "target": "lab-dc/portal",
    "reason": "Cổng quản trị sẽ đóng sau đợt nâng cấp",
    "owner": "Phòng CNTT",
    "expires": "2099-12-31",
}


def lab_inventory(directory: Path) -> Inventory:
    write_inventory_files(
        directory,
        {"lab-dc": site()},
        {"portal": host("127.0.7.60", "lab-dc", ["web_portal"])},
        {"data": {"legal_basis": "nd85-2016", "timezone": "Asia/Bangkok", "waivers": "waivers.yaml"}},
    )
    (directory / "waivers.yaml").write_text(yaml.safe_dump({"waivers": [WAIVER]}, allow_unicode=True))
    return load_inventory(directory)


Said = list[tuple[str, Status, Message]]


def scanned(findings: Said, run_id: str | None = None) -> Executor:
    """An executor that audits nothing and answers with these (check, status, message) findings."""

    def execute(inventory: Inventory, options: RunOptions, processors: Sequence[AuditProcessor]) -> Run:
        now = datetime.now(UTC)
        target = Target("lab-dc", "portal", "127.0.7.60")
        return Run(
            id=run_id or new_run_id(now),
            started=now,
            finished=now,
            tool_version="test",
            inventory=str(inventory.directory),
            sites=[SiteInfo("lab-dc", "provincial_dc", "Lab Province", 3, ("portal",))],
            findings=[Finding(c, "network", status, Severity.HIGH, target, m) for c, status, m in findings],
        )

    return execute


def audit(inventory: Inventory, options: RunOptions, out: Path, execute: Executor) -> AuditResult:
    """`audit_to_reports` as `p06audit run` calls it: the history link is a processor too."""
    history = HistoryLink(None, options)
    return audit_to_reports(
        inventory, options, out, ["json"], None, [history], history=history, execute=execute
    )


def test_a_pipeline_run_reads_back_with_its_messages_legal_basis_and_waivers(tmp_path: Path) -> None:
    inventory = lab_inventory(tmp_path / "inventory")
    options = RunOptions(state_dir=tmp_path / "state")
    unreachable = say("NET-001.unreachable", ports=[8443])
    port_open = say("core.detail", text="port 8080")
    first = audit(
        inventory,
        options,
        tmp_path / "reports",
        scanned([("NET-001", Status.FAIL, unreachable), ("NET-002", Status.FAIL, port_open)]),
    )
    assert first.history_error is None and first.assessment.previous is None

    with HistoryStore(database_url(None, options.state_dir), create=False) as store:
        loaded = store.load(first.run.id)
        context = store.context(first.run.id)
    assert loaded == first.run
    assert [f.message for f in loaded.findings] == [unreachable, port_open]
    assert loaded.findings[0].summary == "Declared TCP ports not reachable: 8443."
    assert (context.legal_basis, context.timezone) == ("nd85-2016", "Asia/Bangkok")
    assert context.waivers == [WAIVER]
    assert first.assessment.waiver_of(1) is not None, "the waiver recorded is the one the run applied"

    second = audit(
        inventory,
        options,
        tmp_path / "reports",
        scanned([("NET-001", Status.PASS, say("NET-001.all_open", count=1))]),
    )
    assert second.history_error is None
    assert second.assessment.previous is not None and second.assessment.previous.previous_id == first.run.id
    assert [f.check_id for f in second.assessment.previous.fixed] == ["NET-001"]
    assert [run for run, _ in second.assessment.trend["lab-dc"]] == [first.run.id, second.run.id]
    report = json.loads((second.report_dir / "report.json").read_text())
    assert report["previous_run"] == first.run.id


def test_a_run_the_history_refuses_still_has_its_reports(tmp_path: Path) -> None:
    inventory = lab_inventory(tmp_path / "inventory")
    options = RunOptions(state_dir=tmp_path / "state")
    same = scanned([], run_id="20250101T000000Z-abcdef")
    assert audit(inventory, options, tmp_path / "reports", same).history_error is None
    again = audit(inventory, options, tmp_path / "again", same)
    assert again.history_error is not None and "already recorded" in again.history_error
    assert (again.report_dir / "report.json").is_file()
