"""The roster CSV: documented columns (English or Vietnamese names, comma or semicolon, Excel's
BOM), status vocabulary, serial normalisation, and clear errors for a file that cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest

from p06audit.checks.signing.policy import load_policy
from p06audit.checks.signing.roster import RosterError, official_key, parse_roster, read_roster, serial_key
from p06audit.text import english

STATUSES = load_policy().roster_statuses


def test_columns_in_any_order_with_serials() -> None:
    text = (
        "status,official_id,name,unit,position,cert_serials\n"
        "active,CB01,An,Sở Tư pháp,Chuyên viên,0a:1b:2c; 00FF\n"
        "\n"
        "Nghỉ hưu,CB02,Bình,Sở Y tế,Giám đốc,\n"
    )
    first, second = parse_roster(text, STATUSES, "r.csv")
    assert (first.row, first.official_id, first.status, first.serials, first.problem) == (
        2,
        "CB01",
        "active",
        ("A1B2C", "FF"),
        None,
    )
    assert (second.row, second.status, second.status_text, second.serials) == (4, "retired", "Nghỉ hưu", ())


def test_vietnamese_headers_semicolons_and_excel_bom(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(
        "ma_can_bo;ho_ten;don_vi;chuc_vu;trang_thai\nCB03;Cường;Sở Nội vụ;Chuyên viên;đang công tác\n".encode(
            "utf-8-sig"
        )
    )
    [row] = read_roster(path, STATUSES)
    assert (row.official_id, row.name, row.unit, row.status) == ("CB03", "Cường", "Sở Nội vụ", "active")


def test_rows_that_cannot_be_judged_say_why() -> None:
    text = "official_id,name,unit,position,status\n,Nobody,X,Y,active\nCB09,Someone,X,Y,on leave\n"
    empty_id, unknown = parse_roster(text, STATUSES, "r.csv")
    assert empty_id.problem is not None and english(empty_id.problem) == "official_id is empty"
    assert unknown.status == "" and unknown.problem is not None and "on leave" in english(unknown.problem)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"official_id,name\nCB01,An\n", "lacks the column(s) unit, position, status"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"", "empty"),
    ],
)
def test_an_unusable_roster_file_is_an_error_naming_it(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(content)
    with pytest.raises(RosterError) as raised:
        read_roster(path, STATUSES)
    assert says in str(raised.value) and "staff.csv" in str(raised.value)


def test_missing_roster_file() -> None:
    with pytest.raises(RosterError, match="cannot read roster"):
        read_roster(Path("/nonexistent/roster.csv"), STATUSES)


def test_identifiers_and_serials_normalise_like_certificates_do() -> None:
    assert official_key("CCCD: 001085 000001") == official_key("001085000001") == "001085000001"
    assert official_key("mst:0101") == "0101"
    assert serial_key("00:ab:12") == serial_key("AB12") == "AB12"
    assert serial_key("0") == "0"
