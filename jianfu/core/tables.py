"""Reading the spreadsheets offices already keep (XLSX or CSV) as rows of named cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from jianfu.core.errors import InvalidInput


@dataclass(frozen=True)
class Row:
    number: int  # the row number the user sees in their spreadsheet, header = 1
    values: dict[str, str]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A code typed into Excel as a number comes back as 511002000000.0.
        value = int(value)
    return str(value).strip()


def _decode_csv(data: bytes) -> str:
    # Excel and WPS save Chinese CSV as UTF-8 with a BOM or as GB18030 (a superset of GBK).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_("无法识别文件编码，请另存为 UTF-8 的 CSV 或 XLSX 文件。"))


def _raw_rows(data: bytes, filename: str) -> tuple[int, Iterator[list[str]]]:
    """An estimate of the number of lines (for progress bars) and the lines themselves."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        # calamine (Rust) reads a worksheet row by row about seven times faster than
        # openpyxl's read-only mode, which matters for a 100,000-row list.
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheet = workbook.get_sheet_by_index(0)
        except Exception as exc:
            raise InvalidInput(_("无法读取该 XLSX 文件，请确认文件未损坏。")) from exc

        def xlsx_lines() -> Iterator[list[str]]:
            for cells in sheet.iter_rows():
                yield [_cell_text(c) for c in cells]

        return sheet.total_height or sheet.height, xlsx_lines()
    if name.endswith(".csv"):
        text = _decode_csv(data)
        lines = ([c.strip() for c in cells] for cells in csv.reader(io.StringIO(text)))
        return text.count("\n"), lines
    raise InvalidInput(_("仅支持 XLSX 或 CSV 文件。"))


@dataclass
class Table:
    """A spreadsheet being read: which header went to which field, and its rows, one at a time."""

    headers: list[str]
    positions: dict[str, int]  # field → column index
    rows: Iterator[Row]
    estimated_rows: int

    @property
    def unknown_headers(self) -> list[str]:
        used = set(self.positions.values())
        return [h for i, h in enumerate(self.headers) if h and i not in used]


def open_table(
    data: bytes,
    filename: str,
    *,
    columns: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    mapping: dict[str, str] | None = None,
) -> Table:
    """Rows keyed by field name, read lazily so a large file is never held as Python objects.

    `columns` maps each field to the headers accepted for it; `mapping` maps a header the user
    named in the mapping step to a field, and wins over the usual headers.
    """
    estimated_rows, raw = _raw_rows(data, filename)
    aliases = {alias.strip().lower(): field for field, names in columns.items() for alias in names}
    chosen = {title.strip().lower(): field for title, field in (mapping or {}).items() if field}

    def fields_of(line: list[str]) -> dict[str, int]:
        positions: dict[str, int] = {}
        for index, title in enumerate(line):
            key = title.strip().lower()
            field = chosen.get(key) or aliases.get(key)
            if field and field not in positions:
                positions[field] = index
        return positions

    # Offices often put a title (and a blank line) above the header: the header is the first
    # of the top lines that names every required column, else the first non-empty line.
    numbered = enumerate(raw, start=1)
    seen: list[list[str]] = []
    header: list[str] | None = None
    for _number, cells in numbered:
        if not any(cells):
            continue
        seen.append(cells)
        if all(f in fields_of(cells) for f in required):
            header = cells
            break
        if len(seen) == 10:
            break
    if header is None:
        if not seen:
            raise InvalidInput(_("文件是空的。"))
        header = seen[0]
    positions = fields_of(header)
    missing = [columns[f][0] + "/" + columns[f][1] for f in required if f not in positions]
    if missing:
        raise InvalidInput(
            _("缺少必需的列：%(columns)s。") % {"columns": "、".join(missing)},
            details={"missing_columns": missing, "headers": header},
        )

    def rows() -> Iterator[Row]:
        for number, cells in numbered:
            if not any(cells):
                continue
            yield Row(
                number,
                {f: cells[i] if i < len(cells) else "" for f, i in positions.items()},
            )

    return Table(
        headers=header, positions=positions, rows=rows(), estimated_rows=max(estimated_rows - 1, 0)
    )


def read_table(
    data: bytes, filename: str, *, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> list[Row]:
    """Every row of a small table at once (regions, units)."""
    return list(open_table(data, filename, columns=columns, required=required).rows)
