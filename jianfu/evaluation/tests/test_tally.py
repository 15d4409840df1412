"""The tally's rules (requirement 1): the weighted satisfaction rate over the groups with ballots,
不过半数 as "50 % or less" compared exactly, the quorum that turns a verdict into a mere flag,
and the 95 % Wilson interval shown beside each rate."""

from __future__ import annotations

import datetime as dt

import pytest

from jianfu.admission.models import AdmissionState
from jianfu.evaluation import services
from jianfu.evaluation.models import GroupKind, Outcome, Target
from jianfu.evaluation.tally import TargetTally, tally_campaign, wilson_interval
from jianfu.evaluation.tests.conftest import (
    AFTER,
    OPENS,
    ZHONGGULOU,
    ballots,
    campaign_create,
    target_of,
)
from jianfu.org.models import Region

RESIDENTS, PARTY, UNITS = GroupKind.RESIDENTS, GroupKind.PARTY_MEMBERS, GroupKind.RESIDENT_UNITS


def close(personas, campaign, time_machine):
    time_machine.move_to(AFTER, tick=False)
    return services.campaign_close(actor=personas.group_secretary, campaign=campaign)


def opened(personas, time_machine, **values):
    """The 2026 campaign, made with `values` (groups, quorum, threshold …) and opened."""
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    made = campaign_create(personas.group_secretary, **values)
    return services.campaign_open(actor=personas.group_secretary, campaign=made)


def decided(target: Target) -> Target:
    target.refresh_from_db()
    return target


# The boundary: 不过半数 ------------------------------------------------------------------------


@pytest.mark.django_db
def test_exactly_fifty_percent_revokes(personas, campaign, admissions, time_machine):
    _care, check = admissions
    target = target_of(campaign, check, ZHONGGULOU)
    ballots(target, satisfied=10, fairly=5, no=15)
    close(personas, campaign, time_machine)
    target = decided(target)
    assert (target.valid_ballots, target.satisfied_ballots) == (30, 15)
    assert target.rate == 0.5
    assert target.outcome == Outcome.REVOKED
    check.refresh_from_db()
    assert check.state == AdmissionState.REVOKED


@pytest.mark.django_db
def test_fifty_point_one_percent_keeps(personas, campaign, admissions, time_machine):
    _care, check = admissions
    target = target_of(campaign, check, ZHONGGULOU)
    ballots(target, satisfied=301, fairly=200, no=499)
    close(personas, campaign, time_machine)
    target = decided(target)
    assert target.valid_ballots == 1000 and target.rate == pytest.approx(0.501)
    assert target.outcome == Outcome.KEPT
    check.refresh_from_db()
    assert check.state == AdmissionState.ACTIVE


@pytest.mark.django_db
def test_basically_satisfied_counts_as_satisfied(personas, campaign, admissions, time_machine):
    """满意 and 基本满意 both count for the work; only 不满意 counts against it."""
    _care, check = admissions
    target = target_of(campaign, check, ZHONGGULOU)
    ballots(target, fairly=16, no=14)
    close(personas, campaign, time_machine)
    target = decided(target)
    assert target.satisfied_ballots == 16 and target.outcome == Outcome.KEPT


@pytest.mark.django_db
def test_below_quorum_nothing_is_revoked_only_flagged(personas, campaign, admissions, time_machine):
    care, check = admissions
    target = target_of(campaign, check, ZHONGGULOU)
    ballots(target, no=29)  # one short of the default quorum of 30, every one 不满意
    untouched = target_of(campaign, care, ZHONGGULOU)  # no ballots at all
    close(personas, campaign, time_machine)
    target, untouched = decided(target), decided(untouched)
    assert target.valid_ballots == 29 and target.rate == 0.0
    assert target.outcome == Outcome.BELOW_QUORUM and target.decided_at is None
    assert untouched.outcome == Outcome.BELOW_QUORUM and untouched.rate is None
    check.refresh_from_db()
    assert check.state == AdmissionState.ACTIVE
    assert not check.scope.filter(revoked_on__isnull=False).exists()


@pytest.mark.django_db
def test_threshold_and_quorum_are_the_districts(personas, admissions, time_machine):
    """A district that revokes at 60 % or less with a quorum of 10 gets that in its campaigns."""
    _care, check = admissions
    services.evaluation_settings_update(
        actor=personas.group_secretary,
        district=Region.objects.get(code="511002000000"),
        revoke_threshold_bp=6000,
        quorum=10,
        automatic_revocation=True,
        adjustment_below=60,
    )
    campaign = opened(personas, time_machine)
    assert (campaign.revoke_threshold_bp, campaign.quorum) == (6000, 10)
    low = target_of(campaign, check, ZHONGGULOU)
    ballots(low, satisfied=6, no=4)  # 60 %, ten ballots: a quorum, and not above 60 %
    close(personas, campaign, time_machine)
    assert decided(low).outcome == Outcome.REVOKED


@pytest.mark.django_db
def test_the_threshold_is_compared_exactly_not_in_floating_point(
    personas, admissions, time_machine
):
    """17 of 25 is 68 %; 17 / 25 × 10000 in floating point is 6800.000000000001, which a float
    comparison would keep. The tally compares 17 × 10000 ≤ 6800 × 25 in integers."""
    _care, check = admissions
    assert 17 / 25 * 10000 > 6800  # the trap the integer comparison avoids
    campaign = opened(personas, time_machine, revoke_threshold_bp=6800, quorum=25)
    target = target_of(campaign, check, ZHONGGULOU)
    ballots(target, satisfied=17, no=8)
    close(personas, campaign, time_machine)
    assert decided(target).outcome == Outcome.REVOKED


@pytest.mark.parametrize(
    ("satisfied", "valid", "threshold_bp", "revokes"),
    [
        (1, 3, 3333, False),  # 33.333… % is above 33.33 %
        (1, 3, 3334, True),
        (17, 25, 6800, True),  # exactly 68 %
        (14, 25, 5600, True),  # exactly 56 %
        (11, 20, 5500, True),  # exactly 55 %
        (11, 20, 5499, False),
        (5001, 10000, 5000, False),
        (5000, 10000, 5000, True),
        (0, 1, 0, True),
        (1, 1, 10000, True),
    ],
)
def test_revocation_compares_integers(satisfied, valid, threshold_bp, revokes):
    tally = TargetTally(groups={1: [valid, satisfied, satisfied, 0, valid - satisfied]})
    tally.weights = {1: 7}
    assert tally.revokes(threshold_bp) is revokes


# Weights --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("weights", "outcome"),
    [
        # Residents weigh most (the default shape): (40×16 + 20×2) / (40×20 + 20×20) = 56.7 %.
        ({RESIDENTS: 40, PARTY: 20}, Outcome.KEPT),
        # Equal weights: the plain share, 18 / 40 = 45 %.
        ({RESIDENTS: 1, PARTY: 1}, Outcome.REVOKED),
        # Party members weigh most: (10×16 + 40×2) / (10×20 + 40×20) = 24 %.
        ({RESIDENTS: 10, PARTY: 40}, Outcome.REVOKED),
    ],
)
def test_weights_change_the_outcome(personas, admissions, time_machine, weights, outcome):
    _care, check = admissions
    campaign = opened(personas, time_machine, groups=list(weights.items()))
    target = target_of(campaign, check, ZHONGGULOU)
    ballots(target, RESIDENTS, satisfied=16, no=4)
    ballots(target, PARTY, satisfied=2, no=18)
    close(personas, campaign, time_machine)
    target = decided(target)
    assert (target.valid_ballots, target.satisfied_ballots) == (40, 18)
    assert target.outcome == outcome


@pytest.mark.django_db
def test_weights_can_put_a_minority_of_ballots_exactly_on_the_line(
    personas, admissions, time_machine
):
    """10 of 30 ballots satisfied (33 %) is exactly 50 % once residents weigh twice as much."""
    _care, check = admissions
    campaign = opened(personas, time_machine, groups=[(RESIDENTS, 40), (PARTY, 20)])
    target = target_of(campaign, check, ZHONGGULOU)
    ballots(target, RESIDENTS, satisfied=10)
    ballots(target, PARTY, no=20)
    close(personas, campaign, time_machine)
    target = decided(target)
    assert (target.weighted_satisfied, target.weighted_valid) == (400, 800)
    assert target.rate == 0.5 and target.outcome == Outcome.REVOKED


@pytest.mark.django_db
def test_rate_is_weighted_share_over_groups_with_ballots(personas, admissions, time_machine):
    """Σ w × satisfied / Σ w × valid over the groups that voted: a group that cast no ballot
    adds nothing to either sum (it does not count as 0 % satisfied)."""
    _care, check = admissions
    campaign = opened(
        personas, time_machine, groups=[(RESIDENTS, 40), (PARTY, 20), (UNITS, 15)], quorum=1
    )
    target = target_of(campaign, check, ZHONGGULOU)
    ballots(target, RESIDENTS, satisfied=3, fairly=2, no=5)
    ballots(target, PARTY, satisfied=1, no=1)
    close(personas, campaign, time_machine)
    target = decided(target)
    groups = {g.kind: g.pk for g in campaign.groups.all()}
    assert target.weighted_satisfied == 40 * 5 + 20 * 1
    assert target.weighted_valid == 40 * 10 + 20 * 2
    assert target.rate == pytest.approx(220 / 440)
    assert target.outcome == Outcome.REVOKED  # exactly 50 %
    # Per group: [valid, 满意 + 基本满意, 满意, 基本满意, 不满意]; the silent group is absent.
    assert target.group_counts == {
        str(groups[RESIDENTS]): [10, 5, 3, 2, 5],
        str(groups[PARTY]): [2, 1, 1, 0, 1],
    }


@pytest.mark.django_db
def test_dimensions_are_tallied_with_the_same_weights(personas, admissions, time_machine):
    _care, check = admissions
    campaign = opened(personas, time_machine, groups=[(RESIDENTS, 40), (PARTY, 20)], quorum=1)
    target = target_of(campaign, check, ZHONGGULOU)
    # The builder rates dimension 1 as it rates overall and leaves the others blank.
    ballots(target, RESIDENTS, satisfied=2, no=1)
    ballots(target, PARTY, fairly=1)
    tally = tally_campaign(campaign)[target.pk]
    assert tally.dimensions[1] == [40 * 2 + 20 * 1, 40 * 3 + 20 * 1]
    assert tally.dimensions[2] == [0, 0]


@pytest.mark.django_db
def test_the_tally_counts_in_one_query(
    personas, campaign, admissions, django_assert_max_num_queries
):
    _care, _check = admissions
    for target in campaign.targets.all():
        ballots(target, satisfied=3, no=2)
        ballots(target, PARTY, fairly=1)
    # The groups' weights, the dimensions, and the ballots counted per target and group.
    with django_assert_max_num_queries(3):
        tallies = tally_campaign(campaign)
    assert len(tallies) == 3 and all(t.valid == 6 for t in tallies.values())


# The Wilson interval ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("satisfied", "ballots_cast", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857–872, table I, method 3 (score interval).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (15, 30, 0.3315, 0.6685),
    ],
)
def test_wilson_interval_matches_published_values(satisfied, ballots_cast, low, high):
    found = wilson_interval(satisfied / ballots_cast, ballots_cast)
    assert found == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_interval_of_unanimous_ballots_reaches_one():
    assert wilson_interval(1.0, 29)[1] == pytest.approx(1.0)
    assert wilson_interval(0.0, 29)[0] == 0.0


def test_wilson_interval_with_no_ballots_says_nothing():
    assert wilson_interval(0.5, 0) == (0.0, 1.0)


def test_unequal_weights_widen_the_interval_by_the_effective_number_of_ballots():
    """Kish's effective number, (Σ w)² / Σ w², is the number of ballots under equal weights and
    fewer under unequal ones, so the interval is wider."""
    equal = TargetTally(groups={1: [10, 5, 5, 0, 5], 2: [10, 5, 5, 0, 5]}, weights={1: 1, 2: 1})
    unequal = TargetTally(groups={1: [10, 5, 5, 0, 5], 2: [10, 5, 5, 0, 5]}, weights={1: 4, 2: 1})
    assert equal.effective_ballots == 20
    assert unequal.effective_ballots == pytest.approx(
        (4 * 10 + 1 * 10) ** 2 / (4**2 * 10 + 1**2 * 10)
    )
    assert equal.rate == unequal.rate == 0.5
    narrow, wide = (wilson_interval(0.5, t.effective_ballots) for t in (equal, unequal))
    assert wide[0] < narrow[0] and wide[1] > narrow[1]


@pytest.mark.django_db
def test_the_interval_is_stored_with_the_rate(personas, campaign, admissions, time_machine):
    _care, check = admissions
    target = target_of(campaign, check, ZHONGGULOU)
    ballots(target, satisfied=15, no=15)
    close(personas, campaign, time_machine)
    target = decided(target)
    assert (target.rate_low, target.rate_high) == (
        pytest.approx(0.3315, abs=5e-5),
        pytest.approx(0.6685, abs=5e-5),
    )
