"""The lists API: reading, diffs, as-of, search, creating lists and imports, within jurisdiction."""

import datetime as dt
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.responses import NinjaJSONEncoder

from jianfu.catalog import services
from jianfu.catalog.api import ItemPage
from jianfu.catalog.models import ListVersion
from jianfu.catalog.tests.conftest import publish
from jianfu.catalog.tests.test_import import GOOD_ROWS, csv_bytes


def test_lists_are_filtered_by_kind_and_region(personas, duty_list, login):
    client = login(personas.community_officer)
    body = client.get("/api/v1/lists", {"kind": "duty"}).json()
    assert [item["code"] for item in body["items"]] == ["511002-duty"]
    assert body["items"][0]["current_version_label"] == "2025版"
    assert client.get("/api/v1/lists", {"region": "320303000000"}).json()["items"] == []


def test_another_districts_user_gets_nothing(personas, duty_list, other_reviewer, login):
    client = login(other_reviewer)
    assert "511002-duty" not in [i["code"] for i in client.get("/api/v1/lists").json()["items"]]
    for path in ("", "/versions", "/items", "/diff?from=2025版"):
        assert client.get(f"/api/v1/lists/{duty_list.pk}{path}").status_code == 404
    assert client.get("/api/v1/items", {"q": "调解民间纠纷"}).json() == []
    upload = SimpleUploadedFile("a.csv", csv_bytes(GOOD_ROWS))
    assert client.post(f"/api/v1/lists/{duty_list.pk}/imports", {"file": upload}).status_code == 404


def test_items_by_version_and_as_of_date(personas, duty_list, login):
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    services.item_cancel(actor=reviewer, item=draft.items.get(code="SZQ-ZZ-002"), reason="并入")
    client = login(personas.community_officer)
    # The draft is not the community's to read.
    assert (
        client.get(f"/api/v1/lists/{duty_list.code}/items", {"version": "2026版"}).status_code
        == 404
    )
    publish(reviewer, draft, "市中委编〔2026〕1号", dt.date(2026, 1, 1))
    current = client.get(f"/api/v1/lists/{duty_list.code}/items").json()
    assert current["version"]["label"] == "2026版"
    assert len(current["items"]) == 2
    old = client.get(f"/api/v1/lists/{duty_list.code}/items", {"as_of": "2025-06-30"}).json()
    assert old["version"]["label"] == "2025版" and len(old["items"]) == 3
    assert (
        client.get(f"/api/v1/lists/{duty_list.code}/items", {"as_of": "2024-01-01"}).status_code
        == 404
    )
    diff = client.get(
        f"/api/v1/lists/{duty_list.code}/diff", {"from": "2025版", "to": "2026版"}
    ).json()
    assert diff["counts"]["removed"] == 1
    assert diff["removed"][0]["name"] == "调解民间纠纷"
    versions = client.get(f"/api/v1/lists/{duty_list.code}/versions").json()
    assert [(v["label"], v["status"]) for v in versions] == [
        ("2026版", "published"),
        ("2025版", "superseded"),
    ]


def test_api_items_rows_match_the_schema(personas, duty_list, login):
    """The items page builds its rows by hand for speed; they are what validating the version
    and its items through the documented schema (ItemPage) gives, field for field."""
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    services.item_add(actor=reviewer, version=draft, values={"name": "新增事项"}, reason="测")
    client = login(personas.community_officer)
    for query in ({"limit": 2}, {"as_of": "2025-06-30"}):
        body = client.get(f"/api/v1/lists/{duty_list.code}/items", query).json()
        version = ListVersion.objects.get(pk=body["version"]["id"])
        items = list(version.items.order_by("id"))
        shown = items[: query.get("limit", len(items))]
        expected = ItemPage.model_validate(
            {"next_cursor": body["next_cursor"], "version": version, "items": shown}
        ).model_dump()
        assert body == json.loads(json.dumps(expected, cls=NinjaJSONEncoder))
    publish(reviewer, draft, "市中委编〔2026〕1号", dt.date(2026, 1, 1))
    body = client.get(f"/api/v1/lists/{duty_list.code}/items").json()
    version = ListVersion.objects.get(pk=body["version"]["id"])
    expected = ItemPage.model_validate(
        {"next_cursor": None, "version": version, "items": list(version.items.order_by("id"))}
    ).model_dump()
    assert body == json.loads(json.dumps(expected, cls=NinjaJSONEncoder))
    assert len(body["items"]) == 4


def test_item_list_query_count_does_not_grow_with_page_size(personas, duty_list, login):
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    for n in range(30):
        services.item_add(actor=reviewer, version=draft, values={"name": f"事项{n}"}, reason="测")
    client = login(reviewer)
    client.get("/api/v1/me")  # the session and the user are loaded once, before counting
    counts = []
    for limit in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                f"/api/v1/lists/{duty_list.pk}/items", {"version": "draft", "limit": limit}
            )
        assert len(response.json()["items"]) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_list_index_query_count_does_not_grow_with_lists(personas, duty_list, login):
    client = login(personas.review_officer)
    client.get("/api/v1/me")  # the session and the user are loaded once, before counting
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/lists")
    for n in range(5):
        services.list_create(
            actor=personas.review_officer,
            name=f"清单{n}",
            kind="assist",
            level="community",
            region=duty_list.region,
        )
    with CaptureQueriesContext(connection) as six:
        assert len(client.get("/api/v1/lists").json()["items"]) >= 6
    assert len(one) == len(six)


def test_create_a_list_and_import_into_it(personas, login, django_capture_on_commit_callbacks):
    client = login(personas.review_officer)
    response = client.post(
        "/api/v1/lists",
        {
            "name": "市中区部门下沉事项",
            "kind": "devolved",
            "level": "street",
            "region": "511002000000",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    upload = SimpleUploadedFile("清单.csv", csv_bytes(GOOD_ROWS))
    with django_capture_on_commit_callbacks(execute=True):
        preview = client.post(f"/api/v1/lists/{created['id']}/imports", {"file": upload})
    assert preview.status_code == 202
    assert preview.json()["status"] == "queued"
    body = client.get(f"/api/v1/imports/{preview.json()['id']}").json()
    assert body["dry_run"] is True and body["status"] == "succeeded"
    assert body["result"]["created"] == 4 and body["percent"] == 100
    upload = SimpleUploadedFile("清单.csv", csv_bytes(GOOD_ROWS))
    with django_capture_on_commit_callbacks(execute=True):
        real = client.post(
            f"/api/v1/lists/{created['id']}/imports", {"file": upload, "dry_run": "false"}
        ).json()
    real = client.get(f"/api/v1/imports/{real['id']}").json()
    assert real["result"]["created"] == 4
    items = client.get(f"/api/v1/lists/{created['id']}/items", {"version": "draft"}).json()
    assert len(items["items"]) == 4
    # Someone else cannot read the import's status.
    assert login(personas.group_secretary).get(f"/api/v1/imports/{body['id']}").status_code == 404


def test_bad_import_reports_rows_through_the_api(
    personas, duty_list, login, django_capture_on_commit_callbacks
):
    client = login(personas.review_officer)
    services.version_start(actor=personas.review_officer, catalog_list=duty_list, label="2026版")
    upload = SimpleUploadedFile("bad.csv", csv_bytes([["1", "", "", "", "", "", "", "", ""]]))
    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post(f"/api/v1/lists/{duty_list.pk}/imports", {"file": upload}).json()["id"]
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert body["status"] == "failed"
    assert body["result"]["errors"] == [{"row": 2, "problems": ["事项名称：不能为空。"]}]


def test_community_officer_cannot_create_lists(personas, login):
    response = login(personas.community_officer).post(
        "/api/v1/lists",
        {"name": "x", "kind": "duty", "level": "community", "region": "511002001001"},
        content_type="application/json",
    )
    assert response.status_code == 403
