"""Requirement 1 of the figures: the dashboards, the API, the public portal (its pages and its
daily dump) and the annual notice read the same selectors, so one figure is the same in all of
them. Checked on the whole demo: 市中区's unadmitted deliveries and its reduction of tasks."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.test import Client
from django.utils import timezone

from jianfu.org.models import Region, User
from jianfu.reports import selectors
from jianfu.reports.notice_services import notice_start

DISTRICT = "511002000000"  # 市中区

pytestmark = pytest.mark.django_db


def text_of(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


def card_figure(html: bytes, testid: str) -> str:
    found = re.search(
        rf'data-testid="{testid}".*?<span class="figure">([^<]+)</span>', html.decode(), re.S
    )
    assert found, testid
    return found.group(1).strip()


def compare_row(html: bytes, name: str) -> str:
    found = re.search(rf'data-testid="compare-{name}">(.*?)</tr>', html.decode(), re.S)
    assert found, name
    return text_of(found.group(1).encode())


@pytest.fixture
def expected(demo_world):
    district = Region.objects.get(code=DISTRICT)
    year = timezone.localdate().year
    stats = selectors.region_stats(region=district, year=year)
    assert stats is not None
    figures = selectors.region_dict(stats)
    # The demo gives both figures something to show.
    assert figures["unadmitted_deliveries"] > 0
    assert figures["reduction_percent"]["tasks"] > 0
    return district, year, figures


def test_the_same_figures_on_the_dashboard_the_api_the_portal_and_the_notice(
    expected, django_capture_on_commit_callbacks
):
    district, year, figures = expected
    unadmitted = figures["unadmitted_deliveries"]
    reduction = f"{figures['reduction_percent']['tasks']:.1f}%"
    office = User.objects.get(username="group_secretary")
    signed_in = Client(HTTP_HOST="127.0.0.1")
    signed_in.force_login(office)

    # 1. The district office's dashboard.
    page = signed_in.get(f"/stats/{DISTRICT}/", {"year": year})
    assert page.status_code == 200
    assert card_figure(page.content, "card-unadmitted") == str(unadmitted)
    assert reduction in compare_row(page.content, "tasks")

    # 2. The API.
    api = signed_in.get("/api/v1/stats/burden", {"region": DISTRICT, "year": year})
    assert api.status_code == 200
    body = api.json()
    assert body["unadmitted_deliveries"] == unadmitted
    assert body["reduction_percent"]["tasks"] == figures["reduction_percent"]["tasks"]

    # 3. The portal: its page and its daily dump.
    public = Client(HTTP_HOST="127.0.0.1")
    portal = public.get(f"/public/stats/{DISTRICT}/", {"year": year})
    assert portal.status_code == 200
    assert card_figure(portal.content, "card-unadmitted") == str(unadmitted)
    assert reduction in compare_row(portal.content, "tasks")
    dump = public.get("/public/dump/latest.json").json()
    (row,) = [r for r in dump["regions"] if r["region"]["code"] == DISTRICT and r["year"] == year]
    assert row["unadmitted_deliveries"] == unadmitted
    assert row["reduction_percent"]["tasks"] == figures["reduction_percent"]["tasks"]

    # 4. The annual notice: the figures it froze and the PDF it printed.
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_start(
            actor=office,
            district=district,
            year=year,
            number="市中减负办〔2026〕9号",
            title="关于社区减负工作情况的通报",
            preface="",
        )
    notice.refresh_from_db()
    assert notice.ready
    assert notice.figures["district"]["unadmitted_deliveries"] == unadmitted
    assert notice.figures["district"]["reduction_percent"] == figures["reduction_percent"]
    printed = subprocess.run(
        ["pdftotext", "-", "-"], input=bytes(notice.pdf), capture_output=True, check=True
    ).stdout.decode()
    assert reduction.rstrip("%") in re.sub(r"\s+", "", printed)
