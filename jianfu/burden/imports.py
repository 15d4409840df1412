"""Importing a community survey (社区负担调查): the signboards, ledger books, campaigns and
information systems each community was found to carry, and the baseline figures it measured.

The workbook has one sheet per inventory (挂牌, 台账, 创建评比, 信息系统) and optionally a 基线
sheet with one row per community. A survey is often taken after some clean-up has begun, so a
row may say how and when it was cleaned up (摘除, 合并, 停用, 转电子台账); a merged or digitised
row names, in 并入, the row of the same sheet and community it went into.

All rows or none: every row is checked first and every bad row is reported with its sheet, its
row number and the reason; only a workbook without any is written, in one transaction. The
preview (a dry run) does all the checking and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from jianfu.burden.index import baselines_of
from jianfu.burden.models import (
    BurdenSettings,
    EntryKind,
    EntryStatus,
    InventoryEntry,
    LedgerMedium,
)
from jianfu.burden.services import (
    BASIS_KINDS,
    burden_baseline_record,
    entries_create_many,
    entry_build,
)
from jianfu.catalog.models import Item, ListKind, VersionStatus
from jianfu.core.audit import audit_record
from jianfu.core.errors import DomainError, Forbidden, InvalidInput
from jianfu.core.jobs import KEPT_PAYLOAD_LIFETIME, job_start
from jianfu.core.models import BackgroundJob, JobStatus
from jianfu.core.xlsx import FORMULA_STARTS
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.org.selectors import ancestor_codes

Progress = Callable[[int, int], None]
JOB_KIND = "burden_import"
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
HEADER_SEARCH = 10

# The sheet names and column headers are the survey's file format, the same in every language
# (an English header is accepted beside the Chinese one).
SHEET_KINDS = {
    "挂牌": EntryKind.SIGNBOARD,
    "台账": EntryKind.LEDGER,
    "创建评比": EntryKind.CAMPAIGN,
    "信息系统": EntryKind.SYSTEM,
}
KIND_SHEETS = {kind: sheet for sheet, kind in SHEET_KINDS.items()}
BASELINE_SHEET = "基线"
# Sheets the template adds for the person filling it in; an import passes over them.
HELP_SHEETS = ("说明", "社区名单", "依据清单事项")
# The template's example rows start their name with this and are never imported.
EXAMPLE_MARK = "【示例】"

ENTRY_COLUMNS: dict[str, tuple[str, ...]] = {
    "community": ("社区代码", "community", "社区", "社区名称"),
    "name": ("名称", "name"),
    "department": ("主管部门", "department"),
    "admission": ("准入编号", "admission_number", "admission"),
    "basis": ("依据清单事项", "basis_item", "依据事项"),
    "quantity": ("数量", "quantity", "本数"),
    "medium": ("形式", "medium", "台账形式"),
    "year": ("年度", "year", "台账年度"),
    "veto": ("一票否决", "one_vote_veto"),
    "since": ("设立日期", "since"),
    "notes": ("备注", "notes"),
    "status": ("清理方式", "status"),
    "ended_on": ("清理日期", "ended_on"),
    "reason": ("清理说明", "end_reason", "reason"),
    "successor": ("并入", "successor", "并入（转为）"),
}
# The columns the template writes on each inventory's sheet, in order.
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    EntryKind.SIGNBOARD: ("community", "name", "department", "admission", "basis", "since"),
    EntryKind.LEDGER: (
        "community",
        "name",
        "department",
        "admission",
        "basis",
        "quantity",
        "medium",
        "year",
        "since",
    ),
    EntryKind.CAMPAIGN: (
        "community",
        "name",
        "department",
        "admission",
        "basis",
        "veto",
        "since",
    ),
    EntryKind.SYSTEM: ("community", "name", "department", "admission", "basis", "since"),
}
CLEANUP_COLUMNS = ("status", "ended_on", "reason", "successor", "notes")

# 基线: the figures of BurdenSnapshot a survey measures, by their Chinese headers.
BASELINE_FIGURES: dict[str, tuple[str, ...]] = {
    "tasks": ("工作事项", "tasks"),
    "duties": ("依法履职事项", "duties"),
    "admitted": ("准入协助事项", "admitted"),
    "hours": ("年负担小时", "hours"),
    "signboards": ("挂牌", "signboards"),
    "ledger_books": ("纸质台账本数", "ledger_books"),
    "electronic_ledgers": ("电子台账", "electronic_ledgers"),
    "campaigns": ("创建评比", "campaigns"),
    "one_vote_veto": ("一票否决", "one_vote_veto"),
    "systems": ("信息系统", "systems"),
    "unadmitted": ("未经准入", "unadmitted"),
    "workers": ("社区工作者", "workers"),
}
BASELINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "community": ENTRY_COLUMNS["community"],
    "taken_on": ("统计日期", "taken_on"),
    "label": ("名称", "label"),
    **BASELINE_FIGURES,
}

MEDIUMS = {
    "纸质": LedgerMedium.PAPER,
    "纸": LedgerMedium.PAPER,
    "纸质台账": LedgerMedium.PAPER,
    "paper": LedgerMedium.PAPER,
    "电子": LedgerMedium.ELECTRONIC,
    "电子台账": LedgerMedium.ELECTRONIC,
    "electronic": LedgerMedium.ELECTRONIC,
}
STATUSES = {
    "": EntryStatus.ACTIVE,
    "在用": EntryStatus.ACTIVE,
    "active": EntryStatus.ACTIVE,
    "摘除": EntryStatus.REMOVED,
    "摘牌": EntryStatus.REMOVED,
    "取消": EntryStatus.REMOVED,
    "撤销": EntryStatus.REMOVED,
    "removed": EntryStatus.REMOVED,
    "合并": EntryStatus.MERGED,
    "merged": EntryStatus.MERGED,
    "停用": EntryStatus.RETIRED,
    "retired": EntryStatus.RETIRED,
    "转电子台账": EntryStatus.DIGITISED,
    "转为电子台账": EntryStatus.DIGITISED,
    "digitised": EntryStatus.DIGITISED,
}
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "", "n", "no", "false", "0", "×"}
CODE = re.compile(r"(?<!\d)(\d{12})(?!\d)")
DATE_PATTERNS = (
    (re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"), 3),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), 3),
    (re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$"), 2),
    (re.compile(r"^(\d{4})\s*年?$"), 1),
)
# Excel counts days from 1899-12-30; a date typed into a cell formatted as a number arrives so.
EXCEL_EPOCH = dt.date(1899, 12, 30)


# ---------------------------------------------------------------------------------------------
# Cells


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        # A code or a year typed into Excel as a number comes back as 511002001001.0.
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return str(value).strip()


def parse_date(value: Any) -> dt.date | None:
    """A date from a cell: a date cell, 2020-03-01, 2020/3/1, 2020年3月1日, 20200301, or only a
    month or a year (the first day of it: surveys often know no more). Empty → None;
    anything else raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = int(value)
        if number != value:
            raise ValueError(value)
        if 1900 <= number <= 2100:
            return dt.date(number, 1, 1)
        if 20000 <= number <= 80000:
            return EXCEL_EPOCH + timedelta(days=number)
        if 19000101 <= number <= 21001231:
            value = str(number)
        else:
            raise ValueError(value)
    text = _text(value)
    for pattern, parts in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            numbers = [int(part) for part in match.groups()] + [1] * (3 - parts)
            return dt.date(*numbers)
    raise ValueError(value)


def _flag(value: Any) -> bool:
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(value)


# ---------------------------------------------------------------------------------------------
# The workbook


@dataclass
class _Sheet:
    name: str
    headers: list[str]
    positions: dict[str, int]
    rows: list[tuple[int, list[Any]]]
    unknown_headers: list[str]


def _header_positions(cells: list[Any], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    aliases = {alias.lower(): name for name, names in columns.items() for alias in names}
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = aliases.get(_text(cell).lower())
        if name and name not in positions:
            positions[name] = index
    return positions


def _read_sheet(
    name: str, lines: list[list[Any]], columns: dict[str, tuple[str, ...]], required: tuple
) -> _Sheet | None:
    """The sheet's header (the first of its top lines naming every required column; a title
    above it is allowed) and its non-empty rows with the numbers the user sees."""
    numbered = [
        (number, cells)
        for number, cells in enumerate(lines, start=1)
        if any(_text(c) for c in cells)
    ]
    if not numbered:
        return None
    for index, (_number, cells) in enumerate(numbered[:HEADER_SEARCH]):
        positions = _header_positions(cells, columns)
        if all(column in positions for column in required):
            headers = [_text(c) for c in cells]
            used = set(positions.values())
            return _Sheet(
                name=name,
                headers=headers,
                positions=positions,
                rows=numbered[index + 1 :],
                unknown_headers=[h for i, h in enumerate(headers) if h and i not in used],
            )
    missing = "、".join(columns[column][0] for column in required)
    raise _SheetProblem(numbered[0][0], _("缺少必需的列：%(columns)s。") % {"columns": missing})


class _SheetProblem(Exception):
    def __init__(self, row: int, message: str):
        self.row, self.message = row, message
        super().__init__(message)


def _workbook(data: bytes, filename: str) -> CalamineWorkbook:
    if not filename.lower().endswith(".xlsx"):
        raise InvalidInput(_("请上传 XLSX 格式的调查表（可先下载模板）。"), code="not_xlsx")
    if not data:
        raise InvalidInput(_("文件是空的。"), code="empty_file")
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            _("文件不能超过 %(mb)d MB。") % {"mb": MAX_BYTES // (1024 * 1024)}, code="too_large"
        )
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:
        raise InvalidInput(_("无法读取该 XLSX 文件，请确认文件未损坏。"), code="bad_file") from exc


# ---------------------------------------------------------------------------------------------
# Who may import, and which communities a row may name


def _communities_of(user: User | None):
    prefix = user.jurisdiction_prefix if user is not None else None
    return Region.objects.within(prefix).filter(
        level=RegionLevel.COMMUNITY, valid_until__isnull=True
    )


def survey_import_allowed(user: User | None, permission: str = "burden.edit") -> bool:
    """Whether the user keeps (or, with burden.manage, baselines) any community's inventories.

    The burden rules give a user the same rights over every community of their jurisdiction,
    so its first community answers for all of them."""
    if user is None:
        return True
    first = _communities_of(user).order_by("code").first()
    return first is not None and user.has_perm(permission, first)


class _Communities:
    """Finds the community a row names, by its 12-digit code or by a name unique in the
    user's jurisdiction, and says why not when it cannot."""

    def __init__(self, actor: User | None, cells: Iterable[str]):
        self.actor = actor
        cells = {c for c in cells if c}
        codes = {m.group(1) for c in cells if (m := CODE.search(c))}
        names = {c for c in cells if not CODE.search(c)}
        self.by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        self.by_name: dict[str, list[Region]] = defaultdict(list)
        for region in _communities_of(actor).filter(name__in=names).order_by("code"):
            self.by_name[region.name].append(region)
        self._allowed: dict[tuple[str, str], bool] = {}

    def allowed(self, permission: str, community: Region) -> bool:
        key = (permission, community.code)
        if key not in self._allowed:
            self._allowed[key] = self.actor is None or self.actor.has_perm(permission, community)
        return self._allowed[key]

    def find(self, cell: str) -> tuple[Region | None, str]:
        if not cell:
            return None, _("社区代码：不能为空。")
        match = CODE.search(cell)
        if match:
            region = self.by_code.get(match.group(1))
            if region is None:
                return None, _("社区代码：%(code)s 不存在。") % {"code": match.group(1)}
            if region.level != RegionLevel.COMMUNITY:
                return None, _("社区代码：%(code)s 不是社区（村）的区划代码。") % {
                    "code": region.code
                }
            if region.valid_until is not None:
                return None, _("社区代码：%(name)s已撤销。") % {"name": region.name}
            return region, ""
        found = self.by_name.get(cell, [])
        if not found:
            return None, _(
                "社区代码：您的管辖范围内没有名为“%(name)s”的社区，请填写 12 位区划代码。"
            ) % {"name": cell}
        if len(found) > 1:
            return None, _(
                "社区代码：您的管辖范围内有多个名为“%(name)s”的社区，请填写 12 位区划代码。"
            ) % {"name": cell}
        return found[0], ""


class _BasisItems:
    """The published items of the signboard, duty and assistance lists of a district, by code
    and by name, for the 依据清单事项 column."""

    def __init__(self):
        self._by_district: dict[str, tuple[dict, dict]] = {}

    def _load(self, district: str) -> tuple[dict, dict]:
        if district not in self._by_district:
            by_code: dict[str, list[tuple]] = defaultdict(list)
            by_name: dict[str, list[tuple]] = defaultdict(list)
            items = Item.objects.filter(
                version__status=VersionStatus.PUBLISHED,
                version__list__kind__in=BASIS_KINDS,
                version__list__region_id__in=[district, *ancestor_codes(district)],
            ).values_list("key", "code", "name", "version__list__kind")
            for key, code, name, kind in items:
                if code:
                    by_code[code].append((key, kind))
                by_name[name].append((key, kind))
            self._by_district[district] = (by_code, by_name)
        return self._by_district[district]

    def find(self, community: Region, kind: str, cell: str) -> tuple[str | None, str]:
        by_code, by_name = self._load(community.district_code or "")
        found = by_code.get(cell) or by_name.get(cell) or []
        preferred = (ListKind.SIGNBOARD,) if kind == EntryKind.SIGNBOARD else BASIS_KINDS[1:]
        keys = {key for key, list_kind in found if list_kind in preferred} or {
            key for key, _kind in found
        }
        if not keys:
            return None, _("依据清单事项：“%(name)s”不在本区现行的挂牌、职责或协助清单中。") % {
                "name": cell
            }
        if len(keys) > 1:
            return None, _("依据清单事项：“%(name)s”在清单中不止一项，请改填事项编码。") % {
                "name": cell
            }
        return str(keys.pop()), ""


# ---------------------------------------------------------------------------------------------
# Rows


@dataclass
class _EntryRow:
    sheet: str
    number: int
    kind: str
    name: str
    problems: list[str] = field(default_factory=list)
    community: Region | None = None
    entry: InventoryEntry | None = None
    status: str = EntryStatus.ACTIVE
    ended_on: dt.date | None = None
    reason: str = ""
    successor_name: str = ""
    successor_row: _EntryRow | None = None
    successor_entry: InventoryEntry | None = None


@dataclass
class _BaselineRow:
    number: int
    community: Region | None
    taken_on: dt.date | None
    label: str
    figures: dict[str, int]
    problems: list[str] = field(default_factory=list)


@dataclass
class SurveyImportReport:
    dry_run: bool
    filename: str = ""
    errors: list[dict] = field(default_factory=list)
    communities: dict[str, dict] = field(default_factory=dict)
    created: int = 0
    ended: int = 0
    baselines: int = 0
    replaced_baselines: int = 0
    skipped_examples: int = 0
    sheets: list[str] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, sheet: str, row: int | None, problems: list[str]) -> None:
        self.errors.append({"sheet": sheet, "row": row, "problems": problems})

    def count(self, community: Region) -> dict:
        if community.code not in self.communities:
            self.communities[community.code] = {
                "code": community.code,
                "name": community.name,
                **{kind: 0 for kind in EntryKind.values},
                **{f"{kind}_ended": 0 for kind in EntryKind.values},
                "ledger_books": 0,
                "unadmitted": 0,
                "baseline": "",
            }
        return self.communities[community.code]

    def as_dict(self) -> dict:
        rows = [self.communities[code] for code in sorted(self.communities)]
        totals = {
            key: sum(row[key] for row in rows)
            for key in (
                *EntryKind.values,
                *(f"{kind}_ended" for kind in EntryKind.values),
                "ledger_books",
                "unadmitted",
            )
        }
        return {
            "dry_run": self.dry_run,
            "file": self.filename,
            "ok": self.ok,
            "errors": self.errors,
            "communities": rows if self.ok else [],
            "totals": totals if self.ok else {},
            "created": self.created,
            "ended": self.ended,
            "baselines": self.baselines,
            "replaced_baselines": self.replaced_baselines,
            "skipped_examples": self.skipped_examples,
            "sheets": self.sheets,
            "ignored_sheets": self.ignored_sheets,
            "unknown_columns": self.unknown_columns,
        }


def _cell(sheet: _Sheet, cells: list[Any], column: str) -> Any:
    index = sheet.positions.get(column)
    if index is None or index >= len(cells):
        return None
    return cells[index]


def _entry_row(
    sheet: _Sheet,
    number: int,
    cells: list[Any],
    kind: str,
    communities: _Communities,
    basis: _BasisItems,
) -> _EntryRow:
    """One inventory row checked on its own: its community, its fields, its clean-up."""
    text = {column: _text(_cell(sheet, cells, column)) for column in sheet.positions}
    row = _EntryRow(sheet=sheet.name, number=number, kind=kind, name=text.get("name", ""))
    community, problem = communities.find(text.get("community", ""))
    if problem:
        row.problems.append(problem)
    elif not communities.allowed("burden.edit", community):
        row.problems.append(
            _("社区代码：%(name)s（%(code)s）不在您的管辖范围内，不能登记其台账。")
            % {"name": community.name, "code": community.code}
        )
    else:
        row.community = community

    values: dict[str, Any] = {
        "name": row.name,
        "department_name": text.get("department", ""),
        "admission_number": text.get("admission", ""),
        "notes": text.get("notes", ""),
    }
    raw_since = _cell(sheet, cells, "since")
    try:
        values["since"] = parse_date(raw_since)
    except ValueError:
        row.problems.append(
            _("设立日期：无法识别“%(value)s”，请填写如 2019-03-01 的日期。")
            % {"value": _text(raw_since)}
        )
        # A stand-in date, so that the entry's other fields are still checked below.
        values["since"] = timezone.localdate()
    if text.get("quantity"):
        values["quantity"] = text["quantity"]
    if kind == EntryKind.LEDGER:
        medium = text.get("medium", "")
        values["medium"] = MEDIUMS.get(medium.lower(), medium)
        if text.get("year"):
            values["year"] = text["year"].removesuffix("年")
    elif text.get("medium") or text.get("year"):
        values["medium"] = text.get("medium", "")
        values["year"] = text.get("year", "")
    if text.get("veto"):
        try:
            values["one_vote_veto"] = _flag(_cell(sheet, cells, "veto"))
        except ValueError:
            row.problems.append(
                _("一票否决：请填写“是”或“否”，而不是“%(value)s”。") % {"value": text["veto"]}
            )

    if row.community is not None:
        if text.get("basis"):
            key, problem = basis.find(row.community, kind, text["basis"])
            if problem:
                row.problems.append(problem)
            values["basis_item_key"] = key
        try:
            row.entry = entry_build(community=row.community, kind=kind, values=values)
        except InvalidInput as error:
            details = error.details if isinstance(error.details, list) else [error.message]
            row.problems.extend(str(problem) for problem in details)
    _cleanup(row, sheet, cells, text, values.get("since"), values.get("medium", ""))
    return row


def _cleanup(
    row: _EntryRow,
    sheet: _Sheet,
    cells: list[Any],
    text: dict,
    since: dt.date | None,
    medium: str,
) -> None:
    """The row's clean-up columns, checked as inventory_entry_end checks them."""
    status_text = text.get("status", "")
    status = STATUSES.get(status_text.removeprefix("已").lower())
    if status is None:
        # Neither in use nor ended: the row takes no part in the checks against other rows.
        row.status = ""
        row.problems.append(
            _("清理方式：无法识别“%(value)s”，可填 摘除、合并、停用、转电子台账，或留空（在用）。")
            % {"value": status_text}
        )
        return
    row.status = status
    raw_ended = _cell(sheet, cells, "ended_on")
    try:
        row.ended_on = parse_date(raw_ended)
    except ValueError:
        row.problems.append(
            _("清理日期：无法识别“%(value)s”，请填写如 2024-06-30 的日期。")
            % {"value": _text(raw_ended)}
        )
        return
    row.reason = text.get("reason", "")[:2000]
    row.successor_name = text.get("successor", "")
    if status == EntryStatus.ACTIVE:
        if row.ended_on is not None or row.reason:
            row.problems.append(_("清理方式：填写了清理日期或说明，请同时填写清理方式。"))
        if row.successor_name:
            row.problems.append(_("并入：只有合并或转为电子台账的条目填写并入对象。"))
        return
    if row.ended_on is None:
        row.problems.append(_("清理日期：已清理的条目须填写清理日期。"))
    elif since is not None and row.ended_on < since:
        row.problems.append(_("清理日期不能早于设立日期。"))
    elif row.ended_on > timezone.localdate():
        row.problems.append(_("清理日期不能晚于今天。"))
    if status == EntryStatus.DIGITISED and not (
        row.kind == EntryKind.LEDGER and medium == LedgerMedium.PAPER
    ):
        row.problems.append(_("清理方式：只有纸质台账可以转为电子台账。"))
    needs_successor = status in (EntryStatus.MERGED, EntryStatus.DIGITISED)
    if needs_successor and not row.successor_name:
        row.problems.append(_("并入：合并或转为电子台账的条目须填写并入（转入）条目的名称。"))
    elif not needs_successor and row.successor_name:
        row.problems.append(_("并入：只有合并或转为电子台账的条目填写并入对象。"))


def _key(row: _EntryRow) -> tuple:
    entry = row.entry
    return (row.sheet, row.community.code, row.name, entry.medium, entry.year)


def _link_and_deduplicate(rows: list[_EntryRow]) -> None:
    """Rows checked against each other and against the entries already kept: an entry in use
    recorded twice, and what each merged or digitised row went into."""
    good = [row for row in rows if row.entry is not None]
    codes = {row.community.code for row in good}
    existing: dict[tuple, list[InventoryEntry]] = defaultdict(list)
    for entry in InventoryEntry.objects.filter(
        community_id__in=codes, status=EntryStatus.ACTIVE
    ).only("id", "community_id", "kind", "name", "medium", "year"):
        existing[(entry.community_id, entry.kind, entry.name)].append(entry)

    first_seen: dict[tuple, int] = {}
    by_name: dict[tuple, list[_EntryRow]] = defaultdict(list)
    for row in good:
        by_name[(row.sheet, row.community.code, row.name)].append(row)
        if row.status != EntryStatus.ACTIVE:
            continue
        key = _key(row)
        if key in first_seen:
            row.problems.append(
                _("名称：与第 %(row)d 行重复（同一社区同名、同形式、同年度的在用条目）。")
                % {"row": first_seen[key]}
            )
        else:
            first_seen[key] = row.number
        if any(
            e.medium == row.entry.medium and e.year == row.entry.year
            for e in existing[(row.community.code, row.kind, row.name)]
        ):
            row.problems.append(
                _("名称：本社区已登记在用的“%(name)s”，请勿重复导入。") % {"name": row.name}
            )

    for row in good:
        if not row.successor_name or row.status not in (
            EntryStatus.MERGED,
            EntryStatus.DIGITISED,
        ):
            continue
        wanted = LedgerMedium.ELECTRONIC if row.status == EntryStatus.DIGITISED else None
        in_file = [
            other
            for other in by_name[(row.sheet, row.community.code, row.successor_name)]
            if other is not row
            and other.status == EntryStatus.ACTIVE
            and (wanted is None or other.entry.medium == wanted)
        ]
        kept = [
            entry
            for entry in existing[(row.community.code, row.kind, row.successor_name)]
            if wanted is None or entry.medium == wanted
        ]
        found = len(in_file) + len(kept)
        if found == 0:
            what = _("在用的电子台账") if wanted else _("在用条目")
            row.problems.append(
                _("并入：本表中没有本社区名为“%(name)s”的%(what)s（并入对象须在用）。")
                % {"name": row.successor_name, "what": what}
            )
        elif found > 1:
            row.problems.append(
                _("并入：本社区有多条名为“%(name)s”的在用条目，无法确定并入哪一条。")
                % {"name": row.successor_name}
            )
        elif in_file:
            row.successor_row = in_file[0]
        else:
            row.successor_entry = kept[0]


def _baseline_row(
    sheet: _Sheet, number: int, cells: list[Any], communities: _Communities
) -> _BaselineRow:
    text = {column: _text(_cell(sheet, cells, column)) for column in sheet.positions}
    row = _BaselineRow(
        number=number, community=None, taken_on=None, label=text.get("label", "")[:100], figures={}
    )
    community, problem = communities.find(text.get("community", ""))
    if problem:
        row.problems.append(problem)
    elif not communities.allowed("burden.manage", community):
        row.problems.append(
            _("基线只能由区社区减负工作领导小组办公室录入（%(name)s）。") % {"name": community.name}
        )
    else:
        row.community = community
    raw = _cell(sheet, cells, "taken_on")
    try:
        row.taken_on = parse_date(raw)
    except ValueError:
        row.problems.append(
            _("统计日期：无法识别“%(value)s”，请填写如 2019-06-30 的日期。") % {"value": _text(raw)}
        )
    else:
        if row.taken_on is None:
            row.problems.append(_("统计日期：不能为空。"))
        elif row.taken_on > timezone.localdate():
            row.problems.append(_("统计日期不能晚于今天。"))
    for figure, names in BASELINE_FIGURES.items():
        value = text.get(figure, "")
        if not value:
            continue
        try:
            number_value = int(value)
            if number_value < 0:
                raise ValueError(value)
        except ValueError:
            row.problems.append(
                _("%(column)s：应为不小于 0 的整数，而不是“%(value)s”。")
                % {"column": names[0], "value": value}
            )
        else:
            row.figures[figure] = number_value
    return row


# ---------------------------------------------------------------------------------------------
# The import


def survey_import(
    *,
    actor: User | None,
    data: bytes,
    filename: str,
    dry_run: bool,
    progress: Progress | None = None,
) -> SurveyImportReport:
    """Import a community survey workbook: every bad row reported, or every row written."""
    if not survey_import_allowed(actor):
        raise Forbidden()
    workbook = _workbook(data, filename)
    report = SurveyImportReport(dry_run=dry_run, filename=filename)

    sheets: list[tuple[_Sheet, str | None]] = []
    for raw_name in workbook.sheet_names:
        name = raw_name.strip()
        if name in HELP_SHEETS:
            continue
        if name not in SHEET_KINDS and name != BASELINE_SHEET:
            report.ignored_sheets.append(name)
            continue
        kind = SHEET_KINDS.get(name)
        columns = ENTRY_COLUMNS if kind else BASELINE_COLUMNS
        required = ("community", "name") if kind else ("community", "taken_on")
        try:
            lines = list(workbook.get_sheet_by_name(raw_name).iter_rows())
            sheet = _read_sheet(name, lines, columns, required)
        except _SheetProblem as problem:
            report.error(name, problem.row, [problem.message])
            continue
        if sheet is None:
            continue
        report.sheets.append(name)
        if sheet.unknown_headers:
            report.unknown_columns[name] = sheet.unknown_headers
        sheets.append((sheet, kind))
    if not sheets and not report.errors:
        report.error(
            "",
            None,
            [_("没有找到可导入的工作表：应有 挂牌、台账、创建评比、信息系统 或 基线。")],
        )
        return report

    # The example rows of the template are left out before anything is counted.
    for sheet, kind in sheets:
        label_column = "name" if kind else "label"
        kept = []
        for number, cells in sheet.rows:
            if _text(_cell(sheet, cells, label_column)).startswith(EXAMPLE_MARK):
                report.skipped_examples += 1
            else:
                kept.append((number, cells))
        sheet.rows = kept
    total = sum(len(sheet.rows) for sheet, _kind in sheets)
    if total > MAX_ROWS:
        report.error("", None, [_("一次最多导入 %(n)d 行，请分批导入。") % {"n": MAX_ROWS}])
        return report
    if total == 0 and not report.errors:
        report.error("", None, [_("文件中没有数据行（示例行不导入）。")])
        return report

    communities = _Communities(
        actor,
        (
            _text(_cell(sheet, cells, "community"))
            for sheet, _kind in sheets
            for _number, cells in sheet.rows
        ),
    )
    basis = _BasisItems()
    entry_rows: list[_EntryRow] = []
    baseline_rows: list[_BaselineRow] = []
    done = 0
    for sheet, kind in sheets:
        for number, cells in sheet.rows:
            if kind:
                entry_rows.append(_entry_row(sheet, number, cells, kind, communities, basis))
            else:
                baseline_rows.append(_baseline_row(sheet, number, cells, communities))
            done += 1
            if progress and done % 50 == 0:
                progress(done, total)
    _link_and_deduplicate(entry_rows)
    seen_baselines: dict[str, int] = {}
    for row in baseline_rows:
        if row.community is None:
            continue
        if row.community.code in seen_baselines:
            row.problems.append(
                _("社区代码：同一社区只能有一行基线（与第 %(row)d 行重复）。")
                % {"row": seen_baselines[row.community.code]}
            )
        seen_baselines.setdefault(row.community.code, row.number)

    for row in entry_rows:
        if row.problems:
            report.error(row.sheet, row.number, row.problems)
    for row in baseline_rows:
        if row.problems:
            report.error(BASELINE_SHEET, row.number, row.problems)
    if report.errors:
        return report

    _count(report, entry_rows, baseline_rows)
    if not dry_run:
        _write(actor, filename, entry_rows, baseline_rows, report)
    if progress:
        progress(total, total)
    return report


def _count(
    report: SurveyImportReport, entry_rows: list[_EntryRow], baseline_rows: list[_BaselineRow]
) -> None:
    for row in entry_rows:
        counts = report.count(row.community)
        if row.status == EntryStatus.ACTIVE:
            counts[row.kind] += 1
            counts["unadmitted"] += int(row.entry.unadmitted)
            if row.entry.medium == LedgerMedium.PAPER:
                counts["ledger_books"] += row.entry.quantity
        else:
            counts[f"{row.kind}_ended"] += 1
            report.ended += 1
        report.created += 1
    replaced = baselines_of(row.community.code for row in baseline_rows)
    for row in baseline_rows:
        report.count(row.community)["baseline"] = row.taken_on.isoformat()
        report.baselines += 1
        report.replaced_baselines += int(row.community.code in replaced)


@transaction.atomic
def _write(
    actor: User | None,
    filename: str,
    entry_rows: list[_EntryRow],
    baseline_rows: list[_BaselineRow],
    report: SurveyImportReport,
) -> None:
    for row in entry_rows:
        entry = row.entry
        if row.status != EntryStatus.ACTIVE:
            entry.status, entry.ended_on, entry.end_reason = row.status, row.ended_on, row.reason
            entry.successor = row.successor_entry
    if entry_rows:
        entries_create_many(actor=actor, entries=[row.entry for row in entry_rows], source=filename)
    # A row merged into another row of the file can point to it once both have their ids.
    linked = []
    for row in entry_rows:
        if row.successor_row is not None:
            row.entry.successor = row.successor_row.entry
            linked.append(row.entry)
    InventoryEntry.objects.bulk_update(linked, ["successor"], batch_size=500)
    caps = dict(
        BurdenSettings.objects.filter(
            district_id__in={row.community.district_code for row in baseline_rows}
        ).values_list("district_id", "signboard_cap")
    )
    for row in baseline_rows:
        figures = dict(row.figures)
        if row.community.district_code in caps:
            figures["signboard_cap"] = caps[row.community.district_code]
        burden_baseline_record(
            actor=actor,
            community=row.community,
            taken_on=row.taken_on,
            label=row.label,
            figures=figures,
        )
    audit_record(
        actor=actor,
        action="burden.survey_import",
        object_type="burden.inventoryentry",
        changes={
            "file": filename,
            "entries": report.created,
            "ended": report.ended,
            "baselines": report.baselines,
            "communities": sorted(report.communities),
        },
    )


# ---------------------------------------------------------------------------------------------
# As a background job: the preview keeps its file, the confirmation imports it


def survey_import_start(
    *, actor: User, data: bytes, filename: str, dry_run: bool = True
) -> BackgroundJob:
    """Queue the import of a survey workbook (a preview by default)."""
    if not survey_import_allowed(actor):
        raise Forbidden()
    _workbook(data, filename)
    return job_start(
        owner=actor,
        kind=JOB_KIND,
        payload=data,
        payload_name=filename,
        # The previewed file is kept so "import it" does not ask for it again.
        options={"dry_run": dry_run, "keep_payload": dry_run},
    )


@transaction.atomic
def survey_import_confirm(*, actor: User, preview: BackgroundJob) -> BackgroundJob:
    """Import for real the workbook a successful preview checked."""
    if (
        preview.owner_id != actor.pk
        or preview.kind != JOB_KIND
        or not preview.options.get("dry_run")
        or not preview.is_finished
        or not preview.payload
    ):
        raise InvalidInput(
            _("只能确认本人已预览的导入；预览的文件只保留 %(hours)d 小时，过期请重新上传。")
            % {"hours": KEPT_PAYLOAD_LIFETIME // timedelta(hours=1)},
            code="not_previewed",
        )
    if preview.status != JobStatus.SUCCEEDED:
        raise InvalidInput(_("预览发现问题，请修改文件后重新上传。"), code="preview_failed")
    job = survey_import_start(
        actor=actor,
        data=bytes(preview.payload),
        filename=preview.payload_name,
        dry_run=False,
    )
    # The preview gives its file up, so a second click cannot import it twice.
    BackgroundJob.objects.filter(pk=preview.pk).update(payload=b"")
    return job


def run_survey_import(job: BackgroundJob, progress: Progress) -> tuple[bool, dict]:
    dry_run = bool(job.options.get("dry_run", True))
    try:
        report = survey_import(
            actor=job.owner,
            data=bytes(job.payload),
            filename=job.payload_name,
            dry_run=dry_run,
            progress=progress,
        )
    except DomainError as exc:
        # A file that cannot be read at all is reported like a bad row, on no row.
        report = SurveyImportReport(dry_run=dry_run, filename=job.payload_name)
        report.error("", None, [str(exc.message)])
    return report.ok, report.as_dict()


# ---------------------------------------------------------------------------------------------
# The template


TEMPLATE_WIDTHS = {
    "community": 16,
    "name": 30,
    "department": 18,
    "admission": 20,
    "basis": 30,
    "quantity": 8,
    "medium": 8,
    "year": 8,
    "veto": 10,
    "since": 12,
    "status": 14,
    "ended_on": 12,
    "reason": 28,
    "successor": 24,
    "notes": 20,
}
TEMPLATE_DATE_COLUMNS = ("since", "ended_on", "taken_on")
EXAMPLE_BASELINE = {
    "tasks": 242,
    "duties": 98,
    "admitted": 144,
    "hours": 5200,
    "signboards": 46,
    "ledger_books": 151,
    "electronic_ledgers": 0,
    "campaigns": 32,
    "one_vote_veto": 5,
    "systems": 4,
    "unadmitted": 60,
    "workers": 9,
}


def _instructions(baselines: bool) -> list[str]:
    lines = [
        _("社区负担调查导入模板"),
        "",
        _(
            "每张表对应一类台账：挂牌、台账、创建评比、信息系统。每行一个条目，第一行为表头，请勿修改表头和表名。"
        ),
        _("以“【示例】”开头的示例行不会导入，可以保留或删除。"),
        _(
            "社区代码：填写 12 位统计用区划代码，也可填写社区名称（须在您的管辖范围内唯一），见“社区名单”表。"
        ),
        _("名称：必填。主管部门：填写部门全称（如 市中区民政局），系统中没有的部门按原文保存。"),
        _(
            "准入编号：该条目依据的准入事项编号（如 市中准〔2026〕1号）；依据清单事项：本区现行准许挂牌清单、职责清单或协助清单中的事项名称或事项编码，见“依据清单事项”表。两者都不填即为“未经准入”。"
        ),
        _(
            "台账：数量为台账本数，形式填“纸质”或“电子”，年度填四位年份。创建评比：一票否决填“是”或“否”。"
        ),
        _("设立日期：必填，如 2019-03-01；只知道年份或月份的，可填 2019 或 2019-03。"),
        _(
            "已清理的条目：清理方式填 摘除、合并、停用 或 转电子台账（仅纸质台账），并填写清理日期和清理说明；在用的条目这三列留空。"
        ),
        _(
            "合并或转为电子台账的条目须在“并入”列填写并入（转入）条目的名称：该条目须在同一张表、同一社区中且在用（转电子台账的须是电子台账），也可以是本社区已登记的在用条目。不支持连续合并（并入的条目本身又被合并）。"
        ),
    ]
    if baselines:
        lines.append(
            _(
                "基线表（仅领导小组办公室）：每个社区一行，填写统计日期、名称（如 2019年社区负担调查）和各项数字；导入后替换该社区原有的基线。"
            )
        )
    lines += [
        _("导入前先生成预览：任何一行有问题都不会写入，预览会列出每个问题所在的表、行号和原因。"),
    ]
    return lines


def _append(sheet, values: Iterable[Any]) -> None:
    """A row whose text never runs as a formula, even text from the database starting "="."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True


def survey_template(*, user: User) -> bytes:
    """The survey workbook to fill in: a sheet per inventory with its header and an example
    row, the baseline sheet for those who may record baselines, the instructions, and the
    user's communities and the list items an entry may cite."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if not survey_import_allowed(user):
        raise Forbidden()
    communities = [
        c
        for c in _communities_of(user).select_related("parent").order_by("code")
        if user.has_perm("burden.edit", c)
    ]
    example = communities[0].code if communities else ""
    district = communities[0].district_code if communities else ""
    baselines = survey_import_allowed(user, "burden.manage")
    items = list(
        Item.objects.filter(
            version__status=VersionStatus.PUBLISHED,
            version__list__kind__in=BASIS_KINDS,
            version__list__region_id__in=[district, *ancestor_codes(district)],
        )
        .order_by("version__list__name", "position", "id")
        .values_list("version__list__name", "version__list__kind", "code", "name")
    )
    # Signboards first, then duties and assisted work, as BASIS_KINDS orders them.
    items.sort(key=lambda item: BASIS_KINDS.index(item[1]))
    signboard_item = next((i[3] for i in items if i[1] == ListKind.SIGNBOARD), "")

    workbook = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F0F3F7")
    example_font = Font(italic=True, color="6B7280")

    guide = workbook.active
    guide.title = "说明"
    guide.column_dimensions["A"].width = 110
    for line in _instructions(baselines):
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    for row in guide.iter_rows(min_row=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    def table(title: str, columns: list[tuple[str, str]], sample: dict[str, Any]) -> None:
        sheet = workbook.create_sheet(title)
        _append(sheet, [header for _column, header in columns])
        _append(sheet, [sample.get(column, "") for column, _header in columns])
        sheet.freeze_panes = "A2"
        for index, (column, _header) in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = TEMPLATE_WIDTHS.get(column, 14)
            head = sheet.cell(row=1, column=index)
            head.font, head.fill = bold, fill
            cell = sheet.cell(row=2, column=index)
            cell.font = example_font
            if column in TEMPLATE_DATE_COLUMNS:
                cell.number_format = "yyyy-mm-dd"
            if column == "community":
                # A 12-digit code typed into a General cell would show as 5.11002E+11.
                for row in range(2, 502):
                    sheet.cell(row=row, column=index).number_format = "@"
            choices = {
                "medium": '"纸质,电子"',
                "veto": '"是,否"',
                "status": '"摘除,合并,停用,转电子台账"',
            }.get(column)
            if choices:
                validation = DataValidation(type="list", formula1=choices, allow_blank=True)
                validation.add(f"{letter}2:{letter}1000")
                sheet.add_data_validation(validation)

    # The civil affairs bureau oversees community work everywhere, so it makes the example.
    department = (
        Unit.objects.filter(district_code=district, type=UnitType.DEPARTMENT, name__contains="民政")
        .values_list("name", flat=True)
        .first()
        or ""
    )
    samples = {
        EntryKind.SIGNBOARD: {
            "name": EXAMPLE_MARK + (signboard_item or "社区居民委员会"),
            "basis": signboard_item,
            "since": dt.date(2015, 1, 1),
        },
        EntryKind.LEDGER: {
            "name": EXAMPLE_MARK + "低保工作台账",
            "department": department,
            "quantity": 12,
            "medium": "纸质",
            "year": 2019,
            "since": dt.date(2019, 1, 1),
            "status": "转电子台账",
            "ended_on": dt.date(2024, 6, 30),
            "reason": "按减负要求转为电子台账",
            "successor": "低保工作电子台账",
        },
        EntryKind.CAMPAIGN: {
            "name": EXAMPLE_MARK + "星级社区创建",
            "veto": "是",
            "since": dt.date(2017, 3, 1),
            "status": "摘除",
            "ended_on": dt.date(2024, 3, 1),
            "reason": "区委决定取消",
        },
        EntryKind.SYSTEM: {
            "name": EXAMPLE_MARK + "社区网格化管理系统",
            "department": department,
            "since": dt.date(2018, 5, 1),
        },
    }
    for kind, sheet_name in KIND_SHEETS.items():
        columns = [
            (column, ENTRY_COLUMNS[column][0]) for column in (*KIND_COLUMNS[kind], *CLEANUP_COLUMNS)
        ]
        table(sheet_name, columns, {"community": example, **samples[kind]})
    if baselines:
        columns = [(column, names[0]) for column, names in BASELINE_COLUMNS.items()]
        table(
            BASELINE_SHEET,
            columns,
            {
                "community": example,
                "taken_on": dt.date(2019, 6, 30),
                "label": EXAMPLE_MARK + "2019年社区负担调查",
                **EXAMPLE_BASELINE,
            },
        )

    roster = workbook.create_sheet("社区名单")
    roster.append(["社区代码", "社区名称", "所属街道"])
    for community in communities:
        _append(
            roster,
            [community.code, community.name, community.parent.name if community.parent else ""],
        )
    references = workbook.create_sheet("依据清单事项")
    references.append(["清单", "事项编码", "事项名称"])
    for list_name, _kind, code, name in items:
        _append(references, [list_name, code, name])
    for sheet, widths in ((roster, (16, 24, 20)), (references, (40, 18, 50))):
        sheet.freeze_panes = "A2"
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
            sheet.cell(row=1, column=index).font = bold

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
