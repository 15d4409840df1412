"""The stats API: a region's figures for a year with its children and its history, and the
departments' scorecards of its district(s).

Both read the precomputed figures (jianfu.reports.selectors), the same the dashboards, the
public portal and the annual notice show, and say when they were computed (`as_of`). A region
outside the caller's jurisdiction does not exist for them (`404`); nor does a year that has not
been counted.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from jianfu.burden.index import REDUCIBLE
from jianfu.core.db_router import reads_from_replica
from jianfu.core.errors import NotFound
from jianfu.org.models import Region, RegionLevel, User
from jianfu.reports import selectors

router = Router(tags=["stats"])


# ---------------------------------------------------------------------------------------------
# Output


class RegionBrief(Schema):
    code: str
    name: str
    level: RegionLevel


class StatsFiguresOut(Schema):
    """The burden index summed over the region's communities (jianfu.burden.index.Figures)."""

    tasks: int = Field(description="工作事项 = 依法履职事项 + 准入协助事项")
    duties: int = Field(description="依法履职事项（职责清单），各社区之和")
    admitted: int = Field(
        description="准入协助事项，各社区之和 · admissions in force, per community"
    )
    hours: int = Field(description="年负担（小时）· hours per year")
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


class ReductionsOut(Schema):
    """Per reducible figure: how much lighter the communities with a baseline are than their
    baselines, in percent to one decimal; negative when it grew, null without a baseline."""

    tasks: float | None
    hours: float | None
    signboards: float | None
    ledger_books: float | None
    campaigns: float | None
    one_vote_veto: float | None
    systems: float | None
    unadmitted: float | None


class EvaluationOut(Schema):
    targets: int = Field(description="评议对象（已通报的评议）· targets of published campaigns")
    revoked: int = Field(description="不过半数撤销 · revoked by the residents' verdict")
    satisfaction_percent: float | None = Field(description="平均满意率（%）")


class RegionStatsOut(Schema):
    region: RegionBrief
    year: int
    on: dt.date = Field(description="统计日期：年末，当年为刷新当天 · the day counted")
    computed_at: dt.datetime
    communities: int
    communities_with_baseline: int
    burden: StatsFiguresOut = Field(description="全部社区合计 · every community")
    baseline: StatsFiguresOut | None = Field(description="有基线社区的基线合计")
    comparable: StatsFiguresOut | None = Field(description="有基线社区的当前合计")
    reduction_percent: ReductionsOut
    admissions_in_force: int = Field(description="有效准入事项（不重复计）· distinct admissions")
    deliveries: int = Field(description="当年派发到达的任务 · deliveries of the year's tasks")
    unadmitted_deliveries: int
    refusals: int
    refusals_pending: int = Field(description="拒绝待审核")
    funds_delivery_percent: float | None = Field(description="经费到位率（%）")
    evaluation: EvaluationOut


class ChildStatsOut(RegionStatsOut):
    url: str = Field(description="下一级的统计 · this endpoint for the child")


class HistoryOut(Schema):
    year: int
    on: dt.date
    figures: dict[str, int] = Field(
        description="主要指标：tasks, hours, signboards, ledger_books, campaigns, "
        "one_vote_veto, systems, unadmitted"
    )
    reduction_percent: ReductionsOut
    admissions_in_force: int
    deliveries: int
    unadmitted_deliveries: int
    refusals: int
    funds_delivery_percent: float | None
    satisfaction_percent: float | None


class BurdenStatsOut(RegionStatsOut):
    children: list[ChildStatsOut] = Field(
        description="下一级区域（街道、社区；市的区），按代码 · one level down, by code"
    )
    history: list[HistoryOut] = Field(description="各统计年度，由远及近 · every year counted")
    years: list[int] = Field(description="已统计的年度，由近及远 · the years with figures")
    as_of: dt.datetime | None = Field(description="数据截至（最近一次统计完成的时间）")


class DepartmentBrief(Schema):
    id: int
    name: str


class DepartmentStatsOut(Schema):
    department: DepartmentBrief
    applications: dict[str, int] = Field(description="当年提交的准入申请，按状态 · by state")
    admissions_granted: int
    admissions_in_force: int
    admissions_revoked: int
    dispatches: int
    unadmitted_dispatches: int
    deliveries: int
    unadmitted_deliveries: int
    refusals: int
    refusals_of_unadmitted: int
    late_completions: int
    overdue_open: int
    funds_committed_fen: int
    funds_transferred_fen: int
    funds_delivery_percent: float | None = Field(description="经费到位率（%）")
    evaluation: EvaluationOut


class DepartmentsStatsOut(Schema):
    region: RegionBrief
    year: int
    years: list[int]
    as_of: dt.datetime | None
    departments: list[DepartmentStatsOut] = Field(
        description="区内（市、省为其各区合计）各部门，未经准入送达最多者在前 · worst first"
    )


# ---------------------------------------------------------------------------------------------
# Lookups


class StatsFilter(Schema):
    region: str | None = Field(
        None, description="区划代码，默认本人所在的区、街道或社区 · default: your own"
    )
    year: int | None = Field(None, description="年度，默认最近统计的年度 · default: the latest")


def _user(request: HttpRequest) -> User:
    return request.auth


def _region(request: HttpRequest, code: str | None) -> Region:
    """The region asked for, or the caller's own; 404 outside their jurisdiction."""
    user = _user(request)
    if not code:
        region = selectors.stats_root_of(user=user)
        if region is None:
            raise NotFound(_("您没有可查看统计数据的区域，请指定区划代码。"), code="no_region")
        code = region.code
    region = selectors.region_visible_to(user=user, code=code.strip())
    if region is None:
        raise NotFound()
    return region


def _year(year: int | None) -> tuple[int, list[int]]:
    """The year asked for (default: the latest counted) and every year counted; 404 for a
    year not counted."""
    years = selectors.stats_years()
    if not years:
        raise NotFound(_("尚无统计数据，请等待每日统计完成。"), code="not_counted")
    if year is None:
        return selectors.default_year(years), years
    if year not in years:
        raise NotFound(
            _("%(year)d 年度尚无统计数据。已统计的年度：%(years)s。")
            % {"year": year, "years": "、".join(str(y) for y in years)},
            code="year_not_counted",
        )
    return year, years


def _brief(region: Region) -> dict:
    return {"code": region.code, "name": region.name, "level": region.level}


def _drill_down(code: str, year: int) -> str:
    return reverse("api:stats_burden") + "?" + urlencode({"region": code, "year": year})


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _history(stats: selectors.RegionStats) -> dict:
    row = stats.row
    return {
        "year": row.year,
        "on": row.on,
        "figures": {name: row.burden.get(name, 0) for name in REDUCIBLE},
        "reduction_percent": stats.reductions,
        "admissions_in_force": row.admissions_in_force,
        "deliveries": row.deliveries,
        "unadmitted_deliveries": row.unadmitted_deliveries,
        "refusals": row.refusals,
        "funds_delivery_percent": _percent(stats.funds_delivery_rate),
        "satisfaction_percent": _percent(row.satisfaction),
    }


# ---------------------------------------------------------------------------------------------
# Endpoints


@router.get(
    "/stats/burden",
    response=BurdenStatsOut,
    url_name="stats_burden",
    summary="减负统计 · A region's figures for a year, its children's and its history",
)
@reads_from_replica
def stats_burden(request: HttpRequest, filters: Query[StatsFilter]) -> dict:
    region = _region(request, filters.region)
    year, years = _year(filters.year)
    stats, counted_children = selectors.region_and_children_stats(region=region, year=year)
    if stats is None:
        raise NotFound(
            _("%(region)s %(year)d 年度没有统计数据。") % {"region": region.name, "year": year},
            code="region_not_counted",
        )
    children = []
    for child in counted_children:
        children.append(
            {**selectors.region_dict(child), "url": _drill_down(child.row.region_id, year)}
        )
    return {
        **selectors.region_dict(stats),
        "children": children,
        "history": [_history(past) for past in selectors.region_history(region=region)],
        "years": years,
        "as_of": selectors.as_of(),
    }


@router.get(
    "/stats/departments",
    response=DepartmentsStatsOut,
    url_name="stats_departments",
    summary="部门统计 · The departments' scorecards in a region's district(s), worst first",
)
@reads_from_replica
def stats_departments(request: HttpRequest, filters: Query[StatsFilter]) -> dict:
    region = _region(request, filters.region)
    year, years = _year(filters.year)
    rows = selectors.department_stats(region=region, year=year)
    return {
        "region": _brief(region),
        "year": year,
        "years": years,
        "as_of": selectors.as_of(),
        "departments": [selectors.department_dict(row) for row in rows],
    }
