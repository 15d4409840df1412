"""The burden API: each community's inventories (signboards, ledgers, campaigns, systems) with
their clean-up, its burden index against its baseline, a street's or district's summary, and
the import of a community survey.

A community outside the caller's jurisdiction does not exist for them (`404`); one inside it
that their role may not read or change is `403`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from jianfu.api.pagination import DEFAULT_LIMIT, PageMeta, cursor_page
from jianfu.burden import api_selectors as selectors
from jianfu.burden import services
from jianfu.burden.imports import MAX_BYTES, survey_import
from jianfu.burden.index import FIGURE_FIELDS, Comparison, Figures
from jianfu.burden.models import (
    BurdenSnapshot,
    EntryKind,
    EntryStatus,
    InventoryEntry,
    LedgerMedium,
    SnapshotSource,
)
from jianfu.core.errors import Forbidden, InvalidInput, NotFound
from jianfu.org.models import Region, RegionLevel, User

router = Router(tags=["burden"])

# The path of each inventory under a community.
INVENTORIES = {
    "signboards": EntryKind.SIGNBOARD,
    "ledgers": EntryKind.LEDGER,
    "campaigns": EntryKind.CAMPAIGN,
    "systems": EntryKind.SYSTEM,
}


def figure_label(name: str) -> str:
    return str(BurdenSnapshot._meta.get_field(name).verbose_name)


# ---------------------------------------------------------------------------------------------
# Output


class RegionBrief(Schema):
    code: str
    name: str


class UnitBrief(Schema):
    id: int
    name: str


class AdmissionBrief(Schema):
    id: int
    number: str
    title: str


class BasisItemOut(Schema):
    list_id: int = Field(description="清单 id · the list")
    key: uuid.UUID = Field(description="事项在各版本间不变的标识 · the item's key")
    name: str


class EntryOut(Schema):
    id: int
    community: RegionBrief
    kind: EntryKind
    kind_label: str
    name: str
    department: UnitBrief | None = Field(description="系统中的主管部门 · the department unit")
    department_name: str = Field(description="调查中的主管部门名称 · as surveyed")
    admission: AdmissionBrief | None = Field(description="依据的准入事项 · the admission")
    basis_item: BasisItemOut | None = Field(
        description="依据的清单事项（准许挂牌、职责或协助清单）· the list item allowing it"
    )
    unadmitted: bool = Field(description="既无准入也无清单依据 · neither admission nor list item")
    quantity: int = Field(description="台账本数；其他为 1 · ledger books; 1 otherwise")
    medium: LedgerMedium | Literal[""] = Field(description="台账形式 · ledgers only")
    medium_label: str
    year: int | None = Field(description="台账年度 · ledgers only")
    one_vote_veto: bool = Field(description="一票否决 · campaigns only")
    notes: str
    since: dt.date
    status: EntryStatus
    status_label: str
    ended_on: dt.date | None
    end_reason: str
    successor: int | None = Field(description="并入（转为）的条目 id · merged into")
    created_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(EntryKind(obj.kind).label)

    @staticmethod
    def resolve_medium_label(obj) -> str:
        return str(LedgerMedium(obj.medium).label) if obj.medium else ""

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(EntryStatus(obj.status).label)

    @staticmethod
    def resolve_successor(obj) -> int | None:
        return obj.successor_id

    @staticmethod
    def resolve_basis_item(obj) -> dict | None:
        if obj.basis_item_key is None:
            return None
        return {
            "list_id": obj.basis_list_id,
            "key": obj.basis_item_key,
            "name": obj.basis_item_name,
        }


class EntryPage(PageMeta):
    items: list[EntryOut]


class FiguresOut(Schema):
    tasks: int = Field(description="工作事项 = 依法履职事项 + 准入协助事项")
    duties: int = Field(description="依法履职事项（职责清单）")
    admitted: int = Field(description="准入协助事项 · admissions in force there")
    hours: int = Field(description="年负担（小时），按准入测算 · hours per year")
    signboards: int
    signboard_cap: int = Field(description="挂牌上限（合计为各社区上限之和）")
    ledger_books: int = Field(description="纸质台账（本）")
    electronic_ledgers: int = Field(description="电子台账（种）")
    campaigns: int
    one_vote_veto: int
    systems: int
    unadmitted: int = Field(description="未经准入条目 · entries neither admitted nor listed")
    funds_committed_fen: int
    funds_transferred_fen: int
    workers: int = Field(description="社区工作者（人）")
    hours_per_worker: float | None


def _figures(figures: Figures | None) -> dict | None:
    if figures is None:
        return None
    return {**figures.as_dict(), "hours_per_worker": figures.hours_per_worker}


class ReductionOut(Schema):
    name: str = Field(description="指标 · the figure (a key of `figures`)")
    label: str
    baseline: int | None
    current: int
    reduction_percent: float | None = Field(
        description="较基线减少的百分比，负数为增加；无基线为 null · negative when it grew"
    )


def _reductions(comparisons: list[Comparison]) -> list[dict]:
    return [
        {
            "name": row.name,
            "label": figure_label(row.name),
            "baseline": row.baseline,
            "current": row.current,
            "reduction_percent": row.reduction,
        }
        for row in comparisons
    ]


class SnapshotOut(Schema):
    id: int
    taken_on: dt.date
    label: str
    is_baseline: bool
    source: SnapshotSource = Field(description="computed 系统统计 · survey 调查录入")
    source_label: str
    figures: FiguresOut


def _snapshot(snapshot: BurdenSnapshot | None) -> dict | None:
    if snapshot is None:
        return None
    return {
        "id": snapshot.pk,
        "taken_on": snapshot.taken_on,
        "label": snapshot.label,
        "is_baseline": snapshot.is_baseline,
        "source": snapshot.source,
        "source_label": str(SnapshotSource(snapshot.source).label),
        "figures": _figures(Figures(**{n: getattr(snapshot, n) for n in FIGURE_FIELDS})),
    }


class FlagsOut(Schema):
    over_cap: int = Field(description="超出上限的挂牌（块）· signboards beyond the cap")
    unadmitted: int = Field(description="未经准入条目 · unadmitted entries")
    one_vote_veto: int = Field(description="有一票否决的创建评比（项）· campaigns with a veto")


class BurdenOut(Schema):
    community: RegionBrief
    street: RegionBrief | None
    on: dt.date
    figures: FiguresOut
    baseline: SnapshotOut | None
    reductions: list[ReductionOut]
    flags: FlagsOut
    history: list[SnapshotOut] = Field(
        description="全部快照，按日期 · every snapshot, oldest first"
    )


class CommunitySummaryOut(Schema):
    community: RegionBrief
    street: RegionBrief | None
    figures: FiguresOut
    baseline: SnapshotOut | None
    reductions: list[ReductionOut]
    flags: FlagsOut


class SummaryOut(Schema):
    region: RegionBrief
    level: RegionLevel
    on: dt.date
    communities: list[CommunitySummaryOut]
    total: FiguresOut = Field(description="全部社区合计 · every community")
    baseline_total: FiguresOut | None = Field(description="有基线社区的基线合计")
    comparable: FiguresOut = Field(description="有基线社区的当前合计 · the same communities now")
    reductions: list[ReductionOut] = Field(
        description="有基线的社区合计较基线减少 · the communities with a baseline, compared"
    )
    with_baseline: int
    over_cap: int = Field(description="挂牌超限的社区数 · communities over the cap")
    flagged: int = Field(description="有问题的社区数（超限、一票否决或未经准入）")


def _flags(figures: Figures) -> dict:
    return {
        "over_cap": figures.over_cap,
        "unadmitted": figures.unadmitted,
        "one_vote_veto": figures.one_vote_veto,
    }


def _brief(region: Region | None) -> dict | None:
    return {"code": region.code, "name": region.name} if region is not None else None


# ---------------------------------------------------------------------------------------------
# Lookups


def _user(request: HttpRequest) -> User:
    return request.auth


def _readable(request: HttpRequest, region: Region | None) -> Region:
    """The region if the caller reads its burden: outside their jurisdiction 404, inside it
    without the right role 403."""
    user = _user(request)
    if region is None or not selectors.in_jurisdiction(user=user, region=region):
        raise NotFound()
    if not user.has_perm("burden.read", region):
        raise Forbidden()
    return region


def _community(request: HttpRequest, code: str) -> Region:
    return _readable(request, selectors.region_by_code(code, levels=(RegionLevel.COMMUNITY,)))


def _entry(request: HttpRequest, entry_id: int) -> InventoryEntry:
    entry = selectors.entry_by_id(entry_id)
    _readable(request, entry.community if entry is not None else None)
    return entry


def _day(on: dt.date | None) -> dt.date:
    today = timezone.localdate()
    if on is None:
        return today
    if on > today:
        raise InvalidInput(_("日期不能晚于今天。"), code="future_date")
    return on


# ---------------------------------------------------------------------------------------------
# Inventories


class InventoryFilters(Schema):
    status: Literal["active", "ended", "all"] = Field(
        "active", description="active 在用（默认）· ended 已清理 · all 全部"
    )
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


class EntryIn(Schema):
    name: str
    since: dt.date = Field(description="设立日期 · since when the community carries it")
    department_name: str = Field("", description="主管部门名称 · the department's name")
    admission_number: str = Field("", description="准入编号 · the admission allowing it")
    basis_item_key: uuid.UUID | None = Field(
        None, description="准许挂牌、职责或协助清单中事项的 key · the list item allowing it"
    )
    quantity: int = Field(1, description="台账本数 · ledger books (ledgers only)")
    medium: str = Field("", description="台账形式：paper 或 electronic（台账必填）")
    year: int | None = Field(None, description="台账年度 · ledgers only")
    one_vote_veto: bool = Field(False, description="一票否决 · campaigns only")
    notes: str = ""


class EntryPatch(Schema):
    name: str | None = None
    since: dt.date | None = None
    department_name: str | None = None
    admission_number: str | None = None
    basis_item_key: uuid.UUID | None = None
    quantity: int | None = None
    medium: str | None = None
    year: int | None = None
    one_vote_veto: bool | None = None
    notes: str | None = None


def _inventory_routes(path: str, kind: str) -> None:
    label = str(EntryKind(kind).label)

    @router.get(
        f"/communities/{{code}}/{path}",
        response=EntryPage,
        operation_id=f"burden_{path}_list",
        summary=f"{label} · A community's {path}, in use by default, by id",
    )
    def entry_list(request: HttpRequest, code: str, filters: Query[InventoryFilters]) -> dict:
        community = _community(request, code)
        entries = selectors.inventory_of(community=community, kind=kind, status=filters.status)
        return cursor_page(entries, key="id", cursor=filters.cursor, limit=filters.limit)

    @router.post(
        f"/communities/{{code}}/{path}",
        response={201: EntryOut},
        operation_id=f"burden_{path}_create",
        summary=f"登记{label} · Record one of a community's {path}",
    )
    def entry_create(request: HttpRequest, code: str, body: EntryIn):
        community = _community(request, code)
        entry = services.inventory_entry_create(
            actor=_user(request),
            community=community,
            kind=kind,
            **body.model_dump(exclude_unset=True),
        )
        return Status(201, selectors.entry_by_id(entry.pk))


for _path, _kind in INVENTORIES.items():
    _inventory_routes(_path, _kind)


@router.patch(
    "/burden/entries/{entry_id}",
    response=EntryOut,
    summary="更正条目 · Correct an entry still in use (only the fields sent)",
)
def entry_update(request: HttpRequest, entry_id: int, body: EntryPatch):
    entry = _entry(request, entry_id)
    values = body.model_dump(exclude_unset=True)
    services.inventory_entry_update(actor=_user(request), entry=entry, **values)
    return selectors.entry_by_id(entry.pk)


class EndIn(Schema):
    status: str = Field(
        description="removed 摘除 · merged 合并 · retired 停用 · digitised 转为电子台账"
    )
    ended_on: dt.date = Field(description="清理日期 · the day it ended")
    reason: str = Field("", description="清理说明 · why")
    successor_id: int | None = Field(
        None, description="合并或转为电子台账时，本社区同类在用条目的 id · merged into"
    )


@router.post(
    "/burden/entries/{entry_id}/end",
    response=EntryOut,
    summary="清理条目 · End an entry: removed, merged, retired or digitised",
)
def entry_end(request: HttpRequest, entry_id: int, body: EndIn):
    entry = _entry(request, entry_id)
    successor = None
    if body.successor_id is not None:
        successor = InventoryEntry.objects.filter(
            pk=body.successor_id, community=entry.community
        ).first()
        if successor is None:
            raise InvalidInput(
                _("请选择本社区同类、在用的条目作为合并（转入）对象。"), code="bad_successor"
            )
    services.inventory_entry_end(
        actor=_user(request),
        entry=entry,
        status=body.status,
        ended_on=body.ended_on,
        reason=body.reason,
        successor=successor,
    )
    return selectors.entry_by_id(entry.pk)


# ---------------------------------------------------------------------------------------------
# The burden index


class DayFilter(Schema):
    on: dt.date | None = Field(None, description="统计日期，默认今天 · default: today")


@router.get(
    "/communities/{code}/burden",
    response=BurdenOut,
    summary="负担指数 · A community's burden on a day, against its baseline, with its history",
)
def community_burden(request: HttpRequest, code: str, filters: Query[DayFilter]) -> dict:
    community = _community(request, code)
    index = selectors.community_index(community=community, on=_day(filters.on))
    return {
        "community": _brief(community),
        "street": _brief(community.parent),
        "on": index.on,
        "figures": _figures(index.figures),
        "baseline": _snapshot(index.baseline),
        "reductions": _reductions(index.comparisons),
        "flags": _flags(index.figures),
        "history": [_snapshot(s) for s in index.history],
    }


class SummaryFilter(Schema):
    region: str = Field(description="区或街道的区划代码 · a district's or street's code")
    on: dt.date | None = Field(None, description="统计日期，默认今天 · default: today")


@router.get(
    "/burden/summary",
    response=SummaryOut,
    summary="负担汇总 · Every community of a district or street, and their total",
)
def burden_summary(request: HttpRequest, filters: Query[SummaryFilter]) -> dict:
    region = _readable(
        request,
        selectors.region_by_code(filters.region, levels=(RegionLevel.DISTRICT, RegionLevel.STREET)),
    )
    summary = selectors.region_summary(region=region, on=_day(filters.on))
    lines = summary.communities
    return {
        "region": _brief(region),
        "level": region.level,
        "on": summary.on,
        "communities": [
            {
                "community": _brief(line.community),
                "street": _brief(line.community.parent),
                "figures": _figures(line.figures),
                "baseline": _snapshot(line.baseline),
                "reductions": _reductions(line.comparisons),
                "flags": _flags(line.figures),
            }
            for line in lines
        ],
        "total": _figures(summary.total),
        "baseline_total": _figures(summary.baseline_total),
        "comparable": _figures(summary.comparable),
        "reductions": _reductions(summary.comparisons),
        "with_baseline": sum(1 for line in lines if line.baseline is not None),
        "over_cap": sum(1 for line in lines if line.figures.over_cap),
        "flagged": sum(
            1
            for line in lines
            if line.figures.over_cap or line.figures.one_vote_veto or line.figures.unadmitted
        ),
    }


# ---------------------------------------------------------------------------------------------
# The survey import


class ImportErrorOut(Schema):
    sheet: str = Field(description="工作表 · the sheet (empty: the whole file)")
    row: int | None = Field(description="行号，表头为第 1 行 · the row as the user sees it")
    problems: list[str]


class ImportCountOut(Schema):
    code: str
    name: str
    signboard: int
    signboard_ended: int
    ledger: int
    ledger_ended: int
    ledger_books: int = Field(description="在用纸质台账（本）")
    campaign: int
    campaign_ended: int
    system: int
    system_ended: int
    unadmitted: int
    baseline: str = Field(description="基线的统计日期（有基线行时）")


class ImportOut(Schema):
    dry_run: bool
    file: str
    ok: bool
    errors: list[ImportErrorOut]
    communities: list[ImportCountOut] = Field(
        description="每个社区各类在用（_ended：已清理）条目数 · per community and kind"
    )
    totals: dict[str, int] = Field(description="各社区合计，键同 communities · the sums")
    created: int = Field(description="条目数（预览时为将写入的）· entries (to be) written")
    ended: int = Field(description="其中已清理的 · of which ended")
    baselines: int
    replaced_baselines: int
    skipped_examples: int
    sheets: list[str]
    ignored_sheets: list[str]
    unknown_columns: dict[str, list[str]]


@router.post(
    "/burden/import",
    response={200: ImportOut, 201: ImportOut},
    summary="导入社区负担调查 · Import a survey workbook (XLSX); a dry run by default",
)
def survey_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: Form[bool] = True,
):
    if file.size and file.size > MAX_BYTES:
        raise InvalidInput(
            _("文件不能超过 %(mb)d MB。") % {"mb": MAX_BYTES // (1024 * 1024)}, code="too_large"
        )
    report = survey_import(
        actor=_user(request), data=file.read(), filename=file.name or "", dry_run=dry_run
    )
    result = report.as_dict()
    if not report.ok:
        raise InvalidInput(
            _("调查表中有 %(n)d 处问题，未导入任何数据。") % {"n": len(report.errors)},
            code="import_rejected",
            details=result,
        )
    return Status(200 if dry_run else 201, result)
