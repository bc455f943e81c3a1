"""Exit codes cron and systemd can trust: the verdict decided once in the Assessment, and the
command line that feeds it (`--fail-on SEVERITY[,warn]`, `--allow-errors`, usage errors are 2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from p06audit.assessment import (
    EXIT_FINDINGS,
    EXIT_NOT_EXAMINED,
    EXIT_OK,
    ExitPolicy,
    assess,
)
from p06audit.cli import main
from p06audit.model import Finding, Run, Severity, SiteInfo, Status, Target
from p06audit.text import Renderer, say

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SITE = SiteInfo("dc", "provincial_dc", "Lab", 3, ("portal",))


def finding(status: Status, severity: Severity, check: str = "TLS-008", **extra: object) -> Finding:
    target = Target("dc", "portal", "127.0.0.9", 443)
    return Finding(check, "tls", status, severity, target, say("core.detail", text="x"), **extra)  # type: ignore[arg-type]


def not_examined() -> Finding:
    target = Target("dc", "portal", "127.0.0.9")
    blocked = ("TLS-001", "TLS-008")
    return Finding(
        "TLS-000", "tls", Status.ERROR, Severity.HIGH, target, say("core.detail", text="x"), blocked=blocked
    )


def run_of(*findings: Finding, errors: tuple[object, ...] = ()) -> Run:
    return Run("20260301T000000Z-abcdef", NOW, NOW, "0", "inv", [SITE], list(findings), list(errors))  # type: ignore[arg-type]


def code(run: Run, **policy: object) -> int:
    return assess(run, policy=ExitPolicy(**policy)).verdict.code  # type: ignore[arg-type]


def test_a_warn_fails_the_run_only_when_asked_for() -> None:
    run = run_of(finding(Status.WARN, Severity.HIGH))
    assert code(run) == EXIT_OK
    assert code(run, warn=True) == EXIT_FINDINGS
    assert code(run, fail_on=Severity.CRITICAL, warn=True) == EXIT_OK


def test_a_target_not_examined_exits_5_unless_errors_are_allowed() -> None:
    run = run_of(not_examined(), finding(Status.PASS, Severity.HIGH))
    assessment = assess(run)
    assert assessment.verdict.code == EXIT_NOT_EXAMINED and assessment.verdict.not_examined == 1
    assert "could not be examined" in Renderer("en")(assessment.verdict.reason)
    assert "không kiểm tra được" in Renderer("vi")(assessment.verdict.reason)
    allowed = assess(run, policy=ExitPolicy(allow_errors=True)).verdict
    assert allowed.code == EXIT_OK and "--allow-errors" in Renderer("en")(allowed.reason)


def test_a_part_of_the_run_that_failed_is_not_examined_either() -> None:
    run = run_of(finding(Status.PASS, Severity.HIGH), errors=(say("core.detail", text="collector died"),))
    assert code(run) == EXIT_NOT_EXAMINED
    assert code(run, allow_errors=True) == EXIT_OK


def test_fail_wins_over_not_examined_and_the_reason_names_both() -> None:
    run = run_of(not_examined(), finding(Status.FAIL, Severity.CRITICAL))
    verdict = assess(run).verdict
    assert verdict.code == EXIT_FINDINGS
    text = Renderer("en")(verdict.reason)
    assert text.startswith("1 FAIL at or above high remains;") and "could not be examined" in text


def test_a_waiver_never_hides_a_target_that_was_not_examined() -> None:
    from p06audit.waivers import Waiver, WaiverSet

    waiver = Waiver(
        check="TLS-000",
        target="dc/portal",
        reason="decommissioned",
        owner="attt",
        expires=datetime(2027, 1, 1).date(),
    )
    assessment = assess(run_of(not_examined()), waivers=WaiverSet((waiver,)))
    assert not assessment.waivers.waived and assessment.verdict.code == EXIT_NOT_EXAMINED


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("high", (Severity.HIGH, False)),
        ("high,warn", (Severity.HIGH, True)),
        ("WARN, critical", (Severity.CRITICAL, True)),
        ("warn", (Severity.HIGH, True)),
    ],
)
def test_fail_on_words(text: str, parsed: tuple[Severity, bool]) -> None:
    assert ExitPolicy.parse_fail_on(text) == parsed


@pytest.mark.parametrize("text", ["hihg", "high,low", "warn,often", ""])
def test_a_wrong_fail_on_is_a_usage_error(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "inventories/demo", "--fail-on", text])
    assert exited.value.code == 2
    assert "optionally followed by ',warn'" in capsys.readouterr().err


def test_an_unknown_legal_basis_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guidance", "list", "--legal-basis", "foo"]) == 2
    assert "unknown legal basis 'foo'" in capsys.readouterr().err


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "5 a target could not be examined" in out and "2 usage, configuration or inventory error" in out
