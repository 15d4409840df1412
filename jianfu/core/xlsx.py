"""Writing spreadsheets people open in Excel or WPS: text that never runs as a formula."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# What makes a spreadsheet read a cell as a formula (a tab or a return before it, too).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet: WriteOnlyWorksheet, value: str, bold: bool = False) -> WriteOnlyCell:
    """A string as text that a spreadsheet shows and never runs (formula injection): openpyxl
    would write one starting with "=" as a formula, and Excel or WPS make one starting with
    = + - @ a formula once someone edits the cell, unless it carries the quote prefix."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def text_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> list:
    """A row whose strings are written as text (see `text_cell`); other cells as they are."""
    return [text_cell(sheet, v) if isinstance(v, str) and v else v for v in values]


def titled_sheet_start(
    sheet: WriteOnlyWorksheet, title: str, columns: Sequence[tuple[str, int]]
) -> None:
    """A report's first two rows: its title, then the column headers (frozen), with the columns'
    widths; `columns` is (header, width) pairs."""
    sheet.freeze_panes = "A3"
    for index, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    heading = text_cell(sheet, title)
    heading.font = Font(bold=True, size=14)
    sheet.append([heading])
    fill = PatternFill("solid", fgColor="F0F3F7")
    header = []
    for name, _width in columns:
        cell = text_cell(sheet, name, bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
