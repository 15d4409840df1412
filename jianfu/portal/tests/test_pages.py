"""The public portal's pages: no login, Chinese and English, read-only, cacheable, cookie-free;
published evaluation results only; the daily dump equal to the figures the pages show."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jianfu.evaluation.models import Campaign, CampaignState, Outcome
from jianfu.org.models import Region, RegionLevel, User
from jianfu.reports import selectors
from jianfu.reports.models import DepartmentFigures, RegionFigures

pytestmark = pytest.mark.django_db

SHIZHONG = "511002000000"
YUNLONG = "320303000000"
LANGUAGES = ("zh-hans", "en")


def published() -> Campaign:
    return Campaign.objects.get(state=CampaignState.PUBLISHED, district_id=SHIZHONG)


def unpublished() -> Campaign:
    return Campaign.objects.exclude(state=CampaignState.PUBLISHED).get(district_id=SHIZHONG)


def portal_paths() -> list[str]:
    """Every page of the portal app (the dump files included)."""
    return [
        reverse("portal_index"),
        reverse("portal_evaluation"),
        reverse("portal_evaluation_detail", args=[published().pk]),
        reverse("portal_dump"),
        reverse("portal_dump_json"),
        reverse("portal_dump_csv"),
    ]


def public_template_paths() -> list[str]:
    """The other apps' public pages that now wear the portal's frame."""
    return [
        reverse("public_lists"),
        reverse("public_admissions"),
        reverse("verify_admission_form"),
        reverse("certificate_verify_form"),
    ]


def in_language(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_portal_page_answers_without_login_in_both_languages(demo_world, language):
    client = in_language(language)
    for path in portal_paths() + public_template_paths():
        response = client.get(path)
        assert response.status_code == 200, path
        if response["Content-Type"].startswith("text/html"):
            assert response["Content-Language"] == language, path
            assert b'data-testid="portal-nav"' in response.content, path
            # The portal's language links, not the signed-in pages' form.
            assert f'href="/public/lang/{language}/'.encode() in response.content, path


def test_portal_pages_refuse_to_be_written_to(demo_world):
    client = Client(enforce_csrf_checks=False)
    for path in portal_paths():
        for method in (client.post, client.put, client.delete):
            assert method(path).status_code == 405, (method, path)
        assert client.head(path).status_code == 200, path


def test_portal_pages_set_no_cookie_and_may_be_cached_by_anyone(demo_world):
    client = Client()
    for path in portal_paths() + public_template_paths():
        response = client.get(path)
        assert not response.cookies, (path, response.cookies)
        if path.startswith("/public/") and not path.startswith(
            (reverse("public_lists"), reverse("public_admissions"))
        ):
            cache_control = response["Cache-Control"]
            assert "public" in cache_control and "max-age=" in cache_control, path
            # The language is the cookie's: caches keep one copy per language.
            assert "Cookie" in response["Vary"], path


def test_signed_in_reader_gets_the_same_page_without_their_name(demo_world):
    user = User.objects.get(username="group_secretary")
    client = Client()
    client.force_login(user)
    response = client.get(reverse("portal_index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert user.username not in page and user.display_name not in page
    assert 'data-testid="logout"' not in page
    # Refreshing the session's idle clock sets its cookie: such a response is private.
    if response.cookies:
        assert "private" in response["Cache-Control"]


def test_language_link_remembers_the_choice_and_returns_to_the_page(demo_world):
    client = Client()
    page = reverse("portal_evaluation")
    response = client.get(reverse("portal_language", args=["en"]), {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.get(page)["Content-Language"] == "en"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/lists/"])
def test_language_link_goes_nowhere_but_the_portal(demo_world, target):
    response = Client().get(reverse("portal_language", args=["en"]), {"next": target})
    assert response["Location"] == reverse("portal_index")


def test_language_link_ignores_an_unknown_language(demo_world):
    response = Client().get(reverse("portal_language", args=["fr"]))
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_front_page_shows_each_districts_headline_figures_as_of_the_refresh(
    demo_world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = Client().get(reverse("portal_index"))
    page = response.content.decode()
    as_of = timezone.localtime(selectors.as_of())
    assert f"数据截至 {as_of:%Y-%m-%d %H:%M}" in page
    for stats in selectors.latest_public_district_stats():
        assert f'data-testid="district-{stats.region.code}"' in page
    yunlong = next(s for s in selectors.latest_public_district_stats() if s.region.code == YUNLONG)
    tasks = next(c for c in yunlong.comparisons if c.name == "tasks")
    assert f"{tasks.baseline} → {tasks.current}" in page
    assert f"减少 {tasks.reduction:.1f}%" in page


def test_front_page_queries_do_not_grow_with_the_districts(demo_world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(reverse("portal_index")).status_code == 200
        return len(queries)

    before = count()
    _more_districts(5)
    assert count() == before


def test_evaluation_index_lists_published_campaigns_only(demo_world):
    page = Client().get(reverse("portal_evaluation")).content.decode()
    assert published().title in page
    assert unpublished().title not in page
    assert reverse("portal_evaluation_detail", args=[unpublished().pk]) not in page


def test_unpublished_campaign_results_are_not_found_even_for_its_district_office(demo_world):
    campaign = unpublished()
    path = reverse("portal_evaluation_detail", args=[campaign.pk])
    assert Client().get(path).status_code == 404
    office = Client()
    office.force_login(User.objects.get(username="group_secretary"))
    assert office.get(path).status_code == 404
    assert Client().get(reverse("portal_evaluation_detail", args=[99999])).status_code == 404


def test_published_results_show_each_target_rate_interval_and_outcome(
    demo_world, django_assert_max_num_queries
):
    campaign = published()
    with django_assert_max_num_queries(10):
        response = Client().get(reverse("portal_evaluation_detail", args=[campaign.pk]))
    page = response.content.decode()
    targets = list(campaign.targets.select_related("admission"))
    assert page.count('data-testid="result-row"') == len(targets)
    assert campaign.notice.splitlines()[0] in page
    for target in targets:
        assert target.admission.number in page
        if target.rate is not None:
            assert f"{target.rate * 100:.1f}%" in page
    assert "不过半数，已撤销" in page
    # The chart's data is the table's.
    chart = response.context["chart"]
    assert chart["threshold"] == 50
    assert sorted(v for v in chart["rates"] if v is not None) == sorted(
        round(t.rate * 100, 1) for t in targets if t.rate is not None
    )
    assert chart["outcomes"].count(Outcome.REVOKED) == sum(
        t.outcome == Outcome.REVOKED for t in targets
    )


def test_dump_json_is_well_formed_and_its_figures_are_region_dicts(demo_world):
    response = Client().get(reverse("portal_dump_json"))
    assert response["Content-Type"].startswith("application/json")
    assert "max-age=3600" in response["Cache-Control"] and "public" in response["Cache-Control"]
    dump = json.loads(response.content)
    assert set(dump) >= {
        "generated_at",
        "as_of",
        "source",
        "licence",
        "regions",
        "departments",
        "lists",
        "admissions",
    }
    assert dump["as_of"] == selectors.as_of().isoformat()
    expected = [selectors.region_dict(stats) for stats in selectors.all_region_stats()]
    assert dump["regions"] == json.loads(json.dumps(expected))
    assert len(dump["regions"]) == RegionFigures.objects.count()
    region = Region.objects.get(code=SHIZHONG)
    year = selectors.stats_years()[0]
    shizhong = next(
        r for r in dump["regions"] if r["region"]["code"] == SHIZHONG and r["year"] == year
    )
    assert shizhong == json.loads(
        json.dumps(selectors.region_dict(selectors.region_stats(region=region, year=year)))
    )
    departments = [
        d for d in dump["departments"] if d["district"]["code"] == SHIZHONG and d["year"] == year
    ]
    assert sorted(d["department"]["id"] for d in departments) == sorted(
        s.department.pk for s in selectors.department_stats(region=region, year=year)
    )
    for stats in selectors.department_stats(region=region, year=year):
        row = next(d for d in departments if d["department"]["id"] == stats.department.pk)
        assert {k: v for k, v in row.items() if k not in ("district", "year")} == json.loads(
            json.dumps(selectors.department_dict(stats))
        )
    assert len(dump["departments"]) == DepartmentFigures.objects.count()
    assert dump["lists"] and all(lst["version"] and lst["item_count"] for lst in dump["lists"])
    assert dump["admissions"] and all(a["verify_url"] for a in dump["admissions"])


def test_dump_csv_is_one_table_of_regions_and_departments_with_a_bom(demo_world):
    response = Client().get(reverse("portal_dump_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    regions = [r for r in rows if r["table"] == "region"]
    departments = [r for r in rows if r["table"] == "department"]
    assert len(regions) == RegionFigures.objects.count()
    assert len(departments) == DepartmentFigures.objects.count()
    year = selectors.stats_years()[0]
    stats = selectors.region_stats(region=Region.objects.get(code=YUNLONG), year=year)
    row = next(r for r in regions if r["region.code"] == YUNLONG and r["year"] == str(year))
    expected = selectors.region_dict(stats)
    assert row["burden.tasks"] == str(expected["burden"]["tasks"])
    assert row["baseline.tasks"] == str(expected["baseline"]["tasks"])
    assert row["reduction_percent.tasks"] == str(expected["reduction_percent"]["tasks"])
    assert row["unadmitted_deliveries"] == str(expected["unadmitted_deliveries"])


def test_dump_revalidates_with_its_etag(demo_world):
    client = Client()
    for name in ("portal_dump_json", "portal_dump_csv"):
        first = client.get(reverse(name))
        assert first["ETag"] and first["Last-Modified"]
        again = client.get(reverse(name), HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304
        assert client.get(reverse(name), HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_dump_queries_do_not_grow_with_the_regions(demo_world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(reverse("portal_dump_json")).status_code == 200
        return len(queries)

    before = count()
    _more_districts(5)
    after = count()
    assert after == before
    dump = json.loads(Client().get(reverse("portal_dump_json")).content)
    assert len(dump["regions"]) == RegionFigures.objects.count()


def _more_districts(n: int) -> None:
    """Counted districts beyond the demo's, with a department's row each."""
    city = Region.objects.get(code="511000000000")
    template = RegionFigures.objects.filter(region_id=SHIZHONG).order_by("-year").first()
    department_row = DepartmentFigures.objects.filter(district_id=SHIZHONG).first()
    for index in range(n):
        district = Region.objects.create(
            code=f"5110{90 + index:02d}000000",
            name=f"测试区{index}",
            level=RegionLevel.DISTRICT,
            parent=city,
        )
        template.pk = None
        template.region = district
        template.save()
        department_row.pk = None
        department_row.district = district
        department_row.save()
