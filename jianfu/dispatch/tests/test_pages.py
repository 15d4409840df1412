"""The dispatch pages: the dispatch form, the task list and page, the inbox and its one-click
refusal, the street's review, the refusal notice, the violation counts and the public scorecard."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jianfu.admission import services as admission_services
from jianfu.admission.models import AdmissionSettings
from jianfu.core.jobs import job_run
from jianfu.dispatch import services
from jianfu.dispatch.models import Delivery, DeliveryEvent, DeliveryStatus, Task, TaskStatus
from jianfu.dispatch.tests.conftest import (
    CHENGDONG,
    DISTRICT,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    dispatch,
)
from jianfu.org.models import Region

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def deadline(days: int = 20) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def task_form(**overrides) -> dict:
    values = {
        "title": "高龄津贴申领材料收集",
        "content": "收集辖区 80 周岁以上老人的高龄津贴申领材料。",
        "deadline": deadline(),
        "outputs_form": "高龄津贴申领汇总表\n走访登记表",
        "outputs_ledger": "",
        "outputs_report": "工作总结",
        "basis": "none",
        "level": "community",
        "recipients": [ZHONGGULOU],
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def delivery_at(task: Task, code: str) -> Delivery:
    return task.deliveries.get(region_id=code)


# The dispatch form --------------------------------------------------------------------------------


def test_dispatch_form_offers_admissions_duty_items_and_the_districts_tree(
    personas, login, admission, duty_list
):
    text = page(login(personas.dept_clerk).get(reverse("task_new")))
    assert admission.number in text
    assert "调解民间纠纷" in text  # an item of 市中区's duty list
    for name in ("市中区（全部）", "城东街道", "钟鼓楼社区", "城西街道", "西林社区"):
        assert name in text
    assert f'value="{DISTRICT}"' in text and f'value="{XILIN}"' in text
    # Another district's streets are not offered.
    assert "黄山街道" not in text


def test_dispatch_form_creates_a_task_and_shows_each_recipients_check(personas, login, admission):
    client = login(personas.dept_clerk)
    response = client.post(
        reverse("task_new"),
        task_form(
            basis="admission", admission_pick=admission.number, recipients=[ZHONGGULOU, XILIN]
        ),
    )
    task = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("task_detail", args=[task.pk])
    assert task.admission == admission and task.recipients_total == 2 and task.unadmitted_total == 1
    assert task.outputs == [
        {"kind": "form", "name": "高龄津贴申领汇总表"},
        {"kind": "form", "name": "走访登记表"},
        {"kind": "report", "name": "工作总结"},
    ]
    text = page(client.get(response["Location"]))
    assert "钟鼓楼社区" in text and "西林社区" in text
    assert "已准入" in text and "未准入" in text
    assert "接收单位不在准入范围内" in text
    assert "其中 1 个未准入" in text  # the message after dispatching
    assert f'href="{reverse("admission_detail", args=[admission.pk])}"' in text


def test_a_street_checkbox_sends_the_task_to_every_community_of_the_street(personas, login):
    client = login(personas.dept_clerk)
    client.post(reverse("task_new"), task_form(recipients=[CHENGDONG]))
    task = Task.objects.get()
    assert set(task.deliveries.values_list("region_id", flat=True)) == {ZHONGGULOU, JIANDAOJIE}
    assert task.unadmitted_total == 2


def test_an_unknown_admission_number_can_be_typed_and_is_flagged(personas, login, admission):
    client = login(personas.dept_clerk)
    client.post(
        reverse("task_new"), task_form(basis="admission", admission_number="市中准〔2026〕999号")
    )
    task = Task.objects.get()
    assert task.admission is None and task.admission_number == "市中准〔2026〕999号"
    text = page(client.get(reverse("task_detail", args=[task.pk])))
    assert "准入编号“市中准〔2026〕999号”在准入目录中不存在" in text
    assert "准入目录中没有此编号" in text


def test_a_duty_item_is_cited_from_the_select(personas, login, duty_list):
    item = duty_list.versions.get().items.get(code="SZQ-ZZ-002")
    client = login(personas.dept_clerk)
    client.post(reverse("task_new"), task_form(basis="duty", duty_item=str(item.key)))
    task = Task.objects.get()
    assert task.duty_item_key == item.key and task.unadmitted_total == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "这个字段是必填项"),
        ({"basis": "admission"}, "请选择或填写准入编号"),
        ({"basis": "duty"}, "请选择职责事项"),
        ({"recipients": []}, "请选择接收的街道或社区"),
        # Refused by the service: nothing is written either.
        ({"deadline": "2020-01-01"}, "完成时限不能早于今天"),
        ({"level": "street", "recipients": [ZHONGGULOU]}, "低于接收层级"),
        ({"recipient_codes": "123"}, "区划代码须为 12 位数字"),
        ({"recipient_codes": "320303001001"}, "不在本单位管辖范围内"),
    ],
)
def test_form_errors_change_nothing(personas, login, overrides, message):
    client = login(personas.dept_clerk)
    response = client.post(reverse("task_new"), task_form(**overrides))
    assert response.status_code == 200
    assert message in page(response)
    assert not Task.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize("persona", ["dept_head", "community_officer", "street_officer"])
def test_only_department_clerks_dispatch(personas, login, persona):
    client = login(getattr(personas, persona))
    assert client.get(reverse("task_new")).status_code == 403
    assert client.post(reverse("task_new"), task_form()).status_code == 403
    assert not Task.objects.exists()


def test_a_large_dispatch_shows_its_progress_until_the_job_ends(personas, login, monkeypatch):
    monkeypatch.setattr(services, "INLINE_LIMIT", 1)
    client = login(personas.dept_clerk)
    client.post(reverse("task_new"), task_form(recipients=[CHENGDONG]))
    task = Task.objects.get()
    assert task.status == TaskStatus.DISPATCHING and task.job is not None
    url = reverse("task_detail", args=[task.pk])
    text = page(client.get(url))
    assert "正在派发" in text and 'hx-trigger="every 2s"' in text
    polled = client.get(url, {"progress": 1}, headers={"HX-Request": "true"})
    assert "正在派发" in page(polled) and "<html" not in page(polled)
    job_run(str(task.job_id))
    polled = client.get(url, {"progress": 1}, headers={"HX-Request": "true"})
    assert polled["HX-Refresh"] == "true"
    assert "钟鼓楼社区" in page(client.get(url))
    job_page = page(client.get(reverse("job_detail", args=[task.job_id])))
    assert "任务已派发到 2 个接收单位" in job_page and url in job_page


# The task list and page ---------------------------------------------------------------------------


def test_task_list_shows_the_departments_tasks_with_their_unadmitted_counts(
    personas, login, admission
):
    admitted = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number
    )
    unadmitted = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU, XILIN], title="协助招商引资")
    client = login(personas.dept_clerk)
    text = page(client.get(reverse("task_index")))
    assert admitted.reference in text and unadmitted.reference in text
    assert admission.number in text and "派发任务" in text
    text = page(client.get(reverse("task_index"), {"unadmitted": "on"}))
    assert unadmitted.reference in text and admitted.reference not in text
    text = page(client.get(reverse("task_index"), {"year": timezone.localdate().year - 1}))
    assert unadmitted.reference not in text


def test_task_list_is_offered_to_the_district_offices_and_streets_only(personas, login):
    east = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    group = page(login(personas.group_secretary).get(reverse("task_index")))
    assert east.reference in group and "派发任务</a>" not in group
    assert east.reference in page(login(personas.street_officer).get(reverse("task_index")))
    assert east.reference not in page(login(personas.street_officer2).get(reverse("task_index")))
    assert login(personas.community_officer).get(reverse("task_index")).status_code == 403


def test_task_page_is_404_outside_the_tasks_reach(personas, login):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    url = reverse("task_detail", args=[task.pk])
    assert login(personas.street_officer).get(url).status_code == 200
    assert login(personas.street_officer2).get(url).status_code == 404
    assert login(personas.community_officer).get(url).status_code == 404


def test_task_page_filters_the_unadmitted_recipients(personas, login, admission):
    task = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, XILIN], admission_number=admission.number
    )
    client = login(personas.dept_clerk)
    text = page(client.get(reverse("task_detail", args=[task.pk]), {"unadmitted": "1"}))
    rows = text.split("<tbody>", 1)[1]
    assert "西林社区" in rows and "钟鼓楼社区" not in rows


def test_department_withdraws_a_task_with_a_reason(personas, login):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU, XILIN])
    client = login(personas.dept_head)
    url = reverse("task_cancel", args=[task.pk])
    response = client.post(url, {"cancel-reason": ""})
    assert response.status_code == 200 and "这个字段是必填项" in page(response)
    task.refresh_from_db()
    assert task.status == TaskStatus.DISPATCHED
    response = client.post(url, {"cancel-reason": "重复派发"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED and task.cancel_reason == "重复派发"
    text = page(client.get(reverse("task_detail", args=[task.pk])))
    assert "重复派发" in text and "撤回任务</button>" not in text
    assert login(personas.street_officer).post(url, {"cancel-reason": "x"}).status_code == 403


# The inbox ----------------------------------------------------------------------------------------


def test_community_sees_only_its_own_inbox(personas, login, admission):
    task = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, XILIN], admission_number=admission.number
    )
    own = page(login(personas.community_officer).get(reverse("inbox")))
    assert own.count('data-testid="inbox-row"') == 1
    assert reverse("delivery_detail", args=[delivery_at(task, ZHONGGULOU).pk]) in own
    assert "已准入" in own and "拒绝</button>" not in own
    other = page(login(personas.community_officer2).get(reverse("inbox")))
    assert other.count('data-testid="inbox-row"') == 1
    assert reverse("delivery_detail", args=[delivery_at(task, XILIN).pk]) in other
    assert "接收单位不在准入范围内" in other and 'data-testid="refuse"' in other


def test_inbox_filters_by_admission_status_and_task(personas, login, admission):
    admitted = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number
    )
    unadmitted = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], title="协助招商引资摸排")
    client = login(personas.community_officer)
    text = page(client.get(reverse("inbox"), {"admitted": "no"}))
    assert unadmitted.reference in text and admitted.reference not in text
    text = page(client.get(reverse("inbox"), {"admitted": "yes"}))
    assert admitted.reference in text and unadmitted.reference not in text
    text = page(client.get(reverse("inbox"), {"task": admitted.pk}))
    assert admitted.reference in text and unadmitted.reference not in text
    text = page(client.get(reverse("inbox"), {"status": "refused"}))
    assert 'data-testid="inbox-row"' not in text


def test_inbox_is_for_streets_and_communities(personas, login):
    assert login(personas.dept_clerk).get(reverse("inbox")).status_code == 403
    assert login(personas.street_officer).get(reverse("inbox")).status_code == 200


def test_one_click_refusal_from_the_inbox_and_the_refusal_notice(personas, login):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], title="协助开展招商引资项目摸排")
    delivery = delivery_at(task, ZHONGGULOU)
    client = login(personas.community_officer)
    inbox_url = reverse("inbox") + "?admitted=no"
    response = client.post(
        reverse("delivery_action", args=[delivery.pk, "refuse"]), {"next": inbox_url}
    )
    assert response.status_code == 302 and response["Location"] == inbox_url
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REFUSED and not delivery.refused_while_admitted
    text = page(client.get(inbox_url))
    assert "已拒绝。不予受理告知书已生成" in text and "已拒绝" in text
    notice = client.get(reverse("refusal_notice", args=[delivery.pk]))
    assert notice.status_code == 200 and notice["Content-Type"] == "application/pdf"
    assert notice.content.startswith(b"%PDF")
    assert "filename*=UTF-8''%E4%B8%8D%E4%BA%88%E5%8F%97%E7%90%86" in notice["Content-Disposition"]
    # The department that sent it reads the notice too.
    assert (
        login(personas.dept_clerk).get(reverse("refusal_notice", args=[delivery.pk])).status_code
        == 200
    )


def test_another_community_gets_404_on_the_delivery_and_its_notice(personas, login):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    delivery = delivery_at(task, ZHONGGULOU)
    services.delivery_act(actor=personas.community_officer, delivery=delivery, action="refuse")
    other = login(personas.community_officer2)
    assert other.get(reverse("delivery_detail", args=[delivery.pk])).status_code == 404
    assert other.get(reverse("refusal_notice", args=[delivery.pk])).status_code == 404
    assert other.post(reverse("delivery_action", args=[delivery.pk, "accept"])).status_code == 404
    assert (
        login(personas.street_officer2)
        .get(reverse("refusal_notice", args=[delivery.pk]))
        .status_code
        == 404
    )
    assert (
        login(personas.street_officer)
        .get(reverse("refusal_notice", args=[delivery.pk]))
        .status_code
        == 200
    )


def test_there_is_no_notice_for_a_delivery_that_was_not_refused(personas, login):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    delivery = delivery_at(task, ZHONGGULOU)
    client = login(personas.community_officer)
    assert client.get(reverse("refusal_notice", args=[delivery.pk])).status_code == 404


def test_unknown_action_is_404(personas, login):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    delivery = delivery_at(task, ZHONGGULOU)
    client = login(personas.community_officer)
    assert client.post(reverse("delivery_action", args=[delivery.pk, "delete"])).status_code == 404


# One delivery -------------------------------------------------------------------------------------


def test_delivery_page_shows_the_check_and_explains_the_refusal(personas, login, admission):
    task = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, XILIN], admission_number=admission.number
    )
    own = page(
        login(personas.community_officer).get(
            reverse("delivery_detail", args=[delivery_at(task, ZHONGGULOU).pk])
        )
    )
    assert "已准入" in own and "拒绝须写明理由，并报街道审核" in own and "接收任务" in own
    other = page(
        login(personas.community_officer2).get(
            reverse("delivery_detail", args=[delivery_at(task, XILIN).pk])
        )
    )
    assert "接收单位不在准入范围内" in other and "无须说明理由" in other
    # The department sees the page but has nothing to do on it.
    department = page(
        login(personas.dept_clerk).get(
            reverse("delivery_detail", args=[delivery_at(task, XILIN).pk])
        )
    )
    assert "接收单位不在准入范围内" in department and "action-refuse" not in department


def test_accept_progress_and_complete_from_the_delivery_page(personas, login, admission):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    delivery = delivery_at(task, ZHONGGULOU)
    client = login(personas.community_officer)

    def act(action, data=None):
        return client.post(reverse("delivery_action", args=[delivery.pk, action]), data or {})

    assert act("accept").status_code == 302
    response = act("progress", {"progress-percent": "150", "progress-note": "已走访"})
    assert response.status_code == 200 and "100" in page(response)
    delivery.refresh_from_db()
    assert delivery.progress_percent == 0
    assert (
        act("progress", {"progress-percent": "40", "progress-note": "已走访 40 户"}).status_code
        == 302
    )
    assert act("complete", {"complete-note": "材料已报送"}).status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.COMPLETED and delivery.progress_percent == 100
    text = page(client.get(reverse("delivery_detail", args=[delivery.pk])))
    assert "已走访 40 户" in text and "材料已报送" in text and "办结" in text


def test_refusing_admitted_work_needs_a_reason_and_the_streets_review(personas, login, admission):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    delivery = delivery_at(task, ZHONGGULOU)
    client = login(personas.community_officer)
    url = reverse("delivery_action", args=[delivery.pk, "refuse"])
    response = client.post(url, {"refuse-reason": ""})
    assert response.status_code == 200 and "拒绝须写明理由" in page(response)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED and not DeliveryEvent.objects.exists()
    assert client.post(url, {"refuse-reason": "本月人手不足"}).status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REFUSAL_REQUESTED

    street = login(personas.street_officer)
    reviews = page(street.get(reverse("refusal_reviews")))
    assert "本月人手不足" in reviews and reviews.count('data-testid="review-row"') == 1
    assert 'data-testid="review-row"' not in page(
        login(personas.street_officer2).get(reverse("refusal_reviews"))
    )
    back = reverse("refusal_reviews")
    response = street.post(
        reverse("delivery_action", args=[delivery.pk, "uphold_refusal"]),
        {"uphold_refusal-note": "情况属实", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REFUSED and delivery.refused_while_admitted


def test_another_street_cannot_review_the_refusal(personas, login, admission):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    delivery = delivery_at(task, ZHONGGULOU)
    services.delivery_act(
        actor=personas.community_officer, delivery=delivery, action="refuse", reason="人手不足"
    )
    other = login(personas.street_officer2)
    for action in ("uphold_refusal", "overrule_refusal"):
        response = other.post(
            reverse("delivery_action", args=[delivery.pk, action]), {f"{action}-note": "x"}
        )
        assert response.status_code == 404
    assert other.get(reverse("delivery_detail", args=[delivery.pk])).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REFUSAL_REQUESTED


def test_overruling_a_refusal_needs_a_reason(personas, login, admission):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    delivery = delivery_at(task, ZHONGGULOU)
    services.delivery_act(
        actor=personas.community_officer, delivery=delivery, action="refuse", reason="人手不足"
    )
    street = login(personas.street_officer)
    back = reverse("refusal_reviews")
    url = reverse("delivery_action", args=[delivery.pk, "overrule_refusal"])
    response = street.post(url, {"overrule_refusal-note": "", "next": back}, follow=True)
    assert "这个字段是必填项" in page(response)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REFUSAL_REQUESTED
    assert (
        street.post(url, {"overrule_refusal-note": "属于准入事项，请按时办理"}).status_code == 302
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED


def test_refusal_reviews_are_for_streets_and_the_group_office(personas, login):
    assert login(personas.community_officer).get(reverse("refusal_reviews")).status_code == 403
    assert login(personas.dept_clerk).get(reverse("refusal_reviews")).status_code == 403
    assert login(personas.group_secretary).get(reverse("refusal_reviews")).status_code == 200


# Violation counts ---------------------------------------------------------------------------------


def _record(personas, admission):
    """民政局: one admitted task to two communities, one unadmitted to two, one refusal of it."""
    dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, JIANDAOJIE], admission_number=admission.number
    )
    unadmitted = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU, XILIN], title="协助招商引资")
    services.delivery_act(
        actor=personas.community_officer,
        delivery=delivery_at(unadmitted, ZHONGGULOU),
        action="refuse",
    )


def _row_numbers(text: str, department: str) -> list[str]:
    for row in re.findall(r'<tr data-testid="violation-row">(.*?)</tr>', text, re.S):
        if department in row:
            return re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)
    raise AssertionError(f"no row for {department}")


def test_violation_counts_for_the_group_office(personas, login, admission):
    _record(personas, admission)
    text = page(login(personas.group_secretary).get(reverse("violations")))
    # dispatches, unadmitted, deliveries, unadmitted deliveries, rate, refusals, of unadmitted, late
    assert _row_numbers(text, "市中区民政局") == ["2", "1", "4", "2", "50%", "1", "1", "0", "0"]
    assert "市中区卫健局" in text and "云龙区" not in text
    last_year = timezone.localdate().year - 1
    text = page(login(personas.group_secretary).get(reverse("violations"), {"year": last_year}))
    assert _row_numbers(text, "市中区民政局")[0] == "0"


def test_a_department_sees_only_its_own_record(personas, login, admission):
    _record(personas, admission)
    text = page(login(personas.dept_clerk).get(reverse("violations")))
    assert f"市中区民政局 {timezone.localdate().year} 年派发任务统计" in text
    assert _row_numbers(text, "市中区民政局")[0] == "2"
    assert "市中区卫健局" not in text


@pytest.mark.parametrize("persona", ["community_officer", "street_officer", "system_admin"])
def test_violation_counts_are_not_for_streets_and_communities(personas, login, persona):
    assert login(getattr(personas, persona)).get(reverse("violations")).status_code == 403


def test_public_scorecard_works_without_login(personas, admission):
    """The public scorecard reads the refreshed figures (jianfu.reports): the same counts as the
    violation accounting, for everyone."""
    from jianfu.reports.services import stats_refresh

    _record(personas, admission)
    stats_refresh(actor=None, years=[timezone.localdate().year])
    client = Client()
    text = page(client.get(reverse("public_scorecard"), {"district": DISTRICT}))
    row = next(
        row
        for row in re.findall(r'<tr data-testid="department-row">(.*?)</tr>', text, re.S)
        if "市中区民政局" in row
    )
    # dispatches, unadmitted dispatches, unadmitted deliveries, refusals: as the violations page.
    assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)[3:7] == ["2", "1", "2", "1"]
    # Without a district it opens on the one whose communities received the most tasks.
    assert "市中区民政局" in page(client.get(reverse("public_scorecard")))
    text = page(client.get(reverse("public_scorecard"), {"district": "320303000000"}))
    assert "市中区民政局" not in text
    assert reverse("public_scorecard") in page(client.get(reverse("public_admissions")))
    assert reverse("public_scorecard") in page(client.get(reverse("public_lists")))


# Query counts -------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_inbox_and_task_list_queries_do_not_grow_with_rows(
    personas, login, admission, django_assert_max_num_queries
):
    for n in range(2):
        dispatch(personas.dept_clerk, recipients=[ZHONGGULOU, XILIN], title=f"任务 {n}")
    community, clerk = login(personas.community_officer), login(personas.dept_clerk)
    inbox_two, tasks_two = (
        _queries(community, reverse("inbox")),
        _queries(clerk, reverse("task_index")),
    )
    for n in range(2, 12):
        dispatch(
            personas.dept_clerk,
            recipients=[ZHONGGULOU, XILIN],
            admission_number=admission.number if n % 2 else "",
            title=f"任务 {n}",
        )
    with django_assert_max_num_queries(inbox_two):
        text = page(community.get(reverse("inbox")))
    assert text.count('data-testid="inbox-row"') == 12
    with django_assert_max_num_queries(tasks_two):
        clerk.get(reverse("task_index"))
    task = Task.objects.first()
    with django_assert_max_num_queries(_queries(clerk, reverse("task_detail", args=[task.pk]))):
        clerk.get(reverse("task_detail", args=[Task.objects.last().pk]))


# Navigation, home page, settings -----------------------------------------------------------------


def test_navigation_offers_each_role_its_task_pages(personas, login):
    def links(persona):
        return page(login(getattr(personas, persona)).get(reverse("home")))

    clerk = links("dept_clerk")
    assert reverse("task_index") in clerk and reverse("inbox") not in clerk
    community = links("community_officer")
    assert reverse("inbox") in community and reverse("task_index") not in community
    assert reverse("refusal_reviews") not in community
    street = links("street_officer")
    assert reverse("inbox") in street and reverse("refusal_reviews") in street
    group = links("group_secretary")
    assert reverse("refusal_reviews") in group and reverse("violations") in group


def test_home_page_counts_the_inbox_and_refusals_to_review(personas, login, admission):
    dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], title="协助招商引资")
    admitted = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number
    )
    services.delivery_act(
        actor=personas.community_officer,
        delivery=delivery_at(admitted, ZHONGGULOU),
        action="refuse",
        reason="人手不足",
    )
    text = page(login(personas.community_officer).get(reverse("home")))
    assert "待处理任务" in text and "其中 1 项未准入" in text
    text = page(login(personas.street_officer).get(reverse("home")))
    assert "待审核拒绝" in text
    assert 'data-testid="task-cards"' not in page(login(personas.dept_clerk).get(reverse("home")))


def test_the_district_sets_the_rule_its_refusal_notices_cite(personas, login):
    client = login(personas.group_secretary)
    assert "拒绝受理依据" in page(client.get(reverse("admission_settings")))
    form = {
        "number_prefix": "市中",
        "review_days": 5,
        "consultation_days": 10,
        "decision_days": 15,
        "provisional_days": 90,
        "hours_per_worker": 300,
        "funding_grace_days": 30,
        "refusal_basis": "根据《市中区社区工作事项准入办法》第十条，未经准入的事项社区有权拒绝。",
    }
    assert client.post(reverse("admission_settings"), form).status_code == 302
    settings = AdmissionSettings.objects.get(district_id=DISTRICT)
    assert settings.refusal_basis.startswith("根据《市中区社区工作事项准入办法》第十条")
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    delivery = services.delivery_act(
        actor=personas.community_officer, delivery=delivery_at(task, ZHONGGULOU), action="refuse"
    )
    assert delivery.refusal_basis == settings.refusal_basis
    # Emptied, the notice cites the default wording again.
    assert (
        client.post(reverse("admission_settings"), {**form, "refusal_basis": " "}).status_code
        == 302
    )
    settings.refresh_from_db()
    assert settings.refusal_basis.startswith("根据本区社区工作准入制度")
    response = client.post(reverse("admission_settings"), {**form, "refusal_basis": "长" * 2001})
    assert response.status_code == 200
    assert settings.refusal_basis == AdmissionSettings.objects.get(pk=settings.pk).refusal_basis
    admission_services.admission_settings_update(
        actor=personas.group_secretary,
        district=Region.objects.get(code=DISTRICT),
        values={"refusal_basis": "第十一条"},
    )
    assert AdmissionSettings.objects.get(pk=settings.pk).refusal_basis == "第十一条"
