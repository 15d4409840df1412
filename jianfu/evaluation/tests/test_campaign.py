"""Running a campaign: the district's leadership-group office creates, opens, closes and publishes
it; its targets are the departments' admitted work in force; streets and communities enrol
their own evaluators; the worker closes a campaign whose window has ended; the published results
reach everyone concerned, every evaluator who voted included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jianfu.admission.models import Admission, AdmissionState
from jianfu.catalog.models import ListKind
from jianfu.core.daily import poll_jobs_run
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.models import AuditRecord, Notification
from jianfu.evaluation import selectors, services
from jianfu.evaluation.models import (
    Campaign,
    CampaignState,
    Evaluator,
    GroupKind,
    Outcome,
    Target,
)
from jianfu.evaluation.tests.conftest import (
    AFTER,
    CLOSES,
    DISTRICT,
    DURING,
    JIANDAOJIE,
    OPENS,
    ZHONGGULOU,
    ballots,
    campaign_create,
    target_of,
)
from jianfu.funds.tests.conftest import admission_row, person
from jianfu.org.models import Region
from jianfu.org.roles import Role

XILIN = "511002002001"
CHENGDONG = "511002001000"
# Everyone who is not the district's leadership-group office.
NOT_THE_GROUP_OFFICE = [
    "review_officer",
    "auditor",
    "dept_clerk",
    "dept_head",
    "street_officer",
    "community_officer",
    "evaluator",
    "system_admin",
]


def region(code: str) -> Region:
    return Region.objects.select_related("parent").get(code=code)


def other_districts_secretary():
    return person("yunlong_secretary", "云龙区社区减负工作领导小组办公室", Role.GROUP_SECRETARY)


# Who runs a campaign --------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_group_office_creates_and_closes(personas, admissions, time_machine):
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    outsiders = [getattr(personas, name) for name in NOT_THE_GROUP_OFFICE]
    outsiders.append(other_districts_secretary())
    for outsider in outsiders:
        with pytest.raises(Forbidden):
            campaign_create(outsider)
    assert not Campaign.objects.exists()
    draft = campaign_create(personas.group_secretary)
    for outsider in outsiders:
        with pytest.raises(Forbidden):
            services.campaign_open(actor=outsider, campaign=draft)
        with pytest.raises(Forbidden):
            services.campaign_refresh_targets(actor=outsider, campaign=draft)
    campaign = services.campaign_open(actor=personas.group_secretary, campaign=draft)
    time_machine.move_to(AFTER, tick=False)
    for outsider in outsiders:
        with pytest.raises(Forbidden):
            services.campaign_close(actor=outsider, campaign=campaign)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    for outsider in outsiders:
        with pytest.raises(Forbidden):
            services.campaign_publish(actor=outsider, campaign=campaign)
    services.campaign_publish(actor=personas.group_secretary, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.PUBLISHED
    actions = list(
        AuditRecord.objects.filter(action__startswith="evaluation.campaign_")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "evaluation.campaign_create",
        "evaluation.campaign_open",
        "evaluation.campaign_close",
        "evaluation.campaign_publish",
    ]


@pytest.mark.django_db
def test_only_group_office_changes_the_districts_rules(personas):
    district = region(DISTRICT)
    rules = {
        "revoke_threshold_bp": 5000,
        "quorum": 20,
        "automatic_revocation": False,
        "adjustment_below": 60,
    }
    for name in NOT_THE_GROUP_OFFICE:
        with pytest.raises(Forbidden):
            services.evaluation_settings_update(
                actor=getattr(personas, name), district=district, **rules
            )
    with pytest.raises(InvalidInput):
        services.evaluation_settings_update(
            actor=personas.group_secretary, district=district, **{**rules, "quorum": 0}
        )
    with pytest.raises(InvalidInput):
        services.evaluation_settings_update(
            actor=personas.group_secretary,
            district=district,
            **{**rules, "revoke_threshold_bp": 10001},
        )
    found = services.evaluation_settings_update(
        actor=personas.group_secretary, district=district, **rules
    )
    assert (found.quorum, found.automatic_revocation) == (20, False)


# A campaign's targets -------------------------------------------------------------------------


@pytest.mark.django_db
def test_targets_are_the_admitted_work_in_force(personas, admissions, time_machine):
    care, check = admissions
    duty = admission_row(personas, scope={ZHONGGULOU: 0}, title="社区自身职责")
    Admission.objects.filter(pk=duty.pk).update(list_kind=ListKind.DUTY)
    revoked = admission_row(personas, scope={XILIN: 100_000}, title="已撤销事项")
    Admission.objects.filter(pk=revoked.pk).update(state=AdmissionState.REVOKED)
    expired = admission_row(personas, scope={XILIN: 100_000}, title="去年事项")
    Admission.objects.filter(pk=expired.pk).update(
        valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2025, 12, 31)
    )
    partly = admission_row(personas, scope={XILIN: 100_000, JIANDAOJIE: 100_000}, title="部分撤销")
    partly.scope.filter(region_id=XILIN).update(revoked_on=dt.date(2026, 2, 1))
    campaign = campaign_create(personas.group_secretary)
    assert set(campaign.targets.values_list("admission_id", "region_id")) == {
        (care.pk, ZHONGGULOU),
        (care.pk, JIANDAOJIE),
        (check.pk, ZHONGGULOU),
        (partly.pk, JIANDAOJIE),
    }
    target = target_of(campaign, care, ZHONGGULOU)
    assert (target.title, target.department_id) == (care.title, care.department_id)


@pytest.mark.django_db
def test_a_draft_picks_up_admissions_issued_since(personas, admissions, time_machine):
    campaign = campaign_create(personas.group_secretary)
    later = admission_row(personas, scope={XILIN: 100_000}, title="新准入事项")
    assert services.campaign_refresh_targets(actor=personas.group_secretary, campaign=campaign) == 1
    assert services.campaign_refresh_targets(actor=personas.group_secretary, campaign=campaign) == 0
    assert campaign.targets.filter(admission=later, region_id=XILIN).exists()


@pytest.mark.django_db
def test_a_campaign_without_targets_cannot_open(personas, time_machine):
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    draft = campaign_create(personas.group_secretary)
    with pytest.raises(Conflict) as refused:
        services.campaign_open(actor=personas.group_secretary, campaign=draft)
    assert refused.value.code == "no_targets"


# Creating and changing a campaign ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        {"district": "511002001000"},  # a street, not a district
        {"year": 1999},
        {"title": "  "},
        {"closes_at": OPENS},
        {"opens_at": dt.datetime(2026, 3, 1, 8, 0)},  # naive
        {"quorum": 0},
        {"revoke_threshold_bp": 10001},
        {"groups": [("residents", 40), ("residents", 20)]},
        {"groups": [("neighbours", 40)]},
        {"groups": [("residents", 0)]},
        {"groups": []},
        {"dimensions": []},
        {"dimensions": ["作用", "作用"]},
        {"dimensions": [f"维度{n}" for n in range(9)]},
    ],
)
def test_a_campaign_with_bad_values_is_refused(personas, admissions, values):
    if "district" in values:
        values["district"] = Region.objects.get(code=values["district"])
    with pytest.raises(InvalidInput):
        campaign_create(personas.group_secretary, **values)
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_one_campaign_per_district_and_year(personas, admissions):
    campaign_create(personas.group_secretary)
    with pytest.raises(Conflict) as refused:
        campaign_create(personas.group_secretary, title="又一次")
    assert refused.value.code == "exists"


@pytest.mark.django_db
def test_weights_and_window_change_only_in_draft(personas, admissions, time_machine):
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    draft = campaign_create(personas.group_secretary)
    values = {
        "title": "市中区2026年度评议（修订）",
        "opens_at": OPENS,
        "closes_at": CLOSES + dt.timedelta(days=1),
        "quorum": 20,
        "revoke_threshold_bp": 5000,
        "automatic_revocation": False,
        "weights": {GroupKind.RESIDENTS: 50},
    }
    with pytest.raises(Forbidden):
        services.campaign_update(actor=personas.review_officer, campaign=draft, **values)
    with pytest.raises(InvalidInput):
        services.campaign_update(
            actor=personas.group_secretary,
            campaign=draft,
            **{**values, "weights": {"neighbours": 10}},
        )
    services.campaign_update(actor=personas.group_secretary, campaign=draft, **values)
    assert draft.groups.get(kind=GroupKind.RESIDENTS).weight == 50
    campaign = services.campaign_open(actor=personas.group_secretary, campaign=draft)
    with pytest.raises(Conflict):
        services.campaign_update(actor=personas.group_secretary, campaign=campaign, **values)


# Enrolment ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_street_officer_cannot_enrol_other_street(personas, campaign, admissions):
    for outsider in ("street_officer2", "community_officer2", "dept_clerk", "review_officer"):
        with pytest.raises(Forbidden):
            services.evaluator_enrol(
                actor=getattr(personas, outsider),
                campaign=campaign,
                user=personas.evaluator,
                group_kind=GroupKind.RESIDENTS,
            )
    # Not into a community of another street either, even someone of their own.
    with pytest.raises(Forbidden):
        services.evaluator_enrol(
            actor=personas.street_officer,
            campaign=campaign,
            user=personas.evaluator,
            group_kind=GroupKind.RESIDENTS,
            region=region(XILIN),
        )
    with pytest.raises(Forbidden):
        services.tokens_issue(
            actor=personas.street_officer2,
            campaign=campaign,
            region=region(ZHONGGULOU),
            group_kind=GroupKind.RESIDENTS,
            count=5,
        )
    assert not Evaluator.objects.exists()
    # The street enrols in its communities, and so does the district's group office.
    enrolled = services.evaluator_enrol(
        actor=personas.street_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.PARTY_MEMBERS,
    )
    assert (enrolled.region_id, enrolled.group.kind) == (ZHONGGULOU, GroupKind.PARTY_MEMBERS)
    neighbour = person("neighbour_rep", personas.evaluator.unit, Role.EVALUATOR)
    services.evaluator_enrol(
        actor=personas.group_secretary,
        campaign=campaign,
        user=neighbour,
        group_kind=GroupKind.RESIDENTS,
    )


@pytest.mark.django_db
def test_only_evaluator_accounts_are_enrolled_and_only_once(personas, campaign, admissions):
    with pytest.raises(InvalidInput):
        services.evaluator_enrol(
            actor=personas.community_officer,
            campaign=campaign,
            user=personas.community_officer,
            group_kind=GroupKind.RESIDENTS,
        )
    with pytest.raises(InvalidInput):
        services.evaluator_enrol(
            actor=personas.group_secretary,
            campaign=campaign,
            user=personas.evaluator,
            group_kind=GroupKind.RESIDENTS,
            region=region(DISTRICT),  # evaluators belong to a street or community
        )
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )
    with pytest.raises(Conflict) as refused:
        services.evaluator_enrol(
            actor=personas.community_officer,
            campaign=campaign,
            user=personas.evaluator,
            group_kind=GroupKind.PARTY_MEMBERS,
        )
    assert refused.value.code == "already_enrolled"
    assert Evaluator.objects.count() == 1


@pytest.mark.django_db
def test_no_enrolment_after_the_close(personas, campaign, admissions, time_machine):
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    with pytest.raises(Conflict):
        services.evaluator_enrol(
            actor=personas.community_officer,
            campaign=campaign,
            user=personas.evaluator,
            group_kind=GroupKind.RESIDENTS,
        )
    with pytest.raises(Conflict):
        services.tokens_issue(
            actor=personas.community_officer,
            campaign=campaign,
            region=region(ZHONGGULOU),
            group_kind=GroupKind.RESIDENTS,
            count=5,
        )


@pytest.mark.django_db
@pytest.mark.parametrize("count", [0, 501])
def test_a_sheet_holds_one_to_five_hundred_codes(personas, campaign, admissions, count):
    with pytest.raises(InvalidInput):
        services.tokens_issue(
            actor=personas.community_officer,
            campaign=campaign,
            region=region(ZHONGGULOU),
            group_kind=GroupKind.RESIDENTS,
            count=count,
        )


@pytest.mark.django_db
def test_a_sheet_is_refused_where_nothing_is_evaluated(personas, campaign, admissions):
    with pytest.raises(InvalidInput):
        services.tokens_issue(
            actor=personas.community_officer2,
            campaign=campaign,
            region=region(XILIN),
            group_kind=GroupKind.RESIDENTS,
            count=5,
        )


@pytest.mark.django_db
def test_each_sees_only_the_evaluators_of_their_own_place(personas, campaign, admissions):
    services.tokens_issue(
        actor=personas.community_officer,
        campaign=campaign,
        region=region(ZHONGGULOU),
        group_kind=GroupKind.RESIDENTS,
        count=3,
    )
    services.tokens_issue(
        actor=personas.street_officer,
        campaign=campaign,
        region=region(JIANDAOJIE),
        group_kind=GroupKind.RESIDENTS,
        count=2,
    )

    def seen(user):
        return sorted(
            e.region_id for e in selectors.evaluators_visible_to(user=user, campaign=campaign)
        )

    assert seen(personas.community_officer) == [ZHONGGULOU] * 3
    assert seen(personas.street_officer) == [ZHONGGULOU] * 3 + [JIANDAOJIE] * 2
    assert seen(personas.group_secretary) == [ZHONGGULOU] * 3 + [JIANDAOJIE] * 2
    for outsider in ("community_officer2", "street_officer2", "dept_clerk", "evaluator"):
        assert seen(getattr(personas, outsider)) == []
    assert len(selectors.sheets_visible_to(user=personas.community_officer, campaign=campaign)) == 1
    assert not selectors.sheets_visible_to(user=personas.street_officer2, campaign=campaign)


# Closing ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_close_before_window_end_refused(personas, campaign, admissions, time_machine):
    time_machine.move_to(CLOSES - dt.timedelta(seconds=1), tick=False)
    with pytest.raises(Conflict) as refused:
        services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    assert refused.value.code == "window_open"
    assert "2026-03-31 18:00" in str(refused.value.message)  # 10:00 UTC, in Beijing time
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.OPEN
    assert set(campaign.targets.values_list("outcome", flat=True)) == {Outcome.PENDING}


@pytest.mark.django_db
def test_a_campaign_is_closed_once(personas, campaign, admissions, time_machine):
    time_machine.move_to(CLOSES, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    with pytest.raises(Conflict) as refused:
        services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    assert refused.value.code == "wrong_state"


@pytest.mark.django_db
def test_scheduled_close(personas, campaign, admissions, time_machine):
    _care, check = admissions
    ballots(target_of(campaign, check, ZHONGGULOU), satisfied=5, no=25)
    time_machine.move_to(CLOSES - dt.timedelta(minutes=1), tick=False)
    assert services.campaigns_close_due() == 0
    time_machine.move_to(CLOSES + dt.timedelta(minutes=1), tick=False)
    poll_jobs_run()  # the worker's poll, every minute
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED and campaign.closed_at == CLOSES + dt.timedelta(
        minutes=1
    )
    # Closed by the worker, the revocation is applied all the same.
    check.refresh_from_db()
    assert check.state == AdmissionState.REVOKED
    record = AuditRecord.objects.get(action="evaluation.campaign_close")
    assert record.actor_id is None and record.channel == "worker"
    # The next poll finds nothing to do.
    assert services.campaigns_close_due() == 0


@pytest.mark.django_db
def test_the_close_tells_the_group_office(
    personas, campaign, admissions, time_machine, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()
    time_machine.move_to(AFTER, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_close(actor=None, campaign=campaign)
    told = Notification.objects.get(recipient=personas.group_secretary)
    assert told.url == reverse("evaluation_results", args=[campaign.pk])


# Opening and publishing: who is told ----------------------------------------------------------


@pytest.mark.django_db
def test_opening_tells_the_officers_and_the_enrolled_evaluators(
    personas, admissions, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    draft = campaign_create(personas.group_secretary)
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=draft,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_open(actor=personas.group_secretary, campaign=draft)
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    # The street enrols evaluators and confirms paper ballots for its communities: it is told.
    assert {"community_officer", "street_officer", "evaluator"} <= told
    assert not told & {"community_officer2", "street_officer2"}


@pytest.mark.django_db
def test_publication_notifies_departments_officers_and_each_voter(
    personas, campaign, admissions, time_machine, django_capture_on_commit_callbacks
):
    care, _check = admissions
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )
    silent = person("silent_rep", personas.evaluator.unit, Role.EVALUATOR)
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=silent,
        group_kind=GroupKind.RESIDENTS,
    )
    time_machine.move_to(DURING, tick=False)
    services.ballot_cast(
        actor=personas.evaluator,
        campaign=campaign,
        entries=[{"target": target_of(campaign, care, ZHONGGULOU).pk, "overall": 2}],
    )
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_publish(actor=personas.group_secretary, campaign=campaign)
    with pytest.raises(Conflict):  # published once
        services.campaign_publish(actor=personas.group_secretary, campaign=campaign)
    notes = {n.recipient.username: n for n in Notification.objects.select_related("recipient")}
    results = reverse("evaluation_results", args=[campaign.pk])
    for name in ("dept_clerk", "dept_head", "community_officer", "street_officer"):
        assert notes[name].url == results, name
    # "What became of my vote": the voter is sent to their own ballots and the outcomes.
    assert notes["evaluator"].url == reverse("evaluation_my_ballots")
    assert campaign.title in notes["evaluator"].message
    # Not those with no part in it, nor an evaluator who did not vote.
    for name in ("community_officer2", "street_officer2", "silent_rep", "auditor"):
        assert name not in notes, name


@pytest.mark.django_db
def test_publication_only_after_the_tally(personas, campaign, admissions):
    with pytest.raises(Conflict):
        services.campaign_publish(actor=personas.group_secretary, campaign=campaign)


# Who reads a campaign and its results -----------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_is_read_only_by_the_district_office(personas, admissions):
    draft = campaign_create(personas.group_secretary)
    assert selectors.campaign_visible_to(user=personas.group_secretary, pk=draft.pk) == draft
    assert selectors.campaign_visible_to(user=personas.auditor, pk=draft.pk) == draft
    for name in ("street_officer", "community_officer", "dept_clerk", "evaluator"):
        assert selectors.campaign_visible_to(user=getattr(personas, name), pk=draft.pk) is None
    assert selectors.campaign_visible_to(user=other_districts_secretary(), pk=draft.pk) is None


@pytest.mark.django_db
def test_results_are_read_by_the_district_office_until_published(
    personas, campaign, admissions, time_machine
):
    assert not selectors.results_visible(user=personas.group_secretary, campaign=campaign)
    time_machine.move_to(AFTER, tick=False)
    campaign = services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    for name in ("group_secretary", "review_officer", "auditor"):
        assert selectors.results_visible(user=getattr(personas, name), campaign=campaign)
    for name in ("street_officer", "community_officer", "dept_clerk", "evaluator"):
        assert not selectors.results_visible(user=getattr(personas, name), campaign=campaign)
    assert not selectors.results_visible(user=other_districts_secretary(), campaign=campaign)
    campaign = services.campaign_publish(actor=personas.group_secretary, campaign=campaign)
    assert selectors.results_visible(user=personas.community_officer, campaign=campaign)


@pytest.mark.django_db
def test_campaigns_of_another_district_are_invisible(personas, campaign, admissions):
    assert list(selectors.campaigns_visible_to(user=personas.street_officer2)) == [campaign]
    assert not selectors.campaigns_visible_to(user=other_districts_secretary()).exists()


@pytest.mark.django_db
def test_results_are_read_in_a_fixed_number_of_queries(
    personas, campaign, admissions, time_machine, django_assert_max_num_queries
):
    for target in Target.objects.filter(campaign=campaign):
        ballots(target, satisfied=20, no=10)
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    with django_assert_max_num_queries(1):
        rows = [
            (t.department.name, t.region.name, t.region.parent.name, t.admission.number, t.rate)
            for t in selectors.campaign_results(campaign=campaign)
        ]
    assert len(rows) == 3
