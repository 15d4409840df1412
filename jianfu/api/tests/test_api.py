"""The REST API: bearer tokens, the error format, cursor pagination and jurisdiction."""

import base64
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from jianfu.api.services import token_create, token_revoke
from jianfu.org.models import Region, RegionLevel


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_me_with_a_bearer_token(personas):
    issued = token_create(actor=personas.community_officer, name="integration")
    response = Client().get("/api/v1/me", **bearer(issued.secret))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "community_officer"
    assert body["roles"] == [{"code": "community_officer", "label": "社区工作者"}]
    assert body["unit"]["name"] == "钟鼓楼社区居民委员会"
    assert body["region_code"] == "511002001001"


def test_tokens_are_stored_hashed(personas):
    issued = token_create(actor=personas.dept_clerk, name="x")
    issued.token.refresh_from_db()
    assert issued.secret not in (issued.token.token_hash, issued.token.prefix)
    assert len(issued.token.token_hash) == 64


def test_a_revoked_token_is_refused(personas):
    issued = token_create(actor=personas.dept_clerk, name="x")
    token_revoke(actor=personas.dept_clerk, token=issued.token)
    response = Client().get("/api/v1/me", **bearer(issued.secret))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_deactivated_users_token_is_refused(personas):
    issued = token_create(actor=personas.dept_clerk, name="x")
    personas.dept_clerk.is_active = False
    personas.dept_clerk.save(update_fields=["is_active"])
    assert Client().get("/api/v1/me", **bearer(issued.secret)).status_code == 401


def test_a_made_up_token_is_refused_in_the_error_format(db):
    response = Client().get("/api/v1/me", **bearer("jf_not-a-real-token"))
    assert response.status_code == 401
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"] == "需要登录，或提供有效的接口令牌。"


def test_errors_speak_the_callers_language(db):
    response = Client().get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    message = response.json()["error"]["message"]
    assert "token" in message.lower() and message.isascii()


def test_session_authentication_works_for_the_browser(personas, login):
    assert login(personas.street_officer).get("/api/v1/me").json()["username"] == "street_officer"


def test_create_token_command_prints_a_working_token(personas, capsys):
    call_command("create_token", user="auditor")
    secret = capsys.readouterr().out.strip()
    assert Client().get("/api/v1/me", **bearer(secret)).json()["username"] == "auditor"


def test_validation_errors_are_422_with_details(personas, login):
    response = login(personas.dept_clerk).get("/api/v1/regions?level=planet")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"][0]["location"][-1] == "level"


def test_region_outside_jurisdiction_is_404(personas, login):
    client = login(personas.community_officer)
    assert client.get("/api/v1/regions/511002001001").status_code == 200
    response = client.get("/api/v1/regions/511002002001")  # 西林社区, another street
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_lists_are_scoped_to_the_jurisdiction(personas, login):
    client = login(personas.community_officer2)
    regions = client.get("/api/v1/regions?limit=500").json()["items"]
    assert [r["code"] for r in regions] == ["511002002001"]
    units = {u["name"] for u in client.get("/api/v1/units?limit=500").json()["items"]}
    assert "西林社区居民委员会" in units
    assert "钟鼓楼社区居民委员会" not in units
    assert not any(name.startswith("云龙区") for name in units)


def test_regions_paginate_with_a_cursor(personas, login, django_assert_max_num_queries):
    client = login(personas.system_admin)
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/regions?limit=7" + (f"&cursor={cursor}" if cursor else "")
        with django_assert_max_num_queries(8):
            body = client.get(url).json()
        seen += [r["code"] for r in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == Region.objects.count()
    assert pages == -(-Region.objects.count() // 7)


def test_region_filters_by_parent_and_level(personas, login):
    client = login(personas.dept_clerk)
    streets = client.get("/api/v1/regions?level=street").json()["items"]
    assert {r["name"] for r in streets} == {"城东街道", "城西街道"}
    children = client.get("/api/v1/regions?parent=511002001000").json()["items"]
    assert {r["level"] for r in children} == {RegionLevel.COMMUNITY}


def test_a_bad_cursor_is_a_clear_error(personas, login):
    response = login(personas.dept_clerk).get("/api/v1/regions?cursor=%%%")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("value", ["x", [1], {"id": 1}, True])
def test_a_well_formed_cursor_of_the_wrong_kind_is_a_clear_error(personas, login, value):
    cursor = base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    response = login(personas.dept_clerk).get(f"/api/v1/units?cursor={cursor}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("limit", [0, 501])
def test_limit_is_bounded(personas, login, limit):
    response = login(personas.dept_clerk).get(f"/api/v1/units?limit={limit}")
    assert response.status_code == 422


def test_unit_list_query_count_does_not_grow_with_rows(
    personas, login, django_assert_max_num_queries
):
    client = login(personas.system_admin)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/units?limit=500").json()
    assert len(body["items"]) > 50


def test_openapi_and_docs_are_served_locally(db):
    client = Client()
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/me", "/api/v1/regions", "/api/v1/regions/{code}", "/api/v1/units"} <= set(
        schema["paths"]
    )
    docs = client.get("/api/v1/docs").content.decode()
    # Every script and stylesheet comes from this server: no absolute or protocol-relative URL.
    # (Matching the word "cdn" failed whenever the random CSRF token happened to contain it.)
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert sources
    assert not [url for url in sources if url.startswith(("http:", "https:", "//"))]
    assert "/static/ninja/swagger-ui-bundle.js" in docs


def test_token_page_creates_and_revokes(personas, login):
    client = login(personas.dept_clerk)
    page = client.post("/account/tokens/", {"name": "报表系统"}).content.decode()
    assert "jf_" in page
    token = personas.dept_clerk.api_tokens.get()
    other = login(personas.dept_head)
    assert other.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
