"""The figures' pages: each role opens its own dashboard (district, street, community) or
scorecard (department), drills down one level at a time, and gets nothing (404) outside its
jurisdiction; the group office recounts its district in the background; the public reads the
same figures without login, GET only, cacheable, without cookies.

The world is test_refresh's: 市中区 in 2026 (钟鼓楼 with a baseline; 民政局's unadmitted task
to 钟鼓楼 and 西林, refused by 钟鼓楼).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jianfu.burden.tests.conftest import (  # noqa: F401  (shared fixtures)
    CHENGDONG,
    CHENGXI,
    DISTRICT,
    GUIHUJIE,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    admitted,
    duty_list,
)
from jianfu.core.models import BackgroundJob, JobStatus
from jianfu.dispatch.tests.conftest import admission  # noqa: F401  (shared fixture)
from jianfu.funds.tests.conftest import budget, page, person  # noqa: F401  (shared fixtures)
from jianfu.org.models import Unit
from jianfu.org.roles import Role
from jianfu.reports.models import RegionFigures, StatsRefresh
from jianfu.reports.tests.test_refresh import YEAR, refresh, world  # noqa: F401

pytestmark = pytest.mark.django_db

CITY = "511000000000"
PROVINCE = "510000000000"


@pytest.fixture
def figures(world):  # noqa: F811
    """The world counted for last year and this one."""
    refresh(YEAR - 1, YEAR)
    return world


@pytest.fixture
def yl_secretary(personas):
    """The group office of 云龙区, another district."""
    return person("yl_group", "云龙区社区减负工作领导小组办公室", Role.GROUP_SECRETARY)


def civil_affairs() -> Unit:
    return Unit.objects.get(name="市中区民政局")


def health() -> Unit:
    return Unit.objects.get(name="市中区卫健局")


def region_url(code: str, year: int = YEAR, *, public: bool = False) -> str:
    name = "public_stats_region" if public else "stats_region"
    return f"{reverse(name, args=[code])}?year={year}"


def links(html: str, testid: str) -> list[str]:
    return re.findall(rf'<a href="([^"]+)" data-testid="{testid}">', html)


def card(html: str, testid: str) -> str:
    """The figure of a headline card."""
    found = re.search(rf'data-testid="{testid}">.*?<span class="figure">([^<]*)</span>', html)
    assert found is not None, testid
    return found.group(1)


# Where each role starts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("group_secretary", DISTRICT),
        ("review_officer", DISTRICT),
        ("dept_clerk", DISTRICT),
        ("street_officer", CHENGDONG),
        ("street_officer2", CHENGXI),
        ("community_officer", ZHONGGULOU),
        ("community_officer2", XILIN),
    ],
)
def test_stats_opens_on_the_users_own_region(personas, login, figures, persona, code):
    response = login(getattr(personas, persona)).get(reverse("stats_home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("stats_region", args=[code])


def test_a_role_without_a_region_is_told_it_has_no_figures(personas, login, figures):
    response = login(personas.system_admin).get(reverse("stats_home"))
    assert response.status_code == 403
    assert 'data-testid="no-figures"' in response.content.decode()


def test_stats_need_a_login(figures):
    response = Client().get(region_url(DISTRICT))
    assert response.status_code == 302 and "/login/" in response["Location"]


# The district's dashboard -----------------------------------------------------------------


def test_the_district_sees_before_and_after_streets_and_departments(personas, login, figures):
    html = page(login(personas.group_secretary).get(region_url(DISTRICT)))
    assert "市中区减负成效" in html and "数据截至" in html
    row = RegionFigures.objects.get(region_id=DISTRICT, year=YEAR)
    # Two tasks reached a community without admission (钟鼓楼, 西林); one was refused.
    assert card(html, "card-unadmitted") == str(row.unadmitted_deliveries) == "2"
    assert 'data-testid="table-compare"' in html and 'data-testid="chart-compare"' in html
    assert 'data-testid="chart-history"' in html and "基线" in html
    # The department pushing unadmitted work is named in the lead, and leads the table.
    assert "未经准入送达社区最多的部门：市中区民政局" in html
    department_links = links(html, "department-link")
    assert department_links[0] == (
        f"{reverse('stats_department', args=[civil_affairs().pk])}?year={YEAR}&amp;region={DISTRICT}"
    )
    assert 'data-testid="refresh"' in html


def test_every_chart_has_its_data_and_a_table(personas, login, figures):
    html = page(login(personas.group_secretary).get(region_url(DISTRICT)))
    for chart in re.findall(r'data-chart="[^"]+" data-source="([^"]+)"', html):
        assert f'id="{chart}"' in html, chart
    assert html.count("<table") >= 4
    assert 'aria-label="' in html


def test_drill_down_goes_one_level_down(personas, login, figures):
    client = login(personas.group_secretary)
    district = page(client.get(region_url(DISTRICT)))
    assert links(district, "child-link") == [region_url(CHENGDONG), region_url(CHENGXI)]
    street = page(client.get(region_url(CHENGDONG)))
    assert links(street, "child-link") == [region_url(ZHONGGULOU), region_url(JIANDAOJIE)]
    community = page(client.get(region_url(ZHONGGULOU)))
    assert links(community, "child-link") == []
    assert 'data-testid="chart-history"' in community
    # The breadcrumb leads back up, to the province.
    crumbs = community.split('data-testid="breadcrumbs"')[1].split("</p>")[0]
    for code in (PROVINCE, CITY, DISTRICT, CHENGDONG):
        assert reverse("stats_region", args=[code]) in crumbs


def test_the_year_selector_shows_that_years_figures(personas, login, figures):
    client = login(personas.group_secretary)
    html = page(client.get(region_url(DISTRICT, YEAR - 1)))
    assert f'<option value="{YEAR - 1}" selected>' in html
    # Last year only the task to 桂湖街 had been sent, without admission.
    assert card(html, "card-unadmitted") == "1"
    # A year without figures opens on the latest counted.
    html = page(client.get(reverse("stats_region", args=[DISTRICT]), {"year": "1999"}))
    assert f'<option value="{YEAR}" selected>' in html
    html = page(client.get(reverse("stats_region", args=[DISTRICT]), {"year": "x"}))
    assert f'<option value="{YEAR}" selected>' in html


def test_the_district_page_reads_a_fixed_number_of_queries(
    personas, login, figures, django_assert_max_num_queries
):
    client = login(personas.group_secretary)
    with django_assert_max_num_queries(30):
        assert client.get(region_url(DISTRICT)).status_code == 200


# Streets, communities and departments: their own only -------------------------------------


def test_a_street_reads_its_street_and_communities_not_another_street(personas, login, figures):
    client = login(personas.street_officer)
    html = page(client.get(region_url(CHENGDONG)))
    assert "城东街道减负成效" in html
    assert links(html, "child-link") == [region_url(ZHONGGULOU), region_url(JIANDAOJIE)]
    # The district's departments are shown, but their scorecards are not a street's to open.
    assert 'data-testid="department-row"' in html and links(html, "department-link") == []
    assert 'data-testid="refresh"' not in html
    assert client.get(region_url(ZHONGGULOU)).status_code == 200
    for code in (DISTRICT, CHENGXI, XILIN, GUIHUJIE):
        assert client.get(region_url(code)).status_code == 404, code


def test_a_community_reads_only_its_own_community(personas, login, figures):
    client = login(personas.community_officer)
    html = page(client.get(region_url(ZHONGGULOU)))
    assert "钟鼓楼社区减负成效" in html and 'data-testid="children"' not in html
    for code in (DISTRICT, CHENGDONG, JIANDAOJIE, XILIN):
        assert client.get(region_url(code)).status_code == 404, code
    other = login(personas.community_officer2)
    assert other.get(region_url(ZHONGGULOU)).status_code == 404
    assert other.get(region_url(XILIN)).status_code == 200


def test_another_district_gets_nothing(personas, login, figures, yl_secretary):
    client = login(yl_secretary)
    for code in (DISTRICT, CHENGDONG, ZHONGGULOU):
        assert client.get(region_url(code)).status_code == 404, code


def test_a_department_reads_its_own_scorecard(personas, login, figures):
    client = login(personas.dept_clerk)
    url = reverse("stats_department", args=[civil_affairs().pk])
    html = page(client.get(url, {"year": YEAR}))
    assert "市中区民政局记分卡" in html
    # One task without admission, sent to two communities, refused by one.
    assert card(html, "card-unadmitted") == "1"
    assert 'data-testid="table-history"' in html and 'data-testid="chart-history"' in html
    # Its district's dashboard links its own scorecard, and only its own.
    district = page(client.get(region_url(DISTRICT)))
    assert [link.split("?")[0] for link in links(district, "department-link")] == [url]
    assert client.get(reverse("stats_department", args=[health().pk])).status_code == 404


def test_the_district_offices_read_every_departments_scorecard(personas, login, figures):
    client = login(personas.review_officer)
    for unit in (civil_affairs(), health()):
        assert client.get(reverse("stats_department", args=[unit.pk])).status_code == 200


@pytest.mark.parametrize("persona", ["street_officer", "community_officer", "system_admin"])
def test_streets_and_communities_do_not_read_scorecards(personas, login, figures, persona):
    client = login(getattr(personas, persona))
    assert client.get(reverse("stats_department", args=[civil_affairs().pk])).status_code == 404


def test_another_districts_office_reads_a_scorecard_only_within_its_district(
    personas, login, figures, yl_secretary
):
    html = page(
        login(yl_secretary).get(
            reverse("stats_department", args=[civil_affairs().pk]),
            {"year": YEAR, "region": DISTRICT},
        )
    )
    assert 'data-testid="no-stats"' in html and "云龙区" in html
    assert 'data-testid="card-unadmitted"' not in html


# The home page ------------------------------------------------------------------------------


def test_the_home_page_shows_the_headline_and_links_the_dashboard(personas, login, figures):
    html = page(login(personas.group_secretary).get(reverse("home")))
    assert 'data-testid="home-stats"' in html
    assert reverse("stats_region", args=[DISTRICT]) in html
    assert 'data-testid="home-stats-chart"' in html
    html = page(login(personas.dept_clerk).get(reverse("home")))
    assert reverse("stats_department", args=[civil_affairs().pk]) in html
    html = page(login(personas.community_officer).get(reverse("home")))
    assert reverse("stats_region", args=[ZHONGGULOU]) in html
    html = page(login(personas.system_admin).get(reverse("home")))
    assert 'data-testid="home-stats"' not in html


def test_the_home_page_headline_costs_few_queries(personas, login, figures):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.group_secretary)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as with_figures:
        client.get(reverse("home"))
    RegionFigures.objects.all().delete()
    with CaptureQueriesContext(connection) as without_figures:
        client.get(reverse("home"))
    assert len(with_figures) - len(without_figures) <= 4


# Recounting now -----------------------------------------------------------------------------


def test_the_group_office_recounts_its_district_in_the_background(
    personas, login, figures, django_capture_on_commit_callbacks
):
    client = login(personas.group_secretary)
    runs = StatsRefresh.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("stats_refresh", args=[DISTRICT]))
    job = BackgroundJob.objects.get(kind="stats_refresh")
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result["district"] == DISTRICT
    assert StatsRefresh.objects.count() == runs + 1
    html = page(client.get(response["Location"]))
    assert reverse("stats_region", args=[DISTRICT]) in html


@pytest.mark.parametrize("persona", ["review_officer", "street_officer", "yl_secretary"])
def test_only_the_districts_group_office_may_recount(
    personas, login, figures, yl_secretary, persona
):
    user = yl_secretary if persona == "yl_secretary" else getattr(personas, persona)
    client = login(user)
    assert client.post(reverse("stats_refresh", args=[DISTRICT])).status_code == 404
    assert not BackgroundJob.objects.filter(kind="stats_refresh").exists()


def test_recounting_is_a_post(personas, login, figures):
    response = login(personas.group_secretary).get(reverse("stats_refresh", args=[DISTRICT]))
    assert response.status_code == 405


# The public portal --------------------------------------------------------------------------


def _public(response) -> str:
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=600" in response["Cache-Control"]
    assert not response.cookies, response.cookies
    return response.content.decode()


def test_the_public_reads_the_districts_statistics_without_login(figures):
    client = Client()
    html = _public(client.get(reverse("public_stats")))
    assert reverse("public_stats_region", args=[DISTRICT]) in html
    html = _public(client.get(region_url(DISTRICT, public=True)))
    assert "市中区减负成效" in html and "数据截至" in html
    assert links(html, "child-link") == [
        region_url(CHENGDONG, public=True),
        region_url(CHENGXI, public=True),
    ]
    # Nothing links back into the signed-in pages, and there is nothing to press.
    assert "/stats/" not in html.replace("/public/stats/", "")
    assert 'data-testid="refresh"' not in html and "csrfmiddlewaretoken" not in html
    assert links(html, "department-link")[0].startswith(
        reverse("public_scorecard_department", args=[civil_affairs().pk])
    )
    _public(client.get(region_url(ZHONGGULOU, public=True)))


def test_a_signed_in_user_reads_the_public_page_as_the_public(personas, login, figures):
    html = page(login(personas.group_secretary).get(region_url(DISTRICT, public=True)))
    assert 'data-testid="refresh"' not in html


def test_public_pages_answer_get_only(figures):
    client = Client()
    for url in (
        reverse("public_stats"),
        region_url(DISTRICT, public=True),
        reverse("public_scorecard"),
        reverse("public_scorecard_department", args=[civil_affairs().pk]),
    ):
        assert client.post(url).status_code == 405, url


def test_an_uncounted_region_is_not_public(figures):
    assert Client().get(reverse("public_stats_region", args=["999999000000"])).status_code == 404


def test_the_public_scorecard_shows_each_departments_record(figures):
    client = Client()
    html = _public(client.get(reverse("public_scorecard"), {"district": DISTRICT, "year": YEAR}))
    assert "市中区民政局" in html and "云龙区" not in html.split("<h2>")[1]
    first = links(html, "department-link")[0]
    assert first.startswith(reverse("public_scorecard_department", args=[civil_affairs().pk]))
    # Without a district it opens on the one whose communities received the most tasks.
    assert "市中区民政局" in _public(client.get(reverse("public_scorecard")))
    html = _public(client.get(first.replace("&amp;", "&")))
    assert "市中区民政局记分卡" in html and card(html, "card-unadmitted") == "1"
    # The other pages still point at it.
    assert reverse("public_scorecard") in page(client.get(reverse("public_admissions")))
    assert reverse("public_scorecard") in page(client.get(reverse("public_lists")))


def test_a_non_department_has_no_public_scorecard(personas, figures):
    office = personas.group_secretary.unit
    response = Client().get(reverse("public_scorecard_department", args=[office.pk]))
    assert response.status_code == 404


@pytest.fixture
def english_client():
    client = Client()
    client.cookies["django_language"] = "en"
    yield client
    # The request left English active in this thread; the tests after this one expect Chinese.
    translation.activate(settings.LANGUAGE_CODE)


def test_the_public_pages_speak_english(figures, english_client):
    for url in (
        reverse("public_stats"),
        region_url(DISTRICT, public=True),
        region_url(ZHONGGULOU, public=True),
        reverse("public_scorecard"),
        reverse("public_scorecard_department", args=[civil_affairs().pk]),
    ):
        html = _public(english_client.get(url))
        assert '<html lang="en">' in html, url
