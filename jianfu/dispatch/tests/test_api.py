"""The dispatch API: sending tasks with the per-recipient check, the inbox, the right to refuse,
the street's review, refusal notices, violation counts, and who may see what."""

import datetime as dt
import json
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext
from ninja.responses import NinjaJSONEncoder

from jianfu.admission.models import AdmissionScope, AdmissionState
from jianfu.api.services import token_create
from jianfu.core.models import JobStatus
from jianfu.dispatch import services
from jianfu.dispatch.api import InboxPage
from jianfu.dispatch.models import Delivery, DeliveryStatus, Reason, Task, TaskStatus
from jianfu.dispatch.selectors import inbox_for
from jianfu.dispatch.tests.conftest import (
    CHENGDONG,
    CHENGXI,
    DISTRICT,
    GUIHUJIE,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    dispatch,
)
from jianfu.funds.models import FundingSuspension
from jianfu.org.models import Unit
from jianfu.org.roles import Role
from jianfu.org.services import account_create

CJK = re.compile(r"[\u4e00-\u9fff]")


def post(client: Client, url: str, body: dict | None = None, **extra):
    return client.post(url, body or {}, content_type="application/json", **extra)


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def in_days(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def task_body(**overrides) -> dict:
    return {
        "title": "高龄津贴申领材料收集",
        "content": "收集辖区 80 周岁以上老人的高龄津贴申领材料，核对户籍与年龄后报区民政局。",
        "deadline": in_days(20),
        "outputs": [{"kind": "form", "name": "高龄津贴申领汇总表"}],
        "recipients": [ZHONGGULOU],
        **overrides,
    }


def act(client: Client, delivery: Delivery, action: str, **body):
    return post(client, f"/api/v1/deliveries/{delivery.pk}/{action}", body)


def delivery_of(task: Task, region: str) -> Delivery:
    return task.deliveries.get(region_id=region)


@pytest.fixture
def other_district_clerk(personas):
    """A clerk of 云龙区民政局, a department of another district."""
    return account_create(
        actor=None,
        username="yunlong_clerk",
        display_name="云龙区民政局经办人",
        unit=Unit.objects.get(name="云龙区民政局"),
        roles=[Role.DEPT_CLERK],
        password="Persona-Pass-2026",
    )


@pytest.fixture
def unadmitted(personas) -> Task:
    """A task citing nothing, sent to 钟鼓楼社区 and 西林社区."""
    return dispatch(personas.dept_clerk, recipients=[ZHONGGULOU, XILIN])


@pytest.fixture
def admitted(personas, admission) -> Task:
    """A task citing 民政局's admission, sent to 钟鼓楼社区, which the admission covers."""
    return dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)


# ---------------------------------------------------------------------------------------------
# Dispatch and the per-recipient check


def test_clerk_dispatches_and_sees_each_recipients_check_at_once(personas, login, admission):
    response = post(
        login(personas.dept_clerk),
        "/api/v1/tasks",
        task_body(admission_number=admission.number, recipients=[ZHONGGULOU, XILIN]),
    )
    assert response.status_code == 201, response.json()
    task = response.json()
    stored = Task.objects.get()
    assert task["id"] == stored.pk and re.fullmatch(r"RW\d{4}-\d{6}", task["reference"])
    assert task["status"] == "dispatched" and task["status_label"] == "已派发"
    assert task["department"] == {"id": personas.dept_clerk.unit_id, "name": "市中区民政局"}
    assert task["admission_number"] == admission.number and task["duty_item"] is None
    assert task["outputs"] == [{"kind": "form", "name": "高龄津贴申领汇总表"}]
    assert (task["recipients_total"], task["unadmitted_total"]) == (2, 1)
    assert task["recipient_level"] == "community" and task["recipient_codes"] == [ZHONGGULOU, XILIN]
    assert task["job"] is None and task["poll_url"] == f"/api/v1/tasks/{stored.pk}"
    assert task["check"] == [
        {
            "id": delivery_of(stored, ZHONGGULOU).pk,
            "region": ZHONGGULOU,
            "region_name": "钟鼓楼社区",
            "admitted": True,
            "reasons": [],
        },
        {
            "id": delivery_of(stored, XILIN).pk,
            "region": XILIN,
            "region_name": "西林社区",
            "admitted": False,
            "reasons": [{"code": "outside_scope", "text": "接收单位不在准入范围内"}],
        },
    ]


def _expired(personas, admission):
    admission.valid_from, admission.valid_until = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    admission.save(update_fields=["valid_from", "valid_until"])


def _not_yet_valid(personas, admission):
    admission.valid_from = timezone.localdate() + dt.timedelta(days=30)
    admission.valid_until = admission.valid_from + dt.timedelta(days=365)
    admission.save(update_fields=["valid_from", "valid_until"])


def _state(state):
    def change(personas, admission):
        admission.state = state
        admission.save(update_fields=["state"])

    return change


def _other_department(personas, admission):
    admission.department = Unit.objects.get(name="市中区卫健局")
    admission.save(update_fields=["department"])


def _unfunded(personas, admission):
    AdmissionScope.objects.filter(admission=admission, region_id=ZHONGGULOU).update(funding_fen=0)


def _money_overdue(personas, admission):
    # The tripwire's own tests cross its deadline; here only its mark on the community matters.
    FundingSuspension.objects.create(
        admission=admission,
        region_id=ZHONGGULOU,
        year=timezone.localdate().year,
        due_on=timezone.localdate() - dt.timedelta(days=1),
        suspended_at=timezone.now(),
    )


def _nothing(personas, admission):
    pass


# Stands for the fixture admission's number in what a task cites.
CITED = "<the admission>"

# reason → (change to the admission, what the task cites, its recipient, words the text has)
REASON_CASES = {
    Reason.NO_BASIS: (_nothing, {}, ZHONGGULOU, "未引用准入编号或社区职责事项"),
    Reason.NO_ADMISSION: (
        _nothing,
        {"admission_number": "市中准〔2026〕999号"},
        ZHONGGULOU,
        "市中准〔2026〕999号",
    ),
    Reason.ADMISSION_EXPIRED: (_expired, {"admission_number": CITED}, ZHONGGULOU, "2024-12-31"),
    Reason.ADMISSION_REVOKED: (
        _state(AdmissionState.REVOKED),
        {"admission_number": CITED},
        ZHONGGULOU,
        "准入已撤销",
    ),
    Reason.ADMISSION_SUSPENDED: (
        _state(AdmissionState.SUSPENDED),
        {"admission_number": CITED},
        ZHONGGULOU,
        "准入已暂停",
    ),
    Reason.ADMISSION_NOT_YET_VALID: (
        _not_yet_valid,
        {"admission_number": CITED},
        ZHONGGULOU,
        "起生效",
    ),
    Reason.OUTSIDE_SCOPE: (_nothing, {"admission_number": CITED}, XILIN, "不在准入范围内"),
    Reason.OTHER_DEPARTMENT: (
        _other_department,
        {"admission_number": CITED},
        ZHONGGULOU,
        "市中区卫健局",
    ),
    Reason.UNFUNDED: (_unfunded, {"admission_number": CITED}, ZHONGGULOU, "经费"),
    Reason.FUNDS_OVERDUE: (_money_overdue, {"admission_number": CITED}, ZHONGGULOU, "逾期"),
    Reason.NEGATIVE_LIST: (
        _nothing,
        {"admission_number": CITED, "title": "协助开展招商引资项目摸排"},
        ZHONGGULOU,
        "招商引资",
    ),
    Reason.DUTY_NOT_LISTED: (
        _nothing,
        {"duty_item": "SZQ-ZZ-002", "level": "street"},
        CHENGDONG,
        "职责事项清单",
    ),
}


def test_every_reason_has_a_case_below():
    assert set(REASON_CASES) == set(Reason.values)


@pytest.mark.parametrize("reason", list(REASON_CASES))
def test_each_reason_comes_back_with_its_code_and_text(
    personas, login, admission, negative_list, duty_list, reason
):
    change, cites, recipient, words = REASON_CASES[reason]
    change(personas, admission)
    cites = {name: admission.number if value == CITED else value for name, value in cites.items()}
    response = post(
        login(personas.dept_clerk), "/api/v1/tasks", task_body(recipients=[recipient], **cites)
    )
    assert response.status_code == 201, response.json()
    (check,) = response.json()["check"]
    assert check["admitted"] is False
    assert [r["code"] for r in check["reasons"]] == [reason]
    assert words in check["reasons"][0]["text"]


def test_several_reasons_all_come_back_not_just_the_first(
    personas, login, admission, negative_list
):
    _state(AdmissionState.SUSPENDED)(personas, admission)
    _other_department(personas, admission)
    response = post(
        login(personas.dept_clerk),
        "/api/v1/tasks",
        task_body(
            admission_number=admission.number,
            recipients=[XILIN],
            content="请社区协助开展招商引资宣传。",
        ),
    )
    (check,) = response.json()["check"]
    assert [r["code"] for r in check["reasons"]] == [
        "admission_suspended",
        "other_department",
        "outside_scope",
        "negative_list",
    ]
    assert all(CJK.search(r["text"]) for r in check["reasons"])


def test_a_duty_item_is_cited_by_its_code_and_named_in_the_task(personas, login, duty_list):
    response = post(login(personas.dept_clerk), "/api/v1/tasks", task_body(duty_item="SZQ-ZZ-002"))
    assert response.status_code == 201
    task = response.json()
    assert task["duty_item"]["name"] == "调解民间纠纷" and task["admission_number"] is None
    assert task["check"][0]["admitted"] is True


def test_a_street_level_task_reaches_the_streets_picked(personas, login):
    response = post(
        login(personas.dept_clerk),
        "/api/v1/tasks",
        task_body(recipients=[DISTRICT], level="street"),
    )
    assert response.status_code == 201
    assert [c["region"] for c in response.json()["check"]] == [CHENGDONG, CHENGXI]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"deadline": "2026-13-01"}, "deadline"),
        ({"outputs": [{"kind": "photo", "name": "照片"}]}, "kind"),
        ({"level": "province"}, "level"),
        ({"recipients": "511002001001"}, "recipients"),
    ],
)
def test_a_malformed_body_is_422_with_the_field_and_nothing_is_sent(personas, login, change, field):
    body = {k: v for k, v in {**task_body(), **change}.items() if v is not None}
    response = post(login(personas.dept_clerk), "/api/v1/tasks", body)
    assert response.status_code == 422
    problem = error(response)
    assert problem["code"] == "invalid_input" and problem["message"] == "请求参数有误。"
    assert problem["details"][0]["location"][-1] == field
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"title": "  "},
        {"content": ""},
        {"deadline": in_days(-1)},
        {"recipients": []},
        {"recipients": ["511002009001"]},  # no such community
        {"recipients": ["320303001001"]},  # a community of another district
        {"recipients": [ZHONGGULOU], "level": "street"},
        {"admission_number": "市中准〔2026〕1号", "duty_item": "SZQ-ZZ-001"},
        {"duty_item": "NO-SUCH-ITEM"},
    ],
)
def test_bad_values_are_422_in_chinese_and_nothing_is_sent(personas, login, duty_list, change):
    response = post(login(personas.dept_clerk), "/api/v1/tasks", task_body(**change))
    assert response.status_code == 422
    problem = error(response)
    assert problem["code"] == "invalid_input" and CJK.search(problem["message"])
    assert not Task.objects.exists()


@pytest.mark.parametrize("persona", ["dept_head", "review_officer", "community_officer"])
def test_only_department_clerks_dispatch(personas, login, persona):
    response = post(login(getattr(personas, persona)), "/api/v1/tasks", task_body())
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"
    assert not Task.objects.exists()


def test_a_dispatch_beyond_the_inline_limit_answers_202_and_finishes_in_the_background(
    personas, login, admission, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "INLINE_LIMIT", 1)
    client = login(personas.dept_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            "/api/v1/tasks",
            task_body(admission_number=admission.number, recipients=[CHENGDONG]),
        )
    assert response.status_code == 202, response.json()
    accepted = response.json()
    assert accepted["status"] == "dispatching" and accepted["check"] is None
    assert accepted["job"]["status"] == "queued"
    assert accepted["job"]["page_url"] == f"/jobs/{accepted['job']['id']}/"
    # The jobs run inline in tests: by now the fan-out has ended.
    polled = client.get(accepted["poll_url"]).json()
    assert polled["status"] == "dispatched" and polled["recipients_total"] == 2
    assert polled["job"]["status"] == JobStatus.SUCCEEDED and polled["job"]["percent"] == 100
    assert [d["region"] for d in polled["deliveries"]["items"]] == [ZHONGGULOU, JIANDAOJIE]
    assert all(d["admitted"] for d in polled["deliveries"]["items"])


# ---------------------------------------------------------------------------------------------
# Tasks: list, detail and deliveries


def test_the_task_list_is_newest_first_filtered_and_paged(personas, login, admitted, unadmitted):
    client = login(personas.dept_clerk)

    def ids(**query):
        return [t["id"] for t in client.get("/api/v1/tasks", query).json()["items"]]

    assert ids() == [unadmitted.pk, admitted.pk]
    assert ids(unadmitted_only=True) == [unadmitted.pk]
    assert ids(status="cancelled") == []
    first = client.get("/api/v1/tasks", {"limit": 1}).json()
    assert [t["id"] for t in first["items"]] == [unadmitted.pk]
    assert ids(limit=1, cursor=first["next_cursor"]) == [admitted.pk]
    assert client.get("/api/v1/tasks", {"cursor": "bm90LWFuLWlk"}).status_code == 422
    assert client.get("/api/v1/tasks", {"status": "sleeping"}).status_code == 422


def test_tasks_are_listed_only_where_they_may_be_seen(
    personas, login, unadmitted, other_district_clerk
):
    outsiders = (other_district_clerk, personas.community_officer, personas.community_officer2)
    for outsider in outsiders:
        assert login(outsider).get("/api/v1/tasks").json()["items"] == [], outsider.username
    # The district's offices oversee every department of the district; a street sees what
    # reached it.
    insiders = (personas.finance_officer, personas.street_officer, personas.street_officer2)
    for insider in insiders:
        listed = login(insider).get("/api/v1/tasks").json()["items"]
        assert [t["id"] for t in listed] == [unadmitted.pk], insider.username


def test_task_detail_has_the_first_page_and_the_rest_comes_by_cursor(personas, login, admission):
    task = dispatch(personas.dept_clerk, recipients=[DISTRICT], admission_number=admission.number)
    client = login(personas.dept_clerk)
    detail = client.get(f"/api/v1/tasks/{task.pk}").json()
    assert detail["content"].startswith("收集辖区") and detail["may_cancel"] is True
    assert detail["delivery_counts"]["received"] == 4
    assert detail["delivery_counts"]["unadmitted"] == 2
    regions = [d["region"] for d in detail["deliveries"]["items"]]
    assert sorted(regions) == [ZHONGGULOU, JIANDAOJIE, XILIN, GUIHUJIE]
    assert detail["deliveries"]["next_cursor"] is None
    # The department reads the deliveries; it does not answer them.
    assert all(d["actions"] == [] for d in detail["deliveries"]["items"])

    pages, cursor = [], None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v1/tasks/{task.pk}/deliveries", query).json()
        pages.append([d["region"] for d in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [3, 1]
    assert [region for page in pages for region in page] == regions
    unadmitted = client.get(f"/api/v1/tasks/{task.pk}/deliveries", {"admitted": False}).json()
    assert {d["region"] for d in unadmitted["items"]} == {XILIN, GUIHUJIE}
    assert {r["code"] for d in unadmitted["items"] for r in d["reasons"]} == {"outside_scope"}


def test_a_street_sees_the_task_with_only_its_own_communities(personas, login, admission):
    task = dispatch(personas.dept_clerk, recipients=[DISTRICT], admission_number=admission.number)
    for officer, regions in (
        (personas.street_officer, {ZHONGGULOU, JIANDAOJIE}),
        (personas.street_officer2, {XILIN, GUIHUJIE}),
    ):
        client = login(officer)
        detail = client.get(f"/api/v1/tasks/{task.pk}").json()
        assert {d["region"] for d in detail["deliveries"]["items"]} == regions
        assert sum(detail["delivery_counts"][s] for s in DeliveryStatus.values) == 2
        assert detail["may_cancel"] is False
        listed = client.get(f"/api/v1/tasks/{task.pk}/deliveries").json()["items"]
        assert {d["region"] for d in listed} == regions


def test_outsiders_get_404_for_a_task(personas, login, unadmitted, other_district_clerk):
    only_chengdong = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    cases = [
        (other_district_clerk, unadmitted),
        (personas.community_officer2, unadmitted),
        (personas.street_officer2, only_chengdong),
    ]
    for outsider, task in cases:
        client = login(outsider)
        for url in (f"/api/v1/tasks/{task.pk}", f"/api/v1/tasks/{task.pk}/deliveries"):
            response = client.get(url)
            assert response.status_code == 404, (outsider.username, url)
            assert error(response)["code"] == "not_found"
        cancel = post(client, f"/api/v1/tasks/{task.pk}/cancel", {"reason": "越权撤回"})
        assert cancel.status_code == 404
    assert not Task.objects.filter(status=TaskStatus.CANCELLED).exists()


# ---------------------------------------------------------------------------------------------
# The inbox


def test_the_inbox_shows_the_task_the_reasons_and_what_the_community_may_do(
    personas, login, unadmitted, admitted
):
    client = login(personas.community_officer)
    items = client.get("/api/v1/inbox").json()["items"]
    assert [i["task"]["id"] for i in items] == [admitted.pk, unadmitted.pk]
    newest, oldest = items
    assert newest["admitted"] is True and newest["reasons"] == []
    assert newest["actions"] == ["accept", "refuse"]
    assert newest["task"]["outputs"] == [{"kind": "form", "name": "高龄津贴申领汇总表"}]
    assert newest["task"]["department"]["name"] == "市中区民政局"
    assert oldest["admitted"] is False and oldest["region"] == ZHONGGULOU
    assert oldest["reasons"] == [{"code": "no_basis", "text": "未引用准入编号或社区职责事项"}]
    assert oldest["status"] == "received" and oldest["status_label"] == "待处理"
    assert oldest["notice_url"] is None

    def task_ids(**query):
        return [i["task"]["id"] for i in client.get("/api/v1/inbox", query).json()["items"]]

    assert task_ids(admitted=False) == [unadmitted.pk]
    assert task_ids(admitted=True) == [admitted.pk]
    assert task_ids(task=unadmitted.pk) == [unadmitted.pk]
    assert task_ids(status="accepted") == []
    assert task_ids(limit=1) == [admitted.pk]


def test_community_sees_only_its_own_inbox_and_cannot_touch_anothers_delivery(
    personas, login, unadmitted
):
    theirs = delivery_of(unadmitted, ZHONGGULOU)
    client = login(personas.community_officer2)
    items = client.get("/api/v1/inbox").json()["items"]
    assert [i["region"] for i in items] == [XILIN]
    assert client.get(f"/api/v1/deliveries/{theirs.pk}").status_code == 404
    for action, body in (
        ("accept", {}),
        ("refuse", {"reason": "不是我们的"}),
        ("progress", {"percent": 50, "note": "x"}),
        ("complete", {}),
        ("uphold-refusal", {}),
        ("overrule-refusal", {"note": "x"}),
    ):
        response = act(client, theirs, action, **body)
        assert response.status_code == 404, action
        assert error(response)["code"] == "not_found"
    assert client.get(f"/api/v1/deliveries/{theirs.pk}/notice.pdf").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == DeliveryStatus.RECEIVED
    # And the other way round.
    assert login(personas.community_officer).get("/api/v1/inbox").json()["items"][0]["region"] == (
        ZHONGGULOU
    )


def test_a_street_officers_inbox_holds_only_street_level_tasks(personas, login, duty_list):
    dispatch(personas.dept_clerk, recipients=[DISTRICT], duty_item="SZQ-ZZ-001", level="street")
    dispatch(personas.dept_clerk, recipients=[CHENGDONG])
    items = login(personas.street_officer).get("/api/v1/inbox").json()["items"]
    assert [(i["region"], i["task"]["recipient_level"]) for i in items] == [(CHENGDONG, "street")]


def test_inbox_queries_do_not_grow_with_rows(personas, login, admission):
    client = login(personas.community_officer)
    client.get("/api/v1/me")
    counts = []
    for total in (2, 12):
        while Task.objects.count() < total:
            number = admission.number if Task.objects.count() % 2 else ""
            dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=number)
        # Some answered, one refused: every status and action is read without a query of its own.
        first = Delivery.objects.order_by("id").first()
        if first.status == DeliveryStatus.RECEIVED:
            services.delivery_act(actor=personas.community_officer, delivery=first, action="refuse")
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/inbox", {"limit": 500}).json()
        assert len(body["items"]) == total
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_api_inbox_rows_match_the_schema(personas, login, unadmitted, admitted, language):
    """The inbox builds its rows by hand for speed; they are what validating the deliveries
    through the documented schema (DeliveryOut) gives, field for field, in either language."""
    officer = personas.community_officer
    accepted = delivery_of(admitted, ZHONGGULOU)
    services.delivery_act(actor=officer, delivery=accepted, action="accept")
    services.delivery_act(
        actor=officer, delivery=delivery_of(unadmitted, ZHONGGULOU), action="refuse"
    )
    client = login(officer)
    body = client.get("/api/v1/inbox", {"limit": 1}, HTTP_ACCEPT_LANGUAGE=language).json()
    query = {"cursor": body["next_cursor"]}
    body2 = client.get("/api/v1/inbox", query, HTTP_ACCEPT_LANGUAGE=language).json()
    deliveries = list(inbox_for(user=officer).order_by("-id"))
    with translation.override(language):
        expected = InboxPage.model_validate(
            {"next_cursor": body["next_cursor"], "items": deliveries[:1]},
            context={"request": SimpleNamespace(auth=officer)},
        ).model_dump()
        expected2 = InboxPage.model_validate(
            {"next_cursor": None, "items": deliveries[1:]},
            context={"request": SimpleNamespace(auth=officer)},
        ).model_dump()
    assert body == json.loads(json.dumps(expected, cls=NinjaJSONEncoder))
    assert body2 == json.loads(json.dumps(expected2, cls=NinjaJSONEncoder))
    statuses = {row["status"] for row in body["items"] + body2["items"]}
    assert statuses == {"accepted", "refused"}


def test_task_deliveries_queries_do_not_grow_with_rows(personas, login, admission):
    client = login(personas.street_officer)
    client.get("/api/v1/me")
    counts = {"detail": [], "deliveries": []}
    for recipients, expected in (([ZHONGGULOU], 1), ([CHENGDONG], 2)):
        task = dispatch(
            personas.dept_clerk, recipients=recipients, admission_number=admission.number
        )
        # One answered and one refused, so every status is read.
        first = task.deliveries.order_by("id").first()
        services.delivery_act(actor=personas.community_officer, delivery=first, action="accept")
        services.delivery_act(
            actor=personas.community_officer, delivery=first, action="refuse", reason="人手不足"
        )
        for name, url in (
            ("detail", f"/api/v1/tasks/{task.pk}"),
            ("deliveries", f"/api/v1/tasks/{task.pk}/deliveries"),
        ):
            with CaptureQueriesContext(connection) as queries:
                body = client.get(url).json()
            items = body["deliveries"]["items"] if name == "detail" else body["items"]
            assert len(items) == expected
            counts[name].append(len(queries))
    assert len(set(counts["detail"])) == len(set(counts["deliveries"])) == 1, counts


# ---------------------------------------------------------------------------------------------
# Answers: accept, progress, complete


def test_community_accepts_reports_progress_and_completes(personas, login, admitted):
    delivery = delivery_of(admitted, ZHONGGULOU)
    client = login(personas.community_officer)
    accepted = act(client, delivery, "accept").json()
    assert accepted["status"] == "accepted" and accepted["accepted_at"]
    assert accepted["actions"] == ["refuse", "progress", "complete"]
    response = act(client, delivery, "progress", percent=150, note="过半")
    assert response.status_code == 422 and CJK.search(error(response)["message"])
    assert act(client, delivery, "progress", percent=40, note="").status_code == 422
    progressed = act(client, delivery, "progress", percent=40, note="已收集 120 份材料").json()
    assert (progressed["progress_percent"], progressed["progress_note"]) == (
        40,
        "已收集 120 份材料",
    )
    completed = act(client, delivery, "complete", note="材料已报区民政局").json()
    assert completed["status"] == "completed" and completed["progress_percent"] == 100
    assert completed["completed_late"] is False and completed["actions"] == []
    assert [e["action"] for e in completed["events"]] == ["accept", "progress", "complete"]
    assert completed["events"][0]["actor"] == personas.community_officer.display_name
    response = act(client, delivery, "accept")
    assert response.status_code == 409 and error(response)["code"] == "wrong_state"


def test_those_who_see_a_delivery_but_do_not_answer_it_get_403(personas, login, admitted):
    delivery = delivery_of(admitted, ZHONGGULOU)
    for persona in ("dept_clerk", "street_officer", "review_officer"):
        client = login(getattr(personas, persona))
        assert client.get(f"/api/v1/deliveries/{delivery.pk}").status_code == 200, persona
        response = act(client, delivery, "accept")
        assert response.status_code == 403, persona
        assert error(response)["code"] == "forbidden"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED


def test_a_task_still_fanning_out_has_reached_nobody(personas, login, admitted):
    Task.objects.filter(pk=admitted.pk).update(status=TaskStatus.DISPATCHING)
    client = login(personas.community_officer)
    assert client.get("/api/v1/inbox").json()["items"] == []
    assert act(client, delivery_of(admitted, ZHONGGULOU), "accept").status_code == 404


# ---------------------------------------------------------------------------------------------
# The right to refuse


def test_community_refuses_an_unadmitted_task_without_a_reason(personas, login, unadmitted):
    delivery = delivery_of(unadmitted, ZHONGGULOU)
    client = login(personas.community_officer)
    refused = act(client, delivery, "refuse").json()
    assert refused["status"] == "refused" and refused["refused_while_admitted"] is False
    assert refused["notice_url"] == f"/api/v1/deliveries/{delivery.pk}/notice.pdf"
    assert refused["actions"] == []
    notice = client.get(refused["notice_url"])
    assert notice.status_code == 200 and notice["Content-Type"] == "application/pdf"
    assert notice.content.startswith(b"%PDF")
    assert "filename*=UTF-8''" in notice["Content-Disposition"]
    # The department that sent it reads the same notice.
    assert login(personas.dept_clerk).get(refused["notice_url"]).status_code == 200


def test_one_post_without_a_body_refuses_unadmitted_work(personas, login, unadmitted):
    delivery = delivery_of(unadmitted, ZHONGGULOU)
    response = login(personas.community_officer).generic(
        "POST", f"/api/v1/deliveries/{delivery.pk}/refuse", b""
    )
    assert response.status_code == 200 and response.json()["status"] == "refused"


def test_a_delivery_that_is_not_refused_has_no_notice(personas, login, unadmitted):
    delivery = delivery_of(unadmitted, ZHONGGULOU)
    response = login(personas.community_officer).get(f"/api/v1/deliveries/{delivery.pk}/notice.pdf")
    assert response.status_code == 404 and error(response)["code"] == "not_found"


def test_an_admitted_task_cannot_be_refused_without_a_reason(personas, login, admitted):
    delivery = delivery_of(admitted, ZHONGGULOU)
    response = act(login(personas.community_officer), delivery, "refuse", reason="  ")
    assert response.status_code == 422
    assert error(response)["message"] == "该任务已经准入，拒绝须写明理由，并由街道审核。"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED


def test_a_refusal_of_admitted_work_goes_to_the_communitys_street_which_upholds_it(
    personas, login, admitted
):
    delivery = delivery_of(admitted, ZHONGGULOU)
    community = login(personas.community_officer)
    requested = act(community, delivery, "refuse", reason="社区仅有 5 名工作者，无力承担。").json()
    assert requested["status"] == "refusal_requested" and requested["actions"] == []
    assert requested["refusal_reason"] == "社区仅有 5 名工作者，无力承担。"

    # Another street neither sees it nor reviews it; the community does not review itself.
    other_street = login(personas.street_officer2)
    assert other_street.get("/api/v1/refusal-reviews").json()["items"] == []
    assert act(other_street, delivery, "uphold-refusal").status_code == 404
    assert act(community, delivery, "uphold-refusal").status_code == 403

    street = login(personas.street_officer)
    waiting = street.get("/api/v1/refusal-reviews").json()["items"]
    assert [(d["id"], d["actions"]) for d in waiting] == [
        (delivery.pk, ["uphold_refusal", "overrule_refusal"])
    ]
    upheld = act(street, delivery, "uphold-refusal").json()
    assert upheld["status"] == "refused" and upheld["refused_while_admitted"] is True
    assert upheld["notice_url"]
    assert street.get("/api/v1/refusal-reviews").json()["items"] == []


def test_the_street_overrules_a_refusal_only_with_a_note_and_the_work_goes_back(
    personas, login, admitted
):
    delivery = delivery_of(admitted, ZHONGGULOU)
    community = login(personas.community_officer)
    act(community, delivery, "accept")
    act(community, delivery, "refuse", reason="人手不足")
    street = login(personas.street_officer)
    response = act(street, delivery, "overrule-refusal")
    assert response.status_code == 422
    assert error(response)["message"] == "不同意拒绝须写明理由。"
    overruled = act(street, delivery, "overrule-refusal", note="已协调街道派员协助。").json()
    assert overruled["status"] == "accepted"
    response = act(street, delivery, "uphold-refusal")
    assert response.status_code == 409 and error(response)["code"] == "wrong_state"


# ---------------------------------------------------------------------------------------------
# Cancelling


def test_the_department_withdraws_a_task_with_a_reason(personas, login, unadmitted):
    client = login(personas.dept_clerk)
    url = f"/api/v1/tasks/{unadmitted.pk}/cancel"
    assert post(client, url, {"reason": ""}).status_code == 422
    assert post(login(personas.review_officer), url, {"reason": "x"}).status_code == 403
    cancelled = post(client, url, {"reason": "未经准入，撤回。"}).json()
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "未经准入，撤回。"
    assert cancelled["delivery_counts"]["cancelled"] == 2 and cancelled["may_cancel"] is False
    again = post(client, url, {"reason": "再撤一次"})
    assert again.status_code == 409 and error(again)["code"] == "wrong_state"
    # The community keeps the record, with nothing left to do.
    (item,) = login(personas.community_officer).get("/api/v1/inbox").json()["items"]
    assert item["status"] == "cancelled" and item["actions"] == []


def test_the_group_office_terminates_a_task_of_its_district(personas, login, unadmitted):
    response = post(
        login(personas.group_secretary),
        f"/api/v1/tasks/{unadmitted.pk}/cancel",
        {"reason": "未经准入的事项，立即终止。"},
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


# ---------------------------------------------------------------------------------------------
# Violation accounting


def test_a_departments_violations_count_its_unadmitted_work_refusals_and_late_completions(
    personas, login, admission, other_district_clerk
):
    admitted = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, JIANDAOJIE], admission_number=admission.number
    )
    unadmitted = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU, XILIN])
    services.delivery_act(
        actor=personas.community_officer2, delivery=delivery_of(unadmitted, XILIN), action="refuse"
    )
    late = delivery_of(admitted, ZHONGGULOU)
    services.delivery_act(actor=personas.community_officer, delivery=late, action="accept")
    Task.objects.filter(pk=admitted.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    late.refresh_from_db()
    services.delivery_act(actor=personas.community_officer, delivery=late, action="complete")

    department = personas.dept_clerk.unit
    url = f"/api/v1/departments/{department.pk}/violations"
    year = timezone.localdate().year
    for reader in (personas.dept_clerk, personas.review_officer, personas.group_secretary):
        response = login(reader).get(url, {"year": year})
        assert response.status_code == 200, reader.username
        assert response.json() == {
            "department": {"id": department.pk, "name": "市中区民政局"},
            "year": year,
            "dispatches": 2,
            "unadmitted_dispatches": 1,
            "deliveries": 4,
            "unadmitted_deliveries": 2,
            "refusals": 1,
            "refusals_of_unadmitted": 1,
            "late_completions": 1,
            "overdue_open": 1,
            "unadmitted_rate": 0.5,
        }
    assert login(personas.dept_clerk).get(url).json()["year"] == year
    last_year = login(personas.review_officer).get(url, {"year": year - 1}).json()
    assert last_year["dispatches"] == 0 and last_year["unadmitted_rate"] is None
    assert login(personas.review_officer).get(url, {"year": 1999}).status_code == 422


def test_violations_are_404_for_those_who_may_not_read_them(personas, login, other_district_clerk):
    ours = personas.dept_clerk.unit
    other_district = Unit.objects.get(name="云龙区民政局")
    same_district = Unit.objects.get(name="市中区人社局")
    cases = [
        (personas.community_officer, ours),
        (personas.street_officer, ours),
        (personas.dept_clerk, same_district),  # another department reads only its own record
        (personas.review_officer, other_district),
        (other_district_clerk, ours),
        (personas.review_officer, personas.community_officer.unit),  # not a department
    ]
    for reader, department in cases:
        response = login(reader).get(f"/api/v1/departments/{department.pk}/violations")
        assert response.status_code == 404, (reader.username, department.name)
        assert error(response)["code"] == "not_found"


# ---------------------------------------------------------------------------------------------
# Tokens, language, OpenAPI


def test_a_bearer_token_reads_the_inbox_and_refuses(personas, unadmitted):
    issued = token_create(actor=personas.community_officer, name="社区工作平台")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    client = Client(enforce_csrf_checks=True)
    (item,) = client.get("/api/v1/inbox", **auth).json()["items"]
    response = post(client, f"/api/v1/deliveries/{item['id']}/refuse", {}, **auth)
    assert response.status_code == 200 and response.json()["status"] == "refused"
    assert client.get("/api/v1/inbox").status_code == 401


def test_errors_answer_in_the_callers_language(personas, login, admitted):
    delivery = delivery_of(admitted, ZHONGGULOU)
    client = login(personas.community_officer)
    message = "该任务已经准入，拒绝须写明理由，并由街道审核。"
    chinese = act(client, delivery, "refuse")
    assert error(chinese)["message"] == message
    english = post(
        client, f"/api/v1/deliveries/{delivery.pk}/refuse", {}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 422 and english["Content-Language"] == "en"
    # Whatever the English catalogue holds for it (the lead compiles it), not the Chinese default.
    with translation.override("en"):
        assert error(english)["message"] == gettext(message)
    not_found = client.get("/api/v1/deliveries/999999", HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        assert error(not_found)["message"] == gettext("未找到该对象，或您无权查看。")


def test_openapi_document_lists_the_dispatch_endpoints(db):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/tasks": {"get", "post"},
        "/api/v1/tasks/{task_id}": {"get"},
        "/api/v1/tasks/{task_id}/deliveries": {"get"},
        "/api/v1/tasks/{task_id}/cancel": {"post"},
        "/api/v1/inbox": {"get"},
        "/api/v1/refusal-reviews": {"get"},
        "/api/v1/deliveries/{delivery_id}": {"get"},
        "/api/v1/deliveries/{delivery_id}/accept": {"post"},
        "/api/v1/deliveries/{delivery_id}/refuse": {"post"},
        "/api/v1/deliveries/{delivery_id}/progress": {"post"},
        "/api/v1/deliveries/{delivery_id}/complete": {"post"},
        "/api/v1/deliveries/{delivery_id}/uphold-refusal": {"post"},
        "/api/v1/deliveries/{delivery_id}/overrule-refusal": {"post"},
        "/api/v1/deliveries/{delivery_id}/notice.pdf": {"get"},
        "/api/v1/departments/{department_id}/violations": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
    assert set(paths["/api/v1/tasks"]["post"]["responses"]) >= {"201", "202"}
    assert all(op.get("security") for path in expected for op in paths[path].values())
