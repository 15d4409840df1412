"""费随事转's tripwire: money that has not reached a community within the district's time limit
(default 30 days) of the admission's start suspends the admission there; its tasks become
refusable; the money's arrival resumes it."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from jianfu.admission.models import AdmissionSettings
from jianfu.admission.tests.conftest import JIANDAOJIE, ZHONGGULOU
from jianfu.core.daily import daily_jobs_run_due
from jianfu.core.models import AuditRecord, DailyRun, Notification
from jianfu.dispatch import services as dispatch_services
from jianfu.dispatch.models import DeliveryStatus, Reason
from jianfu.dispatch.tests.conftest import dispatch
from jianfu.funds import services
from jianfu.funds.models import FundingSuspension
from jianfu.funds.tests.conftest import transfer
from jianfu.funds.tripwire import funding_tripwire

START = dt.date(2026, 3, 2)
DUE = START + dt.timedelta(days=30)  # 2026-04-01: the last day the money may arrive


def at(time_machine, day: dt.date) -> None:
    """Travel to 09:00 Beijing time on `day`."""
    time_machine.move_to(dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC))


@pytest.fixture
def started(admission):
    """The admission runs from 2 March 2026 to the end of 2027."""
    type(admission).objects.filter(pk=admission.pk).update(
        valid_from=START, valid_until=dt.date(2027, 12, 31)
    )
    admission.refresh_from_db()
    return admission


def suspended(admission) -> set[str]:
    return set(
        FundingSuspension.objects.filter(admission=admission, resumed_at__isnull=True).values_list(
            "region_id", flat=True
        )
    )


@pytest.mark.django_db
def test_money_not_arrived_within_30_days_of_the_start_suspends_the_admission_for_that_community(
    personas, budget, started, time_machine, django_capture_on_commit_callbacks
):
    at(time_machine, START)
    transfer(personas, budget, started, [(ZHONGGULOU, 300_000)])
    at(time_machine, DUE)
    funding_tripwire()
    assert suspended(started) == set()  # the 30th day is still in time
    at(time_machine, DUE + dt.timedelta(days=1))
    result = funding_tripwire()
    # 钟鼓楼社区 has its money; 箭道街社区 has none.
    assert suspended(started) == {JIANDAOJIE}
    assert [(s.region_id, s.year, s.due_on) for s in result.suspended] == [(JIANDAOJIE, 2026, DUE)]


@pytest.mark.django_db
def test_the_tasks_there_become_refusable_and_are_admitted_again_when_the_money_arrives(
    personas, budget, started, time_machine, django_capture_on_commit_callbacks
):
    at(time_machine, START + dt.timedelta(days=5))
    refused_task, kept_task = (
        dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=started.number)
        for _ in range(2)
    )
    assert refused_task.deliveries.get().admitted and kept_task.deliveries.get().admitted
    at(time_machine, DUE + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert daily_jobs_run_due() == [
            "recheck_deliveries",
            "funding_tripwire",
            "burden_monthly_snapshot",
            "stats_refresh",
            "partitions_ensure",
        ]
    refused, kept = refused_task.deliveries.get(), kept_task.deliveries.get()
    assert not kept.admitted and kept.reasons == [Reason.FUNDS_OVERDUE]
    # Unadmitted work is refused at once, without review.
    dispatch_services.delivery_act(
        actor=personas.community_officer, delivery=refused, action="refuse"
    )
    refused.refresh_from_db()
    assert refused.status == DeliveryStatus.REFUSED

    with django_capture_on_commit_callbacks(execute=True):
        transfer(personas, budget, started, [(ZHONGGULOU, 300_000)])
    kept.refresh_from_db()
    assert kept.admitted and kept.reasons == []
    refused.refresh_from_db()
    assert refused.status == DeliveryStatus.REFUSED and not refused.refused_while_admitted
    # A task sent now to a community still waiting for its money arrives refusable.
    later = dispatch(personas.dept_clerk, recipients=[JIANDAOJIE], admission_number=started.number)
    assert later.deliveries.get().reasons == [Reason.FUNDS_OVERDUE]


@pytest.mark.django_db
def test_suspension_and_resumption_are_audited_and_everyone_concerned_is_told(
    personas, budget, started, time_machine, django_capture_on_commit_callbacks
):
    at(time_machine, DUE + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        funding_tripwire()
    suspension = FundingSuspension.objects.get(admission=started, region_id=ZHONGGULOU)
    record = AuditRecord.objects.get(action="funding.suspend", object_id=str(suspension.pk))
    assert (
        record.changes["admission"] == started.number and record.changes["due_on"] == "2026-04-01"
    )
    told = set(
        Notification.objects.filter(message__contains="钟鼓楼社区暂停").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"dept_clerk", "dept_head", "community_officer", "street_officer"} <= told
    assert "finance_officer" in told
    assert not told & {"community_officer2", "street_officer2"}

    with django_capture_on_commit_callbacks(execute=True):
        transfer(personas, budget, started, [(ZHONGGULOU, 300_000)])
    suspension.refresh_from_db()
    assert suspension.resumed_at is not None
    assert AuditRecord.objects.filter(
        action="funding.resume", object_id=str(suspension.pk)
    ).exists()
    assert Notification.objects.filter(
        recipient=personas.community_officer, message__contains="钟鼓楼社区恢复"
    ).exists()


@pytest.mark.django_db
def test_running_the_tripwire_twice_changes_nothing(personas, budget, started, time_machine):
    at(time_machine, DUE + dt.timedelta(days=1))
    assert len(funding_tripwire().suspended) == 2
    again = funding_tripwire()
    assert again.suspended == [] and again.resumed == []
    assert FundingSuspension.objects.count() == 2


@pytest.mark.django_db
def test_taking_the_money_back_by_reversal_suspends_the_admission_again(
    personas, budget, started, time_machine
):
    at(time_machine, START)
    sent = transfer(personas, budget, started, [(ZHONGGULOU, 300_000), (JIANDAOJIE, 200_000)])
    at(time_machine, DUE + dt.timedelta(days=10))
    funding_tripwire()
    assert suspended(started) == set()
    services.ledger_reverse(actor=personas.dept_clerk, original=sent, reason="金额填错")
    assert suspended(started) == {ZHONGGULOU, JIANDAOJIE}


@pytest.mark.django_db
def test_each_year_of_the_term_its_money_is_due_again_from_1_january(
    personas, budget, started, time_machine
):
    at(time_machine, START)
    transfer(personas, budget, started, [(ZHONGGULOU, 300_000), (JIANDAOJIE, 200_000)])
    at(time_machine, dt.date(2027, 1, 31))
    assert funding_tripwire().suspended == []
    at(time_machine, dt.date(2027, 2, 1))
    assert suspended(started) == set()
    funding_tripwire()
    assert suspended(started) == {ZHONGGULOU, JIANDAOJIE}
    # Money marked for 2027 is what counts in 2027.
    transfer(personas, budget, started, [(ZHONGGULOU, 100_000)], year=2027)
    assert suspended(started) == {JIANDAOJIE}


@pytest.mark.django_db
def test_the_time_limit_is_the_districts_setting(personas, budget, started, time_machine):
    AdmissionSettings.objects.filter(district_id=started.district_id).update(funding_grace_days=10)
    at(time_machine, START + dt.timedelta(days=11))
    assert {s.region_id for s in funding_tripwire().suspended} == {ZHONGGULOU, JIANDAOJIE}


@pytest.mark.django_db
def test_emergency_admissions_and_admissions_no_longer_in_force_are_not_tripped(
    personas, budget, started, time_machine
):
    type(started).objects.filter(pk=started.pk).update(provisional=True)
    at(time_machine, DUE + dt.timedelta(days=1))
    assert funding_tripwire().suspended == []
    type(started).objects.filter(pk=started.pk).update(
        provisional=False, valid_until=DUE - dt.timedelta(days=1)
    )
    assert funding_tripwire().suspended == []


@pytest.mark.django_db
def test_the_command_judges_a_given_day_and_refuses_a_bad_date(personas, budget, started, capsys):
    call_command("funding_tripwire", "--date", "2026-04-02")
    assert "2 项准入对社区暂停" in capsys.readouterr().out
    with pytest.raises(CommandError, match="日期“2026-13-01”无效"):
        call_command("funding_tripwire", "--date", "2026-13-01")


@pytest.mark.django_db
def test_each_daily_job_runs_once_a_day(personas, time_machine):
    at(time_machine, dt.date(2026, 5, 1))
    assert daily_jobs_run_due() == [
        "recheck_deliveries",
        "funding_tripwire",
        "burden_monthly_snapshot",
        "stats_refresh",
        "partitions_ensure",
    ]
    assert daily_jobs_run_due() == []
    at(time_machine, dt.date(2026, 5, 2))
    assert daily_jobs_run_due() == [
        "recheck_deliveries",
        "funding_tripwire",
        "burden_monthly_snapshot",
        "stats_refresh",
        "partitions_ensure",
    ]
    assert DailyRun.objects.filter(succeeded=True).count() == 10


@pytest.mark.django_db
def test_the_admissions_page_shows_what_arrived_and_where_it_is_suspended(
    personas, budget, started, time_machine, login
):
    at(time_machine, DUE + dt.timedelta(days=1))
    transfer(personas, budget, started, [(JIANDAOJIE, 250_000)])
    funding_tripwire()
    html = login(personas.dept_clerk).get(reverse("admission_detail", args=[started.pk]))
    rows = {
        row.split("</td>")[0]: row
        for row in html.content.decode().split("<tr><td>")[1:]
        if "社区" in row.split("</td>")[0]
    }
    (zhonggulou,) = [row for name, row in rows.items() if "钟鼓楼社区" in name]
    (jiandaojie,) = [row for name, row in rows.items() if "箭道街社区" in name]
    assert 'data-testid="funds-overdue"' in zhonggulou
    assert 'data-testid="funds-overdue"' not in jiandaojie and "2,500.00" in jiandaojie


@pytest.mark.django_db
def test_the_community_sees_on_its_money_page_that_the_admission_is_suspended_there(
    personas, budget, started, time_machine, login
):
    at(time_machine, DUE + dt.timedelta(days=1))
    funding_tripwire()
    html = login(personas.community_officer).get(reverse("funds_community") + "?year=2026")
    text = html.content.decode()
    assert 'data-testid="funds-overdue"' in text and "2026-04-01" in text
