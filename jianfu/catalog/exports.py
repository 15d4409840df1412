"""Any version of a list as XLSX, CSV or JSON, in the layout its import reads back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from jianfu.catalog.codes import format_legal_basis
from jianfu.catalog.models import ITEM_FIELDS, CatalogList, ListVersion
from jianfu.core.xlsx import text_row

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
# (header, column width) in the order offices lay their lists out; the import reads these.
COLUMNS = [
    ("序号", 6),
    ("事项编码", 24),
    ("事项名称", 40),
    ("子项名称", 30),
    ("上级事项编码", 18),
    ("事项类型", 12),
    ("类别", 10),
    ("设定依据", 60),
    ("责任部门", 18),
    ("备注", 24),
]
# Exports are Chinese whatever language the person downloading reads the site in.
POWER_TYPE_NAMES = {
    "01": "行政许可",
    "02": "行政处罚",
    "03": "行政强制",
    "04": "行政征收",
    "05": "行政给付",
    "06": "行政检查",
    "07": "行政确认",
    "08": "行政奖励",
    "09": "行政裁决",
    "10": "其他行政权力",
    "20": "公共服务",
}


def export_filename(version: ListVersion, fmt: str) -> str:
    return f"{version.list.code}-{version.label}.{fmt}"


def _items(version: ListVersion) -> Iterator[dict]:
    rows = version.items.order_by("position", "id").values("key", *ITEM_FIELDS)
    yield from rows.iterator(chunk_size=5000)


def _table_rows(version: ListVersion) -> Iterator[list]:
    """One row per item: a sub-item names its parent in 事项名称 and itself in 子项名称."""
    names, codes = {}, {}
    for number, item in enumerate(_items(version), start=1):
        names[item["key"]] = item["name"]
        codes[item["key"]] = item["code"]
        parent = item["parent_key"]
        yield [
            number,
            item["code"],
            names.get(parent, "") if parent else item["name"],
            item["name"] if parent else "",
            codes.get(parent, "") if parent else "",
            POWER_TYPE_NAMES.get(item["power_type"], ""),
            item["category"],
            format_legal_basis(item["legal_law"], item["legal_article"], item["legal_text"]),
            item["department"],
            item["remarks"],
        ]


def write_xlsx(version: ListVersion, target: io.BufferedIOBase | Path) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=version.label[:31] or "list")
    sheet.freeze_panes = "A2"
    for index, (_title, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    header = []
    for title, _width in COLUMNS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in _table_rows(version):
        # Names and legal texts are people's words: written as text, never as formulas.
        sheet.append(text_row(sheet, row))
    workbook.save(target)


def write_csv(version: ListVersion, target: io.TextIOBase) -> None:
    # Excel and WPS read Chinese CSV correctly only with the byte-order mark (utf-8-sig).
    writer = csv.writer(target)
    writer.writerow([title for title, _width in COLUMNS])
    writer.writerows(_table_rows(version))


def version_document(version: ListVersion) -> dict:
    """The machine-readable form of a version: the list, the version and every item."""
    catalog_list: CatalogList = version.list
    return {
        "list": {
            "id": catalog_list.pk,
            "code": catalog_list.code,
            "name": catalog_list.name,
            "kind": catalog_list.kind,
            "level": catalog_list.level,
            "region": catalog_list.region_id,
        },
        "version": {
            "id": version.pk,
            "label": version.label,
            "status": version.status,
            "document_number": version.document_number,
            "valid_from": version.valid_from.isoformat() if version.valid_from else None,
            "valid_until": version.valid_until.isoformat() if version.valid_until else None,
        },
        "items": [
            {**item, "key": str(item["key"]), "parent_key": _str_or_none(item["parent_key"])}
            for item in _items(version)
        ],
    }


def _str_or_none(value) -> str | None:
    return str(value) if value else None


def write_json(version: ListVersion, target: io.TextIOBase) -> None:
    json.dump(version_document(version), target, ensure_ascii=False, indent=1)


def export_bytes(version: ListVersion, fmt: str) -> bytes:
    """The whole export in memory (for a download); the dump command writes to files instead."""
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(version, buffer)
        return buffer.getvalue()
    text = io.StringIO()
    if fmt == "csv":
        write_csv(version, text)
        return text.getvalue().encode("utf-8-sig")
    if fmt == "json":
        write_json(version, text)
        return text.getvalue().encode("utf-8")
    raise ValueError(_("不支持的导出格式：%(format)s") % {"format": fmt})


def export_to_file(version: ListVersion, fmt: str, path: Path) -> None:
    if fmt == "xlsx":
        write_xlsx(version, path)
        return
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    with path.open("w", encoding=encoding, newline="") as handle:
        (write_csv if fmt == "csv" else write_json)(version, handle)
