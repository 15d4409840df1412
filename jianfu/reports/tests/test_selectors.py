"""The departments' records as the selectors read them from the precomputed rows: a city's
record of a department is its districts' rows summed, applications by state included, read in
one statement with the department's name and sort key (no Unit is built per record).

The personas' 市中区 and a second district of 内江市 made here (东兴区); the rows are written
straight, as the refresh would have.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jianfu.burden.tests.conftest import DISTRICT
from jianfu.org.models import Region, RegionLevel, Unit
from jianfu.reports import selectors
from jianfu.reports.models import DepartmentFigures

pytestmark = pytest.mark.django_db

YEAR = 2026
CITY = "511000000000"  # 内江市
DONGXING = "511011000000"  # 东兴区, made here
COMPUTED_AT = dt.datetime(YEAR + 1, 1, 1, 2, 0, tzinfo=timezone.get_default_timezone())


def figures(department: Unit, district: str, year: int = YEAR, **counts) -> DepartmentFigures:
    return DepartmentFigures.objects.create(
        department=department, district_id=district, year=year, computed_at=COMPUTED_AT, **counts
    )


@pytest.fixture
def two_districts(personas) -> dict[str, Unit]:
    """市中区民政局 worked in both districts of 内江市, 市中区住建局 in its own only."""
    Region.objects.create(
        code=DONGXING,
        name="东兴区",
        level=RegionLevel.DISTRICT,
        parent=Region.objects.get(code=CITY),
    )
    units = {u.name: u for u in Unit.objects.filter(name__in=["市中区民政局", "市中区住建局"])}
    civil, housing = units["市中区民政局"], units["市中区住建局"]
    figures(
        civil,
        DISTRICT,
        applications={"approved": 4, "rejected": 2},
        deliveries=10,
        unadmitted_deliveries=3,
        refusals=1,
        funds_committed_fen=5_000_000_000,
        satisfaction_sum=0.75,
        rated_targets=1,
    )
    figures(
        civil,
        DONGXING,
        applications={"approved": 1, "in_review": 2},
        deliveries=5,
        unadmitted_deliveries=2,
        funds_committed_fen=1,
        satisfaction_sum=0.5,
        rated_targets=1,
    )
    figures(housing, DISTRICT, deliveries=7, unadmitted_deliveries=4)
    figures(civil, DISTRICT, year=YEAR - 1, applications={"withdrawn": 1}, deliveries=1)
    return units


def test_a_citys_department_record_is_its_districts_rows_summed_in_one_statement(
    two_districts, django_assert_num_queries
):
    civil, housing = two_districts["市中区民政局"], two_districts["市中区住建局"]
    city = Region.objects.get(code=CITY)
    with django_assert_num_queries(1):
        rows = selectors.department_stats(region=city, year=YEAR)
    # Worst first: 民政局 pushed 5 deliveries without admission across both districts.
    assert [r.department for r in rows] == [
        selectors.DepartmentName(civil.pk, "市中区民政局", civil.sort_key),
        selectors.DepartmentName(housing.pk, "市中区住建局", housing.sort_key),
    ]
    first = rows[0]
    assert (first.deliveries, first.unadmitted_deliveries, first.refusals) == (15, 5, 1)
    assert first.funds_committed_fen == 5_000_000_001
    assert first.satisfaction == pytest.approx(0.625)
    # Each state summed over the districts; the states no row has are not listed.
    assert first.applications == {"approved": 5, "rejected": 2, "in_review": 2}
    assert first.applications_total == 9
    assert rows[1].applications == {}
    assert selectors.department_dict(first)["department"] == {
        "id": civil.pk,
        "name": "市中区民政局",
    }


def test_a_districts_record_of_one_department_and_its_history(two_districts):
    civil = two_districts["市中区民政局"]
    [mine] = selectors.department_stats(
        region=Region.objects.get(code=DISTRICT), year=YEAR, department=civil
    )
    assert mine.department.name == "市中区民政局" and mine.deliveries == 10
    assert mine.applications == {"approved": 4, "rejected": 2}
    history = selectors.department_history(department=civil)
    assert [(year, r.deliveries, r.applications) for year, r in history] == [
        (YEAR - 1, 1, {"withdrawn": 1}),
        (YEAR, 15, {"approved": 5, "rejected": 2, "in_review": 2}),
    ]
