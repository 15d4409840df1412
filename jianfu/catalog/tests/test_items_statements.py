"""A page of a list's current items costs three statements: the token, the list's current version
(the list's visibility checked in the same statement) and the items."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jianfu.api.services import token_create
from jianfu.catalog import services
from jianfu.catalog.models import ListKind, ListLevel
from jianfu.org.models import Region


def _get(secret: str, path: str):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_page_of_current_items_costs_three_statements(personas, duty_list):
    secret = token_create(actor=personas.community_officer, name="integration").secret
    _get(secret, f"/api/v1/lists/{duty_list.pk}/items")  # records the token's first use
    for ref in (duty_list.pk, duty_list.code):
        with CaptureQueriesContext(connection) as queries:
            response = _get(secret, f"/api/v1/lists/{ref}/items?limit=2")
        assert response.status_code == 200
        assert response.json()["version"]["label"] == "2025版"
        assert len(response.json()["items"]) == 2
        assert len(queries) == 3, [q["sql"][:80] for q in queries]


def test_the_current_items_of_a_list_out_of_reach_are_not_found(
    personas, duty_list, other_reviewer
):
    secret = token_create(actor=other_reviewer, name="integration").secret
    for ref in (duty_list.pk, duty_list.code, "no-such-list", 10**9):
        assert _get(secret, f"/api/v1/lists/{ref}/items").status_code == 404


def test_a_list_without_a_published_version_has_no_current_items(personas):
    reviewer = personas.review_officer
    draft_only = services.list_create(
        actor=reviewer,
        name="市中区社区证明事项清单",
        kind=ListKind.CERTIFICATE,
        level=ListLevel.COMMUNITY,
        region=Region.objects.get(code="511002000000"),
        code="511002-certificates",
        first_label="2026版",
    )
    secret = token_create(actor=reviewer, name="integration").secret
    assert _get(secret, f"/api/v1/lists/{draft_only.pk}/items").status_code == 404
    # Its editor reads the draft by name.
    assert _get(secret, f"/api/v1/lists/{draft_only.pk}/items?version=draft").status_code == 200
