"""Importing a list from the spreadsheet an office already keeps, into the list's draft version.

The file is the whole list: rows matching an item of the draft (by code, or by name under the
same parent) update it, new rows add items, and items the file no longer has are cancelled.
Rows are read one at a time and written in batches inside one transaction, so a 100,000-row
file needs bounded memory, and any bad row rolls everything back: all rows or none.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jianfu.catalog.codes import code_problem, parse_legal_basis, parse_power_type
from jianfu.catalog.models import (
    ITEM_FIELDS,
    CatalogList,
    ChangeType,
    Item,
    ItemChange,
    ListKind,
    ListVersion,
    VersionStatus,
)
from jianfu.core.audit import audit_record
from jianfu.core.bulk import insert_rows
from jianfu.core.errors import Conflict
from jianfu.core.permissions import require
from jianfu.core.tables import Row, open_table
from jianfu.org.models import User

Progress = Callable[[int, int], None]
BATCH = 2000
PREVIEW_LIMIT = 50

# The usual Chinese headers first (the first one is the one exports write), then English.
LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "seq", "编号"),
    "name": ("事项名称", "name", "名称", "主项名称", "主项", "事项"),
    "sub_name": ("子项名称", "sub_name", "子项"),
    "code": ("事项编码", "code", "编码", "实施编码", "事项代码"),
    "parent_code": ("上级事项编码", "parent_code", "上级编码", "主项编码"),
    "power_type": ("事项类型", "power_type", "权力类型", "类型"),
    "legal_basis": ("设定依据", "legal_basis", "实施依据", "法律依据", "依据"),
    "department": ("责任部门", "department", "实施主体", "主管部门", "责任单位", "实施机关"),
    "category": ("类别", "category", "事项类别", "分类"),
    "remarks": ("备注", "remarks", "说明"),
}
FIELD_LABELS = {field: names[0] for field, names in LIST_COLUMNS.items()}
FIELD_CHOICES = [(field, label) for field, label in FIELD_LABELS.items() if field != "seq"]


@dataclass
class ListImportReport:
    dry_run: bool
    errors: list[dict] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    headers: dict[str, str | None] = field(default_factory=dict)
    unknown_headers: list[str] = field(default_factory=list)
    preview: dict[str, list] = field(
        default_factory=lambda: {"added": [], "modified": [], "removed": []}
    )

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "errors": self.errors,
            "created": self.created,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "headers": self.headers,
            "unknown_headers": self.unknown_headers,
            "preview": self.preview,
        }

    def _note(self, kind: str, entry: Any) -> None:
        if len(self.preview[kind]) < PREVIEW_LIMIT:
            self.preview[kind].append(entry)


@dataclass
class _Existing:
    pk: int
    key: uuid.UUID
    values: dict[str, Any]


class _Batches:
    """Items and change records waiting to be written, flushed every BATCH rows."""

    def __init__(self, version: ListVersion, actor: User | None, reason: str):
        self.version, self.actor, self.reason = version, actor, reason
        self.new: list[dict] = []
        self.changed: list[Item] = []
        self.records: list[dict] = []

    def add(self, key, values: dict) -> None:
        self.new.append({"version_id": self.version.pk, "key": key, **values})

    def record(self, change_type: str, key, values: dict, fields: dict | None = None) -> None:
        self.records.append(
            {
                "version_id": self.version.pk,
                "change_type": change_type,
                "item_key": key,
                "item_name": values["name"],
                "department": values.get("department", ""),
                "fields": fields or {},
                "reason": self.reason,
                "actor_id": self.actor.pk if self.actor else None,
            }
        )

    def flush(self, *, final: bool = False) -> None:
        if final or len(self.new) + len(self.changed) >= BATCH:
            insert_rows(Item, self.new)
            if self.changed:
                Item.objects.bulk_update(self.changed, fields=list(ITEM_FIELDS), batch_size=500)
            insert_rows(ItemChange, self.records)
            self.new, self.changed, self.records = [], [], []


def _row_values(
    row: Row, catalog_list: CatalogList, label: Callable[[str], str]
) -> tuple[dict[str, Any], list[str]]:
    """The item a row describes, and every problem with it, each naming the column."""
    cells = row.values
    problems = []
    sub_name = cells.get("sub_name", "")
    name = sub_name or cells.get("name", "")
    if not name:
        problems.append(_("%(column)s：不能为空。") % {"column": label("name")})
    elif len(name) > 300:
        problems.append(_("%(column)s：不能超过 300 个字。") % {"column": label("name")})
    code = cells.get("code", "")
    if problem := code_problem(code, local_pattern=catalog_list.code_pattern):
        problems.append(f"{label('code')}：{problem}")
    power_type = ""
    if cells.get("power_type"):
        power_type = parse_power_type(cells["power_type"]) or ""
        if not power_type:
            problems.append(
                _("%(column)s：无法识别“%(value)s”（可填 01–10、20 或其名称，如 行政许可）。")
                % {"column": label("power_type"), "value": cells["power_type"]}
            )
    elif catalog_list.kind == ListKind.POWER:
        problems.append(
            _("%(column)s：权力清单的事项须填写事项类型。") % {"column": label("power_type")}
        )
    basis = parse_legal_basis(cells.get("legal_basis", ""))
    department = cells.get("department", "")
    if len(basis.law) >= 200 or len(department) > 100:
        problems.append(_("设定依据中的法规名称或责任部门过长。"))
    values = {
        "code": code,
        "name": name,
        "category": cells.get("category", "")[:40],
        "power_type": power_type,
        "legal_law": basis.law,
        "legal_article": basis.article,
        "legal_text": basis.text,
        "department": department,
        "remarks": cells.get("remarks", ""),
    }
    return values, problems


def list_import(
    *,
    actor: User | None,
    catalog_list: CatalogList,
    data: bytes,
    filename: str,
    dry_run: bool,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ListImportReport:
    """Import a spreadsheet into the list's draft: every bad row reported, or the whole file applied.

    With `dry_run` the same work is done and then rolled back, so the preview is exact.
    """
    require(actor, "catalog.edit_list", catalog_list)
    table = open_table(
        data, filename, columns=LIST_COLUMNS, required=("name",), mapping=mapping or {}
    )
    report = ListImportReport(dry_run=dry_run)
    by_index = {index: f for f, index in table.positions.items()}
    report.headers = {h: by_index.get(i) for i, h in enumerate(table.headers) if h}
    report.unknown_headers = table.unknown_headers

    def label(name: str) -> str:
        index = table.positions.get(name)
        return table.headers[index] if index is not None else FIELD_LABELS[name]

    with transaction.atomic():
        version = (
            ListVersion.objects.select_for_update()
            .filter(list=catalog_list, status=VersionStatus.DRAFT)
            .first()
        )
        if version is None:
            raise Conflict(_("该清单没有草稿版本，请先新建版本再导入。"), code="no_draft")
        _apply_rows(table, catalog_list, version, actor, filename, label, report, progress)
        if report.ok and not dry_run:
            audit_record(
                actor=actor,
                action="catalog.list_import",
                target=version,
                changes={
                    "file": filename,
                    "created": report.created,
                    "updated": report.updated,
                    "removed": report.removed,
                },
            )
        else:
            # A dry run, or a file with bad rows, leaves the database exactly as it was.
            transaction.set_rollback(True)
    return report


def _apply_rows(table, catalog_list, version, actor, filename, label, report, progress) -> None:
    existing: dict[int, _Existing] = {}
    by_code: dict[str, int] = {}
    by_path: dict[tuple, int] = {}
    names_by_key: dict[uuid.UUID, str] = {}
    rows = version.items.values("id", "key", *ITEM_FIELDS).order_by("position", "id")
    parents: dict[int, uuid.UUID | None] = {}
    for row in rows.iterator(chunk_size=5000):
        pk = row.pop("id")
        key = row.pop("key")
        existing[pk] = _Existing(pk=pk, key=key, values=row)
        names_by_key[key] = row["name"]
        parents[pk] = row["parent_key"]
        if row["code"]:
            by_code[row["code"]] = pk
    for pk, item in existing.items():
        parent = parents[pk]
        by_path[(names_by_key.get(parent, "") if parent else "", item.values["name"])] = pk

    batches = _Batches(version, actor, _("导入 %(file)s") % {"file": filename})
    seen: set[int] = set()
    file_codes: dict[str, int] = {}
    file_paths: dict[tuple, int] = {}
    key_by_code: dict[str, uuid.UUID] = {}
    key_by_name: dict[str, uuid.UUID] = {}
    file_names: dict[uuid.UUID, str] = {}
    last_main: tuple[str, uuid.UUID] | None = None
    position = 0
    total = table.estimated_rows
    for row in table.rows:
        values, problems = _row_values(row, catalog_list, label)
        parent_key, parent_name = None, ""
        cells = row.values
        if cells.get("parent_code"):
            parent_key = key_by_code.get(cells["parent_code"])
            parent_name = file_names.get(parent_key, "")
            if parent_key is None:
                problems.append(
                    _("%(column)s：上级事项 %(code)s 须在本行之前出现。")
                    % {"column": label("parent_code"), "code": cells["parent_code"]}
                )
        elif cells.get("sub_name"):
            main = cells.get("name", "")
            # Spreadsheets often merge the main item's cell over its sub-items, which leaves
            # the cell empty in every row but the first.
            if main:
                parent_key, parent_name = key_by_name.get(main), main
            elif last_main is not None:
                parent_name, parent_key = last_main
            if parent_key is None:
                problems.append(
                    _("%(column)s：子项所属的事项“%(name)s”须在本行之前出现。")
                    % {"column": label("name"), "name": main}
                )
        path = (parent_name, values["name"])
        code = values["code"]
        if code and code in file_codes:
            problems.append(
                _("%(column)s：%(code)s 与第 %(row)d 行重复。")
                % {"column": label("code"), "code": code, "row": file_codes[code]}
            )
        elif not code and path in file_paths:
            problems.append(
                _("%(column)s：“%(name)s”与第 %(row)d 行重复。")
                % {"column": label("name"), "name": values["name"], "row": file_paths[path]}
            )
        if problems:
            report.errors.append({"row": row.number, "problems": problems})
            continue
        if code:
            file_codes[code] = row.number
        file_paths.setdefault(path, row.number)
        position += 1
        values["position"] = position
        values["parent_key"] = parent_key
        match = by_code.get(code) if code else None
        if match is None:
            match = by_path.get(path)
            if match is not None and match in seen:
                match = None
        key = existing[match].key if match is not None else uuid.uuid4()
        # A sub-item names its parent by name: the first item of that name in the file.
        key_by_name.setdefault(values["name"], key)
        if parent_key is None:
            last_main = (values["name"], key)
        if code:
            key_by_code[code] = key
        file_names[key] = values["name"]
        if report.errors:
            # Once a row is bad nothing will be written; the rest is only checked.
            continue
        if match is None:
            batches.add(key, values)
            batches.record(ChangeType.ADD, key, values)
            report.created += 1
            report._note("added", values["name"])
        else:
            seen.add(match)
            old = existing[match].values
            changed = {
                name: {"before": _plain(old.get(name)), "after": _plain(values[name])}
                for name in ITEM_FIELDS
                if old.get(name) != values[name]
            }
            if changed:
                batches.changed.append(Item(pk=match, version=version, key=key, **values))
            # A row that only moved up or down the file takes its new place silently.
            if set(changed) - {"position"}:
                batches.record(ChangeType.EDIT, key, values, changed)
                report.updated += 1
                report._note("modified", {"name": values["name"], "fields": sorted(changed)})
            else:
                report.unchanged += 1
        batches.flush()
        if progress and position % 1000 == 0:
            progress(position, max(total, position))
    if not report.errors and position == 0:
        report.errors.append({"row": 1, "problems": [_("文件中没有数据行。")]})
    if report.errors:
        # Nothing is written, so nothing is reported as created or changed either.
        report.created = report.updated = report.removed = report.unchanged = 0
        report.preview = {"added": [], "modified": [], "removed": []}
        return
    gone = [item for pk, item in existing.items() if pk not in seen]
    for item in gone:
        batches.record(ChangeType.CANCEL, item.key, item.values)
        report.removed += 1
        report._note("removed", item.values["name"])
    batches.flush(final=True)
    gone_pks = [item.pk for item in gone]
    for start in range(0, len(gone_pks), BATCH):
        Item.objects.filter(pk__in=gone_pks[start : start + BATCH]).delete()
    if progress:
        progress(position, position)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value
