"""The stats API: `GET /api/v1/stats/burden` gives a region's figures with its children (each
with the link to drill down) and its history, `GET /api/v1/stats/departments` the scorecards of
its district's departments, worst first; both the selectors' own figures, as of the last
refresh, in a number of queries that does not grow with the region. A region outside the
caller's jurisdiction, or a year not counted, is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jianfu.api.services import token_create
from jianfu.funds.tests.conftest import person
from jianfu.org.roles import Role
from jianfu.reports import selectors
from jianfu.reports.models import RegionFigures, StatsRefresh
from jianfu.reports.tests.test_refresh import (  # noqa: F401  (shared fixtures)
    CHENGDONG,
    CHENGXI,
    DISTRICT,
    JIANDAOJIE,
    XILIN,
    YEAR,
    ZHONGGULOU,
    add_communities,
    admitted,
    budget,
    duty_list,
    refresh,
    region,
    world,
)

pytestmark = pytest.mark.django_db

YUNLONG = "320303000000"  # 云龙区, another district
CITY = "511000000000"
BURDEN = "/api/v1/stats/burden"
DEPARTMENTS = "/api/v1/stats/departments"


@pytest.fixture
def counted(world):  # noqa: F811
    """The personas' world, counted for 2025 and 2026 (and 云龙区 too)."""
    refresh(YEAR - 1, YEAR)
    refresh(YEAR - 1, YEAR, districts=[region(YUNLONG)])
    return world


def get(client: Client, url: str, **params):
    return client.get(url, params)


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def reader(login, user) -> Client:
    client = login(user)
    # The first request of a session writes its idle clock; counts are of the ones after.
    client.get("/api/v1/me")
    return client


# /stats/burden ------------------------------------------------------------------------------


def test_a_district_office_reads_its_district_with_its_streets_and_history(
    personas, counted, login
):
    client = reader(login, personas.group_secretary)
    response = get(client, BURDEN)
    assert response.status_code == 200, response.json()
    body = response.json()
    # The defaults: the caller's district and the latest year counted.
    assert body["region"] == {"code": DISTRICT, "name": "市中区", "level": "district"}
    assert body["year"] == YEAR and body["years"] == [YEAR, YEAR - 1]
    assert [child["region"]["code"] for child in body["children"]] == [CHENGDONG, CHENGXI]
    assert [past["year"] for past in body["history"]] == [YEAR - 1, YEAR]
    assert body["as_of"] is not None
    # The same figures the selectors give every page.
    stats = selectors.region_stats(region=region(DISTRICT), year=YEAR)
    expected = selectors.region_dict(stats)
    for name in ("communities", "communities_with_baseline", "deliveries", "burden", "baseline"):
        assert body[name] == expected[name], name
    assert body["reduction_percent"] == expected["reduction_percent"]
    assert body["reduction_percent"]["signboards"] == 66.7
    assert (body["deliveries"], body["unadmitted_deliveries"], body["refusals"]) == (4, 2, 1)
    assert body["admissions_in_force"] == 2
    now = body["history"][-1]
    assert now["figures"]["signboards"] == body["burden"]["signboards"] == 4
    assert now["reduction_percent"] == body["reduction_percent"]
    assert body["history"][0]["deliveries"] == 1  # the task of 2025


def test_each_child_links_to_its_own_figures(personas, counted, login):
    client = reader(login, personas.group_secretary)
    street = get(client, BURDEN, region=DISTRICT, year=YEAR).json()["children"][0]
    assert street["url"] == f"{BURDEN}?region={CHENGDONG}&year={YEAR}"
    body = client.get(street["url"]).json()
    assert body["region"]["code"] == CHENGDONG
    assert body["deliveries"] == street["deliveries"] == 3
    assert [child["region"]["code"] for child in body["children"]] == [ZHONGGULOU, JIANDAOJIE]
    community = client.get(body["children"][0]["url"]).json()
    assert community["region"]["level"] == "community" and community["children"] == []


def test_a_year_asked_for_is_given_and_one_not_counted_is_a_404(personas, counted, login):
    client = reader(login, personas.group_secretary)
    before = get(client, BURDEN, year=YEAR - 1).json()
    assert before["year"] == YEAR - 1 and before["on"] == f"{YEAR - 1}-12-31"
    assert before["communities_with_baseline"] == 0 and before["baseline"] is None
    response = get(client, BURDEN, year=2019)
    assert response.status_code == 404
    found = error(response)
    assert found["code"] == "year_not_counted"
    assert found["message"] == f"2019 年度尚无统计数据。已统计的年度：{YEAR}、{YEAR - 1}。"
    assert get(client, DEPARTMENTS, year=2019).status_code == 404
    assert get(client, BURDEN, year="今年").status_code == 422


def test_before_any_refresh_there_is_nothing_to_read(personas, login):
    client = reader(login, personas.group_secretary)
    response = get(client, BURDEN)
    assert response.status_code == 404 and error(response)["code"] == "not_counted"


def test_a_street_officer_reads_its_street_and_nothing_of_another(personas, counted, login):
    client = reader(login, personas.street_officer)
    assert get(client, BURDEN).json()["region"]["code"] == CHENGDONG
    assert get(client, BURDEN, region=ZHONGGULOU).status_code == 200
    for code in (CHENGXI, XILIN, DISTRICT, CITY, YUNLONG, "999999999999"):
        response = get(client, BURDEN, region=code)
        assert response.status_code == 404, code
        assert error(response)["code"] == "not_found"
        assert get(client, DEPARTMENTS, region=code).status_code == 404, code


def test_a_community_officer_reads_its_community_only(personas, counted, login):
    client = reader(login, personas.community_officer)
    body = get(client, BURDEN).json()
    assert body["region"]["code"] == ZHONGGULOU and body["children"] == []
    assert (body["deliveries"], body["refusals"]) == (2, 1)
    for code in (JIANDAOJIE, XILIN, CHENGDONG, DISTRICT):
        assert get(client, BURDEN, region=code).status_code == 404, code
    other = reader(login, personas.community_officer2)
    assert get(other, BURDEN).json()["region"]["code"] == XILIN
    assert get(other, BURDEN, region=ZHONGGULOU).status_code == 404


def test_another_districts_office_gets_nothing_of_this_one(personas, counted, login):
    secretary = person("yl_group", "云龙区社区减负工作领导小组办公室", Role.GROUP_SECRETARY)
    yunlong = reader(login, secretary)
    assert get(yunlong, BURDEN).json()["region"]["code"] == YUNLONG
    for code in (DISTRICT, CHENGDONG, ZHONGGULOU):
        assert get(yunlong, BURDEN, region=code).status_code == 404
        assert get(yunlong, DEPARTMENTS, region=code).status_code == 404


def test_anonymous_callers_are_refused(counted):
    response = Client().get(BURDEN, {"region": DISTRICT})
    assert response.status_code == 401 and error(response)["code"] == "unauthenticated"


def test_a_bearer_token_reads_the_figures(personas, counted):
    issued = token_create(actor=personas.review_officer, name="统计大屏")
    response = Client().get(
        BURDEN, {"region": CHENGXI}, HTTP_AUTHORIZATION=f"Bearer {issued.secret}"
    )
    assert response.status_code == 200
    assert response.json()["region"]["code"] == CHENGXI


def test_the_burden_endpoint_reads_in_a_fixed_number_of_queries(
    personas, counted, login, django_assert_max_num_queries
):
    client = reader(login, personas.group_secretary)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert get(client, BURDEN, region=CHENGDONG).status_code == 200
        return len(captured)

    few = queries()
    add_communities(CHENGDONG, 30)
    refresh()
    assert RegionFigures.objects.filter(parent_code=CHENGDONG, year=YEAR).count() == 32
    with django_assert_max_num_queries(few):
        body = get(client, BURDEN, region=CHENGDONG).json()
    assert len(body["children"]) == 32
    assert queries() == few <= 12


# /stats/departments -------------------------------------------------------------------------


def test_the_departments_of_the_district_worst_first(personas, counted, login):
    client = reader(login, personas.group_secretary)
    body = get(client, DEPARTMENTS).json()
    assert body["region"]["code"] == DISTRICT and body["year"] == YEAR
    assert body["as_of"] is not None
    rows = body["departments"]
    assert rows[0]["department"] == {"id": personas.dept_clerk.unit_id, "name": "市中区民政局"}
    first = rows[0]
    assert (first["deliveries"], first["unadmitted_deliveries"], first["refusals"]) == (4, 2, 1)
    assert (first["funds_committed_fen"], first["funds_transferred_fen"]) == (2_300_000, 300_000)
    assert first["funds_delivery_percent"] == 13.0
    unadmitted = [row["unadmitted_deliveries"] for row in rows]
    assert unadmitted == sorted(unadmitted, reverse=True)
    expected = [
        selectors.department_dict(row)
        for row in selectors.department_stats(region=region(DISTRICT), year=YEAR)
    ]
    assert rows == expected


def test_a_department_user_reads_its_districts_departments(personas, counted, login):
    client = reader(login, personas.dept_clerk)
    body = get(client, DEPARTMENTS).json()
    assert body["region"]["code"] == DISTRICT
    assert personas.dept_clerk.unit_id in [row["department"]["id"] for row in body["departments"]]
    # Its district's figures too, the ones the public portal shows; no other district's.
    assert get(client, BURDEN).json()["region"]["code"] == DISTRICT
    assert get(client, DEPARTMENTS, region=YUNLONG).status_code == 404


def test_a_street_reads_its_districts_departments(personas, counted, login):
    client = reader(login, personas.street_officer)
    body = get(client, DEPARTMENTS).json()
    assert body["region"]["code"] == CHENGDONG
    assert body["departments"][0]["department"]["id"] == personas.dept_clerk.unit_id


def test_the_departments_endpoint_reads_in_a_fixed_number_of_queries(
    personas, counted, login, django_assert_max_num_queries
):
    client = reader(login, personas.group_secretary)
    with CaptureQueriesContext(connection) as captured:
        assert get(client, DEPARTMENTS).status_code == 200
    with django_assert_max_num_queries(len(captured)):
        assert get(client, DEPARTMENTS, year=YEAR - 1).status_code == 200
    assert len(captured) <= 10


def test_as_of_is_the_end_of_the_last_refresh(personas, counted, login):
    client = reader(login, personas.group_secretary)
    last = StatsRefresh.objects.order_by("-finished_at").first()
    for url in (BURDEN, DEPARTMENTS):
        as_of = dt.datetime.fromisoformat(get(client, url).json()["as_of"])
        # JSON keeps milliseconds.
        assert abs(as_of - last.finished_at) < dt.timedelta(milliseconds=1)


def test_the_endpoints_are_documented_under_stats(db):
    schema = Client().get("/api/v1/openapi.json").json()
    for path in (BURDEN, DEPARTMENTS):
        operation = schema["paths"][path]["get"]
        assert operation["tags"] == ["stats"]
        names = {p["name"] for p in operation["parameters"]}
        assert names == {"region", "year"}
