"""`p06audit certs`: the standalone command runs the same collector and checks on files and
folders, prints the problems and writes the expiry list sorted by days left."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from p06audit.checks.signing.lab_pki import GovernmentPki, Official
from p06audit.cli import main
from tests.signing.conftest import SigningLab

COLUMNS = ["holder", "unit", "issuer", "serial", "not_after", "days_left", "status"]


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "expiry.csv").open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_lab_certificates_give_the_expiry_list_and_the_exit_code(
    signing_lab: SigningLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "certs",
            str(signing_lab.sources),
            "--roster", str(signing_lab.roster),
            "--trust-anchors", str(signing_lab.trust_anchors),
            "--crl", str(signing_lab.crl_file),
            "--out", str(tmp_path),
            "--timeout", "2",
            "--lang", "en",
        ]
    )  # fmt: skip
    assert code == 1  # critical and high FAILs exist
    rows = _rows(tmp_path)
    days = [int(r["days_left"]) for r in rows]
    assert days == sorted(days) and len(rows) == 29
    by_holder = {r["holder"]: r["status"] for r in rows}
    assert by_holder["Trần Thị Bình"] == "expired"
    assert by_holder["Lê Văn Cường"] == "expiring"
    assert by_holder["Vũ Thị Giang"] == "not yet valid"
    assert by_holder["Lý Văn Oanh"] == "revoked"
    assert by_holder["Nguyễn Văn An"] == "valid"
    printed = capsys.readouterr().out
    assert "SIGN-010" in printed and "29 certificates" in printed


def test_warn_days_and_fail_on_change_the_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki = GovernmentPki(datetime.now(UTC))
    official = Official("CB1", '=HYPERLINK("x")', "Sở A", "Chuyên viên")
    cert = pki.issue(official, start=timedelta(days=-700), crl_urls=(), ocsp_urls=())  # nothing to fetch
    (tmp_path / "one.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out = tmp_path / "out"
    args = ["certs", str(tmp_path / "one.pem"), "--out", str(out), "--timeout", "1", "--fail-on", "critical"]
    assert main(args) == 0  # 29 days left is a WARN; no revocation pointers is a medium FAIL
    assert _rows(out)[0]["status"] == "expiring"
    assert _rows(out)[0]["holder"].startswith("'=")  # a spreadsheet must not run a certificate's name
    main([*args, "--warn-days", "14,7"])
    assert _rows(out)[0]["status"] == "valid"
    assert "1 chứng thư: 0 đã hết hạn" in capsys.readouterr().out  # the console speaks the report language


def test_report_with_the_expiry_section(signing_lab: SigningLab, tmp_path: Path) -> None:
    main(
        [
            "certs", str(signing_lab.sources), "--trust-anchors", str(signing_lab.trust_anchors),
            "--crl", str(signing_lab.crl_file), "--out", str(tmp_path), "--report", "--lang", "en",
        ]
    )  # fmt: skip
    [html] = list(tmp_path.glob("*/report.html"))
    text = html.read_text(encoding="utf-8")
    assert "<svg" in text and "Trần Thị Bình" in text


def test_bad_options_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["certs", str(tmp_path), "--warn-days", "0,x"])
    assert main(["certs", str(tmp_path), "--timeout", "0", "--out", str(tmp_path)]) == 2
    assert "timeout" in capsys.readouterr().err
