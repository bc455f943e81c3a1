"""Given a site's findings, when compliance is evaluated, then each control gets exactly this status."""

from __future__ import annotations

from dataclasses import replace

import pytest

from p06audit.assessment import assess
from p06audit.guidance import ControlStatus, default_catalogue, evaluate
from p06audit.guidance.compliance import evaluate_site
from p06audit.model import Finding, SiteInfo, Status
from tests.reports.fixtures import SITES, finding, make_run

DC, PSC = SITES  # level 3 and level 2
TLS01 = ("TLS-001", "TLS-002", "TLS-003")


def status_of(
    site: SiteInfo, findings: list[Finding], control: str, waived: set[int] | None = None
) -> ControlStatus:
    result = evaluate_site(default_catalogue(), site, findings, waived or set())
    return next(r for r in result.results if r.control_id == control).status


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((Status.PASS, Status.PASS, Status.PASS), ControlStatus.COMPLIANT),
        ((Status.PASS, Status.FAIL, Status.PASS), ControlStatus.NON_COMPLIANT),
        ((Status.PASS, Status.WARN, Status.PASS), ControlStatus.PARTIAL),
        ((Status.PASS, Status.ERROR, Status.PASS), ControlStatus.NOT_EVIDENCED),
        ((Status.WARN, Status.ERROR, Status.FAIL), ControlStatus.NON_COMPLIANT),
        ((Status.SKIP, Status.SKIP, Status.SKIP), ControlStatus.NOT_APPLICABLE),
        ((Status.SKIP, Status.PASS, Status.SKIP), ControlStatus.COMPLIANT),
    ],
)
def test_control_status_from_its_evidence(statuses: tuple[Status, ...], expected: ControlStatus) -> None:
    findings = [finding(check, status) for check, status in zip(TLS01, statuses, strict=True)]
    assert status_of(DC, findings, "VN-TLS-01") is expected


def test_no_evidence_is_never_compliant() -> None:
    assert status_of(DC, [], "VN-TLS-01") is ControlStatus.NOT_EVIDENCED
    other_site = [finding(c, Status.PASS, site="psc-hue") for c in TLS01]
    assert status_of(DC, other_site, "VN-TLS-01") is ControlStatus.NOT_EVIDENCED


def test_levels_decide_applicability_and_advice() -> None:
    ssh = [finding("SSH-002", Status.FAIL, site="psc-hue", host="kiosk")]
    result = evaluate_site(default_catalogue(), PSC, ssh)
    ssh02 = next(r for r in result.results if r.control_id == "VN-SSH-02")  # levels 3-5 only
    assert (ssh02.status, ssh02.counted) == (ControlStatus.NOT_APPLICABLE, False)
    tls02 = next(r for r in result.results if r.control_id == "VN-TLS-02")  # advisory at 1-2
    assert (tls02.advisory, tls02.counted) == (True, False)
    assert "VN-GOV-03" not in result.manual and "VN-GOV-01" in result.manual  # GOV-03 is levels 3-5
    assert "VN-GOV-03" in evaluate_site(default_catalogue(), DC, []).manual


def test_a_target_not_examined_leaves_the_controls_of_the_checks_it_blocked_not_evidenced() -> None:
    passed = [finding(c, Status.PASS) for c in TLS01]
    assert status_of(DC, passed, "VN-TLS-01") is ControlStatus.COMPLIANT
    silent = replace(finding("TLS-000", Status.ERROR, host="db"), blocked=tuple(TLS01))
    assert status_of(DC, [*passed, silent], "VN-TLS-01") is ControlStatus.NOT_EVIDENCED


def test_waived_findings_are_left_out_and_counted_apart() -> None:
    findings = [
        finding("TLS-001", Status.PASS),
        finding("TLS-002", Status.FAIL),
        finding("TLS-003", Status.PASS),
    ]
    result = evaluate_site(default_catalogue(), DC, findings, {1})
    tls01 = next(r for r in result.results if r.control_id == "VN-TLS-01")
    assert (tls01.status, tls01.waived, tls01.counts) == (ControlStatus.COMPLIANT, 1, {Status.PASS: 2})
    only_waived = [finding("TLS-002", Status.FAIL)]
    assert status_of(DC, only_waived, "VN-TLS-01", {0}) is ControlStatus.NOT_EVIDENCED


def test_percentages_per_site_and_pooled_per_province() -> None:
    catalogue = default_catalogue()
    run = make_run(
        [finding(c, Status.PASS) for c in TLS01]
        + [finding("NET-004", Status.PASS, site="psc-hue", host="kiosk", port=22)]
        + [finding("NET-002", Status.FAIL, site="psc-hue", host="kiosk", port=None)]
    )
    report = evaluate(run.sites, run.findings, catalogue)
    dc, psc = report.sites
    counted_dc = [c for c in catalogue.controls.values() if c.automated and 3 in c.levels]
    counted_psc = [c for c in catalogue.controls.values() if c.automated and 2 in c.levels]
    assert (dc.compliant, dc.counted) == (1, len(counted_dc))  # only VN-TLS-01 has evidence
    # NET-004 maps to VN-NET-01 and VN-SSH-04 (levels 3-5: not applicable at level 2);
    # NET-002 fails VN-NET-02.
    assert (psc.compliant, psc.counted) == (0, len(counted_psc))
    assert dc.percent == round(100 / len(counted_dc), 1)
    (province,) = report.provinces
    assert (province.compliant, province.counted) == (1, len(counted_dc) + len(counted_psc))
    assert assess(run).site_percentages() == {"dc-hue": dc.percent, "psc-hue": 0.0}
    assert set(report.manual_controls) == {c.id for c in catalogue.controls.values() if not c.automated}
