"""The current items of a list, read in two fixed statements, answer byte for byte what rendering
the documented schema (ItemPage) gives, page after page, with the same errors as before."""

import base64
import json

from django.test import Client
from ninja.responses import NinjaJSONEncoder

from jianfu.api.services import token_create
from jianfu.catalog import selectors, services
from jianfu.catalog.api import ITEM_FIELDS, ItemPage, VersionOut
from jianfu.catalog.models import CatalogList, ListKind, ListLevel, ListVersion, VersionStatus
from jianfu.catalog.tests.conftest import DUTY_ITEMS, publish
from jianfu.org.models import Region


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _client(user) -> Client:
    secret = token_create(actor=user, name="integration").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _rendered(next_cursor, version: ListVersion, items) -> bytes:
    page = ItemPage.model_validate({"next_cursor": next_cursor, "version": version, "items": items})
    return json.dumps(page.model_dump(), cls=NinjaJSONEncoder).encode()


def test_fixed_statements_read_the_schemas_columns_in_order():
    assert selectors.PAGE_ITEM_COLUMNS == ITEM_FIELDS
    assert tuple(VersionOut.model_fields) == selectors.CURRENT_VERSION_COLUMNS


def test_community_reads_every_page_as_the_schema_renders_it(personas, duty_list):
    client = _client(personas.community_officer)
    version = duty_list.versions.get(status=VersionStatus.PUBLISHED)
    items = list(version.items.order_by("id"))
    path, seen = f"/api/v1/lists/{duty_list.code}/items?limit=2", []
    while True:
        response = client.get(path)
        assert response.status_code == 200
        body = response.json()
        shown = items[len(seen) : len(seen) + 2]
        assert response.content == _rendered(body["next_cursor"], version, shown)
        seen += shown
        if body["next_cursor"] is None:
            break
        assert body["next_cursor"] == _cursor(shown[-1].pk)
        path = f"/api/v1/lists/{duty_list.pk}/items?limit=2&cursor={body['next_cursor']}"
    assert [item.code for item in seen] == [values["code"] for values in DUTY_ITEMS]


def test_a_cursor_is_read_as_an_integer_key_as_the_orm_reads_it(personas, duty_list):
    client = _client(personas.community_officer)
    version = duty_list.versions.get(status=VersionStatus.PUBLISHED)
    items = list(version.items.order_by("id"))
    path = f"/api/v1/lists/{duty_list.pk}/items?cursor="
    after_first = client.get(path + _cursor(str(items[0].pk)))
    assert after_first.content == _rendered(None, version, items[1:])
    # Past the largest possible id nothing follows; below the smallest, everything does.
    assert client.get(path + _cursor(10**30)).json()["items"] == []
    assert client.get(path + _cursor(-(10**30))).content == _rendered(None, version, items)


def test_bad_cursors_and_limits_are_refused_in_the_readers_language(personas, duty_list):
    client = _client(personas.community_officer)
    path = f"/api/v1/lists/{duty_list.pk}/items"
    for cursor in ("xyz!!", _cursor("abc"), _cursor([1]), _cursor(True), _cursor(1.5)):
        response = client.get(path, {"cursor": cursor}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_cursor"
        assert response.json()["error"]["message"] != "分页游标无效。"
        chinese = client.get(path, {"cursor": cursor}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert chinese.json()["error"]["message"] == "分页游标无效。"
    for limit in (0, 501):
        response = client.get(path, {"limit": limit, "cursor": "xyz!!"})
        assert response.json()["error"]["code"] == "invalid_limit"


def test_a_list_out_of_reach_is_not_found_before_its_cursor_is_read(
    personas, duty_list, other_reviewer
):
    client = _client(other_reviewer)
    response = client.get(f"/api/v1/lists/{duty_list.pk}/items", {"cursor": "xyz!!"})
    assert response.status_code == 404
    assert client.get(f"/api/v1/lists/{10**30}/items").status_code == 404
    # The district's own reviewer reads it: the list lies inside the jurisdiction.
    own = _client(personas.review_officer).get(f"/api/v1/lists/{duty_list.pk}/items")
    assert own.status_code == 200 and len(own.json()["items"]) == len(DUTY_ITEMS)


def test_community_reads_the_current_items_of_national_and_higher_lists(personas):
    reviewer = personas.review_officer
    for code, region in (("national-duty", None), ("511000-duty", "511000000000")):
        catalog_list = services.list_create(
            actor=reviewer,
            name=f"{code} 清单",
            kind=ListKind.DUTY,
            level=ListLevel.COMMUNITY,
            region=Region.objects.get(code="511002000000"),
            code=code,
            first_label="2025版",
        )
        draft = catalog_list.versions.get()
        parent = services.item_add(
            actor=reviewer, version=draft, values=DUTY_ITEMS[0], reason="梳理入单"
        )
        services.item_add(
            actor=reviewer, version=draft, values={"name": "子项"}, parent=parent, reason="细化"
        )
        publish(reviewer, draft, "文号", None)
        # A national list, and one of the city above the community's district.
        CatalogList.objects.filter(pk=catalog_list.pk).update(region_id=region)
        response = _client(personas.community_officer).get(f"/api/v1/lists/{code}/items")
        assert response.status_code == 200
        version = ListVersion.objects.get(pk=draft.pk)
        items = list(version.items.order_by("id"))
        assert items[1].parent_key == items[0].key
        assert response.content == _rendered(None, version, items)
        assert (
            _client(personas.community_officer2).get(f"/api/v1/lists/{code}/items").status_code
            == 200
        )


def test_the_fixed_statement_lets_exactly_those_read_whom_the_orm_lets_read(
    personas, other_reviewer
):
    """current_version_row writes _visible_lists_filter out as SQL: for every account and the
    public, on lists of every level in and out of their reach, it finds the published version of
    exactly the lists the ORM's list_visible_to lets them read."""
    reviewer = personas.review_officer
    regions = (
        None, "510000000000", "511000000000", "511002000000", "511002001000", "511002001001",
        "320303000000",
    )  # fmt: skip
    lists = []
    for number, region in enumerate(regions):
        catalog_list = services.list_create(
            actor=reviewer,
            name=f"清单{number}",
            kind=ListKind.DUTY,
            level=ListLevel.COMMUNITY,
            region=Region.objects.get(code="511002000000"),
            code=f"reach-{number}",
            first_label="2025版",
        )
        draft = catalog_list.versions.get()
        services.item_add(actor=reviewer, version=draft, values=DUTY_ITEMS[0], reason="梳理入单")
        publish(reviewer, draft, "文号", None)
        CatalogList.objects.filter(pk=catalog_list.pk).update(region_id=region)
        lists.append(catalog_list)
    readers = [None, other_reviewer, *vars(personas).values()]
    seen = set()
    for reader in readers:
        for catalog_list in lists:
            for ref in (catalog_list.pk, str(catalog_list.pk), catalog_list.code):
                visible = selectors.list_visible_to(user=reader, ref=ref)
                expected = visible and visible.versions.get(status=VersionStatus.PUBLISHED)
                found = selectors.current_version_row(user=reader, list_ref=ref)
                assert (found and found["id"]) == (expected and expected.pk), (reader, ref)
                seen.add(expected is not None)
    assert seen == {True, False}
