"""Reading the figures: one set of selectors for the dashboards, the API, the public portal and
the annual notice, so a figure is the same wherever it is shown.

Every read is of the precomputed rows (jianfu.reports.models); `as_of` says when they were
computed. The dicts of `region_dict` and `department_dict` are the one machine-readable form
(the API, the daily dump and the notice's workbook).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from functools import cache
from typing import NamedTuple

from django.db import models
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast

from jianfu.admission.models import ApplicationState
from jianfu.burden.index import Comparison, Figures, compare
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.org.roles import DISTRICT_ROLES, Role
from jianfu.org.rules import active_unit
from jianfu.reports.models import DepartmentFigures, RegionFigures, StatsRefresh
from jianfu.reports.rules import DEPARTMENT_ROLES

# The figures of a department's row that are counts, summed across districts.
DEPARTMENT_COUNTS = (
    "admissions_granted",
    "admissions_in_force",
    "admissions_revoked",
    "dispatches",
    "unadmitted_dispatches",
    "deliveries",
    "unadmitted_deliveries",
    "refusals",
    "refusals_of_unadmitted",
    "late_completions",
    "overdue_open",
    "funds_committed_fen",
    "funds_transferred_fen",
    "targets",
    "targets_revoked",
    "rated_targets",
    "satisfaction_sum",
)


def as_of() -> dt.datetime | None:
    """When the figures were last computed (the end of the last finished refresh)."""
    run = StatsRefresh.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
    return run.finished_at if run is not None else None


def stats_years() -> list[int]:
    """The years that have figures, latest first."""
    return sorted(
        set(RegionFigures.objects.values_list("year", flat=True).distinct().order_by()),
        reverse=True,
    )


def default_year(years: list[int]) -> int | None:
    """The year a page opens on: this year if counted, else the latest counted."""
    return years[0] if years else None


# Regions -----------------------------------------------------------------------------------


@dataclass
class RegionStats:
    """A region's figures for a year, with what follows from them."""

    row: RegionFigures

    @property
    def region(self) -> Region:
        return self.row.region

    @property
    def figures(self) -> Figures:
        return Figures(**self.row.burden)

    @property
    def baseline(self) -> Figures | None:
        return Figures(**self.row.baseline) if self.row.baseline is not None else None

    @property
    def comparable(self) -> Figures | None:
        return Figures(**self.row.comparable) if self.row.comparable is not None else None

    @property
    def comparisons(self) -> list[Comparison]:
        """Before (the baselines) and after (the same communities now), per reducible figure."""
        if self.row.comparable is None:
            return compare(self.figures, None)
        return compare(self.comparable, self.baseline)

    @property
    def reductions(self) -> dict[str, float | None]:
        return {c.name: c.reduction for c in self.comparisons}

    @property
    def funds_delivery_rate(self) -> float | None:
        figures = self.figures
        if not figures.funds_committed_fen:
            return None
        return figures.funds_transferred_fen / figures.funds_committed_fen

    @property
    def unadmitted_rate(self) -> float | None:
        row = self.row
        return row.unadmitted_deliveries / row.deliveries if row.deliveries else None


def region_stats(*, region: Region, year: int) -> RegionStats | None:
    """The region's figures for the year, None if not computed (yet)."""
    row = RegionFigures.objects.select_related("region").filter(region=region, year=year).first()
    return RegionStats(row) if row is not None else None


def region_and_children_stats(
    *, region: Region, year: int
) -> tuple[RegionStats | None, list[RegionStats]]:
    """The region's figures for the year (None if not computed yet) and those of the regions
    one level below it (a district's streets, a street's communities; a city's districts), by
    code; one query, as a dashboard shows them together."""
    rows = (
        RegionFigures.objects.select_related("region")
        .filter(Q(region=region) | Q(parent_code=region.code), year=year)
        .order_by("region_id")
    )
    own, children = None, []
    for row in rows:
        if row.region_id == region.code:
            own = RegionStats(row)
        else:
            children.append(RegionStats(row))
    return own, children


def region_history(*, region: Region) -> list[RegionStats]:
    """The region's figures for every counted year, oldest first (the charts over time)."""
    rows = RegionFigures.objects.select_related("region").filter(region=region).order_by("year")
    return [RegionStats(row) for row in rows]


def region_path(region: Region) -> list[Region]:
    """The regions above this one that have figures, top first (the drill-down's breadcrumb)."""
    codes = []
    code = region.parent_id
    seen = 0
    while code and seen < len(RegionLevel.values):
        codes.append(code)
        code = Region.objects.filter(code=code).values_list("parent_id", flat=True).first()
        seen += 1
    counted = set(
        RegionFigures.objects.filter(region_id__in=codes).values_list("region_id", flat=True)
    )
    regions = Region.objects.in_bulk([c for c in codes if c in counted])
    return [regions[c] for c in reversed(codes) if c in regions]


def stats_root_of(*, user: User) -> Region | None:
    """The region a signed-in user's dashboard opens on: the district for its offices and
    departments, the street for its officers, the community for its officers."""
    unit = active_unit(user)
    if unit is None:
        return None
    if user.has_role(*DISTRICT_ROLES, *DEPARTMENT_ROLES) and unit.district_code:
        return Region.objects.filter(code=unit.district_code, level=RegionLevel.DISTRICT).first()
    region = unit.region
    if region is None:
        return None
    if user.has_role(Role.STREET_OFFICER) and region.level == RegionLevel.STREET:
        return region
    if user.has_role(Role.COMMUNITY_OFFICER) and region.level == RegionLevel.COMMUNITY:
        return region
    return None


def region_visible_to(*, user: User, code: str) -> Region | None:
    """The region of that code if the user may read its figures; else None (a 404)."""
    region = Region.objects.filter(code=code).first()
    if region is None or not user.has_perm("reports.read_region", region):
        return None
    return region


def public_regions() -> QuerySet[Region]:
    """The regions the public portal opens on: every district, city and province counted."""
    counted = RegionFigures.objects.filter(
        level__in=[RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.DISTRICT]
    ).values("region_id")
    return Region.objects.filter(code__in=counted).order_by("code")


def public_region(code: str) -> Region | None:
    """A region the portal shows: a counted one at any level (community figures are not
    personal data: they are what the reform publishes)."""
    if not RegionFigures.objects.filter(region_id=code).exists():
        return None
    return Region.objects.filter(code=code).first()


# Departments -------------------------------------------------------------------------------


class DepartmentName(NamedTuple):
    """What a department's record shows of its department (the pages, the API, the order):
    read with the sums in the same statement, so a province's thousand records build no Unit."""

    pk: int
    name: str
    sort_key: str

    @classmethod
    def of(cls, unit: Unit) -> DepartmentName:
        return cls(unit.pk, unit.name, unit.sort_key)


@dataclass
class DepartmentStats:
    """A department's record over one district, or summed over a city's or province's."""

    department: DepartmentName
    applications: dict[str, int] = field(default_factory=dict)
    admissions_granted: int = 0
    admissions_in_force: int = 0
    admissions_revoked: int = 0
    dispatches: int = 0
    unadmitted_dispatches: int = 0
    deliveries: int = 0
    unadmitted_deliveries: int = 0
    refusals: int = 0
    refusals_of_unadmitted: int = 0
    late_completions: int = 0
    overdue_open: int = 0
    funds_committed_fen: int = 0
    funds_transferred_fen: int = 0
    targets: int = 0
    targets_revoked: int = 0
    rated_targets: int = 0
    satisfaction_sum: float = 0.0

    @property
    def delivery_rate(self) -> float | None:
        """经费到位率."""
        if not self.funds_committed_fen:
            return None
        return self.funds_transferred_fen / self.funds_committed_fen

    @property
    def unadmitted_rate(self) -> float | None:
        return self.unadmitted_deliveries / self.deliveries if self.deliveries else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfaction_sum / self.rated_targets if self.rated_targets else None

    @property
    def applications_total(self) -> int:
        return sum(self.applications.values())

    def add(self, row: DepartmentFigures) -> None:
        """Add a district's row to the record."""
        for name in DEPARTMENT_COUNTS:
            setattr(self, name, getattr(self, name) + getattr(row, name))
        for state, n in row.applications.items():
            self.applications[state] = self.applications.get(state, 0) + n


# _department_records builds the records positionally: the figures follow the department and
# its applications in DEPARTMENT_COUNTS' order.
assert tuple(f.name for f in fields(DepartmentStats))[2:] == DEPARTMENT_COUNTS


def _department_order(row: DepartmentStats) -> tuple:
    # The departments pushing unadmitted work come first: what the district head looks for.
    return (-row.unadmitted_deliveries, -row.refusals, row.department.sort_key, row.department.pk)


class Total(Sum):
    """SUM of an integer or float column, taken as the driver hands it over: SQLite and
    PostgreSQL give an int for a sum of integers (PostgreSQL sums an integer into a bigint)
    and a float for a sum of floats. With no value to convert in any column (see BigTotal),
    Django hands the rows over as the driver gives them, which matters when a province's
    thousand departments each bring some thirty sums. A group always has a row, so no column's
    sum is NULL (an application state that none of the group's rows has is, and comes as None)."""

    @property
    def convert_value(self):
        return self._convert_value_noop


class BigTotal(Cast):
    """SUM of a bigint column cast back to a bigint in SQL (PostgreSQL sums a bigint into a
    numeric, which would come as a Decimal to convert), taken as the driver hands it over."""

    def __init__(self, name: str):
        super().__init__(Sum(name), models.BigIntegerField())

    @property
    def convert_value(self):
        return self._convert_value_noop


def _total(name: str) -> Total | BigTotal:
    column = DepartmentFigures._meta.get_field(name)
    return BigTotal(name) if isinstance(column, models.BigIntegerField) else Total(name)


class JSONCount(models.Func):
    """A count kept under `key` in a JSON object column, as an integer (NULL where absent): one
    JSON_EXTRACT on SQLite, `->>` cast on PostgreSQL. Django's key transform wraps the SQLite
    extraction in a CASE of two more JSON calls (to tell JSON's true, false and null from text),
    which a count never is; over a province's thousand department rows that tripled the
    statement's time."""

    output_field = models.IntegerField()

    def __init__(self, column: str, key: str) -> None:
        if not key.isidentifier():
            raise ValueError(f"not a plain key: {key!r}")
        super().__init__(models.F(column))
        self.key = key

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"JSON_EXTRACT({column}, '$.{self.key}')", params

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"(({column} ->> '{self.key}')::integer)", params


# A row's applications are a JSON object {state: count} of the states its department's
# applications were in (the refresh counts Application.state, so the keys are these states).
# Each state's count is summed in SQL with the other figures, not decoded row by row here.
APPLICATION_STATES = tuple(ApplicationState.values)
APPLICATION_SUMS = {
    f"applications_{state}": Total(JSONCount("applications", state)) for state in APPLICATION_STATES
}


@cache
def _department_sums() -> QuerySet:
    """Per (year, department): its name and sort key, each figure's sum and each application
    state's. Built once per process and filtered per read: resolving thirty aggregates anew
    was a tenth of a province dashboard's read. Never evaluated itself, so it holds no rows."""
    return (
        DepartmentFigures.objects.values_list(
            "year", "department_id", "department__name", "department__sort_key"
        )
        .annotate(**{name: _total(name) for name in DEPARTMENT_COUNTS}, **APPLICATION_SUMS)
        .order_by()
    )


def _districts_in(region: Region) -> Q:
    """The department rows of the districts within the region (by code range)."""
    first, last = region.code_range
    return Q(district__code__gte=first, district__code__lte=last)


def _department_records(condition: Q) -> dict[tuple, DepartmentStats]:
    """The figures of the rows meeting `condition`, summed in SQL per (year, department), as
    DepartmentStats, each with its department's name and sort key and its applications by
    state; one statement."""
    width = 4 + len(DEPARTMENT_COUNTS)
    records: dict[tuple, DepartmentStats] = {}
    for found in _department_sums().filter(condition):
        counts = found[width:]
        applications = (
            {state: n for state, n in zip(APPLICATION_STATES, counts, strict=True) if n is not None}
            if counts.count(None) < len(counts)
            else {}
        )
        # The figures come in the dataclass's order (checked below the class).
        records[(found[0], found[1])] = DepartmentStats(
            DepartmentName(*found[1:4]), applications, *found[4:width]
        )
    return records


def department_stats(
    *, region: Region, year: int, department: Unit | None = None
) -> list[DepartmentStats]:
    """Each department's record in the region's district (a city's or province's: summed over
    its districts in SQL; a street's or community's: its district's), worst first."""
    condition = Q(year=year)
    if LEVEL_ORDER_INDEX[region.level] >= LEVEL_ORDER_INDEX[RegionLevel.DISTRICT]:
        condition &= Q(district_id=region.district_code)
    else:
        condition &= _districts_in(region)
    if department is not None:
        condition &= Q(department=department)
    records = _department_records(condition)
    return sorted(records.values(), key=_department_order)


def department_history(
    *, department: Unit, within: Region | None = None
) -> list[tuple[int, DepartmentStats]]:
    """(year, the department's record) for every counted year, oldest first: its own scorecard
    over time, over every district it worked in (or one)."""
    condition = Q(department=department)
    if within is not None:
        condition &= _districts_in(within)
    records = _department_records(condition)
    return sorted(((year, record) for (year, _pk), record in records.items()), key=lambda r: r[0])


def department_of(*, user: User) -> Unit | None:
    """The department a department user acts for (their own scorecard)."""
    unit = active_unit(user)
    if unit is None or not user.has_role(*DEPARTMENT_ROLES) or unit.type != UnitType.DEPARTMENT:
        return None
    return unit


LEVEL_ORDER_INDEX = {level: index for index, level in enumerate(RegionLevel.values)}


# The one machine-readable form -------------------------------------------------------------


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def region_dict(stats: RegionStats) -> dict:
    """A region's figures as plain data (API, dump, workbook). Money in fen, rates in percent
    to one decimal."""
    row = stats.row
    return {
        "region": {"code": row.region_id, "name": row.region.name, "level": row.level},
        "year": row.year,
        "on": row.on.isoformat(),
        "computed_at": row.computed_at.isoformat(),
        "communities": row.communities,
        "communities_with_baseline": row.with_baseline,
        "burden": row.burden,
        "baseline": row.baseline,
        "comparable": row.comparable,
        "reduction_percent": {c.name: c.reduction for c in stats.comparisons},
        "admissions_in_force": row.admissions_in_force,
        "deliveries": row.deliveries,
        "unadmitted_deliveries": row.unadmitted_deliveries,
        "refusals": row.refusals,
        "refusals_pending": row.refusals_pending,
        "funds_delivery_percent": _percent(stats.funds_delivery_rate),
        "evaluation": {
            "targets": row.targets,
            "revoked": row.targets_revoked,
            "satisfaction_percent": _percent(row.satisfaction),
        },
    }


def department_dict(stats: DepartmentStats) -> dict:
    """A department's record as plain data (API, dump, workbook)."""
    return {
        "department": {"id": stats.department.pk, "name": stats.department.name},
        "applications": stats.applications,
        "admissions_granted": stats.admissions_granted,
        "admissions_in_force": stats.admissions_in_force,
        "admissions_revoked": stats.admissions_revoked,
        "dispatches": stats.dispatches,
        "unadmitted_dispatches": stats.unadmitted_dispatches,
        "deliveries": stats.deliveries,
        "unadmitted_deliveries": stats.unadmitted_deliveries,
        "refusals": stats.refusals,
        "refusals_of_unadmitted": stats.refusals_of_unadmitted,
        "late_completions": stats.late_completions,
        "overdue_open": stats.overdue_open,
        "funds_committed_fen": stats.funds_committed_fen,
        "funds_transferred_fen": stats.funds_transferred_fen,
        "funds_delivery_percent": _percent(stats.delivery_rate),
        "evaluation": {
            "targets": stats.targets,
            "revoked": stats.targets_revoked,
            "satisfaction_percent": _percent(stats.satisfaction),
        },
    }


# The pages (jianfu.reports.views) ----------------------------------------------------------


def busiest_district(*, year: int) -> Region | None:
    """The district whose communities received the most tasks in the year (then the first by
    code): where the public scorecard opens."""
    row = (
        RegionFigures.objects.select_related("region")
        .filter(level=RegionLevel.DISTRICT, year=year)
        .order_by("-deliveries", "region_id")
        .first()
    )
    return row.region if row is not None else None


def department_visible_to(*, user: User | None, unit_id: int) -> Unit | None:
    """The department of that id if the user may read its scorecard (anyone, `user` None, on
    the public portal); else None (a 404)."""
    department = Unit.objects.filter(pk=unit_id, type=UnitType.DEPARTMENT).first()
    if department is None:
        return None
    if user is not None and not user.has_perm("reports.read_department", department):
        return None
    return department


def scorecard_region_for(*, user: User | None, department: Unit, wanted: str = "") -> Region | None:
    """The region a department's scorecard is counted over: a district office's own district
    (the figures are kept to what it may read); for the department itself or the public, the
    region asked for if counted, else the department's district (or its own region above)."""
    if user is not None and not is_the_department_user(user, department):
        unit = active_unit(user)
        code = unit.district_code if unit is not None else ""
        return Region.objects.filter(code=code).first() if code else None
    if wanted and RegionFigures.objects.filter(region_id=wanted).exists():
        return Region.objects.filter(code=wanted).first()
    code = department.district_code or department.region_id
    return Region.objects.filter(code=code).first() if code else None


def is_the_department_user(user: User, department: Unit) -> bool:
    unit = active_unit(user)
    return unit is not None and user.has_role(*DEPARTMENT_ROLES) and unit.pk == department.pk


@dataclass
class Headline:
    """What the home page shows of the figures: the user's region for the latest year, and a
    department user's own record there."""

    region: Region
    year: int
    stats: RegionStats | None
    department: Unit | None = None
    department_stats: DepartmentStats | None = None
    chart: dict | None = None

    @property
    def chart_rows(self) -> list[tuple[str, float]]:
        """The chart's numbers for the table beside it."""
        if not self.chart:
            return []
        return list(zip(self.chart["categories"], self.chart["series"][0]["data"], strict=True))

    @property
    def tasks(self) -> Comparison | None:
        return self.stats.comparisons[0] if self.stats is not None else None


def headline_for(*, user: User) -> Headline | None:
    """The home page's "减负成效" section: None for a user without a region to read."""
    region = stats_root_of(user=user)
    if region is None:
        return None
    year = default_year(stats_years())
    if year is None:
        return Headline(region, timezone_year(), None)
    # Imported here: the charts read this module's dataclasses.
    from jianfu.reports.charts import headline_chart

    stats = region_stats(region=region, year=year)
    headline = Headline(region, year, stats)
    if stats is not None and stats.baseline is not None:
        headline.chart = headline_chart(stats)
    department = department_of(user=user)
    if department is not None:
        rows = department_stats(region=region, year=year, department=department)
        headline.department = department
        headline.department_stats = (
            rows[0] if rows else DepartmentStats(DepartmentName.of(department))
        )
    return headline


def timezone_year() -> int:
    from django.utils import timezone

    return timezone.localdate().year


# The public portal's front page and daily dump (jianfu.portal) -----------------------------


def latest_public_district_stats() -> list[RegionStats]:
    """Each counted district's figures for its latest counted year, by code; one query however
    many districts there are."""
    latest = (
        RegionFigures.objects.filter(region_id=OuterRef("region_id"))
        .order_by("-year")
        .values("year")[:1]
    )
    rows = (
        RegionFigures.objects.select_related("region")
        .filter(level=RegionLevel.DISTRICT, year=Subquery(latest))
        .order_by("region_id")
    )
    return [RegionStats(row) for row in rows]


def all_region_stats() -> list[RegionStats]:
    """Every counted region's figures for every year (the daily dump), by year then code; one
    query."""
    rows = RegionFigures.objects.select_related("region").order_by("year", "region_id")
    return [RegionStats(row) for row in rows]


def all_department_stats() -> list[tuple[Region, int, DepartmentStats]]:
    """(district, year, the department's record there) for every department, district and
    counted year (the daily dump), by year, district and the departments' order; one query."""
    rows = DepartmentFigures.objects.select_related("department", "district").order_by(
        "year", "district_id", "department__sort_key", "department_id"
    )
    result = []
    for row in rows:
        stats = DepartmentStats(DepartmentName.of(row.department))
        stats.add(row)
        result.append((row.district, row.year, stats))
    return result
