"""The demo evaluations: `jianfu demo` leaves last year's campaign published, one admission
revoked at a weighted 48.0 % and one kept at 50.5 %, and this year's campaign open, with the
`evaluator` persona enrolled and yet to vote."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from jianfu.admission.models import AdmissionState
from jianfu.core.models import Notification
from jianfu.evaluation import selectors, services
from jianfu.evaluation.assessment_selectors import assessment_results
from jianfu.evaluation.demo import (
    DISTRICT,
    HEALTH_RECORDS,
    JIANDAOJIE,
    WINTER_VISITS,
    ZHONGGULOU,
    evaluation_demo_load,
)
from jianfu.evaluation.models import (
    AgencyAssessment,
    AssessmentState,
    Ballot,
    Campaign,
    CampaignState,
    Channel,
    Evaluator,
    GroupKind,
    Outcome,
    PaperBatch,
    Target,
    TokenSheet,
)
from jianfu.evaluation.tally import tally_campaign
from jianfu.funds.models import FundingSuspension
from jianfu.funds.selectors import funding_of, ledger_problems
from jianfu.org.models import User

PASSWORD = "Demo-Pass-2026x"


@pytest.fixture
def demo(db, settings, tmp_path, django_capture_on_commit_callbacks):
    """The database after `jianfu demo`, with what each service leaves for the commit (the
    notifications) done; the logins file goes to a scratch folder."""
    settings.DATA_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", password=PASSWORD, stdout=io.StringIO())
    return {u.username: u for u in User.objects.select_related("unit__region")}


def target(campaign: Campaign, title: str, region: str) -> Target:
    return Target.objects.select_related("admission").get(
        campaign=campaign, title=title, region_id=region
    )


def campaign_of(year: int) -> Campaign:
    return Campaign.objects.get(district_id=DISTRICT, year=year)


@pytest.mark.django_db
def test_demo_last_years_campaign_revokes_at_48_percent_and_keeps_at_50_5_percent(demo):
    campaign = campaign_of(timezone.localdate().year - 1)
    assert campaign.state == CampaignState.PUBLISHED
    assert campaign.quorum == 30 and campaign.revoke_threshold_bp == 5000
    revoked = target(campaign, HEALTH_RECORDS, ZHONGGULOU)
    kept = target(campaign, HEALTH_RECORDS, JIANDAOJIE)
    # Exactly, in integers: 480 / 1000 and 505 / 1000 of the weighted ballots.
    assert (revoked.weighted_satisfied, revoked.weighted_valid) == (480, 1000)
    assert (kept.weighted_satisfied, kept.weighted_valid) == (505, 1000)
    assert revoked.outcome == Outcome.REVOKED and f"{revoked.rate_percent:.1f}" == "48.0"
    assert kept.outcome == Outcome.KEPT and f"{kept.rate_percent:.1f}" == "50.5"
    assert revoked.valid_ballots >= campaign.quorum and kept.valid_ballots >= campaign.quorum
    # By head count 钟鼓楼社区 was satisfied (16 of 30): the residents' weight decided it.
    assert revoked.satisfied_ballots * 2 > revoked.valid_ballots
    # A third target had too few ballots: flagged, not decided.
    below = target(campaign, WINTER_VISITS, ZHONGGULOU)
    assert below.outcome == Outcome.BELOW_QUORUM and below.valid_ballots < campaign.quorum
    # The stored results are what the ballots say.
    tallies = tally_campaign(campaign)
    for row in (revoked, kept, below):
        assert tallies[row.pk].weighted_satisfied == row.weighted_satisfied
        assert tallies[row.pk].weighted_valid == row.weighted_valid
    # Ballots came in the browser, with one-time codes and on paper (confirmed by the street).
    assert set(Ballot.objects.filter(campaign=campaign).values_list("channel", flat=True)) == {
        Channel.WEB,
        Channel.CODE,
        Channel.PAPER,
    }
    batch = PaperBatch.objects.get(campaign=campaign)
    assert (batch.state, batch.decided_by.username) == ("confirmed", "street_officer")
    assert "48.0%" in campaign.notice and "50.5%" in campaign.notice


@pytest.mark.django_db
def test_demo_revocation_is_in_the_register_and_stops_the_money(demo):
    campaign = campaign_of(timezone.localdate().year - 1)
    admission = target(campaign, HEALTH_RECORDS, ZHONGGULOU).admission
    admission.refresh_from_db()
    scope = {row.region_id: row for row in admission.scope.all()}
    assert scope[ZHONGGULOU].revoked_on == timezone.localdate()
    assert scope[ZHONGGULOU].revoked_reference == campaign.title
    assert "48.0%" in scope[ZHONGGULOU].revoked_reason
    # Kept in 箭道街社区, so the admission itself stays in force there.
    assert scope[JIANDAOJIE].revoked_on is None and admission.state == AdmissionState.ACTIVE
    # Each year's money arrived as committed; this year's for 钟鼓楼社区 only until the revocation.
    this_year = timezone.localdate().year
    for year in (this_year - 1, this_year):
        for funding in funding_of(admission=admission, year=year):
            assert funding.transferred == funding.committed, (year, funding)
    this_years = {f.region_id: f.committed for f in funding_of(admission=admission, year=this_year)}
    assert this_years[ZHONGGULOU] < scope[ZHONGGULOU].funding_fen
    assert not FundingSuspension.objects.filter(admission=admission).exists()
    assert ledger_problems() == []


@pytest.mark.django_db
def test_demo_evaluator_is_told_what_became_of_their_vote(demo):
    evaluator = demo["evaluator"]
    last_year = timezone.localdate().year - 1
    mine = {
        (b.target.title, b.target.outcome)
        for b in selectors.ballots_of(user=evaluator)
        if b.campaign.year == last_year
    }
    assert mine == {
        (HEALTH_RECORDS, Outcome.REVOKED),
        (WINTER_VISITS, Outcome.BELOW_QUORUM),
    }
    told = Notification.objects.get(recipient=evaluator, url=reverse("evaluation_my_ballots"))
    assert f"{last_year}年度" in told.message and "结果已通报" in told.message


@pytest.mark.django_db
def test_demo_this_years_campaign_is_open_and_the_evaluator_has_not_voted(demo):
    campaign = campaign_of(timezone.localdate().year)
    now = timezone.now()
    assert campaign.state == CampaignState.OPEN
    assert campaign.opens_at < now < campaign.closes_at
    assert dt.timedelta(days=14) < campaign.closes_at - now < dt.timedelta(days=28)
    enrolled = Evaluator.objects.get(campaign=campaign, user=demo["evaluator"])
    assert (enrolled.group.kind, enrolled.region_id) == (GroupKind.RESIDENTS, ZHONGGULOU)
    assert not enrolled.ballots.exists()
    assert TokenSheet.objects.filter(campaign=campaign, region_id=ZHONGGULOU).exists()
    assert Ballot.objects.filter(campaign=campaign, cast_at__lte=now).count() > 0
    # Revoked last year in 钟鼓楼社区, the health records are rated only in 箭道街社区 now.
    assert not Target.objects.filter(
        campaign=campaign, title=HEALTH_RECORDS, region_id=ZHONGGULOU
    ).exists()
    assert Target.objects.filter(campaign=campaign, title=HEALTH_RECORDS, region_id=JIANDAOJIE)
    # The persona can vote in the demo right away.
    targets = Target.objects.filter(campaign=campaign, region_id=ZHONGGULOU)
    cast = services.ballot_cast(
        actor=demo["evaluator"],
        campaign=campaign,
        entries=[{"target": t.pk, "overall": 2} for t in targets],
    )
    assert len(cast) == targets.count() > 0


@pytest.mark.django_db
def test_demo_loaded_again_adds_no_campaign_or_ballot(demo):
    counts = (Campaign.objects.count(), Ballot.objects.count(), Evaluator.objects.count())
    call_command("demo", password=PASSWORD, stdout=io.StringIO())
    evaluation_demo_load()
    assert counts == (Campaign.objects.count(), Ballot.objects.count(), Evaluator.objects.count())


@pytest.mark.django_db
def test_demo_loads_in_early_january_with_last_years_campaign_closed_before_this_years(
    db, settings, tmp_path, time_machine
):
    time_machine.move_to(dt.datetime(2027, 1, 3, 2, 0, tzinfo=dt.UTC))
    settings.DATA_DIR = tmp_path
    call_command("demo", password=PASSWORD, stdout=io.StringIO())
    last, this = campaign_of(2026), campaign_of(2027)
    assert last.state == CampaignState.PUBLISHED and this.state == CampaignState.OPEN
    assert last.closed_at < this.opens_at < timezone.now()
    assert target(last, HEALTH_RECORDS, ZHONGGULOU).outcome == Outcome.REVOKED
    assert target(last, HEALTH_RECORDS, JIANDAOJIE).outcome == Outcome.KEPT


def test_demo_last_years_agency_assessment_ranks_and_flags_the_low_scorer(demo):
    assessment = AgencyAssessment.objects.get(
        district_id=DISTRICT, year=timezone.localdate().year - 1
    )
    assert assessment.state == AssessmentState.CLOSED
    results = {r.row.agency.name: r for r in assessment_results(assessment=assessment, scope=Q())}
    assert results["城东司法所"].weighted == Decimal("85.20") and results["城东司法所"].rank == 1
    assert results["城西司法所"].weighted == Decimal("58.20") and results["城西司法所"].rank == 2
    assert results["城西司法所"].needs_adjustment and not results["城东司法所"].needs_adjustment
