"""`GET /api/v1/reports/notice?region=&year=`: the finished notice (200), the one being made
(202), or a new one started by the group office (202); other offices of the district may
fetch but not start (403); other districts, streets and communities get 404."""

# The shared fixtures are imported by name and then requested as arguments.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from jianfu.core.models import BackgroundJob
from jianfu.reports.models import Notice
from jianfu.reports.tests.test_notice_services import (  # noqa: F401  (shared fixtures)
    CHENGDONG,
    DISTRICT,
    YEAR,
    figures,
    made,
    other_secretary,
    start,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/notice"


def fetch(client, region=DISTRICT, year=YEAR):
    return client.get(URL, {"region": region, "year": year})


def test_group_office_starts_a_notice_and_polls_it_until_it_is_ready(
    personas, login, figures, django_capture_on_commit_callbacks
):
    client = login(personas.group_secretary)
    response = fetch(client)
    assert response.status_code == 202
    body = response.json()
    notice = Notice.objects.get()
    assert body["id"] == notice.pk and body["status"] == "queued"
    assert body["job"] == {"status": "queued", "done": 0, "total": 0, "percent": 0}
    assert body["title"] == "关于2026年度社区减负工作情况的通报"
    assert body["number"].startswith("市中减负办〔") and body["pdf_url"] is None
    # Asking again while it is being made starts nothing new.
    assert fetch(client).status_code == 202 and Notice.objects.count() == 1

    BackgroundJob.objects.filter(pk=notice.job_id).delete()
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        # The job runs once the request's transaction commits: the answer is still 202.
        assert fetch(client).status_code == 202
    response = fetch(client)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["job"]["percent"] == 100
    assert body["pdf_url"] == f"/api/v1/reports/notices/{body['id']}/pdf"
    assert body["xlsx_url"] == f"/api/v1/reports/notices/{body['id']}/xlsx"
    pdf = client.get(body["pdf_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(body["xlsx_url"]).content.startswith(b"PK")
    detail = client.get(f"/api/v1/reports/notices/{body['id']}").json()
    assert detail["status"] == "ready" and len(detail["pdf_sha256"]) == 64


def test_a_finished_notice_is_returned_not_made_again(personas, login, made):
    response = fetch(login(personas.group_secretary))
    assert response.status_code == 200 and response.json()["id"] == made.pk
    assert Notice.objects.count() == 1


@pytest.mark.parametrize("username", ["review_officer", "finance_officer", "auditor"])
def test_the_districts_other_offices_fetch_but_do_not_start(personas, login, figures, username):
    client = login(getattr(personas, username))
    response = fetch(client)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert not Notice.objects.exists()


def test_the_districts_other_offices_fetch_a_finished_notice(personas, login, made):
    client = login(personas.review_officer)
    response = fetch(client)
    assert response.status_code == 200 and response.json()["id"] == made.pk
    assert client.get(response.json()["pdf_url"]).status_code == 200


def test_a_department_of_the_district_is_forbidden(personas, login, made):
    client = login(personas.dept_clerk)
    assert fetch(client).status_code == 403
    assert client.get(f"/api/v1/reports/notices/{made.pk}/pdf").status_code == 404


@pytest.mark.parametrize("username", ["street_officer", "community_officer"])
def test_streets_and_communities_get_404(personas, login, made, username):
    client = login(getattr(personas, username))
    assert fetch(client).status_code == 404
    for path in ("", "/pdf", "/xlsx"):
        assert client.get(f"/api/v1/reports/notices/{made.pk}{path}").status_code == 404


def test_another_district_gets_404(login, made, other_secretary):
    client = login(other_secretary)
    response = fetch(client)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    for path in ("", "/pdf", "/xlsx"):
        assert client.get(f"/api/v1/reports/notices/{made.pk}{path}").status_code == 404
    assert Notice.objects.count() == 1


def test_a_street_or_an_uncounted_year_is_refused(personas, login, figures):
    client = login(personas.group_secretary)
    response = fetch(client, region=CHENGDONG)
    assert response.status_code == 422 and response.json()["error"]["code"] == "not_a_district"
    response = fetch(client, year=2019)
    assert response.status_code == 422 and "year" in response.json()["error"]["details"]
    assert fetch(client, region="nonsense").status_code == 404
    assert client.get(URL, {"region": DISTRICT}).status_code == 422
    assert not Notice.objects.exists()


def test_documents_of_a_notice_being_made_are_not_there_yet(personas, login, figures):
    notice = start(personas.group_secretary, figures)
    client = login(personas.group_secretary)
    response = client.get(f"/api/v1/reports/notices/{notice.pk}/pdf")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "notice_not_ready"


def test_anonymous_callers_are_refused(client, figures):
    assert fetch(client).status_code == 401
