"""A hypothesis state machine drives deliveries with random actors, actions and admission changes.

After every step the rules of the right to refuse must hold: a delivery is in a known status,
only its recipient answered for it and only its street reviewed its refusal (the event log says
who acted), unadmitted work was refused without review, a refusal counted against a recipient
(refused while admitted) was always upheld by the street, what arrived admitted stays on the
department's record as it arrived, and the open deliveries agree with the admission's state.

Each example runs in a transaction that is rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from jianfu.admission import services as admission_services
from jianfu.admission.models import Admission, AdmissionState, ApplicationState
from jianfu.admission.tests.conftest import advance, make_application
from jianfu.core.errors import Conflict, DomainError, Forbidden
from jianfu.dispatch import services
from jianfu.dispatch.models import (
    OPEN_STATUSES,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Reason,
    TaskStatus,
)
from jianfu.dispatch.tests.conftest import JIANDAOJIE, XILIN, ZHONGGULOU, dispatch
from jianfu.org.models import Unit
from jianfu.org.roles import Role
from jianfu.org.services import account_create

PASSWORD = "Persona-Pass-2026"
# Everyone the machine may pick: the recipients, their streets, and people with no say.
ACTORS = [
    "community_officer",  # 钟鼓楼社区
    "jiandaojie_officer",  # 箭道街社区
    "community_officer2",  # 西林社区
    "street_officer",  # 城东街道 (钟鼓楼, 箭道街)
    "street_officer2",  # 城西街道 (西林)
    "dept_clerk",
    "group_secretary",
    "review_officer",
]
RECIPIENT_OF = {
    ZHONGGULOU: "community_officer",
    JIANDAOJIE: "jiandaojie_officer",
    XILIN: "community_officer2",
}
STREET_OF = {ZHONGGULOU: "street_officer", JIANDAOJIE: "street_officer", XILIN: "street_officer2"}
ACTIONS = sorted(services.DELIVERY_ACTIONS)
RECIPIENT_ACTIONS = {"accept", "refuse", "progress", "complete"}
REVIEW_ACTIONS = {"uphold_refusal", "overrule_refusal"}
# Mostly the person whose step it is, so deliveries move; sometimes anyone at all.
WHO = st.sampled_from(["rightful"] * 4 + ["stranger"])
TEXTS = st.sampled_from(["", "人手不足，无法承担。"])
PERCENTS = st.sampled_from([30, None, 100, 101])


class DeliveryMachine(RuleBasedStateMachine):
    """Two tasks of 市中区民政局 (one admitted in 城东, one citing nothing) in three communities."""

    people = None
    admission_id = None

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        try:
            admission = Admission.objects.get(pk=self.admission_id)
            recipients = [ZHONGGULOU, JIANDAOJIE, XILIN]
            self.tasks = [
                dispatch(
                    self.people.dept_clerk, recipients=recipients, admission_number=admission.number
                ),
                dispatch(self.people.dept_clerk, recipients=recipients),
            ]
            self.on_arrival = {
                d.pk: d.admitted_on_arrival for d in Delivery.objects.filter(task__in=self.tasks)
            }
            self.succeeded = 0
        except BaseException:
            self.teardown()
            raise

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @rule(
        task=st.integers(0, 1),
        region=st.sampled_from(sorted(RECIPIENT_OF)),
        who=WHO,
        stranger=st.sampled_from(ACTORS),
        action=st.sampled_from(ACTIONS),
        text=TEXTS,
        percent=PERCENTS,
    )
    def act(self, task, region, who, stranger, action, text, percent):
        rightful = RECIPIENT_OF if action in RECIPIENT_ACTIONS else STREET_OF
        actor = rightful[region] if who == "rightful" else stranger
        delivery = Delivery.objects.select_related("task", "region").get(
            task=self.tasks[task], region_id=region
        )
        user = getattr(self.people, actor)
        allowed = action in services.actions_allowed(user, delivery)
        try:
            services.delivery_act(
                actor=user,
                delivery=delivery,
                action=action,
                reason=text,
                note=text,
                percent=percent,
            )
        except Forbidden:
            assert not allowed
            assert actor != rightful[region]
            return
        except Conflict:
            assert not allowed
            return
        except DomainError:
            # Missing reason or note, or a percent out of range: the step changes nothing.
            assert Delivery.objects.get(pk=delivery.pk).status == delivery.status
            return
        assert allowed
        self.succeeded += 1

    @rule(move=st.sampled_from(["revoke", "suspend", "resume"]))
    def change_admission(self, move):
        admission = Admission.objects.get(pk=self.admission_id)
        # A move from the wrong state (resume an active admission) is refused and changes nothing.
        with contextlib.suppress(Conflict):
            admission_services.admission_change_state(
                actor=self.people.group_secretary,
                admission=admission,
                move=move,
                reason="测试",
                reference="市中减负〔2026〕1号",
            )

    @rule()
    def withdraw_second_task(self):
        task = self.tasks[1]
        task.refresh_from_db()
        if task.status == TaskStatus.DISPATCHED:
            services.task_cancel(actor=self.people.dept_clerk, task=task, reason="撤回")

    @invariant()
    def statuses_known_and_steps_logged(self):
        deliveries = list(Delivery.objects.filter(task__in=self.tasks))
        assert all(d.status in DeliveryStatus.values for d in deliveries)
        answered = DeliveryEvent.objects.filter(
            delivery__in=deliveries, action__in=services.DELIVERY_ACTIONS
        )
        assert answered.count() == self.succeeded
        for event in answered.select_related("actor", "delivery"):
            rightful = RECIPIENT_OF if event.action in RECIPIENT_ACTIONS else STREET_OF
            assert event.actor.username == rightful[event.delivery.region_id]

    @invariant()
    def refusals_follow_the_rules(self):
        for delivery in Delivery.objects.filter(task__in=self.tasks, status=DeliveryStatus.REFUSED):
            last = delivery.events.exclude(action="recheck").last()
            if delivery.refused_while_admitted:
                assert last.action == "uphold_refusal"
            else:
                # Unadmitted work is refused at once, or upheld after losing its admission.
                assert last.action in ("refuse", "uphold_refusal")
                if last.action == "refuse":
                    assert not last.admitted

    @invariant()
    def record_kept_as_arrived_and_open_deliveries_follow_the_admission(self):
        admission = Admission.objects.get(pk=self.admission_id)
        for delivery in Delivery.objects.filter(task__in=self.tasks):
            assert delivery.admitted_on_arrival == self.on_arrival[delivery.pk]
            assert delivery.admitted == (delivery.reasons == [])
            if delivery.task_id == self.tasks[0].pk and delivery.status in OPEN_STATUSES:
                suspended = admission.state == AdmissionState.SUSPENDED
                revoked = admission.state == AdmissionState.REVOKED
                assert (Reason.ADMISSION_SUSPENDED in delivery.reasons) == suspended
                assert (Reason.ADMISSION_REVOKED in delivery.reasons) == revoked


@pytest.mark.django_db
def test_random_answers_and_admission_changes_keep_the_right_to_refuse(personas):
    application = advance(
        personas,
        make_application(personas.dept_clerk),
        ApplicationState.APPROVED,
    )
    personas.jiandaojie_officer = account_create(
        actor=None,
        username="jiandaojie_officer",
        display_name="箭道街社区工作者",
        unit=Unit.objects.get(name="箭道街社区居民委员会"),
        roles=[Role.COMMUNITY_OFFICER],
        password=PASSWORD,
    )
    machine = type(
        "Machine",
        (DeliveryMachine,),
        {"people": personas, "admission_id": application.admissions.get().pk},
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
