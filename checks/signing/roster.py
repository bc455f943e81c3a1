"""The staff roster CSV a province supplies, and how its rows are matched to certificates.

Columns (header row, any order, case-insensitive; Vietnamese names accepted):
official_id (ma_can_bo), name (ho_ten), unit (don_vi), position (chuc_vu), status (trang_thai),
and optionally cert_serials (so_serial): certificate serial numbers in hex, separated by ';' or
spaces. Comma or semicolon delimited, UTF-8 (a BOM from Excel is fine).

A certificate belongs to a row when its serial is listed in the row, or else when the identifier
in its subject (UID or serialNumber, e.g. "CCCD:001085012345") equals the row's official_id after
both are reduced by `official_key` (text after the last ':', spaces removed, upper case).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from p06audit.checks.signing.policy import RosterStatuses, fold
from p06audit.text import Message, english, say

MAX_ROSTER_BYTES = 64 * 1024 * 1024
COLUMNS = {  # canonical column → header spellings, in the order _row unpacks them
    "official_id": ("official_id", "ma_can_bo", "mã cán bộ"),
    "name": ("name", "ho_ten", "họ tên"),
    "unit": ("unit", "don_vi", "đơn vị"),
    "position": ("position", "chuc_vu", "chức vụ"),
    "status": ("status", "trang_thai", "trạng thái"),
    "cert_serials": ("cert_serials", "so_serial", "số serial"),
}
REQUIRED = ("official_id", "name", "unit", "position", "status")
SERIAL_SPLIT = re.compile(r"[;\s|]+")
NO_ID = say("signing.row_no_id")


class RosterError(ValueError):
    """The roster file as a whole cannot be used (missing, unreadable, wrong columns); `message`
    says why, and the root-cause finding shows it."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.key)
        self.message = message

    def __str__(self) -> str:
        return english(self.message)


@dataclass(frozen=True)
class RosterRow:
    row: int  # line number in the file (the header is line 1)
    official_id: str
    name: str
    unit: str
    position: str
    status: str
    status_text: str
    serials: tuple[str, ...]
    problem: Message | None


def official_key(text: str) -> str:
    """'CCCD: 001085012345' and '001085012345' both become '001085012345'."""
    return "".join(text.rsplit(":", 1)[-1].split()).upper()


def serial_key(text: str) -> str:
    """'00:ab:12' and 'AB12' both become 'AB12' (what CertFacts.serial holds)."""
    cleaned = re.sub(r"[\s:]", "", text).upper().lstrip("0")
    return cleaned or "0"


def read_roster(path: Path, statuses: RosterStatuses) -> list[RosterRow]:
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise RosterError(say("signing.roster_too_large", file=str(path), limit=MAX_ROSTER_BYTES))
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise RosterError(
            say("signing.roster_unreadable", file=str(path), error=exc.strerror or str(exc))
        ) from None
    except UnicodeDecodeError:
        raise RosterError(say("signing.roster_not_utf8", file=str(path))) from None
    return parse_roster(text, statuses, str(path))


def parse_roster(text: str, statuses: RosterStatuses, name: str) -> list[RosterRow]:
    lines = text.splitlines()
    if not lines:
        raise RosterError(say("signing.roster_empty", file=name))
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().casefold() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise RosterError(say("signing.roster_no_header", file=name, error=str(exc))) from None
    where = _columns(header, name)
    positions = tuple(where.get(column) for column in COLUMNS)
    statuses_by_word = statuses.by_word()
    rows = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            rows.append(_row(reader.line_num, cells, positions, statuses_by_word))
    except csv.Error as exc:
        raise RosterError(
            say("signing.roster_bad_line", file=name, line=reader.line_num, error=str(exc))
        ) from None
    return rows


def _columns(header: list[str], name: str) -> dict[str, int]:
    where = {}
    for column, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in header:
                where[column] = header.index(alias)
                break
    missing = [c for c in REQUIRED if c not in where]
    if missing:
        raise RosterError(say("signing.roster_missing_columns", file=name, missing=missing, header=header))
    return where


def _row(
    line: int, cells: list[str], positions: tuple[int | None, ...], statuses: dict[str, str]
) -> RosterRow:
    present = len(cells)
    official_id, name, unit, position, status_text, serial_text = (
        cells[i].strip() if i is not None and i < present else "" for i in positions
    )
    status = statuses.get(fold(status_text), "")
    problems: list[Message] = []
    if not official_key(official_id):
        problems.append(NO_ID)
    if not status:
        problems.append(say("signing.row_unknown_status", status=status_text))
    serials = tuple(serial_key(s) for s in SERIAL_SPLIT.split(serial_text) if s)
    return RosterRow(
        row=line,
        official_id=official_id,
        name=name,
        unit=unit,
        position=position,
        status=status,
        status_text=status_text,
        serials=serials,
        problem=_problem(problems),
    )


def _problem(problems: list[Message]) -> Message | None:
    if len(problems) > 1:
        return say("signing.several", items=problems)
    return problems[0] if problems else None
