"""A hypothesis state machine scores dispatched agencies at random and checks the results
against a plain Python model.

People of every kind (the rightful assessor, or someone with no say) score random agencies as
random assessor kinds with random points (sometimes above an indicator's points or negative),
the group office changes the weights, and someone tries to close the assessment. The model
predicts whether the service must refuse a step (and with which error) and what it must keep.

After every step: the stored scores are the model's, a refused step wrote nothing (no score,
no audit record), and the results — each kind's total, the weighted total over the kinds that
scored, the rank (ties sharing one) and the "needs adjustment" flag — are what the model
computes from its own scores with fractions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from jianfu.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from jianfu.core.models import AuditRecord
from jianfu.evaluation import assessment as services
from jianfu.evaluation.assessment_selectors import assessment_results
from jianfu.evaluation.models import AgencyAssessment, AgencyScore, AssessorKind
from jianfu.evaluation.tests import assessment_data
from jianfu.evaluation.tests.assessment_data import CHENGDONG, clerk_of

pytestmark = pytest.mark.django_db

assessment, police_post = assessment_data.assessment, assessment_data.police_post

KINDS = list(AssessorKind.values)
AGENCIES = ["城东司法所", "城西司法所", "钟鼓楼警务室"]
PEOPLE = [
    "dept_clerk",
    "dept_head",
    "other_clerk",
    "street_officer",
    "street_officer2",
    "group_secretary",
    "auditor",
    "community_officer",
]
MAXIMA = [40, 30, 20, 10]
# Mostly points within each indicator's, sometimes one above it or below zero.
VALID_POINTS = st.tuples(*(st.integers(0, m) for m in MAXIMA)).map(list)
POINTS = st.one_of(
    VALID_POINTS,
    VALID_POINTS,
    VALID_POINTS,
    st.lists(st.sampled_from([-1, 0, 5, 11, 21, 31, 41]), min_size=4, max_size=4),
)
# Mostly whoever may score the agency as the kind, sometimes anyone.
WHO = st.one_of(st.just("rightful"), st.just("rightful"), st.sampled_from(PEOPLE))


class AssessmentMachine(RuleBasedStateMachine):
    world = None

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        w = self.world
        # Read afresh: the last example's weights were rolled back in the database only.
        self.assessment = AgencyAssessment.objects.get(pk=w.assessment.pk)
        self.agency = {name: assessment_data.on_roster(w.assessment, name) for name in AGENCIES}
        self.indicators = list(w.assessment.indicators.order_by("position"))
        # The model: {(agency name, kind): [points per indicator]}, the weights, open or not.
        self.scores: dict[tuple[str, str], list[int]] = {}
        self.weights = {kind: w.assessment.weight_of(kind) for kind in KINDS}
        self.open = True

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _scorer(self, name: str, kind: str) -> set[str]:
        """Who may score agency `name` as `kind`."""
        if kind == AssessorKind.SOCIETY:
            return {"group_secretary"}
        if kind == AssessorKind.STREET:
            return (
                {"street_officer"}
                if self.agency[name].street_id == CHENGDONG
                else {"street_officer2"}
            )
        if self.agency[name].department.name == "市中区民政局":
            return {"dept_clerk", "dept_head"}
        return {"other_clerk"}

    def _counts(self) -> tuple[int, int]:
        return AgencyScore.objects.count(), AuditRecord.objects.count()

    @rule(
        who=WHO,
        name=st.sampled_from(AGENCIES),
        kind=st.sampled_from(KINDS),
        points=POINTS,
    )
    def score(self, who, name, kind, points):
        if who == "rightful":
            who = sorted(self._scorer(name, kind))[0]
        if not self.open:
            expected = Conflict
        elif who not in self._scorer(name, kind):
            expected = Forbidden
        elif any(not 0 <= p <= m for p, m in zip(points, MAXIMA, strict=True)):
            expected = InvalidInput
        else:
            expected = None
        event(f"score: {expected.__name__ if expected else 'written'}")
        before = self._counts()
        try:
            services.score_submit(
                actor=self.world.people[who],
                assessment=self.assessment,
                kind=kind,
                scores={
                    self.agency[name].pk: {
                        ind.pk: p for ind, p in zip(self.indicators, points, strict=True)
                    }
                },
            )
        except DomainError as error:
            assert type(error) is expected, (type(error), expected, str(error))
            assert self._counts() == before
            return
        assert expected is None, f"expected {expected.__name__}"
        self.scores[(name, kind)] = list(points)

    @rule(department=st.integers(0, 100), street=st.integers(0, 100), society=st.integers(0, 100))
    def reweigh(self, department, street, society):
        if not department + street + society:
            return
        self.assessment.weight_department = department
        self.assessment.weight_street = street
        self.assessment.weight_society = society
        self.assessment.save(update_fields=["weight_department", "weight_street", "weight_society"])
        self.weights = {"department": department, "street": street, "society": society}

    @rule(
        who=st.sampled_from(["group_secretary", "street_officer", "auditor"]), now=st.integers(0, 3)
    )
    def close(self, who, now):
        if now:
            return  # Closing ends the example's scoring, so it is tried a quarter of the time.
        try:
            services.assessment_close(actor=self.world.people[who], assessment=self.assessment)
        except Forbidden:
            assert who != "group_secretary"
            return
        except Conflict:
            assert not self.open
            return
        assert who == "group_secretary"
        self.open = False

    @invariant()
    def scores_are_the_models(self):
        stored = {}
        for agency, kind, position, points in AgencyScore.objects.values_list(
            "agency__agency__name", "assessor_kind", "indicator__position", "score"
        ):
            stored.setdefault((agency, kind), [0] * 4)[position - 1] = points
        assert stored == self.scores

    @invariant()
    def results_are_the_models(self):
        expected = {}
        for name in AGENCIES:
            totals = {k: sum(self.scores[(name, k)]) for k in KINDS if (name, k) in self.scores}
            weight = sum(self.weights[k] for k in totals)
            exact = (
                Fraction(sum(self.weights[k] * t for k, t in totals.items()), weight)
                if weight
                else None
            )
            shown = (
                Decimal(exact.numerator / Decimal(exact.denominator)).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                )
                if exact is not None
                else None
            )
            expected[name] = (totals, exact, shown)
        ranked = sorted((v[2] for v in expected.values() if v[2] is not None), reverse=True)
        results = assessment_results(assessment=self.assessment, scope=Q())
        assert len(results) == len(AGENCIES)
        line = self.assessment.adjustment_below
        for result in results:
            totals, exact, shown = expected[result.row.agency.name]
            assert {k: v for k, v in result.totals.items() if v is not None} == totals
            assert result.weighted == shown
            assert result.rank == (None if shown is None else ranked.index(shown) + 1)
            assert result.needs_adjustment == (exact is not None and exact < line)


def test_random_scoring_keeps_the_results_to_the_formula(personas, assessment):
    from types import SimpleNamespace

    people = {name: getattr(personas, name, None) for name in PEOPLE}
    people["other_clerk"] = clerk_of(assessment_data.unit("市中区城管局"))
    AssessmentMachine.world = SimpleNamespace(assessment=assessment, people=people)
    run_state_machine_as_test(
        AssessmentMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
