"""Refusals, answers, withdrawal and re-checks: the right to refuse as the seeds state it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jianfu.admission import services as admission_services
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.models import Notification
from jianfu.dispatch import services
from jianfu.dispatch.models import Delivery, DeliveryEvent, DeliveryStatus, Reason, TaskStatus
from jianfu.dispatch.selectors import violations
from jianfu.dispatch.tests.conftest import (
    CHENGDONG,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    dispatch,
)
from jianfu.org.models import Region, RegionLevel, Unit


def delivery_to(task, code) -> Delivery:
    return task.deliveries.select_related("task", "region").get(region_id=code)


@pytest.fixture
def admitted_task(personas, admission):
    return dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, JIANDAOJIE], admission_number=admission.number
    )


@pytest.fixture
def unadmitted_task(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return dispatch(personas.dept_clerk, recipients=[ZHONGGULOU, XILIN], title="协助招商引资")


@pytest.mark.django_db
def test_community_can_refuse_unadmitted_task_in_one_action_without_a_reason(
    personas, unadmitted_task
):
    delivery = services.delivery_act(
        actor=personas.community_officer,
        delivery=delivery_to(unadmitted_task, ZHONGGULOU),
        action="refuse",
    )
    assert delivery.status == DeliveryStatus.REFUSED and delivery.refused_at
    assert not delivery.refused_while_admitted
    assert DeliveryEvent.objects.get(delivery=delivery).action == "refuse"


@pytest.mark.django_db
def test_refusing_an_admitted_task_needs_a_reason(personas, admitted_task):
    with pytest.raises(InvalidInput):
        services.delivery_act(
            actor=personas.community_officer,
            delivery=delivery_to(admitted_task, ZHONGGULOU),
            action="refuse",
        )
    assert delivery_to(admitted_task, ZHONGGULOU).status == DeliveryStatus.RECEIVED


@pytest.mark.django_db
def test_refusal_of_an_admitted_task_is_reviewed_by_the_street(
    personas, admitted_task, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.delivery_act(
            actor=personas.community_officer,
            delivery=delivery_to(admitted_task, ZHONGGULOU),
            action="refuse",
            reason="本月人手全部投入防汛，无法承担。",
        )
    assert delivery.status == DeliveryStatus.REFUSAL_REQUESTED
    assert Notification.objects.filter(recipient=personas.street_officer).exists()
    # The street of another street has no say; the community cannot decide its own request.
    for outsider in (personas.street_officer2, personas.community_officer):
        with pytest.raises(Forbidden):
            services.delivery_act(actor=outsider, delivery=delivery, action="uphold_refusal")
    delivery = services.delivery_act(
        actor=personas.street_officer, delivery=delivery, action="uphold_refusal"
    )
    assert delivery.status == DeliveryStatus.REFUSED and delivery.refused_while_admitted


@pytest.mark.django_db
def test_street_overruling_a_refusal_returns_the_task_and_needs_a_reason(personas, admitted_task):
    delivery = delivery_to(admitted_task, ZHONGGULOU)
    delivery = services.delivery_act(
        actor=personas.community_officer, delivery=delivery, action="accept"
    )
    delivery = services.delivery_act(
        actor=personas.community_officer, delivery=delivery, action="refuse", reason="人手不足"
    )
    with pytest.raises(InvalidInput):
        services.delivery_act(
            actor=personas.street_officer, delivery=delivery, action="overrule_refusal"
        )
    delivery = services.delivery_act(
        actor=personas.street_officer,
        delivery=delivery,
        action="overrule_refusal",
        note="该事项已准入且经费已拨付，请按时完成。",
    )
    assert delivery.status == DeliveryStatus.ACCEPTED


@pytest.mark.django_db
def test_accept_progress_and_complete(personas, admitted_task, django_capture_on_commit_callbacks):
    delivery = delivery_to(admitted_task, ZHONGGULOU)
    with pytest.raises(Conflict):
        services.delivery_act(
            actor=personas.community_officer, delivery=delivery, action="complete"
        )
    delivery = services.delivery_act(
        actor=personas.community_officer, delivery=delivery, action="accept"
    )
    with pytest.raises(InvalidInput):
        services.delivery_act(
            actor=personas.community_officer,
            delivery=delivery,
            action="progress",
            percent=101,
            note="x",
        )
    delivery = services.delivery_act(
        actor=personas.community_officer,
        delivery=delivery,
        action="progress",
        percent=40,
        note="已收集 12 户材料",
    )
    assert delivery.progress_percent == 40
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.delivery_act(
            actor=personas.community_officer, delivery=delivery, action="complete"
        )
    assert delivery.status == DeliveryStatus.COMPLETED and not delivery.completed_late
    assert delivery.progress_percent == 100
    assert Notification.objects.filter(recipient=personas.dept_clerk).exists()


@pytest.mark.django_db
def test_completion_after_the_deadline_is_late(personas, admitted_task, time_machine):
    delivery = services.delivery_act(
        actor=personas.community_officer,
        delivery=delivery_to(admitted_task, ZHONGGULOU),
        action="accept",
    )
    time_machine.move_to(admitted_task.deadline + dt.timedelta(days=2))
    delivery = services.delivery_act(
        actor=personas.community_officer, delivery=delivery, action="complete"
    )
    assert delivery.completed_late


@pytest.mark.django_db
def test_only_the_recipient_answers_for_its_delivery(personas, admitted_task):
    delivery = delivery_to(admitted_task, ZHONGGULOU)
    for outsider in (personas.community_officer2, personas.street_officer, personas.dept_clerk):
        with pytest.raises(Forbidden):
            services.delivery_act(actor=outsider, delivery=delivery, action="accept")
    assert delivery_to(admitted_task, ZHONGGULOU).status == DeliveryStatus.RECEIVED


@pytest.mark.django_db
def test_only_department_clerks_dispatch(personas):
    for outsider in (personas.community_officer, personas.review_officer, personas.system_admin):
        with pytest.raises(Forbidden):
            dispatch(outsider, recipients=[ZHONGGULOU])


@pytest.mark.django_db
def test_recipients_are_told_and_unadmitted_work_is_flagged_in_the_message(
    personas, unadmitted_task
):
    message = Notification.objects.get(recipient=personas.community_officer).message
    assert "未经准入" in message
    assert Notification.objects.filter(recipient=personas.community_officer2).exists()


# Re-checks --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_revoking_an_admission_makes_its_open_deliveries_refusable(
    personas, admission, admitted_task
):
    done = services.delivery_act(
        actor=personas.community_officer,
        delivery=services.delivery_act(
            actor=personas.community_officer,
            delivery=delivery_to(admitted_task, ZHONGGULOU),
            action="accept",
        ),
        action="complete",
    )
    Notification.objects.all().delete()
    admission_services.admission_change_state(
        actor=personas.group_secretary,
        admission=admission,
        move="revoke",
        reason="群众满意率不过半数",
        reference="市中减负〔2026〕9号",
    )
    open_one = delivery_to(admitted_task, JIANDAOJIE)
    assert not open_one.admitted and open_one.reasons == [Reason.ADMISSION_REVOKED]
    assert open_one.admitted_on_arrival, "what the department did on the day stays on record"
    # A completed delivery is history: it is not re-checked.
    assert delivery_to(admitted_task, ZHONGGULOU).admitted and done.status == "completed"
    assert DeliveryEvent.objects.filter(delivery=open_one, action="recheck").exists()
    assert services.actions_allowed(personas.community_officer2, open_one) == []
    refused = services.delivery_act(
        actor=_officer_of(JIANDAOJIE), delivery=open_one, action="refuse"
    )
    assert refused.status == DeliveryStatus.REFUSED and not refused.refused_while_admitted


def _officer_of(code):
    from jianfu.org.models import User
    from jianfu.org.roles import Role
    from jianfu.org.services import account_create

    unit = Unit.objects.get(region_id=code)
    existing = User.objects.filter(unit=unit, roles__role=Role.COMMUNITY_OFFICER).first()
    return existing or account_create(
        actor=None,
        username=f"officer_{code}",
        display_name="社区工作者",
        unit=unit,
        roles=[Role.COMMUNITY_OFFICER],
        password="Persona-Pass-2026",
    )


@pytest.mark.django_db
def test_suspension_and_resumption_are_rechecked_and_recipients_told(
    personas, admission, admitted_task, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        admission_services.admission_change_state(
            actor=personas.group_secretary,
            admission=admission,
            move="suspend",
            reason="经费未到位",
        )
    delivery = delivery_to(admitted_task, ZHONGGULOU)
    assert delivery.reasons == [Reason.ADMISSION_SUSPENDED]
    assert "您可以拒绝" in Notification.objects.get(recipient=personas.community_officer).message
    admitted_task.refresh_from_db()
    # What the department sent stays on its record as it arrived: admitted.
    assert admitted_task.unadmitted_total == 0
    admission_services.admission_change_state(
        actor=personas.group_secretary, admission=admission, move="resume", reason="经费已到位"
    )
    assert delivery_to(admitted_task, ZHONGGULOU).admitted


@pytest.mark.django_db
def test_a_pending_refusal_of_work_that_lost_its_admission_can_be_refused_outright(
    personas, admission, admitted_task
):
    delivery = services.delivery_act(
        actor=personas.community_officer,
        delivery=delivery_to(admitted_task, ZHONGGULOU),
        action="refuse",
        reason="人手不足",
    )
    assert "refuse" not in services.actions_allowed(personas.community_officer, delivery)
    admission_services.admission_change_state(
        actor=personas.group_secretary, admission=admission, move="suspend", reason="经费未到位"
    )
    delivery = delivery_to(admitted_task, ZHONGGULOU)
    assert (
        services.delivery_act(
            actor=personas.community_officer, delivery=delivery, action="refuse"
        ).status
        == DeliveryStatus.REFUSED
    )


# Withdrawal ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_department_withdraws_and_the_group_office_terminates_a_task(personas, unadmitted_task):
    with pytest.raises(Forbidden):
        services.task_cancel(actor=personas.community_officer, task=unadmitted_task, reason="x")
    with pytest.raises(InvalidInput):
        services.task_cancel(actor=personas.group_secretary, task=unadmitted_task, reason=" ")
    task = services.task_cancel(
        actor=personas.group_secretary, task=unadmitted_task, reason="未经准入，立即终止"
    )
    assert task.status == TaskStatus.CANCELLED
    assert set(task.deliveries.values_list("status", flat=True)) == {DeliveryStatus.CANCELLED}
    with pytest.raises(Conflict):
        services.task_cancel(actor=personas.dept_clerk, task=task, reason="再次撤回")


# Violation accounting --------------------------------------------------------------------------


@pytest.mark.django_db
def test_violations_count_unadmitted_dispatches_refusals_and_late_completions(
    personas, admitted_task, unadmitted_task, time_machine
):
    services.delivery_act(
        actor=personas.community_officer,
        delivery=delivery_to(unadmitted_task, ZHONGGULOU),
        action="refuse",
    )
    accepted = services.delivery_act(
        actor=personas.community_officer,
        delivery=delivery_to(admitted_task, ZHONGGULOU),
        action="accept",
    )
    time_machine.move_to(admitted_task.deadline + dt.timedelta(days=1))
    services.delivery_act(actor=personas.community_officer, delivery=accepted, action="complete")
    year = admitted_task.created_at.year
    [row] = violations(departments=Unit.objects.filter(pk=personas.dept_clerk.unit_id), year=year)
    assert (row.dispatches, row.unadmitted_dispatches) == (2, 1)
    assert (row.deliveries, row.unadmitted_deliveries) == (4, 2)
    assert (row.refusals, row.refusals_of_unadmitted, row.late_completions) == (1, 1, 1)
    # 箭道街社区's and 西林社区's copies are still open after the deadline.
    assert row.overdue_open == 2
    [empty] = violations(
        departments=Unit.objects.filter(pk=personas.dept_clerk.unit_id), year=year - 1
    )
    assert empty.dispatches == 0 and empty.unadmitted_rate is None


# Scale -----------------------------------------------------------------------------------------


def _add_communities(street_code: str, count: int) -> None:
    street = Region.objects.get(code=street_code)
    Region.objects.bulk_create(
        Region(
            code=f"{street_code[:9]}{100 + n:03d}",
            name=f"测试社区{n}",
            level=RegionLevel.COMMUNITY,
            parent=street,
        )
        for n in range(count)
    )


@pytest.mark.django_db
def test_fan_out_query_count_does_not_grow_with_the_recipients(personas, admission):
    _add_communities(CHENGDONG, 120)

    def queries_for(recipients) -> int:
        with CaptureQueriesContext(connection) as captured:
            task = dispatch(
                personas.dept_clerk, recipients=recipients, admission_number=admission.number
            )
        return len(captured), task

    few, small = queries_for([ZHONGGULOU])
    many, large = queries_for([CHENGDONG])
    assert small.recipients_total == 1 and large.recipients_total == 122
    assert many == few, (few, many)


@pytest.mark.django_db
def test_large_dispatch_runs_as_a_background_job(
    personas, admission, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "INLINE_LIMIT", 1)
    with django_capture_on_commit_callbacks(execute=True):
        task = dispatch(
            personas.dept_clerk, recipients=[CHENGDONG], admission_number=admission.number
        )
        assert task.status == TaskStatus.DISPATCHING and not task.deliveries.exists()
    task.refresh_from_db()
    assert task.job is not None and task.job.status == "succeeded"
    assert task.status == TaskStatus.DISPATCHED and task.recipients_total == 2
    assert task.job.result == {"task": task.pk, "recipients": 2, "unadmitted": 0}


# Expiry and failure -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_expired_admissions_open_deliveries_become_refusable_by_the_daily_recheck(
    personas, admission, admitted_task, time_machine
):
    from django.core.management import call_command

    time_machine.move_to(admission.valid_until + dt.timedelta(days=1))
    call_command("recheck_deliveries")
    delivery = delivery_to(admitted_task, ZHONGGULOU)
    assert delivery.reasons == [Reason.ADMISSION_EXPIRED] and delivery.admitted_on_arrival
    assert "refuse" in services.actions_allowed(personas.community_officer, delivery)
    # Nothing left to re-check the next day.
    assert services.deliveries_recheck_expired() == (0, 0)


@pytest.mark.django_db
def test_citing_the_old_number_of_a_renewed_admission_names_the_renewal(
    personas, admission, time_machine
):
    renewal = admission_services.admission_renew(
        actor=personas.group_secretary,
        admission=admission,
        valid_until=admission.valid_until + dt.timedelta(days=365),
        reason="继续实施",
    )
    time_machine.move_to(admission.valid_until + dt.timedelta(days=2))
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    [text] = services.reason_texts(task, delivery_to(task, ZHONGGULOU).reasons)
    assert renewal.number in text


@pytest.mark.django_db
def test_a_failed_fan_out_is_recorded_told_and_can_be_withdrawn(
    personas, admission, monkeypatch, django_capture_on_commit_callbacks
):
    from jianfu.core.jobs import job_run

    monkeypatch.setattr(services, "INLINE_LIMIT", 1)
    with django_capture_on_commit_callbacks(execute=False):
        task = dispatch(
            personas.dept_clerk, recipients=[CHENGDONG], admission_number=admission.number
        )

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("jianfu.dispatch.jobs.task_fan_out", broken)
    with pytest.raises(RuntimeError):
        job_run(str(task.job_id))
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED and not task.deliveries.exists()
    assert Notification.objects.filter(recipient=personas.dept_clerk, message__contains="派发失败")
    task = services.task_cancel(actor=personas.dept_clerk, task=task, reason="重新派发")
    assert task.status == TaskStatus.CANCELLED
