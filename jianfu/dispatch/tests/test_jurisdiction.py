"""Who sees and answers for what beyond one district: city departments' tasks, city offices,
ambiguous duty codes, and notices that stay as issued."""

import datetime as dt

import pytest
from django.utils import timezone

from jianfu.admission.models import AdmissionSettings
from jianfu.catalog import services as catalog_services
from jianfu.catalog.models import ListKind, ListLevel
from jianfu.catalog.tests.conftest import publish
from jianfu.core.errors import Forbidden, InvalidInput
from jianfu.core.models import Notification
from jianfu.dispatch import selectors, services
from jianfu.dispatch.documents import refusal_notice_number
from jianfu.dispatch.models import DeliveryStatus, TaskStatus
from jianfu.dispatch.tests.conftest import (
    CHENGDONG,
    DISTRICT,
    JIANDAOJIE,
    ZHONGGULOU,
    dispatch,
)
from jianfu.org.models import Region, Unit, UnitType
from jianfu.org.roles import Role
from jianfu.org.services import account_create

NEIJIANG = "511000000000"  # 内江市


def account(username, role, unit):
    return account_create(
        actor=None,
        username=username,
        display_name=username,
        unit=unit,
        roles=[role],
        password="Persona-Pass-2026",
    )


@pytest.fixture
def city_clerk(personas):
    """A clerk of 内江市民政局, a city department above 市中区."""
    unit = Unit.objects.create(
        name="内江市民政局", type=UnitType.DEPARTMENT, region=Region.objects.get(code=NEIJIANG)
    )
    return account("city_clerk", Role.DEPT_CLERK, unit)


@pytest.fixture
def city_secretary(personas):
    """The group secretary of 内江市's own office: not a district's."""
    unit = Unit.objects.create(
        name="内江市社区减负工作领导小组办公室",
        type=UnitType.GROUP_OFFICE,
        region=Region.objects.get(code=NEIJIANG),
    )
    return account("city_secretary", Role.GROUP_SECRETARY, unit)


@pytest.mark.django_db
def test_a_city_departments_task_is_seen_terminated_and_counted_by_the_district(
    personas, city_clerk, django_capture_on_commit_callbacks
):
    task = dispatch(city_clerk, recipients=[ZHONGGULOU, JIANDAOJIE], title="全市低保复核")
    assert task.district_code == "" and task.unadmitted_total == 2
    secretary = personas.group_secretary
    assert selectors.task_visible_to(user=secretary, task_id=task.pk) is not None
    assert selectors.deliveries_of(user=secretary, task=task).count() == 2
    year = timezone.localdate().year
    departments = selectors.departments_for_violations(user=secretary, district_code=DISTRICT)
    [row] = [
        r
        for r in selectors.violations(departments=departments, year=year, within="511002")
        if r.department == city_clerk.unit
    ]
    assert (row.dispatches, row.unadmitted_deliveries) == (1, 2)
    public = selectors.departments_for_violations(user=None, district_code=DISTRICT)
    assert city_clerk.unit in public
    with django_capture_on_commit_callbacks(execute=True):
        services.task_cancel(actor=secretary, task=task, reason="未经准入，立即终止")
    assert set(task.deliveries.values_list("status", flat=True)) == {DeliveryStatus.CANCELLED}
    assert Notification.objects.filter(recipient=city_clerk, message__contains="终止").exists()


@pytest.mark.django_db
def test_a_district_office_terminates_a_city_task_only_in_its_own_district(personas, city_clerk):
    task = dispatch(city_clerk, recipients=[ZHONGGULOU, "511002002001"], title="全市低保复核")
    other = account(
        "longshan_secretary",
        Role.GROUP_SECRETARY,
        Unit.objects.get(name="龙山区社区减负工作领导小组办公室"),
    )
    with pytest.raises(Forbidden):
        services.task_cancel(actor=other, task=task, reason="不是本区")
    services.task_cancel(actor=personas.group_secretary, task=task, reason="未经准入")
    task.refresh_from_db()
    # Both recipients are in 市中区, so the whole task has ended there, but the task itself
    # belongs to the city department, which alone withdraws it.
    assert task.status == TaskStatus.DISPATCHED
    assert set(task.deliveries.values_list("status", flat=True)) == {DeliveryStatus.CANCELLED}


@pytest.mark.django_db
def test_a_city_group_office_reviews_no_streets_refusals(personas, city_secretary, admission):
    task = dispatch(
        personas.dept_clerk, recipients=[CHENGDONG], level="street", title="街道安全巡查"
    )
    delivery = task.deliveries.get()
    services.delivery_act(actor=personas.street_officer, delivery=delivery, action="refuse")
    assert not selectors.refusals_to_review(user=city_secretary).exists()


@pytest.mark.django_db
def test_only_departments_dispatch(personas):
    agency = Unit.objects.create(
        name="市中区派驻机构",
        type=UnitType.DISPATCHED_AGENCY,
        region=Region.objects.get(code=DISTRICT),
    )
    clerk = account("agency_clerk", Role.DEPT_CLERK, agency)
    with pytest.raises(Forbidden):
        dispatch(clerk, recipients=[ZHONGGULOU])


@pytest.mark.django_db
def test_a_duty_code_is_looked_up_in_the_departments_own_lists(personas, duty_list):
    # 云龙区 has a duty list with the same item code; 市中区民政局 means its own district's.
    other = catalog_services.list_create(
        actor=None,
        name="云龙区社区依法履行职责事项清单",
        kind=ListKind.DUTY,
        level=ListLevel.COMMUNITY,
        region=Region.objects.get(code="320303000000"),
        code="320303-duty-test",
        first_label="2025版",
    )
    draft = other.versions.get()
    catalog_services.item_add(
        actor=None, version=draft, values={"code": "SZQ-ZZ-002", "name": "调解纠纷"}, reason="入单"
    )
    publish(None, draft, "云龙〔2025〕1号", dt.date(2025, 1, 1))
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], duty_item="SZQ-ZZ-002")
    assert task.duty_list == duty_list and task.deliveries.get().reasons == []
    # Two lists above the department with the same code: ambiguous, refused with a clear error.
    national = catalog_services.list_create(
        actor=None,
        name="全国社区依法履行职责事项（示例）",
        kind=ListKind.DUTY,
        level=ListLevel.COMMUNITY,
        region=None,
        code="national-duty-test",
        first_label="2025版",
    )
    draft = national.versions.get()
    catalog_services.item_add(
        actor=None, version=draft, values={"code": "SZQ-ZZ-002", "name": "调解"}, reason="入单"
    )
    publish(None, draft, "民发〔2025〕1号", dt.date(2025, 1, 1))
    with pytest.raises(InvalidInput, match="多份职责清单"):
        dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], duty_item="SZQ-ZZ-002")


@pytest.mark.django_db
def test_a_refusal_notice_stays_as_issued_when_the_district_rewords_its_rule(personas):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    refused = services.delivery_act(
        actor=personas.community_officer, delivery=task.deliveries.get(), action="refuse"
    )
    cited = refused.refusal_basis
    assert "有权拒绝或不受理" in cited
    AdmissionSettings.objects.filter(district_id=DISTRICT).update(refusal_basis="新的表述")
    refused.refresh_from_db()
    assert refused.refusal_basis == cited


@pytest.mark.django_db
def test_the_notice_number_carries_the_year_in_beijing_time(personas, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC))  # 2027-01-01 00:30 CST
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    refused = services.delivery_act(
        actor=personas.community_officer, delivery=task.deliveries.get(), action="refuse"
    )
    assert refusal_notice_number(refused).startswith("不予受理〔2027〕")


@pytest.mark.django_db
def test_a_written_reason_survives_an_outright_refusal_and_an_overrule_clears_it(
    personas, admission
):
    task = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, JIANDAOJIE], admission_number=admission.number
    )
    first = services.delivery_act(
        actor=personas.community_officer,
        delivery=task.deliveries.get(region_id=ZHONGGULOU),
        action="refuse",
        reason="人手不足",
    )
    overruled = services.delivery_act(
        actor=personas.street_officer, delivery=first, action="overrule_refusal", note="请继续办理"
    )
    assert overruled.status == DeliveryStatus.RECEIVED and overruled.refusal_reason == ""
    again = services.delivery_act(
        actor=personas.community_officer, delivery=overruled, action="refuse", reason="仍人手不足"
    )
    admission.state = "suspended"
    admission.save(update_fields=["state"])
    services.deliveries_recheck(admission=admission)
    again.refresh_from_db()
    refused = services.delivery_act(
        actor=personas.community_officer, delivery=again, action="refuse"
    )
    assert refused.status == DeliveryStatus.REFUSED and refused.refusal_reason == "仍人手不足"
