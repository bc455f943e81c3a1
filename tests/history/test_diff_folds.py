"""diff over folded findings and root causes, told in words an officer reads.

Story (issue 18): a province added the missing intermediate CA. 27 certificates whose chain did not
build (one folded SIGN-008 FAIL counting them) now pass with the other 9,843, and their 27 per-
certificate revocation warnings fold into the site's PASS. That is 54 problems fixed, not "1". A
portal that could not be examined last night answers today: it is checked now, not fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from p06audit.cli import main
from p06audit.history import HistoryStore, database_url, diff_runs, summary
from p06audit.model import Finding, Severity, Status, Target
from p06audit.text import Renderer, say
from tests.history.factory import finding, make_run

SITE = "lab-dc"
CERTS = "signing certificates"


def fold(check_id: str, status: Status, count: int, severity: Severity = Severity.HIGH) -> Finding:
    sample = [f"/certs/{i:05d}.cer" for i in range(min(count, 10))]
    return Finding(
        check_id,
        "signing",
        status,
        severity,
        Target(SITE, resource=CERTS),
        say("core.detail", text=f"{check_id} {status.value} x{count}"),
        {"count": count, "sample": sample},
    )


def per_certificate(check_id: str, status: Status, n: int) -> Finding:
    return Finding(
        check_id,
        "signing",
        status,
        Severity.MEDIUM,
        Target(SITE, resource=f"/certs/broken-{n:02d}.cer"),
        say("core.detail", text="revocation not checked: no chain"),
    )


def not_examined(host: str) -> Finding:
    return finding("TLS-000", Status.ERROR, host=host, port=None, blocked=("TLS-001", "TLS-002"))


OLD = make_run(
    0,
    [
        fold("SIGN-008", Status.FAIL, 27),
        fold("SIGN-008", Status.PASS, 9_843),
        *(per_certificate("SIGN-009", Status.WARN, n) for n in range(27)),
        fold("SIGN-009", Status.PASS, 9_843),
        fold("SIGN-004", Status.FAIL, 10, Severity.MEDIUM),
        not_examined("portal"),
        finding("TLS-001", Status.PASS, host="db"),
    ],
)
NEW = make_run(
    1,
    [
        fold("SIGN-008", Status.PASS, 9_870),
        fold("SIGN-009", Status.PASS, 9_870),
        fold("SIGN-004", Status.FAIL, 3, Severity.MEDIUM),
        fold("SIGN-004", Status.PASS, 9_867, Severity.MEDIUM),
        finding("TLS-001", Status.PASS, host="portal"),
        finding("TLS-002", Status.PASS, host="portal"),
        not_examined("db"),
    ],
)


def keys(changes: tuple) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [c.key for c in changes]


def test_items_fixed_inside_folds_count_one_by_one() -> None:
    diff = diff_runs(OLD, NEW)
    assert keys(diff.fixed)[0] == ("SIGN-008", "lab-dc/-#signing certificates")
    assert len(diff.fixed) == 1 + 27  # the fold, and each certificate's warning folded into a PASS
    assert diff.fixed[0].fixed_items == 27
    (partial,) = diff.still_failing
    assert partial.check_id == "SIGN-004" and (partial.fixed_items, partial.items) == (7, 3)
    assert diff.fixed_items == 27 + 27 + 7 and diff.new_items == 0
    assert diff.not_rechecked == ()


def test_a_target_that_answers_again_is_checked_now_not_fixed() -> None:
    diff = diff_runs(OLD, NEW)
    assert keys(diff.now_checked) == [("TLS-000", "lab-dc/portal")]
    assert ("TLS-000", "lab-dc/portal") not in keys(diff.fixed)
    assert keys(diff.not_checked_now) == [("TLS-000", "lab-dc/db")]


def test_the_summary_says_it_in_words_in_both_languages() -> None:
    said = summary(diff_runs(OLD, NEW))
    assert Renderer("en")(said) == (
        f"Since run {OLD.id}: 61 problems fixed, 1 target not examined before was checked this time, "
        "1 target could not be examined this time, 3 still failing."
    )
    assert Renderer("vi")(said) == (
        f"So với lần kiểm tra {OLD.id}: đã khắc phục 61 vấn đề, 1 đối tượng lần trước không kiểm tra được "
        "nay đã được kiểm tra, 1 đối tượng lần này không kiểm tra được, 3 vấn đề vẫn còn."
    )
    assert Renderer("en")(summary(diff_runs(NEW, NEW))) == f"Since run {NEW.id}: 3 still failing."


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "220")
    with HistoryStore(database_url(None, tmp_path)) as store:
        store.save(OLD, {SITE: 40.0})
        store.save(NEW, {SITE: 80.0})
    return tmp_path


def test_the_diff_command_leads_with_the_summary(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--state-dir", str(history), "--lang", "vi"]) == 0
    output = capsys.readouterr().out
    assert output.splitlines()[0].startswith(f"So với lần kiểm tra {OLD.id}: đã khắc phục 61 vấn đề")
    words = " ".join(output.split())  # a table title may wrap
    assert "Đã khắc phục (nay Đạt): 28 (54 mục)" in words
    assert "Lần trước không kiểm tra được, nay đã kiểm tra (không tính là đã khắc phục): 1" in words


def test_the_diff_json_carries_items_and_the_sentence(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", "--state-dir", str(history), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["fixed_items"] == 61 and document["summary"].startswith("Since run")
    assert document["fixed"][0]["fixed_items"] == 27 and document["fixed"][0]["before"]["items"] == 27
    assert [c["target"] for c in document["now_checked"]] == ["lab-dc/portal"]
