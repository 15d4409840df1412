"""The nightly refresh of the figures (jianfu.reports.models), and the annual notice.

The refresh reads the live records through the apps' own selectors (the burden index, the
violation accounting, the funding figures, the published evaluation results) district by
district, and replaces each district's rows for a year in one transaction, so a page never
sees half a district. Cities and provinces are summed from their districts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from jianfu.admission.models import Admission, AdmissionScope, AdmissionState, Application
from jianfu.burden.index import Figures, baselines_of, burden_figures, figures_of
from jianfu.burden.models import BurdenSnapshot
from jianfu.core.audit import audit_record
from jianfu.dispatch.models import Delivery, DeliveryStatus, Task
from jianfu.dispatch.selectors import SENT_STATUSES, departments_for_violations, violations
from jianfu.evaluation.models import Campaign, CampaignState, Outcome, Target
from jianfu.funds.selectors import funding_by_department
from jianfu.org.models import LEVEL_ORDER, Region, RegionLevel, Unit, UnitType, User
from jianfu.reports.models import DepartmentFigures, RegionFigures, StatsRefresh

# How far back the refresh looks for a first year with records (a survey baseline from before
# Jianfu was used opens the history).
OLDEST_YEAR_BACK = 20

Progress = Callable[[int, int], None]


def stats_years(*, today: dt.date | None = None) -> list[int]:
    """The years with records to count: from the first admission, task, snapshot (a survey
    baseline opens the history) or campaign to this year. An inventory entry's "since" does
    not: a signboard hung in 2006 does not make 2006 a year of the reform."""
    today = today or timezone.localdate()
    firsts = [
        Admission.objects.aggregate(first=Min("valid_from"))["first"],
        Task.objects.aggregate(first=Min("created_at"))["first"],
        BurdenSnapshot.objects.aggregate(first=Min("taken_on"))["first"],
    ]
    years = [value.year for value in firsts if value is not None]
    first_campaign = Campaign.objects.aggregate(first=Min("year"))["first"]
    if first_campaign is not None:
        years.append(first_campaign)
    first = max(min(years, default=today.year), today.year - OLDEST_YEAR_BACK)
    return list(range(first, today.year + 1))


def districts_with_communities() -> list[Region]:
    """Every district that has a community in force: the ones the refresh counts."""
    codes = {
        code[:6] + "000000"
        for code in Region.objects.filter(
            level=RegionLevel.COMMUNITY, valid_until__isnull=True
        ).values_list("code", flat=True)
    }
    return list(Region.objects.filter(code__in=codes, level=RegionLevel.DISTRICT).order_by("code"))


def stats_refresh(
    *,
    actor: User | None,
    years: Iterable[int] | None = None,
    districts: Iterable[Region] | None = None,
    progress: Progress | None = None,
) -> StatsRefresh:
    """Recompute the figures of every district (or those given) for the years given (default:
    every year with records), and the cities and provinces above them."""
    today = timezone.localdate()
    years = sorted(set(years) if years is not None else stats_years(today=today))
    years = [year for year in years if year <= today.year]
    districts = list(districts) if districts is not None else districts_with_communities()
    run = StatsRefresh.objects.create(started_at=timezone.now(), years=years, started_by=actor)
    total, done = len(years) * len(districts), 0
    for year in years:
        on = min(today, dt.date(year, 12, 31))
        for district in districts:
            with transaction.atomic():
                regions, departments = _district_rows(district, year, on)
                RegionFigures.objects.filter(
                    region__code__startswith=district.prefix, year=year
                ).delete()
                RegionFigures.objects.bulk_create(regions)
                DepartmentFigures.objects.filter(district=district, year=year).delete()
                DepartmentFigures.objects.bulk_create(departments)
            run.regions += len(regions)
            run.departments += len(departments)
            done += 1
            if progress is not None:
                progress(done, total)
        with transaction.atomic():
            run.regions += _roll_up(year, on)
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at", "regions", "departments"])
    audit_record(
        actor=actor,
        action="reports.stats_refresh",
        target=run,
        changes={"years": years, "districts": len(districts), "regions": run.regions},
    )
    return run


def stats_refresh_nightly() -> str:
    """The daily job: every year, every district."""
    run = stats_refresh(actor=None)
    return f"{len(run.years)} years, {run.regions} regions, {run.departments} departments"


# One district ------------------------------------------------------------------------------


def _empty_region(region: Region, year: int, on: dt.date, now: dt.datetime) -> RegionFigures:
    return RegionFigures(
        region=region,
        year=year,
        level=region.level,
        parent_code=region.parent_id or "",
        on=on,
        computed_at=now,
        burden=Figures(signboard_cap=0).as_dict(),
    )


def _district_rows(
    district: Region, year: int, on: dt.date
) -> tuple[list[RegionFigures], list[DepartmentFigures]]:
    """The district's, its streets' and its communities' rows, and its departments'."""
    now = timezone.now()
    regions = {
        region.code: region
        for region in Region.objects.filter(
            code__startswith=district.prefix,
            level__in=[RegionLevel.STREET, RegionLevel.COMMUNITY],
            valid_until__isnull=True,
        ).order_by("code")
    }
    regions[district.code] = district
    rows = {code: _empty_region(region, year, on, now) for code, region in regions.items()}

    def chain(code: str) -> list[RegionFigures]:
        """The row of the region and of each region above it up to the district."""
        found = []
        if code not in rows:
            # A community or street no longer in force: its work still counts above it.
            street = code[:9] + "000"
            code = street if street in rows else district.code
        while code in rows:
            found.append(rows[code])
            if code == district.code:
                break
            code = regions[code].parent_id or district.code
        return found

    communities = [r for r in regions.values() if r.level == RegionLevel.COMMUNITY]
    figures = burden_figures(communities, on=on)
    baselines = {
        code: snapshot
        for code, snapshot in baselines_of(figures).items()
        if snapshot.taken_on <= on
    }
    sums: dict[str, dict[str, Figures]] = defaultdict(dict)
    for community in communities:
        current = figures[community.code]
        snapshot = baselines.get(community.code)
        for row in chain(community.code):
            code = row.region_id
            row.communities += 1
            sums[code].setdefault("burden", Figures(signboard_cap=0)).add(current)
            if snapshot is not None:
                row.with_baseline += 1
                sums[code].setdefault("baseline", Figures(signboard_cap=0)).add(
                    figures_of(snapshot)
                )
                sums[code].setdefault("comparable", Figures(signboard_cap=0)).add(current)
    for code, named in sums.items():
        row = rows[code]
        row.burden = named["burden"].as_dict()
        row.baseline = named["baseline"].as_dict() if "baseline" in named else None
        row.comparable = named["comparable"].as_dict() if "comparable" in named else None

    # Distinct admissions in force: one admission covering ten communities is one for the street.
    in_force = (
        AdmissionScope.objects.filter(
            region__code__startswith=district.prefix,
            admission__state=AdmissionState.ACTIVE,
            admission__valid_from__lte=on,
            admission__valid_until__gte=on,
        )
        .filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=on))
        .values_list("region_id", "admission_id")
    )
    admissions: dict[str, set[int]] = defaultdict(set)
    for code, admission_id in in_force:
        for row in chain(code):
            admissions[row.region_id].add(admission_id)
    for code, ids in admissions.items():
        rows[code].admissions_in_force = len(ids)

    deliveries = (
        Delivery.objects.filter(
            region__code__startswith=district.prefix,
            task__status__in=SENT_STATUSES,
            task__created_at__year=year,
        )
        .values("region_id")
        .annotate(
            n=Count("pk"),
            unadmitted=Count("pk", filter=Q(admitted_on_arrival=False)),
            refused=Count("pk", filter=Q(status=DeliveryStatus.REFUSED)),
            pending=Count("pk", filter=Q(status=DeliveryStatus.REFUSAL_REQUESTED)),
        )
        .order_by()
    )
    for found in deliveries:
        for row in chain(found["region_id"]):
            row.deliveries += found["n"]
            row.unadmitted_deliveries += found["unadmitted"]
            row.refusals += found["refused"]
            row.refusals_pending += found["pending"]

    targets = _published_targets(district, year)
    for region_id, _department_id, outcome, rate in targets:
        for row in chain(region_id):
            _count_target(row, outcome, rate)

    return list(rows.values()), _department_rows(district, year, on, now, targets)


def _published_targets(district: Region, year: int) -> list[tuple[str, int, str, float | None]]:
    """(region, department, outcome, rate) of each target of the district's published
    campaigns of the year: only published verdicts are counted anywhere."""
    return list(
        Target.objects.filter(
            campaign__district=district,
            campaign__year=year,
            campaign__state=CampaignState.PUBLISHED,
        ).values_list("region_id", "department_id", "outcome", "rate")
    )


def _count_target(row, outcome: str, rate: float | None) -> None:
    row.targets += 1
    if outcome == Outcome.REVOKED:
        row.targets_revoked += 1
    if rate is not None:
        row.rated_targets += 1
        row.satisfaction_sum += rate


def _department_rows(
    district: Region,
    year: int,
    on: dt.date,
    now: dt.datetime,
    targets: list[tuple[str, int, str, float | None]],
) -> list[DepartmentFigures]:
    """Each department's record in the district: its own, and a city's whose work reached it."""
    rows: dict[int, DepartmentFigures] = {}

    def row_of(department_id: int) -> DepartmentFigures:
        row = rows.get(department_id)
        if row is None:
            row = rows[department_id] = DepartmentFigures(
                department_id=department_id, district=district, year=year, computed_at=now
            )
        return row

    departments = departments_for_violations(user=None, district_code=district.code)
    for found in violations(departments=departments, year=year, within=district.prefix):
        if not (found.dispatches or found.deliveries):
            continue
        row = row_of(found.department.pk)
        for name in (
            "dispatches",
            "unadmitted_dispatches",
            "deliveries",
            "unadmitted_deliveries",
            "refusals",
            "refusals_of_unadmitted",
            "late_completions",
            "overdue_open",
        ):
            setattr(row, name, getattr(found, name))

    applications = (
        Application.objects.filter(district=district, submitted_at__year=year)
        .values_list("department_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for department_id, state, n in applications:
        row_of(department_id).applications[state] = n
    admissions = Admission.objects.filter(district=district)
    for department_id, n in (
        admissions.filter(year=year).values_list("department_id").annotate(n=Count("pk")).order_by()
    ):
        row_of(department_id).admissions_granted = n
    for department_id, n in (
        admissions.filter(state=AdmissionState.ACTIVE, valid_from__lte=on, valid_until__gte=on)
        .values_list("department_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        row_of(department_id).admissions_in_force = n
    for department_id, n in (
        AdmissionScope.objects.filter(admission__district=district, revoked_on__year=year)
        .values_list("admission__department_id")
        .annotate(n=Count("admission_id", distinct=True))
        .order_by()
    ):
        row_of(department_id).admissions_revoked = n
    for department_id, (committed, transferred) in funding_by_department(
        prefix=district.prefix, year=year
    ).items():
        row = row_of(department_id)
        row.funds_committed_fen, row.funds_transferred_fen = committed, transferred
    for _region_id, department_id, outcome, rate in targets:
        _count_target(row_of(department_id), outcome, rate)
    # Only departments proper: a street office that sent work down is not on the scorecard.
    departments_proper = set(
        Unit.objects.filter(pk__in=rows, type=UnitType.DEPARTMENT).values_list("pk", flat=True)
    )
    return [row for pk, row in rows.items() if pk in departments_proper]


# Cities and provinces ----------------------------------------------------------------------

_SUMMED = (
    "communities",
    "with_baseline",
    "admissions_in_force",
    "deliveries",
    "unadmitted_deliveries",
    "refusals",
    "refusals_pending",
    "targets",
    "targets_revoked",
    "rated_targets",
    "satisfaction_sum",
)


def _add_figures(into: dict | None, more: dict | None) -> dict | None:
    if more is None:
        return into
    total = Figures(**into) if into is not None else Figures(signboard_cap=0)
    total.add(Figures(**more))
    return total.as_dict()


def _roll_up(year: int, on: dt.date) -> int:
    """Sum the year's district rows into their cities and provinces; return the rows made."""
    now = timezone.now()
    above = [level for level in LEVEL_ORDER[: LEVEL_ORDER.index(RegionLevel.DISTRICT)]]
    RegionFigures.objects.filter(year=year, level__in=above).delete()
    district_rows = list(RegionFigures.objects.filter(year=year, level=RegionLevel.DISTRICT))
    candidates = set()
    for row in district_rows:
        candidates.update({row.region_id[:4] + "0" * 8, row.region_id[:2] + "0" * 10})
    regions = {r.code: r for r in Region.objects.filter(code__in=candidates, level__in=above)}
    sums: dict[str, RegionFigures] = {}
    for row in district_rows:
        for code in (row.region_id[:4] + "0" * 8, row.region_id[:2] + "0" * 10):
            region = regions.get(code)
            if region is None:
                continue
            total = sums.get(code)
            if total is None:
                total = sums[code] = _empty_region(region, year, on, now)
            for name in _SUMMED:
                setattr(total, name, getattr(total, name) + getattr(row, name))
            total.burden = _add_figures(total.burden, row.burden)
            total.baseline = _add_figures(total.baseline, row.baseline)
            total.comparable = _add_figures(total.comparable, row.comparable)
    RegionFigures.objects.bulk_create(sums.values())
    return len(sums)
