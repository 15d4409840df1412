"""The notice's pages: the group office starts a notice from a prefilled form and watches its
progress; the district's offices read and download its notices; no one else sees any."""

# The shared fixtures are imported by name and then requested as arguments.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from jianfu.core.models import BackgroundJob, JobStatus
from jianfu.reports.models import Notice
from jianfu.reports.tests.test_notice_services import (  # noqa: F401  (shared fixtures)
    YEAR,
    figures,
    made,
    other_secretary,
    start,
)

pytestmark = pytest.mark.django_db

INDEX = "/reports/notices/"


def test_group_office_sees_a_form_prefilled_for_the_latest_year(personas, login, figures, made):
    response = login(personas.group_secretary).get(INDEX)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["year"] == YEAR
    assert form.initial["title"] == "关于2026年度社区减负工作情况的通报"
    assert form.initial["number"].startswith("市中减负办〔") and form.initial["number"].endswith(
        "2号"
    )
    page = response.content.decode()
    assert 'data-testid="notice-form"' in page and made.title in page
    assert reverse("notice_download", args=[made.pk, "pdf"]) in page


def test_the_form_follows_the_year_asked_for(personas, login, figures):
    response = login(personas.group_secretary).get(INDEX + "?year=2025")
    assert response.context["form"].initial["title"] == "关于2025年度社区减负工作情况的通报"


def test_the_list_takes_a_fixed_number_of_queries(
    personas, login, figures, django_assert_max_num_queries
):
    for number in range(5):
        notice = start(personas.group_secretary, figures, number=f"第{number}号")
        Notice.objects.filter(pk=notice.pk).update(finished_at=notice.created_at)
    client = login(personas.group_secretary)
    with django_assert_max_num_queries(16):
        response = client.get(INDEX)
    assert len(response.context["notices"]) == 5


def test_starting_a_notice_leads_to_its_page_with_the_documents(
    personas, login, figures, django_capture_on_commit_callbacks
):
    client = login(personas.group_secretary)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            INDEX,
            {
                "year": YEAR,
                "number": "市中减负办〔2026〕5号",
                "title": "关于2026年度社区减负工作情况的通报",
                "preface": "导语",
            },
        )
    notice = Notice.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "notice_detail", args=[notice.pk]
    )
    page = client.get(response.url).content.decode()
    assert 'data-testid="notice-pdf"' in page and "hx-get" not in page
    assert 'data-testid="preview-reductions"' in page and "60.7%" in page
    assert "市中区民政局（3）" in page
    pdf = client.get(reverse("notice_download", args=[notice.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Cache-Control"] == "private, no-store"
    assert "inline" in pdf["Content-Disposition"]
    xlsx = client.get(reverse("notice_download", args=[notice.pk, "xlsx"]))
    assert xlsx.content.startswith(b"PK") and "attachment" in xlsx["Content-Disposition"]


def test_a_bad_form_shows_the_problems_and_starts_nothing(personas, login, figures):
    response = login(personas.group_secretary).post(
        INDEX, {"year": YEAR, "number": "", "title": "", "preface": ""}
    )
    assert response.status_code == 200 and response.context["form"].errors["title"]
    response = login(personas.group_secretary).post(
        INDEX, {"year": 2019, "number": "", "title": "标题", "preface": ""}
    )
    assert response.context["form"].errors["year"]
    assert not Notice.objects.exists()


def test_a_notice_being_made_shows_a_progress_bar_that_polls(
    personas, login, figures, django_assert_max_num_queries
):
    notice = start(personas.group_secretary, figures)
    client = login(personas.group_secretary)
    page = client.get(reverse("notice_detail", args=[notice.pk])).content.decode()
    assert 'data-testid="notice-progress"' in page
    assert f'hx-get="{reverse("notice_detail", args=[notice.pk])}"' in page
    assert 'data-testid="notice-pdf"' not in page
    # A poll every second: a handful of queries, and never the documents themselves.
    with django_assert_max_num_queries(10):
        partial = client.get(
            reverse("notice_detail", args=[notice.pk]), headers={"HX-Request": "true"}
        )
    assert partial.content.decode().lstrip().startswith('<section id="notice-job"')
    assert client.get(reverse("notice_download", args=[notice.pk, "pdf"])).status_code == 404


@pytest.mark.parametrize("username", ["review_officer", "finance_officer", "auditor"])
def test_the_districts_other_offices_read_the_notices_but_start_none(
    personas, login, made, username
):
    client = login(getattr(personas, username))
    response = client.get(INDEX)
    assert response.status_code == 200 and response.context["form"] is None
    assert made.title in response.content.decode()
    assert client.get(reverse("notice_detail", args=[made.pk])).status_code == 200
    assert client.get(reverse("notice_download", args=[made.pk, "pdf"])).status_code == 200
    response = client.post(INDEX, {"year": YEAR, "title": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "username", ["street_officer", "community_officer", "dept_clerk", "dept_head", "system_admin"]
)
def test_streets_communities_and_departments_get_nothing(personas, login, made, username):
    client = login(getattr(personas, username))
    assert client.get(INDEX).status_code == 403
    assert client.get(reverse("notice_detail", args=[made.pk])).status_code == 404
    for fmt in ("pdf", "xlsx"):
        assert client.get(reverse("notice_download", args=[made.pk, fmt])).status_code == 404


def test_another_districts_office_gets_a_404(login, made, other_secretary):
    client = login(other_secretary)
    assert client.get(reverse("notice_detail", args=[made.pk])).status_code == 404
    assert client.get(reverse("notice_download", args=[made.pk, "pdf"])).status_code == 404
    response = client.get(INDEX)
    assert response.status_code == 200 and list(response.context["notices"]) == []
    assert made.number not in response.content.decode()


def test_pages_work_in_english(personas, login, made):
    client = login(personas.group_secretary)
    client.cookies["django_language"] = "en"
    try:
        index = client.get(INDEX)
        assert index.status_code == 200 and '<html lang="en">' in index.content.decode()
        assert client.get(reverse("notice_detail", args=[made.pk])).status_code == 200
    finally:
        # The locale middleware leaves English active in this thread; later tests expect Chinese.
        translation.deactivate()


def test_a_failed_notice_says_so_and_offers_to_start_again(personas, login, figures):
    notice = start(personas.group_secretary, figures)
    BackgroundJob.objects.filter(pk=notice.job_id).update(
        status=JobStatus.FAILED, finished_at=notice.created_at
    )
    page = login(personas.group_secretary).get(reverse("notice_detail", args=[notice.pk]))
    text = page.content.decode()
    assert 'data-testid="notice-failed"' in text and "hx-get" not in text
    assert f"{reverse('notice_index')}?year={YEAR}" in text
