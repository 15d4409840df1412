"""The fan-out writes each recipient's delivery exactly as the ORM would, in one statement."""

import pytest
from django.utils import timezone

from jianfu.admission.models import AdmissionScope
from jianfu.core.bulk import insert_tuples
from jianfu.dispatch.models import Delivery, DeliveryStatus, Reason
from jianfu.dispatch.tests.conftest import (
    GUIHUJIE,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    dispatch,
)

# The columns the arrival check decides; every other column starts at its default.
CHECKED = {"id", "task", "region", "admitted_on_arrival", "admitted", "reasons"}
STAMPED = {"arrived_at", "updated_at", "year"}


@pytest.mark.django_db
def test_every_recipient_gets_one_delivery_with_every_column_as_the_orm_writes_it(
    personas, admission
):
    AdmissionScope.objects.filter(admission=admission, region_id=JIANDAOJIE).update(funding_fen=0)
    before = timezone.now()
    task = dispatch(
        personas.dept_clerk,
        recipients=[ZHONGGULOU, JIANDAOJIE, XILIN, GUIHUJIE],
        admission_number=admission.number,
    )
    expected = {
        ZHONGGULOU: [],
        JIANDAOJIE: [Reason.UNFUNDED],
        XILIN: [Reason.OUTSIDE_SCOPE],
        GUIHUJIE: [Reason.OUTSIDE_SCOPE],
    }
    deliveries = list(task.deliveries.all())
    assert {d.region_id: d.reasons for d in deliveries} == expected
    for delivery in deliveries:
        assert delivery.admitted is delivery.admitted_on_arrival is not expected[delivery.region_id]
        assert delivery.year == task.year
        assert before <= delivery.arrived_at == delivery.updated_at <= timezone.now()
        for field in Delivery._meta.concrete_fields:
            if field.name not in CHECKED | STAMPED:
                assert getattr(delivery, field.attname) == field.get_default(), field.name
    assert (task.recipients_total, task.unadmitted_total) == (4, 3)


@pytest.mark.django_db
def test_insert_tuples_shares_values_prepares_each_object_once_and_defaults_the_rest(
    personas, admission
):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    task.deliveries.all().delete()
    reasons = ["outside_scope", "含\t制表符"]
    insert_tuples(
        Delivery,
        ["region_id", "admitted", "reasons", "status"],
        [
            (ZHONGGULOU, True, [], DeliveryStatus.ACCEPTED),
            (XILIN, False, reasons, "received"),
            (GUIHUJIE, False, reasons, DeliveryStatus.RECEIVED),
        ],
        same={"task_id": task.pk, "year": task.year, "admitted_on_arrival": False},
    )
    written = {
        d.region_id: (d.admitted, d.admitted_on_arrival, d.reasons, d.status, d.progress_note)
        for d in task.deliveries.all()
    }
    assert written == {
        ZHONGGULOU: (True, False, [], "accepted", ""),
        XILIN: (False, False, reasons, "received", ""),
        GUIHUJIE: (False, False, reasons, "received", ""),
    }


@pytest.mark.django_db
def test_insert_tuples_with_nothing_to_insert_does_not_touch_the_database(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        insert_tuples(Delivery, ["region_id"], [], same={"task_id": 1})
