"""Who reads which figures, for every persona: a region's figures (the district's offices and
departments over the district, a street's officers over the street and its communities, a
community's officers over their community, no one above the district), a department's
scorecard (the department itself and any district office) and the annual notice (the district's
leadership-group office)."""

from __future__ import annotations

import pytest

from jianfu.funds.tests.conftest import person
from jianfu.org.models import Region, Unit
from jianfu.org.roles import Role

pytestmark = pytest.mark.django_db

DISTRICT = "511002000000"  # 市中区
CHENGDONG = "511002001000"  # 城东街道
CHENGXI = "511002002000"  # 城西街道
ZHONGGULOU = "511002001001"  # 钟鼓楼社区 (城东)
XILIN = "511002002001"  # 西林社区 (城西)
YUNLONG = "320303000000"  # 云龙区, another province's district
CITY = "511000000000"  # 内江市
PROVINCE = "510000000000"  # 四川省
REGIONS = (DISTRICT, CHENGDONG, CHENGXI, ZHONGGULOU, XILIN, YUNLONG, CITY, PROVINCE)
WHOLE_DISTRICT = {DISTRICT, CHENGDONG, CHENGXI, ZHONGGULOU, XILIN}

# Persona → the regions whose figures they read.
READS_REGION = {
    "system_admin": set(),
    "security_admin": set(),
    "audit_admin": set(),
    "dept_clerk": WHOLE_DISTRICT,
    "dept_head": WHOLE_DISTRICT,
    "review_officer": WHOLE_DISTRICT,
    "group_secretary": WHOLE_DISTRICT,
    "finance_officer": WHOLE_DISTRICT,
    "auditor": WHOLE_DISTRICT,
    "street_officer": {CHENGDONG, ZHONGGULOU},
    "street_officer2": {CHENGXI, XILIN},
    "community_officer": {ZHONGGULOU},
    "community_officer2": {XILIN},
    "community_head": {ZHONGGULOU},
    "evaluator": set(),
}
# Persona → reads 市中区民政局's scorecard, 云龙区民政局's.
READS_DEPARTMENT = {
    "dept_clerk": (True, False),
    "dept_head": (True, False),
    "review_officer": (True, True),
    "group_secretary": (True, True),
    "finance_officer": (True, True),
    "auditor": (True, True),
}
NOTICE = {"group_secretary"}


def test_every_persona_is_in_the_table(personas):
    assert set(READS_REGION) == set(vars(personas))


@pytest.mark.parametrize("username", sorted(READS_REGION))
def test_who_reads_a_regions_figures(personas, username):
    user = getattr(personas, username)
    regions = Region.objects.in_bulk(REGIONS)
    readable = {code for code in REGIONS if user.has_perm("reports.read_region", regions[code])}
    assert readable == READS_REGION[username]


@pytest.mark.parametrize("username", sorted(READS_REGION))
def test_who_reads_a_departments_scorecard(personas, username):
    user = getattr(personas, username)
    shizhong = Unit.objects.get(name="市中区民政局")
    yunlong = Unit.objects.get(name="云龙区民政局")
    found = (
        user.has_perm("reports.read_department", shizhong),
        user.has_perm("reports.read_department", yunlong),
    )
    assert found == READS_DEPARTMENT.get(username, (False, False))


def test_a_department_reads_no_other_departments_scorecard(personas):
    finance = Unit.objects.get(name="市中区财政局")
    assert not personas.dept_clerk.has_perm("reports.read_department", finance)
    assert personas.finance_officer.has_perm("reports.read_department", finance)


@pytest.mark.parametrize("username", sorted(READS_REGION))
def test_only_the_districts_group_office_makes_the_notice(personas, username):
    user = getattr(personas, username)
    district, yunlong = Region.objects.get(code=DISTRICT), Region.objects.get(code=YUNLONG)
    assert user.has_perm("reports.notice", district) == (username in NOTICE)
    assert not user.has_perm("reports.notice", yunlong)


def test_another_districts_group_office_reads_and_notifies_only_its_own(personas):
    secretary = person("yl_group", "云龙区社区减负工作领导小组办公室", Role.GROUP_SECRETARY)
    district, yunlong = Region.objects.get(code=DISTRICT), Region.objects.get(code=YUNLONG)
    assert secretary.has_perm("reports.read_region", yunlong)
    assert secretary.has_perm("reports.notice", yunlong)
    assert not secretary.has_perm("reports.read_region", district)
    assert not secretary.has_perm("reports.notice", district)


def test_a_street_officer_of_a_unit_without_the_role_reads_nothing(personas):
    """The street office's unit alone does not open its figures: the role does."""
    clerk = person("street_clerk", "城东街道办事处", Role.EVALUATOR)
    assert not clerk.has_perm("reports.read_region", Region.objects.get(code=CHENGDONG))
