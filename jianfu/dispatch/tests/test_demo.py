"""The demo tasks: `jianfu demo` leaves admitted and unadmitted work, refusals and a record."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from jianfu.core.pdf import cjk_font_available
from jianfu.dispatch.demo import dispatch_demo_load
from jianfu.dispatch.documents import refusal_notice_number, refusal_notice_pdf
from jianfu.dispatch.models import Delivery, DeliveryStatus, Reason, Task, TaskStatus
from jianfu.dispatch.selectors import inbox_for, refusals_to_review, violations
from jianfu.org.models import Unit, User

PASSWORD = "Demo-Pass-2026x"


@pytest.fixture
def demo(db, settings, tmp_path):
    """The database after `jianfu demo`; the logins file goes to a scratch folder."""
    settings.DATA_DIR = tmp_path
    call_command("demo", password=PASSWORD, stdout=io.StringIO())
    return {u.username: u for u in User.objects.select_related("unit__region")}


def reasons_of(title: str) -> set[tuple[str, ...]]:
    return {tuple(d.reasons) for d in Delivery.objects.filter(task__title=title)}


@pytest.mark.django_db
def test_demo_has_admitted_and_unadmitted_deliveries_with_their_reasons(demo):
    assert Delivery.objects.filter(admitted=True).exists()
    assert Delivery.objects.filter(admitted=False).exists()
    assert reasons_of("高龄津贴发放情况入户核对") == {(), (Reason.OUTSIDE_SCOPE,)}
    assert reasons_of("协助开展招商引资项目信息摸排") == {(Reason.NO_BASIS, Reason.NEGATIVE_LIST)}
    assert reasons_of("殡葬改革宣传台账更新") == {(Reason.ADMISSION_REVOKED,)}
    assert reasons_of("困难群众走访慰问情况补报") == {(Reason.ADMISSION_EXPIRED,)}
    duty_task = Task.objects.get(title="社区民主协商议事情况报告")
    assert duty_task.duty_item_key and duty_task.unadmitted_total == 0
    collection = Delivery.objects.filter(task__title="高龄津贴申领材料收集")
    assert {(d.status, d.progress_percent) for d in collection} == {
        (DeliveryStatus.ACCEPTED, 60),
        (DeliveryStatus.COMPLETED, 100),
    }
    assert Task.objects.filter(status=TaskStatus.CANCELLED).count() == 1


@pytest.mark.django_db
def test_demo_community_refused_unadmitted_work_and_has_a_refusal_notice(demo):
    refused = Delivery.objects.select_related("task", "region").get(
        task__title="协助开展招商引资项目信息摸排", status=DeliveryStatus.REFUSED
    )
    assert refused.region.name == "钟鼓楼社区" and not refused.refused_while_admitted
    assert refusal_notice_number(refused).startswith(f"不予受理〔{timezone.now():%Y}〕")
    assert refused in inbox_for(user=demo["community_officer"], status=DeliveryStatus.REFUSED)


@pytest.mark.skipif(not cjk_font_available(), reason="no CJK font installed (fonts-noto-cjk)")
@pytest.mark.django_db
def test_demo_refusal_notice_renders_as_pdf(demo):
    refused = Delivery.objects.get(status=DeliveryStatus.REFUSED, region__name="钟鼓楼社区")
    assert refusal_notice_pdf(refused).startswith(b"%PDF")


@pytest.mark.django_db
def test_demo_refusal_of_admitted_work_waits_for_the_street(demo):
    waiting = Delivery.objects.get(status=DeliveryStatus.REFUSAL_REQUESTED)
    assert waiting.admitted and waiting.refusal_reason
    assert list(refusals_to_review(user=demo["street_officer"])) == [waiting]
    assert not refusals_to_review(user=demo["street_officer2"]).exists()


@pytest.mark.django_db
def test_demo_housing_bureau_has_unadmitted_dispatches_and_refusals_on_record(demo):
    [row] = violations(
        departments=Unit.objects.filter(name="市中区住建局"), year=timezone.localdate().year
    )
    assert row.dispatches == row.unadmitted_dispatches == 1
    assert row.unadmitted_deliveries > 0 and row.refusals > 0


@pytest.mark.django_db
def test_demo_loaded_again_adds_no_tasks(demo, settings):
    tasks, deliveries = Task.objects.count(), Delivery.objects.count()
    call_command("demo", password=PASSWORD, stdout=io.StringIO())
    assert dispatch_demo_load(password=PASSWORD) == []
    assert (Task.objects.count(), Delivery.objects.count()) == (tasks, deliveries)
    assert User.objects.filter(username="szq_zj_clerk").count() == 1
