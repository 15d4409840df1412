"""The nightly refresh of the figures: each district's, street's and community's row agrees with
the apps' own reports (the burden index, the violation accounting, the funding report); streets,
districts, cities and provinces are the sums of what lies below them; a run replaces a
district's rows and leaves the others alone, in a number of queries that does not grow with
the district's communities.

The personas' 市中区 (城东街道: 钟鼓楼社区, 箭道街社区; 城西街道: 西林社区, 桂湖街社区) and, for the
city's and the province's sums, a second district of 内江市 made here (东兴区).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jianfu.burden import services as burden_services
from jianfu.burden.index import FIGURE_FIELDS, Figures
from jianfu.burden.models import EntryKind, EntryStatus
from jianfu.burden.selectors import TABLE_REDUCTIONS, burden_table
from jianfu.burden.tests.conftest import (  # noqa: F401  (shared fixtures)
    CHENGDONG,
    CHENGXI,
    DISTRICT,
    GUIHUJIE,
    JIANDAOJIE,
    ON,
    XILIN,
    ZHONGGULOU,
    admitted,
    duty_list,
    entry,
)
from jianfu.core.daily import DAILY_JOBS
from jianfu.dispatch import services as dispatch_services
from jianfu.dispatch.models import Delivery, Task
from jianfu.dispatch.selectors import departments_for_violations, violations
from jianfu.dispatch.tests.conftest import (
    admission,  # noqa: F401  (shared fixture)
    dispatch,
)
from jianfu.evaluation.models import Campaign, CampaignState, Outcome, Target
from jianfu.funds.selectors import funding_report
from jianfu.funds.tests.conftest import (  # noqa: F401  (shared fixtures)
    admission_row,
    budget,
    transfer,
    voucher,
)
from jianfu.funds.tests.test_reports import funded  # noqa: F401  (shared fixture)
from jianfu.org.models import Region, RegionLevel, Unit, UnitType
from jianfu.reports import selectors
from jianfu.reports.models import DepartmentFigures, RegionFigures, StatsRefresh
from jianfu.reports.services import _SUMMED, stats_refresh

pytestmark = pytest.mark.django_db

YEAR = 2026
CITY = "511000000000"  # 内江市
PROVINCE = "510000000000"  # 四川省
DONGXING = "511011000000"  # 东兴区, made here
DONGXING_STREET = "511011001000"
DONGXING_COMMUNITY = "511011001001"
# The counts every region row carries, summed upwards.
COUNTS = _SUMMED


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def row(code: str, year: int = YEAR) -> RegionFigures:
    return RegionFigures.objects.get(region_id=code, year=year)


def stats(code: str, year: int = YEAR) -> selectors.RegionStats:
    found = selectors.region_stats(region=region(code), year=year)
    assert found is not None, (code, year)
    return found


def refresh(*years: int, districts=None):
    """Refresh 内江市's districts (the personas' demo regions hold other provinces too)."""
    if districts is None:
        districts = Region.objects.filter(level=RegionLevel.DISTRICT, code__startswith="5110")
    return stats_refresh(actor=None, years=list(years or [YEAR]), districts=districts)


def second_district() -> Region:
    """东兴区 of 内江市: one street, one community carrying two signboards."""
    city = region(CITY)
    district = Region.objects.create(
        code=DONGXING, name="东兴区", level=RegionLevel.DISTRICT, parent=city
    )
    street = Region.objects.create(
        code=DONGXING_STREET, name="东兴街道", level=RegionLevel.STREET, parent=district
    )
    community = Region.objects.create(
        code=DONGXING_COMMUNITY, name="新江社区", level=RegionLevel.COMMUNITY, parent=street
    )
    for name in ("平安社区创建示范点", "老年协会"):
        entry(None, community, EntryKind.SIGNBOARD, name=name)
    return district


def add_communities(street_code: str, count: int) -> None:
    """`count` more communities in the street, each with a signboard and a paper ledger."""
    street = region(street_code)
    made = Region.objects.bulk_create(
        Region(
            code=f"{street_code[:9]}{100 + n:03d}",
            name=f"测试社区{n}",
            level=RegionLevel.COMMUNITY,
            parent=street,
        )
        for n in range(count)
    )
    for community in made:
        entry(None, community, EntryKind.SIGNBOARD)
        entry(None, community, EntryKind.LEDGER, quantity=2)


@pytest.fixture
def world(personas, duty_list, admitted, budget, django_capture_on_commit_callbacks):  # noqa: F811
    """市中区 in 2026, and a task of 2025.

    - 3 duties on the district's list; 高龄津贴协助 (admitted) in force in 钟鼓楼 and 箭道街,
      a second admission in 西林;
    - 钟鼓楼: 3 signboards and a paper ledger of 5 books, its baseline taken on ON, after which
      two signboards came down; 箭道街 1 signboard; 西林 2; 桂湖街 nothing;
    - 民政局's admitted task to 钟鼓楼 and 箭道街, an unadmitted one to 钟鼓楼 and 西林 (钟鼓楼
      refused it), and an unadmitted task of 2025 to 桂湖街;
    - 3,000 yuan transferred to 钟鼓楼 for 高龄津贴协助.
    """
    zhonggulou, jiandaojie, xilin = region(ZHONGGULOU), region(JIANDAOJIE), region(XILIN)
    boards = [
        entry(None, zhonggulou, EntryKind.SIGNBOARD, name=name)
        for name in ("平安社区创建示范点", "老年协会", "科普示范社区")
    ]
    entry(None, zhonggulou, EntryKind.LEDGER, quantity=5)
    entry(None, jiandaojie, EntryKind.SIGNBOARD)
    entry(None, xilin, EntryKind.SIGNBOARD, name="禁毒示范点")
    entry(None, xilin, EntryKind.SIGNBOARD, name="消防示范点")
    burden_services.burden_snapshot_take(
        actor=None, region=zhonggulou, label="减负前基线", baseline=True, on=ON
    )
    for board in boards[:2]:
        burden_services.inventory_entry_end(
            actor=None,
            entry=board,
            status=EntryStatus.REMOVED,
            ended_on=ON + dt.timedelta(days=10),
        )
    xilin_admission = admission_row(personas, scope={XILIN: 500_000}, title="城西社区协助事项")
    clerk = personas.dept_clerk
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(clerk, recipients=[ZHONGGULOU, JIANDAOJIE], admission_number=admitted.number)
        unadmitted = dispatch(clerk, recipients=[ZHONGGULOU, XILIN], title="协助招商引资")
        old = dispatch(clerk, recipients=[GUIHUJIE], title="协税护税")
    Task.objects.filter(pk=old.pk).update(
        created_at=dt.datetime(YEAR - 1, 5, 1, 9, 0, tzinfo=dt.UTC)
    )
    dispatch_services.delivery_act(
        actor=personas.community_officer,
        delivery=unadmitted.deliveries.get(region_id=ZHONGGULOU),
        action="refuse",
    )
    transfer(personas, budget, admitted, [(ZHONGGULOU, 300_000)])
    return {"admitted": admitted, "xilin": xilin_admission}


# The burden index ---------------------------------------------------------------------------


def test_the_districts_burden_and_reduction_equal_the_burden_index_of_the_same_day(world):
    refresh()
    district = stats(DISTRICT)
    table = burden_table(scope=region(DISTRICT), on=district.row.on)
    assert district.row.on == timezone.localdate()
    assert district.figures == table.totals.figures
    assert district.baseline == table.totals.baseline
    for name in TABLE_REDUCTIONS:
        assert district.reductions[name] == table.totals.reductions[name], name
    # Signboards 3 → 1 in 钟鼓楼, the one community with a baseline.
    assert district.reductions["signboards"] == 66.7
    for block in table.streets:
        street = stats(block.street.code)
        assert street.figures == block.totals.figures
        assert street.baseline == block.totals.baseline
        for line in block.rows:
            assert stats(line.community.code).figures == line.figures


def test_only_communities_with_a_baseline_are_compared(world):
    refresh()
    district = row(DISTRICT)
    assert (district.communities, district.with_baseline) == (4, 1)
    # The baseline is 钟鼓楼's snapshot; the comparable figures are 钟鼓楼's now, not the
    # district's, which also count 西林's signboards.
    assert district.comparable == row(ZHONGGULOU).burden
    assert district.baseline == row(ZHONGGULOU).baseline
    assert (district.baseline["signboards"], district.comparable["signboards"]) == (3, 1)
    assert district.burden["signboards"] == 4
    assert row(CHENGXI).baseline is None and row(CHENGXI).comparable is None
    assert stats(CHENGXI).reductions["signboards"] is None


def test_a_baseline_taken_after_the_years_end_does_not_count_for_that_year(world):
    refresh(YEAR - 1, YEAR)
    before = row(DISTRICT, YEAR - 1)
    assert before.on == dt.date(YEAR - 1, 12, 31)
    assert (before.with_baseline, before.baseline, before.comparable) == (0, None, None)
    assert row(ZHONGGULOU, YEAR - 1).baseline is None
    assert row(DISTRICT, YEAR).with_baseline == 1


def test_seed_002_yuanmeng_242_to_95_tasks_is_60_7_percent(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", password="Demo-Pass-2026x", stdout=io.StringIO())
    yuanmeng = stats("320303003002", timezone.localdate().year)
    assert (yuanmeng.baseline.tasks, yuanmeng.figures.tasks) == (242, 95)
    assert yuanmeng.reductions["tasks"] == 60.7
    assert selectors.region_dict(yuanmeng)["reduction_percent"]["tasks"] == 60.7


# Sums ---------------------------------------------------------------------------------------


def _sum_of(rows: list[RegionFigures]) -> dict:
    total = {name: sum(getattr(r, name) for r in rows) for name in COUNTS}
    burden = Figures(signboard_cap=0)
    for r in rows:
        burden.add(Figures(**r.burden))
    total["burden"] = burden.as_dict()
    return total


def _counts(found: RegionFigures) -> dict:
    return {**{name: getattr(found, name) for name in COUNTS}, "burden": found.burden}


def test_a_streets_and_the_districts_figures_are_the_sums_of_their_communities(world):
    refresh()
    communities = list(
        RegionFigures.objects.filter(
            year=YEAR, level=RegionLevel.COMMUNITY, region__code__startswith="511002"
        )
    )
    assert len(communities) == 4
    for street in (CHENGDONG, CHENGXI):
        below = [c for c in communities if c.parent_code == street]
        counted = _counts(row(street))
        expected = _sum_of(below)
        # Admissions in force are distinct per region, not summed (the next test).
        counted.pop("admissions_in_force"), expected.pop("admissions_in_force")
        assert counted == expected, street
    district = _counts(row(DISTRICT))
    expected = _sum_of(communities)
    district.pop("admissions_in_force"), expected.pop("admissions_in_force")
    assert district == expected
    # The street rows' parent is the district; the communities' their street.
    streets = RegionFigures.objects.filter(level=RegionLevel.STREET)
    assert {r.parent_code for r in streets} == {DISTRICT}


def test_admissions_in_force_are_counted_once_per_region(world):
    refresh()
    # 高龄津贴协助 covers 钟鼓楼 and 箭道街: one admission for 城东街道, not two.
    assert (row(ZHONGGULOU).admissions_in_force, row(JIANDAOJIE).admissions_in_force) == (1, 1)
    assert row(CHENGDONG).admissions_in_force == 1
    assert (row(XILIN).admissions_in_force, row(GUIHUJIE).admissions_in_force) == (1, 0)
    assert row(CHENGXI).admissions_in_force == 1
    assert row(DISTRICT).admissions_in_force == 2


def test_deliveries_unadmitted_work_and_refusals_count_by_the_tasks_year(world):
    refresh(YEAR - 1, YEAR)
    counted = {
        code: (r.deliveries, r.unadmitted_deliveries, r.refusals, r.refusals_pending)
        for code in (ZHONGGULOU, JIANDAOJIE, XILIN, GUIHUJIE, CHENGDONG, CHENGXI, DISTRICT)
        for r in [row(code)]
    }
    assert counted == {
        ZHONGGULOU: (2, 1, 1, 0),
        JIANDAOJIE: (1, 0, 0, 0),
        XILIN: (1, 1, 0, 0),
        GUIHUJIE: (0, 0, 0, 0),
        CHENGDONG: (3, 1, 1, 0),
        CHENGXI: (1, 1, 0, 0),
        DISTRICT: (4, 2, 1, 0),
    }
    # The task of 2025 counts in 2025.
    assert (row(GUIHUJIE, YEAR - 1).deliveries, row(DISTRICT, YEAR - 1).deliveries) == (1, 1)
    assert row(GUIHUJIE, YEAR - 1).unadmitted_deliveries == 1
    assert stats(DISTRICT).unadmitted_rate == 0.5


# Departments --------------------------------------------------------------------------------


VIOLATION_FIELDS = (
    "dispatches",
    "unadmitted_dispatches",
    "deliveries",
    "unadmitted_deliveries",
    "refusals",
    "refusals_of_unadmitted",
    "late_completions",
    "overdue_open",
)


def test_department_rows_equal_the_violation_accounting_of_the_district(world):
    refresh(YEAR - 1, YEAR)
    for year in (YEAR - 1, YEAR):
        departments = departments_for_violations(user=None, district_code=DISTRICT)
        expected = {
            found.department.pk: tuple(getattr(found, name) for name in VIOLATION_FIELDS)
            for found in violations(departments=departments, year=year, within="511002")
            if found.dispatches or found.deliveries
        }
        counted = {
            r.department_id: tuple(getattr(r, name) for name in VIOLATION_FIELDS)
            for r in DepartmentFigures.objects.filter(district_id=DISTRICT, year=year)
            if r.dispatches or r.deliveries
        }
        assert counted == expected, year
    clerk_unit = world["admitted"].department_id
    mine = DepartmentFigures.objects.get(department_id=clerk_unit, district_id=DISTRICT, year=YEAR)
    assert (mine.dispatches, mine.unadmitted_dispatches) == (2, 1)
    assert (mine.deliveries, mine.unadmitted_deliveries, mine.refusals) == (4, 2, 1)
    assert (mine.admissions_in_force, mine.refusals_of_unadmitted) == (2, 1)
    # The selectors give the same, worst first.
    [first, *_rest] = selectors.department_stats(region=region(DISTRICT), year=YEAR)
    assert first.department.pk == clerk_unit and first.unadmitted_deliveries == 2


def test_funds_per_department_equal_the_funding_report(personas, world):
    refresh()
    report = {
        int(r.key): (r.committed, r.transferred)
        for r in funding_report(user=personas.finance_officer, year=YEAR, by="department")
    }
    counted = {
        r.department_id: (r.funds_committed_fen, r.funds_transferred_fen)
        for r in DepartmentFigures.objects.filter(district_id=DISTRICT, year=YEAR)
        if r.funds_committed_fen or r.funds_transferred_fen
    }
    assert counted == report
    # 10,000 + 8,000 + 5,000 yuan committed for the whole of 2026; 3,000 arrived.
    assert counted[personas.dept_clerk.unit_id] == (2_300_000, 300_000)
    # The district's burden figures count the same money.
    district = stats(DISTRICT)
    assert district.figures.funds_committed_fen == 2_300_000
    assert district.figures.funds_transferred_fen == 300_000
    assert round(district.funds_delivery_rate * 100, 1) == 13.0


def test_funds_per_department_equal_the_funding_report_over_a_term_across_years(
    personas,
    funded,  # noqa: F811
):
    """The funding report's own case: a term from July 2026 to June 2027 pro-rated, a transfer
    and a spend reversed, money for 2027, a second admission."""
    refresh()
    report = {
        int(r.key): (r.committed, r.transferred)
        for r in funding_report(user=personas.finance_officer, year=YEAR, by="department")
    }
    counted = {
        r.department_id: (r.funds_committed_fen, r.funds_transferred_fen)
        for r in DepartmentFigures.objects.filter(district_id=DISTRICT, year=YEAR)
        if r.funds_committed_fen or r.funds_transferred_fen
    }
    assert counted == report
    assert report[personas.dept_clerk.unit_id] == (504_110 + 403_288 + 500_000, 600_000)


def test_only_a_published_campaigns_targets_count(personas, world):
    campaign = Campaign.objects.create(
        district=region(DISTRICT),
        year=YEAR,
        title="2026年度社区准入事项满意度评议",
        state=CampaignState.CLOSED,
        opens_at=dt.datetime(YEAR, 3, 1, tzinfo=dt.UTC),
        closes_at=dt.datetime(YEAR, 3, 31, tzinfo=dt.UTC),
    )
    work = world["admitted"]
    for code, rate, outcome in (
        (ZHONGGULOU, 0.8, Outcome.KEPT),
        (JIANDAOJIE, 0.4, Outcome.REVOKED),
    ):
        Target.objects.create(
            campaign=campaign,
            admission=work,
            region_id=code,
            department_id=work.department_id,
            title=work.title,
            rate=rate,
            outcome=outcome,
        )
    refresh()
    assert (row(DISTRICT).targets, row(ZHONGGULOU).targets) == (0, 0)
    mine = DepartmentFigures.objects.get(department_id=work.department_id, year=YEAR)
    assert mine.targets == 0

    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.PUBLISHED)
    refresh()
    district = row(DISTRICT)
    assert (district.targets, district.targets_revoked, district.rated_targets) == (2, 1, 2)
    assert district.satisfaction == pytest.approx(0.6)
    assert (row(CHENGDONG).targets, row(ZHONGGULOU).targets, row(XILIN).targets) == (2, 1, 0)
    mine = DepartmentFigures.objects.get(department_id=work.department_id, year=YEAR)
    assert (mine.targets, mine.targets_revoked) == (2, 1)
    assert selectors.region_dict(stats(DISTRICT))["evaluation"] == {
        "targets": 2,
        "revoked": 1,
        "satisfaction_percent": 60.0,
    }


def test_a_citys_and_a_provinces_rows_are_the_sums_of_their_districts(world):
    second_district()
    refresh()
    districts = [row(DISTRICT), row(DONGXING)]
    assert row(DONGXING).burden["signboards"] == 2
    for code in (CITY, PROVINCE):
        above = row(code)
        assert above.level == (RegionLevel.CITY if code == CITY else RegionLevel.PROVINCE)
        assert _counts(above) == {
            **_sum_of(districts),
            "admissions_in_force": sum(d.admissions_in_force for d in districts),
        }
        for part in ("baseline", "comparable"):
            assert getattr(above, part) == getattr(row(DISTRICT), part)
    city, districts = selectors.region_and_children_stats(region=region(CITY), year=YEAR)
    assert city.row == row(CITY)
    assert [r.region.code for r in districts] == [DISTRICT, DONGXING]
    assert row(DISTRICT).parent_code == CITY and row(CITY).parent_code == PROVINCE
    # A city's departments are those of its districts, summed.
    assert selectors.department_stats(region=region(CITY), year=YEAR)[0].deliveries == 4


# The run ------------------------------------------------------------------------------------


def _snapshot_of_rows() -> tuple[list, list]:
    regions = sorted(
        (r.region_id, r.year, r.burden, r.baseline, r.comparable, *_counts(r).values())
        for r in RegionFigures.objects.all()
    )
    departments = sorted(
        (r.department_id, r.district_id, r.year, r.deliveries, r.funds_committed_fen)
        for r in DepartmentFigures.objects.all()
    )
    return regions, departments


def test_a_second_refresh_replaces_the_rows_without_duplicates(world):
    first = refresh()
    before = _snapshot_of_rows()
    second = refresh()
    assert _snapshot_of_rows() == before
    # The district, 2 streets, 4 communities, the city and the province.
    assert RegionFigures.objects.filter(year=YEAR).count() == 9
    assert first.regions == second.regions == 9
    assert second.departments == DepartmentFigures.objects.filter(year=YEAR).count() > 0
    assert StatsRefresh.objects.filter(finished_at__isnull=False).count() == 2
    assert selectors.as_of() == second.finished_at


def test_the_refresh_is_a_daily_job():
    assert DAILY_JOBS["stats_refresh"] == "jianfu.reports.services.stats_refresh_nightly"


def test_refreshing_one_district_leaves_the_others_rows_untouched(world):
    dongxing = second_district()
    refresh()
    others = {
        r.pk: r.computed_at
        for r in RegionFigures.objects.filter(region__code__startswith="511011", year=YEAR)
    }
    assert len(others) == 3
    mine = set(
        RegionFigures.objects.filter(region__code__startswith="511002").values_list("pk", flat=True)
    )
    entry(None, region(XILIN), EntryKind.SIGNBOARD, name="新挂的牌子")
    refresh(districts=[region(DISTRICT)])
    assert {
        r.pk: r.computed_at
        for r in RegionFigures.objects.filter(region__code__startswith="511011", year=YEAR)
    } == others
    assert not mine & set(
        RegionFigures.objects.filter(region__code__startswith="511002").values_list("pk", flat=True)
    )
    assert row(DISTRICT).burden["signboards"] == 5
    # The city is summed again from both districts' rows.
    assert row(CITY).burden["signboards"] == 5 + row(dongxing.code).burden["signboards"]


def test_the_refreshs_queries_do_not_grow_with_the_communities_of_a_district(
    personas,
    admitted,  # noqa: F811
    django_assert_max_num_queries,
):
    district = region(DISTRICT)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            refresh(districts=[district])
        return len(captured)

    add_communities(CHENGDONG, 1)  # 5 communities in all
    few = queries()
    add_communities(CHENGXI, 30)  # 35
    assert RegionFigures.objects.filter(level=RegionLevel.COMMUNITY, year=YEAR).count() == 5
    with django_assert_max_num_queries(few):
        refresh(districts=[district])
    assert RegionFigures.objects.filter(level=RegionLevel.COMMUNITY, year=YEAR).count() == 35
    assert queries() == few


def test_a_department_proper_only_is_on_the_scorecard(personas, world):
    """A street office whose work reached a community (written straight into the records: the
    dispatch service lets only departments send) is not a department: no row of its own."""
    street_office = personas.street_officer.unit
    task = Task.objects.create(
        reference="街道-2026-0001",
        department=street_office,
        district_code=DISTRICT,
        title="街道迎检材料",
        content="报送迎检材料",
        deadline=ON,
        recipient_level="community",
        recipient_codes=[ZHONGGULOU],
        status="dispatched",
    )
    Delivery.objects.create(
        task=task, region_id=ZHONGGULOU, admitted_on_arrival=False, admitted=False
    )
    refresh()
    assert row(ZHONGGULOU).deliveries == 3
    types = set(
        Unit.objects.filter(pk__in=DepartmentFigures.objects.values("department_id")).values_list(
            "type", flat=True
        )
    )
    assert types == {UnitType.DEPARTMENT}


def test_every_figure_of_the_burden_index_is_kept(world):
    refresh()
    assert set(row(DISTRICT).burden) == set(FIGURE_FIELDS)


# The command --------------------------------------------------------------------------------


def test_the_command_counts_the_years_and_districts_given_and_says_what_it_counted(world, capsys):
    out = io.StringIO()
    call_command(
        "stats_refresh",
        "--year",
        str(YEAR - 1),
        "--year",
        str(YEAR),
        "--district",
        DISTRICT,
        stdout=out,
    )
    printed = out.getvalue()
    assert f"市中区（{DISTRICT}）{YEAR} 年：4 个社区（1 个有基线）" in printed
    assert "收到任务 4 件，其中未经准入 2 件" in printed
    assert f"已统计 {YEAR - 1}、{YEAR} 年度、1 个区" in printed
    # The progress bar, on the terminal's stderr (not a terminal here: its last line only).
    assert "统计 [##############################] 2/2" in capsys.readouterr().err
    assert set(RegionFigures.objects.values_list("year", flat=True)) == {YEAR - 1, YEAR}
    assert not RegionFigures.objects.filter(region__code__startswith="3203").exists()
    run = StatsRefresh.objects.get()
    assert run.years == [YEAR - 1, YEAR] and run.finished_at is not None


def test_the_command_counts_every_district_by_default(personas):
    call_command("stats_refresh", "--year", str(YEAR), stdout=io.StringIO(), stderr=io.StringIO())
    counted = set(
        RegionFigures.objects.filter(level=RegionLevel.DISTRICT).values_list("region_id", flat=True)
    )
    assert {DISTRICT, "320303000000"} <= counted


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--district", "511002001000"], "不是区（县）"),
        (["--district", "999999999999"], "不存在"),
        (["--year", "2999"], "尚未到来"),
    ],
)
def test_the_command_refuses_what_it_cannot_count(personas, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("stats_refresh", *arguments, stdout=io.StringIO(), stderr=io.StringIO())
    assert not RegionFigures.objects.exists()
