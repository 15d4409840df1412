"""The evaluation step of the data generator: campaigns, evaluators and ballots as the app
records them, and results that the app's own tally reproduces."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from jianfu.admission.models import Admission, AdmissionScope
from jianfu.evaluation.models import (
    Ballot,
    Campaign,
    CampaignState,
    Evaluator,
    Outcome,
    Target,
    TokenSheet,
)
from jianfu.evaluation.services import CODE_ALPHABET, CODE_LENGTH, code_hash, scope_in_force
from jianfu.evaluation.tally import TargetTally, tally_campaign
from jianfu.gendata import evaluation
from jianfu.gendata.context import AdmissionRow, Context, RegionRow, Scale, UnitRow
from jianfu.org.models import Region, Unit

pytestmark = pytest.mark.django_db(transaction=False)

TODAY = dt.date(2026, 6, 15)
DISTRICT = "519001000000"


def tiny(
    ballots: int = 6_000, postings: int = 800, streets: int = 2, departments: int = 4
) -> Scale:
    return Scale(
        "tiny",
        districts=1,
        streets=streets,
        communities=3 * streets,
        departments=departments,
        list_items=0,
        admissions=2 * departments,
        deliveries=0,
        ballots=ballots,
        postings=postings,
    )


def small_world(scale: Scale, seed: int = 7) -> Context:
    """A district of `scale.streets` streets of three communities, four departments and two
    admissions per street, written with the ORM and recorded in a context as the earlier steps
    record theirs. The admissions' terms differ: two years back to now, last year to now, and
    this year only, so each year's campaign has its own targets."""
    ctx = Context(scale=scale, seed=seed, today=TODAY)
    Region.objects.bulk_create(
        [
            Region(code="510000000000", name="四川省", level="province"),
            Region(code="519000000000", name="测试市", level="city", parent_id="510000000000"),
            Region(code=DISTRICT, name="测试区", level="district", parent_id="519000000000"),
        ]
    )
    ctx.districts = [RegionRow(DISTRICT, "测试区", "519000000000", DISTRICT)]
    for s in range(1, scale.streets + 1):
        street = f"519001{s:03d}000"
        Region.objects.create(code=street, name=f"第{s}街道", level="street", parent_id=DISTRICT)
        ctx.streets.append(RegionRow(street, f"第{s}街道", DISTRICT, DISTRICT))
        for c in range(1, 4):
            code = f"519001{s:03d}{c:03d}"
            Region.objects.create(
                code=code, name=f"第{s}街道{c}社区", level="community", parent_id=street
            )
            ctx.communities.append(RegionRow(code, f"第{s}街道{c}社区", street, DISTRICT))
    departments = Unit.objects.bulk_create(
        Unit(
            name=f"测试区第{d}局",
            type="department",
            region_id=DISTRICT,
            district_code=DISTRICT,
            sort_key=f"{d:02d}",
        )
        for d in range(1, scale.departments + 1)
    )
    ctx.departments = [UnitRow(u.pk, u.name, u.type, DISTRICT, DISTRICT) for u in departments]
    terms = [
        (dt.date(TODAY.year - 2, 1, 1), dt.date(TODAY.year, 12, 31)),
        (dt.date(TODAY.year - 1, 4, 1), dt.date(TODAY.year + 1, 3, 31)),
        (dt.date(TODAY.year, 1, 1), dt.date(TODAY.year, 12, 31)),
    ]
    for a in range(scale.admissions):
        valid_from, valid_until = terms[a % len(terms)]
        department = departments[a % len(departments)]
        street = ctx.streets[a % scale.streets].code
        codes = tuple(c.code for c in ctx.communities if c.parent_code == street)
        admission = Admission.objects.create(
            number=f"测准〔{valid_from.year}〕{a + 1}号",
            district_id=DISTRICT,
            year=valid_from.year,
            sequence=a + 1,
            department=department,
            title=f"协助事项{a + 1:02d}",
            object_kind="task",
            target_level="community",
            valid_from=valid_from,
            valid_until=valid_until,
        )
        yearly = 500_000 + 100_000 * a
        AdmissionScope.objects.bulk_create(
            AdmissionScope(admission=admission, region_id=code, funding_fen=yearly)
            for code in codes
        )
        ctx.admissions.append(
            AdmissionRow(
                admission.pk, department.pk, DISTRICT, valid_from, valid_until, yearly, codes
            )
        )
    return ctx


def generated(scale: Scale | None = None, seed: int = 7) -> Context:
    ctx = small_world(scale or tiny(), seed)
    evaluation.generate(ctx)
    ctx.sequences_reset()
    return ctx


def test_ballots_number_what_the_scale_asks():
    ctx = generated()
    assert Ballot.objects.count() == ctx.scale.ballots
    assert ctx.counts["evaluation_ballot"] == ctx.scale.ballots
    assert ctx.counts["evaluation_evaluator"] == Evaluator.objects.count()


def test_each_district_has_published_past_years_and_an_open_current_year():
    generated()
    campaigns = {c.year: c for c in Campaign.objects.filter(district_id=DISTRICT)}
    assert set(campaigns) == {TODAY.year - 2, TODAY.year - 1, TODAY.year}
    for year in (TODAY.year - 2, TODAY.year - 1):
        assert campaigns[year].state == CampaignState.PUBLISHED
        assert campaigns[year].published_at and campaigns[year].notice
        assert campaigns[year].closes_at < campaigns[year].published_at
    current = campaigns[TODAY.year]
    assert current.state == CampaignState.OPEN
    assert current.opens_at.date() < TODAY < current.closes_at.date()
    assert not current.targets.exclude(outcome=Outcome.PENDING).exists()
    # No ballot of the open campaign is dated after the day the data describes.
    latest = Ballot.objects.filter(campaign=current).order_by("-cast_at").first().cast_at
    assert latest.date() < TODAY


def test_stored_results_are_what_the_apps_tally_finds():
    generated()
    published = Campaign.objects.filter(state=CampaignState.PUBLISHED)
    assert published.exists()
    for campaign in published:
        tallies = tally_campaign(campaign)
        for target in campaign.targets.all():
            expected = Target()
            (tallies.get(target.pk) or TargetTally.empty()).write_to(expected)
            for name in (
                "valid_ballots",
                "satisfied_ballots",
                "weighted_satisfied",
                "weighted_valid",
                "rate",
                "rate_low",
                "rate_high",
                "group_counts",
                "dimension_counts",
            ):
                assert getattr(target, name) == getattr(expected, name), (target.pk, name)


def test_outcomes_follow_the_rules_and_include_revocations(monkeypatch):
    # Half the departments disliked, so that a tiny district surely has targets to revoke.
    monkeypatch.setattr(evaluation, "QUALITY_BANDS", ((0.5, 0.62, 0.95), (0.5, 0.3, 0.5)))
    generated(tiny(ballots=30_000, streets=4, departments=12))
    targets = Target.objects.filter(campaign__state=CampaignState.PUBLISHED)
    outcomes = dict(targets.values_list("outcome").annotate(n=Count("id")))
    assert outcomes.get(Outcome.KEPT, 0) > outcomes.get(Outcome.REVOKED, 0) > 0
    for target in targets:
        tally = TargetTally(
            groups={1: [target.valid_ballots]}, weights={1: 1}
        )  # only the quorum is read from it
        if not tally.has_quorum(target.campaign.quorum):
            assert target.outcome == Outcome.BELOW_QUORUM
        elif target.weighted_satisfied * 10000 <= 5000 * target.weighted_valid:
            assert target.outcome == Outcome.REVOKED
            scope = AdmissionScope.objects.get(
                admission_id=target.admission_id, region_id=target.region_id
            )
            # Revoked in the register on the day the tally closed the campaign.
            assert scope.revoked_on == target.campaign.closed_at.date()
            assert "不过半数" in scope.revoked_reason
        else:
            assert target.outcome == Outcome.KEPT


def test_targets_are_what_campaign_create_would_pick():
    generated()
    current = Campaign.objects.get(state=CampaignState.OPEN)
    picked = {
        (row.admission_id, row.region_id) for row in scope_in_force(current.district, current.year)
    }
    assert set(current.targets.values_list("admission_id", "region_id")) == picked
    # A region revoked by last year's tally is no longer evaluated this year.
    revoked = set(
        AdmissionScope.objects.filter(revoked_on__isnull=False).values_list(
            "admission_id", "region_id"
        )
    )
    assert not revoked & picked


def test_one_ballot_per_evaluator_and_target_in_the_evaluators_region():
    generated()
    assert not (
        Ballot.objects.values("target_id", "evaluator_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not Ballot.objects.exclude(target__region_id=models_f("evaluator__region_id")).exists()
    assert not Ballot.objects.exclude(group_id=models_f("evaluator__group_id")).exists()
    assert not Ballot.objects.exclude(year=models_f("campaign__year")).exists()
    # Each evaluator submitted once: all their ballots at one moment, the moment their code was
    # spent; an evaluator who never voted still holds an unused code.
    per_evaluator = Ballot.objects.values("evaluator_id").annotate(
        moments=Count("cast_at", distinct=True)
    )
    assert {row["moments"] for row in per_evaluator} == {1}
    voted = set(Ballot.objects.values_list("evaluator_id", flat=True).distinct())
    for evaluator in Evaluator.objects.all():
        assert (evaluator.code_used_at is not None) == (evaluator.pk in voted)


def models_f(name: str):
    from django.db.models import F

    return F(name)


def test_evaluators_hold_hashed_codes_on_token_sheets():
    generated()
    evaluators = list(Evaluator.objects.all())
    assert all(e.user_id is None and len(e.code_hash) == 64 for e in evaluators)
    assert len({e.code_hash for e in evaluators}) == len(evaluators)
    # The codes are the app's kind (its alphabet and length), hashed as the app hashes them.
    rng = Context(scale=tiny(), seed=7, today=TODAY).rng("evaluation:codes")
    first = min(evaluators, key=lambda e: e.pk)
    assert first.code_hash == code_hash(evaluation._code(rng, first.pk))
    assert len(evaluation._code(rng, 1)) == CODE_LENGTH
    assert set(evaluation._code(rng, 99)) <= set(CODE_ALPHABET)
    sheets = TokenSheet.objects.annotate(n=Count("evaluators"))
    assert all(sheet.n == sheet.count for sheet in sheets)
    for sheet in sheets:
        serials = sorted(sheet.evaluators.values_list("serial", flat=True))
        assert serials == list(range(serials[0], serials[0] + sheet.count))


def _digest() -> str:
    """The rows by what they mean (admission numbers, region codes, serials), not by the ids
    the earlier rows of the database happened to get."""
    rows = Ballot.objects.order_by("id").values_list(
        "target__admission__number",
        "target__region_id",
        "campaign__year",
        "evaluator__serial",
        "evaluator__group__kind",
        "overall",
        "rating_1",
        "rating_5",
        "comment",
        "cast_at",
    )
    evaluators = Evaluator.objects.order_by("id").values_list(
        "campaign__year", "region_id", "serial", "code_hash", "code_used_at"
    )
    targets = Target.objects.order_by("id").values_list(
        "admission__number", "region_id", "rate", "outcome"
    )
    text = repr((list(rows), list(evaluators), list(targets)))
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_same_seed_gives_the_same_rows_and_another_seed_others(live_db):
    digests = []
    for seed in (7, 7, 8):
        generated(seed=seed)
        digests.append(_digest())
        _empty()
    assert digests[0] == digests[1] != digests[2]


def _empty() -> None:
    """Everything the test wrote, gone (the ballots' trigger is lifted as the test database's
    flush lifts it)."""
    from jianfu.evaluation.db_guards import ballot_guard_install, ballot_guard_remove

    ballot_guard_remove(connection)
    try:
        for model in (Ballot, Evaluator, TokenSheet, Target, Campaign, AdmissionScope, Admission):
            model.objects.all().delete()
        Unit.objects.all().delete()
        for level in ("community", "street", "district", "city", "province"):
            Region.objects.filter(level=level).delete()
    finally:
        ballot_guard_install(connection)


def test_queries_do_not_grow_with_the_scale():
    counts = []
    for streets, ballots in ((1, 2_000), (4, 8_000)):
        ctx = small_world(tiny(ballots=ballots, streets=streets))
        with CaptureQueriesContext(connection) as queries:
            evaluation.generate(ctx)
            # The indexes and keys dropped for the load, back as the generator puts them.
            ctx.loaded()
        counts.append(len(queries))
        _empty_in_transaction()
    # The same statements at both sizes, but for the revocations' bulk updates (a statement per
    # thousand rows, and none when the tally revoked nothing).
    assert counts[0] <= counts[1] <= counts[0] + 3, counts


def _empty_in_transaction() -> None:
    from jianfu.evaluation.db_guards import ballot_guard_install, ballot_guard_remove

    ballot_guard_remove(connection)
    for model in (Ballot, Evaluator, TokenSheet, Target, Campaign, AdmissionScope, Admission):
        model.objects.all().delete()
    Unit.objects.all().delete()
    for level in ("community", "street", "district", "city", "province"):
        Region.objects.filter(level=level).delete()
    ballot_guard_install(connection)
