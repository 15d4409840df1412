"""The burden API: a community's four inventories and their clean-up, its burden index against
its baseline, a street's or district's summary in a fixed number of queries, and the survey
import — each scoped so that another street or community gets nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jianfu.burden import services
from jianfu.burden.models import (
    BurdenSnapshot,
    EntryKind,
    EntryStatus,
    InventoryEntry,
    LedgerMedium,
)
from jianfu.burden.tests.test_import import SIGNBOARD_HEADER, good_survey, workbook
from jianfu.catalog.demo import catalog_demo_load
from jianfu.catalog.models import Item, ListKind
from jianfu.org.models import Region, RegionLevel

ZHONGGULOU = "511002001001"
JIANDAOJIE = "511002001002"
XILIN = "511002002001"
CHENGDONG = "511002001000"
DISTRICT = "511002000000"


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def patch(client, url: str, body: dict):
    return client.patch(url, body, content_type="application/json")


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


@pytest.fixture
def lists(personas):
    catalog_demo_load()


def community(code: str = ZHONGGULOU) -> Region:
    return Region.objects.get(code=code)


def board(name: str, *, code: str = ZHONGGULOU, since=dt.date(2020, 1, 1), **values):
    return services.inventory_entry_create(
        actor=None,
        community=community(code),
        kind=EntryKind.SIGNBOARD,
        name=name,
        since=since,
        **values,
    )


# ---------------------------------------------------------------------------------------------
# Inventories


def test_a_community_lists_its_signboards_in_use_unless_asked_for_more(
    personas, login, django_assert_max_num_queries
):
    for index in range(8):
        board(f"牌子{index}", department_name="市中区民政局")
    ended = board("老年协会")
    services.inventory_entry_end(
        actor=None, entry=ended, status=EntryStatus.REMOVED, ended_on=dt.date(2024, 3, 1)
    )
    client = login(personas.community_officer)
    # The first request of a session writes its idle clock; the count is of the ones after.
    client.get("/api/v1/me")
    url = f"/api/v1/communities/{ZHONGGULOU}/signboards"

    with django_assert_max_num_queries(7):
        body = client.get(url).json()
    assert len(body["items"]) == 8 and body["next_cursor"] is None
    first = body["items"][0]
    assert first["community"] == {"code": ZHONGGULOU, "name": "钟鼓楼社区"}
    assert first["kind"] == "signboard" and first["kind_label"] == "挂牌"
    assert first["department"]["name"] == "市中区民政局" and first["unadmitted"]
    assert [e["name"] for e in client.get(url + "?status=ended").json()["items"]] == ["老年协会"]
    assert len(client.get(url + "?status=all").json()["items"]) == 9
    page = client.get(url + "?limit=5").json()
    rest = client.get(url + f"?limit=5&cursor={page['next_cursor']}").json()
    assert len(page["items"]) + len(rest["items"]) == 8
    assert client.get(url + "?status=gone").status_code == 422


def test_an_officer_records_a_signboard_the_list_allows(personas, lists, login):
    item = Item.objects.get(
        name="社区居民委员会", version__list__kind=ListKind.SIGNBOARD, version__status="published"
    )
    client = login(personas.community_officer)
    response = post(
        client,
        f"/api/v1/communities/{ZHONGGULOU}/signboards",
        {"name": "钟鼓楼社区居民委员会", "since": "2015-01-01", "basis_item_key": str(item.key)},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["basis_item"] == {
        "list_id": item.version.list_id,
        "key": str(item.key),
        "name": "社区居民委员会",
    }
    assert not body["unadmitted"] and body["status"] == "active" and body["since"] == "2015-01-01"
    assert InventoryEntry.objects.get(pk=body["id"]).created_by == personas.community_officer


def test_each_inventory_has_its_own_address(personas, login):
    client = login(personas.street_officer)
    bodies = {
        "ledgers": {
            "name": "低保台账",
            "since": "2024-01-01",
            "medium": "paper",
            "quantity": 6,
            "year": 2024,
        },
        "campaigns": {"name": "星级社区创建", "since": "2020-01-01", "one_vote_veto": True},
        "systems": {"name": "网格化管理系统", "since": "2019-01-01"},
    }
    for path, body in bodies.items():
        response = post(client, f"/api/v1/communities/{ZHONGGULOU}/{path}", body)
        assert response.status_code == 201, response.json()
    kinds = dict(InventoryEntry.objects.values_list("name", "kind"))
    assert kinds == {
        "低保台账": EntryKind.LEDGER,
        "星级社区创建": EntryKind.CAMPAIGN,
        "网格化管理系统": EntryKind.SYSTEM,
    }
    ledger = InventoryEntry.objects.get(kind=EntryKind.LEDGER)
    assert (ledger.medium, ledger.quantity, ledger.year) == (LedgerMedium.PAPER, 6, 2024)
    listed = client.get(f"/api/v1/communities/{ZHONGGULOU}/campaigns").json()["items"]
    assert [e["one_vote_veto"] for e in listed] == [True]


def test_a_bad_entry_is_refused_in_chinese_and_nothing_is_written(personas, login):
    client = login(personas.community_officer)
    response = post(
        client,
        f"/api/v1/communities/{ZHONGGULOU}/ledgers",
        {"name": "", "since": "2024-01-01", "quantity": 0},
    )
    assert response.status_code == 422
    problems = error(response)["details"]
    assert "名称不能为空，且不超过 200 个字。" in problems
    assert "台账形式应为纸质或电子。" in problems
    response = post(
        client, f"/api/v1/communities/{ZHONGGULOU}/signboards", {"name": "x", "since": "今天"}
    )
    assert response.status_code == 422 and error(response)["code"] == "invalid_input"
    assert not InventoryEntry.objects.exists()


def test_an_entry_is_corrected_while_in_use(personas, login):
    entry = board("社区老年协会")
    client = login(personas.community_officer)
    response = patch(client, f"/api/v1/burden/entries/{entry.pk}", {"name": "老年人协会"})
    assert response.status_code == 200 and response.json()["name"] == "老年人协会"
    assert response.json()["since"] == "2020-01-01"
    services.inventory_entry_end(
        actor=None, entry=entry, status=EntryStatus.REMOVED, ended_on=dt.date(2024, 1, 1)
    )
    response = patch(client, f"/api/v1/burden/entries/{entry.pk}", {"name": "又改"})
    assert response.status_code == 409 and error(response)["code"] == "entry_ended"


def test_a_paper_ledger_is_digitised_into_an_electronic_one(personas, login):
    client = login(personas.community_officer)
    make = {"since": "2020-01-01", "year": 2020}
    paper = post(
        client,
        f"/api/v1/communities/{ZHONGGULOU}/ledgers",
        {"name": "低保台账", "medium": "paper", "quantity": 12, **make},
    ).json()
    electronic = post(
        client,
        f"/api/v1/communities/{ZHONGGULOU}/ledgers",
        {"name": "低保电子台账", "medium": "electronic", **make},
    ).json()
    elsewhere = services.inventory_entry_create(
        actor=None,
        community=community(JIANDAOJIE),
        kind=EntryKind.LEDGER,
        name="别处的电子台账",
        medium=LedgerMedium.ELECTRONIC,
        since=dt.date(2020, 1, 1),
    )
    url = f"/api/v1/burden/entries/{paper['id']}/end"
    body = {"status": "digitised", "ended_on": "2024-06-30", "reason": "转为电子台账"}
    response = post(client, url, {**body, "successor_id": elsewhere.pk})
    assert response.status_code == 422 and error(response)["code"] == "bad_successor"
    response = post(client, url, body)
    assert response.status_code == 422 and error(response)["code"] == "bad_successor"

    response = post(client, url, {**body, "successor_id": electronic["id"]})
    assert response.status_code == 200
    ended = response.json()
    assert (ended["status"], ended["status_label"], ended["successor"]) == (
        "digitised",
        "已转为电子台账",
        electronic["id"],
    )
    assert ended["ended_on"] == "2024-06-30" and ended["end_reason"] == "转为电子台账"
    response = post(client, url, {**body, "successor_id": electronic["id"]})
    assert response.status_code == 409


def test_roles_without_the_burden_get_403(personas, login):
    entry = board("社区老年协会")
    for user in (personas.dept_clerk, personas.evaluator):
        client = login(user)
        for response in (
            client.get(f"/api/v1/communities/{ZHONGGULOU}/signboards"),
            post(
                client,
                f"/api/v1/communities/{ZHONGGULOU}/signboards",
                {"name": "x", "since": "2020-01-01"},
            ),
            patch(client, f"/api/v1/burden/entries/{entry.pk}", {"name": "y"}),
            post(
                client,
                f"/api/v1/burden/entries/{entry.pk}/end",
                {"status": "removed", "ended_on": "2024-01-01"},
            ),
            client.get(f"/api/v1/communities/{ZHONGGULOU}/burden"),
        ):
            assert response.status_code == 403, (user, response.json())
    assert (
        login(personas.dept_clerk).get(f"/api/v1/burden/summary?region={DISTRICT}").status_code
        == 403
    )
    # The auditor reads the district's burden but keeps no inventory.
    auditor = login(personas.auditor)
    assert auditor.get(f"/api/v1/communities/{ZHONGGULOU}/signboards").status_code == 200
    response = patch(auditor, f"/api/v1/burden/entries/{entry.pk}", {"name": "y"})
    assert response.status_code == 403
    assert InventoryEntry.objects.get().name == "社区老年协会"


@pytest.mark.parametrize("username", ["community_officer2", "street_officer2"])
def test_another_street_or_community_gets_404_for_zhonggulou(personas, login, username):
    entry = board("社区老年协会")
    client = login(getattr(personas, username))
    for response in (
        client.get(f"/api/v1/communities/{ZHONGGULOU}/signboards"),
        client.get(f"/api/v1/communities/{ZHONGGULOU}/ledgers?status=all"),
        post(
            client,
            f"/api/v1/communities/{ZHONGGULOU}/signboards",
            {"name": "x", "since": "2020-01-01"},
        ),
        patch(client, f"/api/v1/burden/entries/{entry.pk}", {"name": "y"}),
        post(
            client,
            f"/api/v1/burden/entries/{entry.pk}/end",
            {"status": "removed", "ended_on": "2024-01-01"},
        ),
        client.get(f"/api/v1/communities/{ZHONGGULOU}/burden"),
        client.get(f"/api/v1/burden/summary?region={CHENGDONG}"),
    ):
        assert response.status_code == 404, response.json()
        assert error(response)["code"] == "not_found"
    assert client.get(f"/api/v1/communities/{XILIN}/signboards").status_code == 200
    assert InventoryEntry.objects.get().name == "社区老年协会"


# ---------------------------------------------------------------------------------------------
# The burden index


def test_a_community_burden_shows_figures_baseline_reductions_flags_and_history(
    personas, lists, login
):
    for index in range(5):
        board(f"牌子{index}")
    services.inventory_entry_create(
        actor=None,
        community=community(),
        kind=EntryKind.CAMPAIGN,
        name="星级社区创建",
        since=dt.date(2020, 1, 1),
        one_vote_veto=True,
    )
    services.burden_baseline_record(
        actor=personas.group_secretary,
        community=community(),
        taken_on=dt.date(2019, 6, 30),
        label="2019年调查",
        figures={"signboards": 46, "campaigns": 32, "tasks": 242},
    )
    services.burden_snapshot_take(
        actor=personas.group_secretary,
        region=community(),
        label="2025年中",
        on=dt.date(2025, 6, 30),
    )
    response = login(personas.street_officer).get(f"/api/v1/communities/{ZHONGGULOU}/burden")
    assert response.status_code == 200
    body = response.json()
    assert body["community"] == {"code": ZHONGGULOU, "name": "钟鼓楼社区"}
    assert body["street"] == {"code": CHENGDONG, "name": "城东街道"}
    figures = body["figures"]
    assert (figures["signboards"], figures["signboard_cap"], figures["campaigns"]) == (5, 4, 1)
    assert figures["duties"] > 0 and figures["tasks"] == figures["duties"] + figures["admitted"]
    assert body["flags"] == {"over_cap": 1, "unadmitted": 6, "one_vote_veto": 1}
    assert body["baseline"]["label"] == "2019年调查" and body["baseline"]["source"] == "survey"
    assert body["baseline"]["taken_on"] == "2019-06-30"
    reductions = {r["name"]: r for r in body["reductions"]}
    assert reductions["signboards"] == {
        "name": "signboards",
        "label": "挂牌（块）",
        "baseline": 46,
        "current": 5,
        "reduction_percent": 89.1,
    }
    assert reductions["campaigns"]["reduction_percent"] == 96.9
    assert reductions["hours"]["reduction_percent"] is None
    assert [(s["taken_on"], s["is_baseline"]) for s in body["history"]] == [
        ("2019-06-30", True),
        ("2025-06-30", False),
    ]
    assert body["history"][1]["figures"]["signboards"] == 5

    past = (
        login(personas.community_officer)
        .get(f"/api/v1/communities/{ZHONGGULOU}/burden?on=2019-12-31")
        .json()
    )
    assert past["figures"]["signboards"] == 0 and past["on"] == "2019-12-31"
    response = login(personas.community_officer).get(
        f"/api/v1/communities/{ZHONGGULOU}/burden?on=2099-01-01"
    )
    assert response.status_code == 422


def test_a_community_without_baseline_has_no_reductions(personas, login):
    body = login(personas.community_officer).get(f"/api/v1/communities/{ZHONGGULOU}/burden").json()
    assert body["baseline"] is None and body["history"] == []
    assert all(r["reduction_percent"] is None for r in body["reductions"])


def _more_communities(count: int) -> None:
    Region.objects.bulk_create(
        Region(
            code=f"511002001{index:03d}",
            name=f"新建{index}社区",
            level=RegionLevel.COMMUNITY,
            parent_id=CHENGDONG,
        )
        for index in range(10, 10 + count)
    )
    for index in range(10, 10 + count):
        board("社区居民委员会", code=f"511002001{index:03d}")
        BurdenSnapshot.objects.create(
            community_id=f"511002001{index:03d}",
            taken_on=dt.date(2019, 6, 30),
            label="基线",
            is_baseline=True,
            signboards=10,
        )


def test_the_summary_of_a_district_takes_as_many_queries_for_many_communities(
    personas, lists, login
):
    board("社区居民委员会")
    client = login(personas.group_secretary)
    client.get("/api/v1/me")
    url = f"/api/v1/burden/summary?region={DISTRICT}"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _more_communities(12)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).json()
    assert len(body["communities"]) == 16
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_summary_adds_up_a_street_against_the_baselines_it_has(personas, login):
    _more_communities(2)
    board("社区居民委员会")
    board("社区居民委员会", code=XILIN)
    response = login(personas.street_officer).get(f"/api/v1/burden/summary?region={CHENGDONG}")
    assert response.status_code == 200
    body = response.json()
    assert body["region"] == {"code": CHENGDONG, "name": "城东街道"} and body["level"] == "street"
    assert [c["community"]["code"] for c in body["communities"]] == [
        ZHONGGULOU,
        JIANDAOJIE,
        "511002001010",
        "511002001011",
    ]
    assert body["total"]["signboards"] == 3 and body["with_baseline"] == 2
    assert body["baseline_total"]["signboards"] == 20
    assert body["comparable"]["signboards"] == 2
    signboards = next(r for r in body["reductions"] if r["name"] == "signboards")
    assert (signboards["baseline"], signboards["current"], signboards["reduction_percent"]) == (
        20,
        2,
        90.0,
    )
    line = body["communities"][2]
    assert line["baseline"]["figures"]["signboards"] == 10
    assert line["street"] == {"code": CHENGDONG, "name": "城东街道"}
    # A street officer reads their street, not the district nor a community's summary.
    client = login(personas.street_officer)
    assert client.get(f"/api/v1/burden/summary?region={DISTRICT}").status_code == 404
    assert client.get(f"/api/v1/burden/summary?region={ZHONGGULOU}").status_code == 404


# ---------------------------------------------------------------------------------------------
# The survey import


def upload(client, data: bytes, **form):
    file = io.BytesIO(data)
    file.name = "调查.xlsx"
    return client.post("/api/v1/burden/import", {"file": file, **form})


def test_the_import_previews_by_default_and_writes_when_asked(personas, lists, login):
    client = login(personas.street_officer)
    response = upload(client, workbook(good_survey()))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["dry_run"] and body["ok"] and body["created"] == 8 and body["ended"] == 2
    assert {c["code"]: c["signboard"] for c in body["communities"]} == {
        ZHONGGULOU: 2,
        JIANDAOJIE: 1,
    }
    assert not InventoryEntry.objects.exists()

    response = upload(client, workbook(good_survey()), dry_run="false")
    assert response.status_code == 201 and not response.json()["dry_run"]
    assert InventoryEntry.objects.count() == 8


def test_an_import_with_bad_rows_answers_422_with_each_row(personas, lists, login):
    survey = {
        "挂牌": [
            SIGNBOARD_HEADER,
            [ZHONGGULOU, "社区居民委员会", "", "", "", "去年"],
            [XILIN, "社区居民委员会", "", "", "", "2015"],
        ]
    }
    response = upload(login(personas.community_officer), workbook(survey), dry_run="false")
    assert response.status_code == 422
    body = error(response)
    assert body["code"] == "import_rejected"
    assert body["message"] == "调查表中有 2 处问题，未导入任何数据。"
    assert [(e["sheet"], e["row"]) for e in body["details"]["errors"]] == [
        ("挂牌", 2),
        ("挂牌", 3),
    ]
    assert not InventoryEntry.objects.exists()


def test_the_import_is_refused_to_those_who_keep_no_inventory(personas, lists, login):
    for user in (personas.dept_clerk, personas.evaluator):
        response = upload(login(user), workbook(good_survey()), dry_run="false")
        assert response.status_code == 403
    response = upload(login(personas.community_officer), b"not a workbook")
    assert response.status_code == 422 and error(response)["code"] == "bad_file"
    assert not InventoryEntry.objects.exists()
