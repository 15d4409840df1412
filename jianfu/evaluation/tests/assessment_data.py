"""The dispatched agencies of 市中区 for the assessment's tests.

The demo stations a 司法所 in each street: 城东司法所 in 城东街道 and 城西司法所 in 城西街道.
The tests add 钟鼓楼警务室, stationed in 钟鼓楼社区 (so its street is 城东街道). On the 2026
roster, 市中区民政局 (dept_clerk's department) stations 城东司法所 and 钟鼓楼警务室, and
市中区城管局 stations 城西司法所.
"""

from __future__ import annotations

import pytest

from jianfu.core.text import pinyin_sort_key
from jianfu.evaluation import assessment as services
from jianfu.evaluation.models import AgencyAssessment, AssessedAgency, AssessorKind
from jianfu.funds.tests.conftest import person
from jianfu.org.models import Region, Unit, UnitType, User
from jianfu.org.roles import Role

DISTRICT = "511002000000"
CHENGDONG = "511002001000"
CHENGXI = "511002002000"
ZHONGGULOU = "511002001001"


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


def dispatched_agency(name: str, region_code: str, **fields) -> Unit:
    region = Region.objects.get(code=region_code)
    return Unit.objects.create(
        name=name,
        type=UnitType.DISPATCHED_AGENCY,
        region=region,
        district_code=region.district_code,
        sort_key=pinyin_sort_key(name),
        **fields,
    )


@pytest.fixture
def police_post(personas) -> Unit:
    return dispatched_agency("钟鼓楼警务室", ZHONGGULOU)


@pytest.fixture
def assessment(personas, police_post) -> AgencyAssessment:
    made = services.assessment_create(
        actor=personas.group_secretary,
        district=Region.objects.get(code=DISTRICT),
        year=2026,
        title="市中区2026年度派驻机构双向考核",
    )
    civil_affairs, city_management = unit("市中区民政局"), unit("市中区城管局")
    services.roster_set(
        actor=personas.group_secretary,
        assessment=made,
        departments={
            unit("城东司法所").pk: civil_affairs.pk,
            unit("城西司法所").pk: city_management.pk,
            police_post.pk: civil_affairs.pk,
        },
    )
    return made


def on_roster(assessment: AgencyAssessment, name: str) -> AssessedAgency:
    return AssessedAgency.objects.select_related("agency", "assessment").get(
        assessment=assessment, agency__name=name
    )


def scores(assessment: AgencyAssessment, *points: int) -> dict[int, int]:
    """{indicator id: points} in the indicators' order."""
    indicators = list(assessment.indicators.order_by("position"))
    assert len(points) == len(indicators)
    return {ind.pk: value for ind, value in zip(indicators, points, strict=True)}


def score(actor, assessment: AgencyAssessment, name: str, kind: str, *points: int) -> None:
    """One assessor kind's scores of one agency, four indicators (40/30/20/10 points)."""
    agency = on_roster(assessment, name)
    services.score_submit(
        actor=actor,
        assessment=assessment,
        kind=kind,
        scores={agency.pk: scores(assessment, *points)},
    )


def clerk_of(department: Unit) -> User:
    """A clerk of `department` (dept_clerk for 市中区民政局, else one made for the test)."""
    username = "dept_clerk" if department.name == "市中区民政局" else f"clerk_{department.pk}"
    found = User.objects.filter(username=username).first()
    return found or person(username, department, Role.DEPT_CLERK)


def score_all(personas, assessment, name, department=None, street=None, society=None) -> None:
    """Each assessor kind's scores of `name` as (a, b, c, d) tuples; None leaves a kind out."""
    actors = {
        AssessorKind.DEPARTMENT: clerk_of(on_roster(assessment, name).department),
        AssessorKind.STREET: personas.street_officer
        if on_roster(assessment, name).street_id == CHENGDONG
        else personas.street_officer2,
        AssessorKind.SOCIETY: personas.group_secretary,
    }
    for kind, points in (
        (AssessorKind.DEPARTMENT, department),
        (AssessorKind.STREET, street),
        (AssessorKind.SOCIETY, society),
    ):
        if points is not None:
            score(actors[kind], assessment, name, kind, *points)
