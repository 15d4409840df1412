"""A hypothesis state machine votes at random in a campaign and checks one-person-one-ballot.

Registered evaluators vote in the browser, code holders with their one-time codes (typed in
various ways, sometimes mistyped), and 钟鼓楼社区 enters paper ballots a street officer confirms
or discards; the steps often repeat a ballot already cast, name another community's target, use
a spent code, arrive after the window or after the close, and the campaign is closed at a random
moment. A plain Python model predicts, before each step, whether the service must accept it or
which refusal it must give.

After every step: the ballots in the database are exactly the model's, so nobody has two ballots
for one target; each code was spent by at most one submission, and its ballots are that
submission's; once closed, the number of ballots never changes; the tally counts every ballot,
and after the close each target's stored count is its number of ballots.

Each example runs in a transaction that is rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from jianfu.core.errors import Conflict, DomainError, InvalidInput
from jianfu.evaluation import services
from jianfu.evaluation.models import (
    Ballot,
    Campaign,
    CampaignState,
    Evaluator,
    GroupKind,
    PaperBatch,
    PaperBatchState,
    Target,
)
from jianfu.evaluation.tally import tally_campaign
from jianfu.evaluation.tests.conftest import AFTER, CLOSES, DURING, JIANDAOJIE, ZHONGGULOU
from jianfu.funds.tests.conftest import person
from jianfu.org.models import Region, Unit
from jianfu.org.roles import Role

# Entries pick targets by index: first the evaluator's own community's, then the others'.
PICKS = st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True)
# Now and then an entry names its first target twice.
TWICE = st.sampled_from([False] * 5 + [True])
# Now and then a ballot arrives just after the window, before anyone has closed it.
LATE = st.sampled_from([False] * 5 + [True])
# A paper row: mostly someone of 钟鼓楼社区 (identities 0, 1 and 3–5) rating one of its two
# targets; sometimes someone of 箭道街社区 (2, 6, 7) or an admission number that is no target.
PAPER_WHO = st.sampled_from([0, 1, 3, 4, 5] * 3 + [2, 6, 7])
PAPER_WHAT = st.sampled_from([0, 1] * 4 + [2])
VERDICT = st.sampled_from(["满意", "基本满意", "不满意"])
# How a code holder types their code; "wrong" is a code nobody was given.
TYPING = st.sampled_from(["printed", "printed", "lower", "bare", "wrong"])


class CampaignMachine(RuleBasedStateMachine):
    """市中区's open 2026 campaign: three targets (高龄津贴协助 in 钟鼓楼 and 箭道街, 低保入户核查
    in 钟鼓楼), three registered evaluators (two of 钟鼓楼, one of 箭道街) and five codes (three
    of 钟鼓楼, two of 箭道街)."""

    people = None
    world = None

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        try:
            w = self.world
            self.campaign = Campaign.objects.get(pk=w.campaign_id)
            # The model.
            self.cast: set[tuple[int, int]] = set()  # (evaluator, target)
            self.spent_by: dict[int, frozenset[int]] = {}  # code evaluator → targets it rated
            self.pending: dict[int, list[tuple[int, int]]] = {}  # batch → its (evaluator, target)
            self.closed = False
            self.frozen: int | None = None
        except BaseException:
            self.teardown()
            raise

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -----------------------------------------------------------------------------------------
    # The model's predictions

    def _targets(self, region: str, picks: list[int], twice: bool) -> list[int]:
        own = [t for t in self.world.targets if self.world.region_of[t] == region]
        others = [t for t in self.world.targets if self.world.region_of[t] != region]
        targets = [(own + others)[i] for i in picks]
        return targets + targets[:1] if twice else targets

    def _entries_problem(self, region: str, targets: list[int]) -> bool:
        return len(set(targets)) != len(targets) or any(
            self.world.region_of[t] != region for t in targets
        )

    def _attempt(self, expected: tuple[type, str] | None, call) -> bool:
        """Run the step; a refusal must be the predicted one and write no ballot."""
        before = Ballot.objects.count()
        try:
            call()
        except DomainError as error:
            assert expected is not None, f"refused unexpectedly: {error!r} {error.details}"
            kind, code = expected
            assert type(error) is kind, (type(error), kind, str(error))
            assert code in (None, error.code), (error.code, code)
            assert Ballot.objects.count() == before
            return False
        assert expected is None, f"expected {expected}, but the step succeeded"
        return True

    # -----------------------------------------------------------------------------------------
    # Steps

    @rule(voter=st.integers(0, 2), picks=PICKS, twice=TWICE, overall=st.integers(0, 2), late=LATE)
    def vote_in_the_browser(self, voter, picks, twice, overall, late):
        username, evaluator, region = self.world.voters[voter]
        targets = self._targets(region, picks, twice)
        if self.closed or late:
            expected = (Conflict, "voting_closed")
        elif self._entries_problem(region, targets):
            expected = (InvalidInput, None)
        elif any((evaluator, t) in self.cast for t in targets):
            expected = (Conflict, "already_voted")
        else:
            expected = None
        actor = getattr(self.people, username)
        if self._attempt(
            expected,
            lambda: services.ballot_cast(
                actor=actor,
                campaign=self.campaign,
                entries=[{"target": t, "overall": overall} for t in targets],
                now=CLOSES if late else DURING,
            ),
        ):
            self.cast |= {(evaluator, t) for t in targets}

    @rule(
        holder=st.integers(0, 4),
        typing=TYPING,
        picks=PICKS,
        twice=TWICE,
        overall=st.integers(0, 2),
    )
    def vote_with_a_code(self, holder, typing, picks, twice, overall):
        code, evaluator, region = self.world.codes[holder]
        typed = {
            "printed": code,
            "lower": code.lower(),
            "bare": code.replace("-", ""),
            "wrong": "2345-6789-ABCD",
        }[typing]
        targets = self._targets(region, picks, twice)
        if self.closed:
            expected = (Conflict, "voting_closed")
        elif typing == "wrong":
            expected = (InvalidInput, "bad_code")
        elif self._entries_problem(region, targets):
            expected = (InvalidInput, None)
        elif evaluator in self.spent_by:
            expected = (Conflict, "code_used")
        else:
            expected = None
        if self._attempt(
            expected,
            lambda: services.ballot_cast(
                actor=None,
                campaign=self.campaign,
                code=typed,
                entries=[{"target": t, "overall": overall} for t in targets],
                now=DURING,
            ),
        ):
            self.spent_by[evaluator] = frozenset(targets)
            self.cast |= {(evaluator, t) for t in targets}

    @rule(rows=st.lists(st.tuples(PAPER_WHO, PAPER_WHAT, VERDICT), min_size=1, max_size=3))
    def enter_paper_ballots(self, rows):
        """钟鼓楼社区 enters a sheet; identities 0–2 are the accounts, 3–7 the codes. A row names
        its target by admission number, which means that admission's target in 钟鼓楼社区."""
        identities = [(u, e, r) for u, e, r in self.world.voters] + list(self.world.codes)
        lines, keys, problem = [], [], False
        for who, pick, word in rows:
            identity, evaluator, region = identities[who]
            number, target = self.world.paper_targets[pick]
            lines.append((identity, number, word))
            is_code = who >= 3
            if (
                region != ZHONGGULOU
                or (is_code and evaluator in self.spent_by)
                or target is None
                or (evaluator, target) in self.cast
                or (evaluator, target) in keys
            ):
                problem = True
            keys.append((evaluator, target))
        if self.closed:
            expected = (Conflict, "voting_closed")
        elif problem:
            expected = (InvalidInput, None)
        else:
            expected = None
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["评议码或账号", "准入编号", "总体评价"])
        writer.writerows(lines)
        made = []

        def upload():
            made.append(
                services.paper_batch_upload(
                    actor=self.people.community_officer,
                    campaign=self.campaign,
                    region=self.world.zhonggulou,
                    file_name="纸质票.csv",
                    content=out.getvalue().encode("utf-8-sig"),
                    now=DURING,
                )
            )

        batches = PaperBatch.objects.count()
        if self._attempt(expected, upload):
            self.pending[made[0].pk] = keys
        else:
            assert PaperBatch.objects.count() == batches

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def confirm_paper_ballots(self, data):
        batch_id = data.draw(st.sampled_from(sorted(self.pending)))
        keys = self.pending[batch_id]
        codes = {e for e, _t in keys if e in self.world.code_evaluators}
        if any(e in self.spent_by for e in codes):
            expected = (Conflict, "code_used")
        elif any(key in self.cast for key in keys):
            expected = (Conflict, "already_voted")
        else:
            expected = None
        if self._attempt(
            expected,
            lambda: services.paper_batch_confirm(
                actor=self.people.street_officer,
                batch=PaperBatch.objects.get(pk=batch_id),
                now=DURING,
            ),
        ):
            del self.pending[batch_id]
            self.cast |= set(keys)
            for evaluator in codes:
                self.spent_by[evaluator] = frozenset(t for e, t in keys if e == evaluator)

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def discard_paper_ballots(self, data):
        batch_id = data.draw(st.sampled_from(sorted(self.pending)))
        services.paper_batch_discard(
            actor=self.people.street_officer, batch=PaperBatch.objects.get(pk=batch_id)
        )
        del self.pending[batch_id]

    # Picked as often as any other step, the close would leave most examples little to vote in:
    # four times in five it is merely considered.
    @rule(now=st.sampled_from([True] + [False] * 4))
    def close(self, now):
        if not now:
            return
        if self._attempt(
            (Conflict, "wrong_state") if self.closed else None,
            lambda: services.campaign_close(
                actor=self.people.group_secretary, campaign=self.campaign, now=AFTER
            ),
        ):
            self.closed, self.frozen = True, Ballot.objects.count()
            for batch_id in self.pending:
                assert PaperBatch.objects.get(pk=batch_id).state == PaperBatchState.DISCARDED
            self.pending.clear()

    # -----------------------------------------------------------------------------------------
    # Invariants

    @invariant()
    def the_ballots_are_the_models_one_per_evaluator_and_target(self):
        stored = list(Ballot.objects.values_list("evaluator_id", "target_id"))
        assert len(stored) == len(set(stored))
        assert set(stored) == self.cast
        assert not (
            Ballot.objects.values("evaluator_id", "target_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .exists()
        )

    @invariant()
    def a_code_is_spent_at_most_once(self):
        used = set(
            Evaluator.objects.filter(
                pk__in=self.world.code_evaluators, code_used_at__isnull=False
            ).values_list("pk", flat=True)
        )
        assert used == set(self.spent_by)
        for evaluator in self.world.code_evaluators:
            rated = Ballot.objects.filter(evaluator_id=evaluator)
            assert set(rated.values_list("target_id", flat=True)) == set(
                self.spent_by.get(evaluator, ())
            )
            # Every ballot of a code came in one submission: one channel, one batch, one time.
            assert rated.values("channel", "paper_batch_id", "cast_at").distinct().count() <= 1

    @invariant()
    def after_the_close_the_count_is_frozen(self):
        if self.closed:
            assert Ballot.objects.count() == self.frozen
            campaign = Campaign.objects.get(pk=self.campaign.pk)
            assert campaign.state == CampaignState.CLOSED
            assert not PaperBatch.objects.filter(
                campaign=campaign, state=PaperBatchState.PENDING
            ).exists()

    @invariant()
    def the_tally_counts_every_ballot(self):
        tallies = tally_campaign(self.campaign)
        assert sum(t.valid for t in tallies.values()) == Ballot.objects.count()
        if self.closed:
            counts = dict(
                Ballot.objects.values("target_id")
                .annotate(n=Count("id"))
                .values_list("target_id", "n")
            )
            for target in Target.objects.filter(campaign=self.campaign):
                assert target.valid_ballots == counts.get(target.pk, 0)


@pytest.mark.django_db
def test_random_casts_duplicates_and_closes_keep_one_ballot_per_person(
    personas, campaign, admissions
):
    care, check = admissions
    zhonggulou = Region.objects.select_related("parent").get(code=ZHONGGULOU)
    jiandaojie = Region.objects.select_related("parent").get(code=JIANDAOJIE)
    personas.zhonggulou_rep = person("zhonggulou_rep", personas.evaluator.unit, Role.EVALUATOR)
    personas.jiandaojie_rep = person(
        "jiandaojie_rep", Unit.objects.get(name="箭道街社区居民委员会"), Role.EVALUATOR
    )
    voters = []
    for username, kind, officer in (
        ("evaluator", GroupKind.RESIDENTS, personas.community_officer),
        ("zhonggulou_rep", GroupKind.PARTY_MEMBERS, personas.community_officer),
        ("jiandaojie_rep", GroupKind.RESIDENTS, personas.street_officer),
    ):
        enrolled = services.evaluator_enrol(
            actor=officer, campaign=campaign, user=getattr(personas, username), group_kind=kind
        )
        voters.append((username, enrolled.pk, enrolled.region_id))
    codes = []
    for region, count in ((zhonggulou, 3), (jiandaojie, 2)):
        _sheet, printed = services.tokens_issue(
            actor=personas.street_officer,
            campaign=campaign,
            region=region,
            group_kind=GroupKind.RESIDENTS,
            count=count,
        )
        for code in printed:
            holder = Evaluator.objects.get(code_hash=services.code_hash(code))
            codes.append((code, holder.pk, region.code))
    targets = Target.objects.filter(campaign=campaign).select_related("admission")
    ordered = sorted(targets, key=lambda t: (t.admission_id, t.region_id))
    assert [(t.admission_id, t.region_id) for t in ordered] == [
        (care.pk, ZHONGGULOU),
        (care.pk, JIANDAOJIE),
        (check.pk, ZHONGGULOU),
    ]
    world = SimpleNamespace(
        campaign_id=campaign.pk,
        zhonggulou=zhonggulou,
        voters=voters,
        codes=codes,
        code_evaluators={pk for _c, pk, _r in codes},
        targets=[t.pk for t in ordered],
        region_of={t.pk: t.region_id for t in ordered},
        # Paper rows by admission number: 高龄津贴协助, 低保入户核查 (both meaning their target in
        # 钟鼓楼社区), and a number that is no target at all.
        paper_targets=[
            (care.number, ordered[0].pk),
            (check.number, ordered[2].pk),
            ("市中准〔2026〕999号", None),
        ],
    )
    machine = type("Machine", (CampaignMachine,), {"people": personas, "world": world})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
