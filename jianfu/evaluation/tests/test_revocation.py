"""What a failed evaluation does (requirement 3): the admission is revoked through its own state
machine (state, reason, the campaign as reference) in the streets or communities where residents
rejected it; the tasks sent under it there become refusable; its money there stops."""

from __future__ import annotations

import datetime as dt

import pytest

from jianfu.admission import services as admission_services
from jianfu.admission.models import AdmissionState
from jianfu.core.errors import Conflict, Forbidden
from jianfu.core.models import AuditRecord
from jianfu.dispatch import services as dispatch_services
from jianfu.dispatch.models import DeliveryStatus, Reason
from jianfu.dispatch.tests.conftest import dispatch
from jianfu.evaluation import services
from jianfu.evaluation.models import Outcome
from jianfu.evaluation.tests.conftest import (
    AFTER,
    DURING,
    JIANDAOJIE,
    OPENS,
    ZHONGGULOU,
    ballots,
    campaign_create,
    target_of,
)
from jianfu.funds.models import FundingSuspension
from jianfu.funds.selectors import committed_fen, funding_of
from jianfu.funds.tripwire import funding_tripwire

TITLE = "市中区2026年度社区工作准入事项评议"
# The close runs at 19:00 Beijing time on 31 March: the revocation is dated that day.
REVOKED_ON = dt.date(2026, 3, 31)


def close(personas, campaign, time_machine):
    time_machine.move_to(AFTER, tick=False)
    return services.campaign_close(actor=personas.group_secretary, campaign=campaign)


def rejected(target):
    ballots(target, satisfied=10, fairly=4, no=16)  # 46.7 %


def approved(target):
    ballots(target, satisfied=12, fairly=6, no=12)  # 60 %


# Through the admission's state machine --------------------------------------------------------


@pytest.mark.django_db
def test_revocation_goes_through_admission_state_machine(
    personas, campaign, admissions, time_machine
):
    """A single-region admission rejected there is revoked, with reason and reference."""
    _care, check = admissions
    rejected(target_of(campaign, check, ZHONGGULOU))
    close(personas, campaign, time_machine)
    check.refresh_from_db()
    assert check.state == AdmissionState.REVOKED
    assert check.state_reference == TITLE
    assert check.state_reason == (
        f"{TITLE}：群众满意率 46.7%，不过半数（有效票 30 张），依照评议结果撤销。"
    )
    scope = check.scope.get()
    assert (scope.revoked_on, scope.revoked_reference) == (REVOKED_ON, TITLE)
    record = AuditRecord.objects.get(action="admission.revoked", object_id=str(check.pk))
    assert record.actor_username == "group_secretary"
    assert record.changes["ref"] == TITLE


@pytest.mark.django_db
def test_revocation_in_one_region_leaves_the_admission_in_force_elsewhere(
    personas, campaign, admissions, time_machine
):
    care, _check = admissions
    rejected(target_of(campaign, care, ZHONGGULOU))
    approved(target_of(campaign, care, JIANDAOJIE))
    close(personas, campaign, time_machine)
    care.refresh_from_db()
    assert care.state == AdmissionState.ACTIVE
    scope = {row.region_id: row for row in care.scope.all()}
    assert scope[ZHONGGULOU].revoked_on == REVOKED_ON
    assert scope[ZHONGGULOU].revoked_reference == TITLE
    assert "46.7%" in scope[ZHONGGULOU].revoked_reason
    assert scope[JIANDAOJIE].revoked_on is None and not scope[JIANDAOJIE].revoked_reason
    assert AuditRecord.objects.filter(action="admission.revoke_regions").count() == 1


@pytest.mark.django_db
def test_rejected_in_every_region_the_admission_is_revoked(
    personas, campaign, admissions, time_machine
):
    care, _check = admissions
    rejected(target_of(campaign, care, ZHONGGULOU))
    ballots(target_of(campaign, care, JIANDAOJIE), satisfied=15, no=15)  # exactly 50 %
    close(personas, campaign, time_machine)
    care.refresh_from_db()
    assert care.state == AdmissionState.REVOKED and care.state_reference == TITLE
    assert set(care.scope.values_list("revoked_on", flat=True)) == {REVOKED_ON}


@pytest.mark.django_db
def test_each_region_revoked_at_once_is_explained_with_its_own_rate(
    personas, campaign, admissions, time_machine
):
    """Rejected in two communities at different rates, the record gives both: a reason citing
    only one community's rate would misstate why the other lost the work."""
    care, _check = admissions
    rejected(target_of(campaign, care, ZHONGGULOU))  # 46.7 %
    ballots(target_of(campaign, care, JIANDAOJIE), satisfied=15, no=15)  # 50.0 %
    close(personas, campaign, time_machine)
    care.refresh_from_db()
    for reason in (care.state_reason, *care.scope.values_list("revoked_reason", flat=True)):
        assert "钟鼓楼社区" in reason and "46.7%" in reason
        assert "箭道街社区" in reason and "50.0%" in reason


@pytest.mark.django_db
def test_below_quorum_or_kept_nothing_changes(personas, campaign, admissions, time_machine):
    care, check = admissions
    ballots(target_of(campaign, check, ZHONGGULOU), no=29)
    approved(target_of(campaign, care, ZHONGGULOU))
    close(personas, campaign, time_machine)
    for admission in (care, check):
        admission.refresh_from_db()
        assert admission.state == AdmissionState.ACTIVE
        assert not admission.scope.filter(revoked_on__isnull=False).exists()
    assert not AuditRecord.objects.filter(action__startswith="admission.revoke").exists()


@pytest.mark.django_db
def test_an_admission_revoked_meanwhile_is_left_as_it_is(
    personas, campaign, admissions, time_machine
):
    """Revoked by the group office during the vote, the admission is not revoked twice; the
    target still records what the residents said."""
    _care, check = admissions
    rejected(target_of(campaign, check, ZHONGGULOU))
    admission_services.admission_change_state(
        actor=personas.group_secretary,
        admission=check,
        move="revoke",
        reason="部门申请撤回",
        reference="市中减负〔2026〕3号",
    )
    close(personas, campaign, time_machine)
    check.refresh_from_db()
    assert check.state_reason == "部门申请撤回"
    assert target_of(campaign, check, ZHONGGULOU).outcome == Outcome.REVOKED


# Tasks become refusable -----------------------------------------------------------------------


@pytest.mark.django_db
def test_revoked_region_tasks_become_refusable(
    personas, campaign, admissions, time_machine, django_capture_on_commit_callbacks
):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    task = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, JIANDAOJIE], admission_number=care.number
    )
    assert all(d.admitted for d in task.deliveries.all())
    rejected(target_of(campaign, care, ZHONGGULOU))
    approved(target_of(campaign, care, JIANDAOJIE))
    with django_capture_on_commit_callbacks(execute=True):
        close(personas, campaign, time_machine)
    there, elsewhere = (task.deliveries.get(region_id=code) for code in (ZHONGGULOU, JIANDAOJIE))
    assert not there.admitted and there.reasons == [Reason.ADMISSION_REVOKED]
    assert there.admitted_on_arrival, "what the department did on the day stays on record"
    assert elsewhere.admitted and elsewhere.reasons == []
    assert "refuse" in dispatch_services.actions_allowed(personas.community_officer, there)
    refused = dispatch_services.delivery_act(
        actor=personas.community_officer, delivery=there, action="refuse"
    )
    # Refusing work that lost its admission needs no review by the street.
    assert refused.status == DeliveryStatus.REFUSED and not refused.refused_while_admitted
    assert personas.community_officer.notifications.filter(message__contains=task.title).exists()


# Money stops ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_revocation_stops_commitments(personas, campaign, admissions, time_machine):
    care, _check = admissions
    before = {f.region_id: f.committed for f in funding_of(admission=care, year=2026)}
    assert before == {ZHONGGULOU: 1_000_000, JIANDAOJIE: 800_000}
    rejected(target_of(campaign, care, ZHONGGULOU))
    approved(target_of(campaign, care, JIANDAOJIE))
    close(personas, campaign, time_machine)
    care.refresh_from_db()
    after = {f.region_id: f.committed for f in funding_of(admission=care, year=2026)}
    # 钟鼓楼社区 is owed money for 1 January to 30 March (89 days), nothing after.
    assert after[ZHONGGULOU] == committed_fen(1_000_000, care, 2026, REVOKED_ON)
    assert after[ZHONGGULOU] == round(1_000_000 * 89 / 365)
    assert after[JIANDAOJIE] == 800_000


@pytest.mark.django_db
def test_the_funding_tripwire_no_longer_asks_money_for_the_revoked_region(
    personas, campaign, admissions, time_machine
):
    """No money has arrived anywhere, so the tripwire suspends the admission in both communities;
    once it is revoked in one, that one is asked for nothing (its suspension is lifted)."""
    care, _check = admissions
    rejected(target_of(campaign, care, ZHONGGULOU))
    approved(target_of(campaign, care, JIANDAOJIE))
    time_machine.move_to(DURING, tick=False)
    funding_tripwire(admissions=[care.pk])

    def suspended():
        return set(
            FundingSuspension.objects.filter(admission=care, resumed_at__isnull=True).values_list(
                "region_id", flat=True
            )
        )

    assert suspended() == {ZHONGGULOU, JIANDAOJIE}
    close(personas, campaign, time_machine)
    funding_tripwire(admissions=[care.pk])
    assert suspended() == {JIANDAOJIE}


# Confirm mode ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_confirm_mode_waits_for_the_secretary(personas, admissions, time_machine):
    _care, check = admissions
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    draft = campaign_create(personas.group_secretary, automatic_revocation=False)
    campaign = services.campaign_open(actor=personas.group_secretary, campaign=draft)
    target = target_of(campaign, check, ZHONGGULOU)
    rejected(target)
    close(personas, campaign, time_machine)
    target.refresh_from_db()
    assert target.outcome == Outcome.TO_REVOKE and target.decided_at is None
    check.refresh_from_db()
    assert check.state == AdmissionState.ACTIVE
    with pytest.raises(Conflict) as refused:
        services.campaign_publish(actor=personas.group_secretary, campaign=campaign)
    assert refused.value.code == "pending_revocations"
    for outsider in ("review_officer", "street_officer", "dept_head", "auditor"):
        with pytest.raises(Forbidden):
            services.target_revocation_confirm(actor=getattr(personas, outsider), target=target)
    services.target_revocation_confirm(actor=personas.group_secretary, target=target)
    target.refresh_from_db()
    assert target.outcome == Outcome.REVOKED and target.decided_by == personas.group_secretary
    check.refresh_from_db()
    assert check.state == AdmissionState.REVOKED and check.state_reference == TITLE
    with pytest.raises(Conflict):
        services.target_revocation_confirm(actor=personas.group_secretary, target=target)
    services.campaign_publish(actor=personas.group_secretary, campaign=campaign)


@pytest.mark.django_db
def test_only_failed_targets_can_be_confirmed(personas, admissions, time_machine):
    _care, check = admissions
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    draft = campaign_create(personas.group_secretary, automatic_revocation=False)
    campaign = services.campaign_open(actor=personas.group_secretary, campaign=draft)
    kept = target_of(campaign, check, ZHONGGULOU)
    approved(kept)
    close(personas, campaign, time_machine)
    with pytest.raises(Conflict):
        services.target_revocation_confirm(actor=personas.group_secretary, target=kept)
    check.refresh_from_db()
    assert check.state == AdmissionState.ACTIVE
