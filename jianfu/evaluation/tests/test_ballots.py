"""One person, one ballot per target (requirement 2): registered evaluators vote with their
account, residents' representatives with a one-time code spent by one submission; ballots
arrive only inside the window, are refused with a reason outside it, and never change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.models import AuditRecord
from jianfu.evaluation import selectors, services
from jianfu.evaluation.models import Ballot, Channel, Evaluator, GroupKind
from jianfu.evaluation.tests.conftest import (
    AFTER,
    CLOSES,
    DURING,
    JIANDAOJIE,
    OPENS,
    ZHONGGULOU,
    campaign_create,
    target_of,
)
from jianfu.funds.tests.conftest import person
from jianfu.org.roles import Role


def entry(target, overall=2, **extra):
    return {"target": target.pk, "overall": overall, **extra}


@pytest.fixture
def voter(personas, campaign):
    """The persona `evaluator` (钟鼓楼社区), enrolled by the community as a residents' rep."""
    return services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )


def codes_for(personas, campaign, region=ZHONGGULOU, count=2):
    from jianfu.org.models import Region

    _sheet, codes = services.tokens_issue(
        actor=personas.community_officer if region == ZHONGGULOU else personas.street_officer,
        campaign=campaign,
        region=Region.objects.get(code=region),
        group_kind=GroupKind.RESIDENTS,
        count=count,
    )
    return codes


# Registered evaluators ------------------------------------------------------------------------


@pytest.mark.django_db
def test_registered_evaluator_can_rate_each_target_of_their_community(
    personas, campaign, admissions, voter, time_machine
):
    care, check = admissions
    time_machine.move_to(DURING, tick=False)
    mine = selectors.targets_to_rate(evaluator=voter)
    assert {t.admission_id for t, _ in mine} == {care.pk, check.pk}
    assert all(t.region_id == ZHONGGULOU and ballot is None for t, ballot in mine)
    cast = services.ballot_cast(
        actor=personas.evaluator,
        campaign=campaign,
        entries=[
            entry(target_of(campaign, care, ZHONGGULOU), 2, ratings={"1": 2, "3": 0}),
            entry(target_of(campaign, check, ZHONGGULOU), 0, comment="  入户核查太频繁。 "),
        ],
    )
    assert len(cast) == 2
    stored = {b.target.admission_id: b for b in Ballot.objects.filter(evaluator=voter)}
    assert stored[care.pk].channel == Channel.WEB and stored[care.pk].group_id == voter.group_id
    assert (stored[care.pk].rating_1, stored[care.pk].rating_2, stored[care.pk].rating_3) == (
        2,
        None,
        0,
    )
    assert stored[check.pk].overall == 0 and stored[check.pk].comment == "入户核查太频繁。"
    assert stored[care.pk].cast_at == DURING


@pytest.mark.django_db
def test_second_ballot_for_same_target_is_refused(
    personas, campaign, admissions, voter, time_machine
):
    care, _check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    time_machine.move_to(DURING, tick=False)
    services.ballot_cast(actor=personas.evaluator, campaign=campaign, entries=[entry(target, 2)])
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(
            actor=personas.evaluator, campaign=campaign, entries=[entry(target, 0)]
        )
    assert refused.value.code == "already_voted"
    assert list(Ballot.objects.filter(target=target).values_list("overall", flat=True)) == [2]


@pytest.mark.django_db
def test_the_database_refuses_a_second_ballot_for_the_same_target(
    personas, campaign, admissions, voter, time_machine
):
    """The service checks nothing the constraint does not: a raw insert fails too."""
    care, _check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    time_machine.move_to(DURING, tick=False)
    services.ballot_cast(actor=personas.evaluator, campaign=campaign, entries=[entry(target)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(
            campaign=campaign,
            target=target,
            evaluator=voter,
            group=voter.group,
            channel=Channel.PAPER,
            overall=0,
            cast_at=timezone.now(),
        )
    assert Ballot.objects.filter(target=target).count() == 1


@pytest.mark.django_db
def test_a_ballot_naming_one_target_twice_is_refused_whole(
    personas, campaign, admissions, voter, time_machine
):
    care, check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    time_machine.move_to(DURING, tick=False)
    with pytest.raises(InvalidInput) as refused:
        services.ballot_cast(
            actor=personas.evaluator,
            campaign=campaign,
            entries=[
                entry(target_of(campaign, check, ZHONGGULOU)),
                entry(target, 2),
                entry(target, 0),
            ],
        )
    assert [e["index"] for e in refused.value.details["entries"]] == [2]
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_every_bad_entry_is_reported_and_nothing_is_written(
    personas, campaign, admissions, voter, time_machine
):
    care, check = admissions
    elsewhere = target_of(campaign, care, JIANDAOJIE)
    time_machine.move_to(DURING, tick=False)
    with pytest.raises(InvalidInput) as refused:
        services.ballot_cast(
            actor=personas.evaluator,
            campaign=campaign,
            entries=[
                entry(target_of(campaign, care, ZHONGGULOU), 3),  # no such verdict
                entry(target_of(campaign, check, ZHONGGULOU), 1, ratings={"9": 1}),  # no column 9
                entry(elsewhere),  # 箭道街社区's target
                {"target": target_of(campaign, check, ZHONGGULOU).pk, "overall": True},
            ],
        )
    assert [e["index"] for e in refused.value.details["entries"]] == [0, 1, 2, 3]
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_an_overlong_comment_is_refused(personas, campaign, admissions, voter, time_machine):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    with pytest.raises(InvalidInput):
        services.ballot_cast(
            actor=personas.evaluator,
            campaign=campaign,
            entries=[entry(target_of(campaign, care, ZHONGGULOU), comment="意" * 501)],
        )
    assert not Ballot.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["community_officer", "group_secretary", "evaluator", None])
def test_someone_not_enrolled_cannot_vote(personas, campaign, admissions, time_machine, who):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    with pytest.raises(Forbidden):
        services.ballot_cast(
            actor=getattr(personas, who) if who else None,
            campaign=campaign,
            entries=[entry(target_of(campaign, care, ZHONGGULOU))],
        )
    assert not Ballot.objects.exists()


# One-time codes -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_time_code_is_used_once(personas, campaign, admissions, time_machine):
    care, check = admissions
    first, _second = codes_for(personas, campaign)
    time_machine.move_to(DURING, tick=False)
    # Typed as printed, in lower case, or without the dashes: the same code.
    services.ballot_cast(
        actor=None,
        campaign=campaign,
        code=first.lower(),
        entries=[entry(target_of(campaign, care, ZHONGGULOU))],
    )
    holder = Evaluator.objects.get(code_hash=services.code_hash(first))
    assert holder.code_used_at == DURING
    # The code was spent by that submission, even for the target it did not rate.
    for typed in (first, first.replace("-", "")):
        with pytest.raises(Conflict) as refused:
            services.ballot_cast(
                actor=None,
                campaign=campaign,
                code=typed,
                entries=[entry(target_of(campaign, check, ZHONGGULOU))],
            )
        assert refused.value.code == "code_used"
    assert Ballot.objects.filter(evaluator=holder).count() == 1
    assert Ballot.objects.get(evaluator=holder).channel == Channel.CODE


@pytest.mark.django_db
def test_codes_are_stored_only_as_hashes(personas, campaign, admissions, time_machine):
    codes = codes_for(personas, campaign, count=3)
    stored = set(Evaluator.objects.filter(user__isnull=True).values_list("code_hash", flat=True))
    assert stored == {services.code_hash(code) for code in codes}
    assert not any(services.normalise_code(code) in hashed for code in codes for hashed in stored)
    time_machine.move_to(DURING, tick=False)
    care, _check = admissions
    services.ballot_cast(
        actor=None,
        campaign=campaign,
        code=codes[0],
        entries=[entry(target_of(campaign, care, ZHONGGULOU))],
    )
    # The audit trail names the sheet's serial number, never the code.
    record = AuditRecord.objects.filter(action="evaluation.ballot_cast").get()
    assert record.actor_username.startswith(f"code:{ZHONGGULOU}-")
    assert services.normalise_code(codes[0]) not in str(record.changes)


@pytest.mark.django_db
def test_a_mistyped_code_is_refused(personas, campaign, admissions, time_machine):
    care, _check = admissions
    codes_for(personas, campaign)
    time_machine.move_to(DURING, tick=False)
    with pytest.raises(InvalidInput) as refused:
        services.ballot_cast(
            actor=None,
            campaign=campaign,
            code="AAAA-BBBB-CCCC",
            entries=[entry(target_of(campaign, care, ZHONGGULOU))],
        )
    assert refused.value.code == "bad_code"


@pytest.mark.django_db
def test_code_holder_can_rate_only_own_community_targets(
    personas, campaign, admissions, time_machine
):
    care, _check = admissions
    code, _other = codes_for(personas, campaign)  # printed for 钟鼓楼社区
    time_machine.move_to(DURING, tick=False)
    with pytest.raises(InvalidInput):
        services.ballot_cast(
            actor=None,
            campaign=campaign,
            code=code,
            entries=[entry(target_of(campaign, care, JIANDAOJIE))],
        )
    # A refused ballot does not spend the code: its holder can still rate their own targets.
    assert Evaluator.objects.get(code_hash=services.code_hash(code)).code_used_at is None
    services.ballot_cast(
        actor=None,
        campaign=campaign,
        code=code,
        entries=[entry(target_of(campaign, care, ZHONGGULOU))],
    )
    assert Ballot.objects.get().target.region_id == ZHONGGULOU


@pytest.mark.django_db
def test_a_code_of_another_campaign_is_not_valid_here(personas, campaign, admissions, time_machine):
    """Codes are unique across campaigns, and a campaign only knows its own."""
    _care, _check = admissions
    code, _other = codes_for(personas, campaign)
    assert selectors.evaluator_by_code(campaign=campaign, code=code) is not None
    other = campaign_create(personas.group_secretary, year=2027, title="市中区2027年度评议")
    assert selectors.evaluator_by_code(campaign=other, code=code) is None


# The window -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ballot_before_open_refused(personas, campaign, admissions, voter, time_machine):
    care, _check = admissions
    code, _other = codes_for(personas, campaign)
    time_machine.move_to(OPENS - dt.timedelta(minutes=1), tick=False)
    for kwargs in ({"actor": personas.evaluator}, {"actor": None, "code": code}):
        with pytest.raises(Conflict) as refused:
            services.ballot_cast(
                campaign=campaign, entries=[entry(target_of(campaign, care, ZHONGGULOU))], **kwargs
            )
        assert refused.value.code == "voting_not_started"
        assert "2026-03-01 16:00" in str(refused.value.message)  # 08:00 UTC, in Beijing time
    assert not Ballot.objects.exists()
    assert Evaluator.objects.get(code_hash=services.code_hash(code)).code_used_at is None


@pytest.mark.django_db
def test_ballot_in_a_campaign_not_yet_opened_is_refused(personas, admissions, time_machine):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    draft = campaign_create(personas.group_secretary)
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=draft,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(
            actor=personas.evaluator,
            campaign=draft,
            entries=[entry(target_of(draft, care, ZHONGGULOU))],
        )
    # Not yet started, not "closed": the campaign is still being prepared.
    assert refused.value.code == "voting_not_started"


@pytest.mark.django_db
def test_ballot_after_close_is_refused_with_reason(
    personas, campaign, admissions, voter, time_machine
):
    care, _check = admissions
    code, _other = codes_for(personas, campaign)
    target = target_of(campaign, care, ZHONGGULOU)
    # The window has ended though nobody has closed the campaign yet …
    time_machine.move_to(CLOSES, tick=False)
    for kwargs in ({"actor": personas.evaluator}, {"actor": None, "code": code}):
        with pytest.raises(Conflict) as refused:
            services.ballot_cast(campaign=campaign, entries=[entry(target)], **kwargs)
        assert refused.value.code == "voting_closed"
        assert str(refused.value.message) == "投票已截止，选票无效。"
    # … and once it is closed.
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(actor=personas.evaluator, campaign=campaign, entries=[entry(target)])
    assert refused.value.code == "voting_closed"
    assert not Ballot.objects.exists()
    assert Evaluator.objects.get(code_hash=services.code_hash(code)).code_used_at is None


@pytest.mark.django_db
def test_the_last_second_of_the_window_still_counts(
    personas, campaign, admissions, voter, time_machine
):
    care, _check = admissions
    time_machine.move_to(CLOSES - dt.timedelta(seconds=1), tick=False)
    services.ballot_cast(
        actor=personas.evaluator,
        campaign=campaign,
        entries=[entry(target_of(campaign, care, ZHONGGULOU))],
    )
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    assert target_of(campaign, care, ZHONGGULOU).valid_ballots == 1


# Immutability ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ballots_cannot_be_updated_or_deleted(personas, campaign, admissions, voter, time_machine):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    [ballot] = services.ballot_cast(
        actor=personas.evaluator,
        campaign=campaign,
        entries=[entry(target_of(campaign, care, ZHONGGULOU), 0)],
    )
    for statement in (
        "UPDATE evaluation_ballot SET overall = 2 WHERE id = %s",
        "DELETE FROM evaluation_ballot WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [ballot.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        Ballot.objects.filter(pk=ballot.pk).update(overall=2)
    with pytest.raises(DatabaseError), transaction.atomic():
        Ballot.objects.filter(pk=ballot.pk).delete()
    assert Ballot.objects.get(pk=ballot.pk).overall == 0


# Who sees which ballot ------------------------------------------------------------------------


@pytest.mark.django_db
def test_evaluator_sees_only_own_ballots(personas, campaign, admissions, voter, time_machine):
    care, check = admissions
    neighbour = person("neighbour_rep", personas.evaluator.unit, Role.EVALUATOR)
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=neighbour,
        group_kind=GroupKind.PARTY_MEMBERS,
    )
    time_machine.move_to(DURING, tick=False)
    services.ballot_cast(
        actor=personas.evaluator,
        campaign=campaign,
        entries=[entry(target_of(campaign, care, ZHONGGULOU), 2)],
    )
    services.ballot_cast(
        actor=neighbour,
        campaign=campaign,
        entries=[
            entry(target_of(campaign, care, ZHONGGULOU), 0),
            entry(target_of(campaign, check, ZHONGGULOU), 0),
        ],
    )
    mine = list(selectors.ballots_of(user=personas.evaluator))
    assert [(b.evaluator_id, b.overall) for b in mine] == [(voter.pk, 2)]
    assert selectors.ballots_of(user=neighbour).count() == 2
    # Officers and the group office read counts, not ballots.
    for other in (personas.community_officer, personas.group_secretary, personas.auditor):
        assert not selectors.ballots_of(user=other).exists()
    rated = dict(selectors.targets_to_rate(evaluator=voter))
    assert [b.overall for b in rated.values() if b] == [2]


@pytest.mark.django_db
def test_own_ballots_are_read_in_one_query(
    personas, campaign, admissions, voter, time_machine, django_assert_max_num_queries
):
    care, check = admissions
    time_machine.move_to(DURING, tick=False)
    services.ballot_cast(
        actor=personas.evaluator,
        campaign=campaign,
        entries=[
            entry(target_of(campaign, care, ZHONGGULOU)),
            entry(target_of(campaign, check, ZHONGGULOU)),
        ],
    )
    with django_assert_max_num_queries(1):
        rows = [
            (b.campaign.title, b.target.department.name, b.target.region.name, b.target.outcome)
            for b in selectors.ballots_of(user=personas.evaluator)
        ]
    assert len(rows) == 2
