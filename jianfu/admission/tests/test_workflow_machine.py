"""A hypothesis state machine drives applications with random actors, actions and fields.

After every step the invariants of the gate must hold: the state is known and is the one the
timeline ends in, every recorded step is a row of the workflow table, final states stay final,
an admission exists exactly for approved applications, admission numbers have no gaps,
assisted work is funded everywhere it is admitted (费随事转), purchased services admit nothing.

At most two applications are open at a time; when one ends (approved, rejected, withdrawn) the
department files a new one, so every step of an example can still move something. Each example
runs in a transaction that is rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from jianfu.admission import services
from jianfu.admission.models import (
    FINAL_STATES,
    Admission,
    AdmissionScope,
    Application,
    ApplicationEvent,
    ApplicationScope,
    ApplicationState,
    Consultation,
    Decision,
    DecisionOutcome,
    Opinion,
    OpinionVerdict,
)
from jianfu.admission.tests.conftest import JIANDAOJIE, ZHONGGULOU, make_application
from jianfu.admission.workflow import ACTIONS, EDITABLE_STATES, TRANSITIONS, Party, actions_from
from jianfu.catalog.models import ListKind
from jianfu.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from jianfu.org.models import Unit
from jianfu.org.roles import Role
from jianfu.org.services import account_create

PASSWORD = "Persona-Pass-2026"
# Everyone the machine may pick for a step: the right person for it and many who may not act.
ACTORS = [
    "dept_clerk",
    "dept_head",
    "review_officer",
    "group_secretary",
    "street_officer",
    "community_officer",
    "finance_officer",
    "auditor",
    "evaluator",
    "other_dept_clerk",
    "other_district_review_officer",
    "other_district_group_secretary",
]
# Who answers consultations: the three invited (城东街道, 钟鼓楼社区, 箭道街社区) and one never invited.
OFFICERS = ["street_officer", "community_officer", "jiandaojie_officer", "community_officer2"]
# Who acts for each party of the table on an application of 市中区民政局.
RIGHT_SIDE = {
    Party.DEPARTMENT: ("dept_clerk", "dept_head"),
    Party.REVIEW: ("review_officer",),
    Party.GROUP: ("group_secretary",),
}
# Refusals by an action's own guards, which the right person in the right state may meet.
GUARD_CODES = {
    "incomplete",
    "no_criterion",
    "no_consultation",
    "consultation_open",
    "consultation_required",
    "opinions_unanswered",
    "unfunded",
}
# Hypothesis favours the first and the last element of a choice; neither is the withdrawal,
# which ends the walk. One step in twenty withdraws, two detour (send back, return, consult
# again), the rest go forward.
DIRECTIONS = st.sampled_from(["forward"] * 9 + ["withdraw"] + ["forward"] * 8 + ["detour"] * 2)
DETOURS = {"send_back", "return"}
NUMBER = re.compile(r"^市中准〔(\d{4})〕(\d+)号$")
# Mostly valid field values, so decisions are reached; the invalid ones exercise the guards.
MINUTES = st.sampled_from(["会议审议了申请。"] * 3 + [""])
CONDITIONS = st.sampled_from(["每季度报送工作量。", ""])
# Approval for part of the scope first: it passes for both filings, where a full approval of
# the second one is refused for its unfunded community (费随事转) until the money is found.
OUTCOMES = st.sampled_from(
    [
        DecisionOutcome.APPROVE_PART,
        DecisionOutcome.APPROVE,
        DecisionOutcome.PURCHASE_SERVICES,
        DecisionOutcome.REJECT,
        DecisionOutcome.APPROVE_WITH_CONDITIONS,
    ]
)
COMMENTS = st.sampled_from(["已核对。", "", "请补充上级文件原文。"])
# Two kinds of application: funded in every community, and one community without money.
FILINGS = [
    {"values": {}, "scope": [(ZHONGGULOU, 1_000_000), (JIANDAOJIE, 800_000)]},
    {
        "values": {"title": "社区养老服务站巡查", "occurrences_per_year": 24},
        "scope": [(ZHONGGULOU, 600_000), (JIANDAOJIE, 0)],
    },
]


class AdmissionMachine(RuleBasedStateMachine):
    """Applications of 市中区民政局 driven by everyone involved, and by people not involved."""

    people = None  # set by the test: the personas plus the extra accounts

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.applications: list[int] = []
        self.final_states: dict[int, tuple[str, int]] = {}
        try:
            self._file()
            self._file()
        except BaseException:
            self.teardown()
            raise

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers -------------------------------------------------------------------------------

    def _file(self) -> None:
        filing = FILINGS[len(self.applications) % len(FILINGS)]
        application = make_application(
            self.people.dept_clerk, values=filing["values"], scope=filing["scope"]
        )
        self.applications.append(application.pk)

    def _open(self) -> list[int]:
        return list(
            Application.objects.filter(pk__in=self.applications)
            .exclude(state__in=FINAL_STATES)
            .values_list("pk", flat=True)
        )

    def _pick(self, data, pks: list[int]) -> Application:
        return Application.objects.get(pk=data.draw(st.sampled_from(sorted(pks)), label="pk"))

    def _fields(self, data, application: Application, action: str) -> dict:
        """Random fields for the action, valid or not, so the guards are exercised too."""
        today = timezone.localdate()
        if action == "accept":
            # True first: the all-False minimum would meet none of the three criteria every time.
            flag = st.sampled_from([True, False])
            criteria = st.fixed_dictionaries({name: flag for name in services.CRITERIA})
            return {"criteria": data.draw(criteria, label="criteria")}
        if action == "open_consultation":
            deadlines = st.sampled_from([None, today + dt.timedelta(days=7), today])
            deadline = data.draw(deadlines, label="deadline")
            return {} if deadline is None else {"deadline": deadline}
        if action != "decide":
            return {}
        outcome = data.draw(OUTCOMES, label="outcome")
        meeting_dates = [today, today - dt.timedelta(days=3), today, today + dt.timedelta(days=1)]
        fields = {
            "outcome": outcome,
            "meeting_date": data.draw(st.sampled_from(meeting_dates), label="meeting date"),
            "attendees": "区委副书记（组长）、区委编办、区民政局、城东街道",
            "minutes": data.draw(MINUTES, label="minutes"),
            "conditions": data.draw(CONDITIONS, label="conditions"),
        }
        if data.draw(st.sampled_from([True, False]), label="answer the disagreeing"):
            disagreeing = Opinion.objects.filter(
                consultation__application=application, verdict=OpinionVerdict.DISAGREE
            ).values_list("pk", flat=True)
            fields["responses"] = {pk: "会议已研究，予以采纳。" for pk in disagreeing}
        if outcome == DecisionOutcome.APPROVE_PART:
            codes = sorted(application.scope.values_list("region_id", flat=True))
            part = st.lists(st.sampled_from(codes), unique=True, min_size=1)
            fields["part_regions"] = data.draw(part, label="part")
        if outcome == DecisionOutcome.PURCHASE_SERVICES and data.draw(
            st.sampled_from([True, False]), label="with contract"
        ):
            fields["purchase"] = {
                "provider": "内江市社会工作服务中心",
                "value_fen": 12_000_000,
                "term_from": today,
                "term_until": today + dt.timedelta(days=364),
                "deliverables": "每月入户走访并提交报告。",
            }
        return fields

    def _transition(self, actor, application, action, comment, fields) -> Application:
        return services.application_transition(
            actor=actor, application=application, action=action, comment=comment, **fields
        )

    def _record_final(self, pk: int) -> None:
        application = Application.objects.get(pk=pk)
        if application.state in FINAL_STATES and pk not in self.final_states:
            self.final_states[pk] = (application.state, application.events.count())

    # -- rules ---------------------------------------------------------------------------------

    @precondition(lambda self: len(self._open()) < 2)
    @rule()
    def the_department_files_a_new_application(self):
        self._file()

    @precondition(lambda self: self._open())
    @rule(data=st.data())
    def act_as_the_right_person(self, data):
        """A step the table allows now, by someone it names: only the step's guards may refuse."""
        application = self._pick(data, self._open())
        actions = actions_from(application.state)
        detours = set(DETOURS)
        if application.consultations.filter(closed_at__isnull=False).exists():
            detours.add("open_consultation")
        forward = [a for a in actions if a != "withdraw" and a not in detours]
        detour = [a for a in actions if a in detours]
        direction = data.draw(DIRECTIONS, label="direction")
        if direction == "withdraw" or not forward:
            choice = ["withdraw"]
        elif direction == "detour" and detour:
            choice = detour
        else:
            choice = forward
        action = data.draw(st.sampled_from(choice), label="action")
        transition = TRANSITIONS[(application.state, action)]
        names = [name for name in RIGHT_SIDE[transition.party] if name in transition.roles]
        actor = getattr(self.people, data.draw(st.sampled_from(names), label="actor"))
        comment = data.draw(COMMENTS, label="comment")
        fields = self._fields(data, application, action)
        try:
            moved = self._transition(actor, application, action, comment, fields)
        except InvalidInput:
            pass
        except Conflict as refused:
            assert refused.code in GUARD_CODES, refused.code
        else:
            if action == "decide":
                assert moved.state == services.DECIDED_STATE[fields["outcome"]]
            else:
                assert moved.state == transition.target
        self._record_final(application.pk)

    @rule(persona=st.sampled_from(ACTORS), action=st.sampled_from(ACTIONS), data=st.data())
    def act_as_anyone(self, persona, action, data):
        """Anyone else, or an action the table has no row for now: refused before any guard."""
        application = self._pick(data, self.applications)
        state, actor = application.state, getattr(self.people, persona)
        transition = TRANSITIONS.get((state, action))
        if (
            transition is not None
            and persona in RIGHT_SIDE[transition.party]
            and persona in transition.roles
        ):
            return  # a step the table allows: act_as_the_right_person takes those
        fields = self._fields(data, application, action)
        events = application.events.count()
        with pytest.raises(DomainError) as refused:
            self._transition(actor, application, action, "", fields)
        if transition is None:
            assert isinstance(refused.value, Conflict) and refused.value.code == "wrong_state"
        else:
            assert isinstance(refused.value, Forbidden)
        assert not services.may_act(actor, application, action)
        application.refresh_from_db()
        assert (application.state, application.events.count()) == (state, events)

    @precondition(lambda self: self._consulting().exists())
    @rule(
        persona=st.sampled_from(OFFICERS),
        verdict=st.sampled_from(OpinionVerdict.values),
        text=st.sampled_from(["社区人手不足，需同步配备经费。", ""]),
        data=st.data(),
    )
    def a_street_or_community_answers(self, persona, verdict, text, data):
        application = self._pick(data, self.applications)
        actor = getattr(self.people, persona)
        region = actor.unit.region
        invited = Opinion.objects.filter(
            consultation__application=application,
            consultation__closed_at__isnull=True,
            region=region,
            answered_at__isnull=True,
        ).exists()
        try:
            services.opinion_give(
                actor=actor, application=application, region=region, verdict=verdict, text=text
            )
        except DomainError as refused:
            if application.state != ApplicationState.IN_CONSULTATION:
                assert isinstance(refused, Conflict) and refused.code == "wrong_state"
            elif not invited:
                assert isinstance(refused, Forbidden | Conflict)
            else:
                assert isinstance(refused, InvalidInput) and verdict != OpinionVerdict.AGREE
        else:
            assert invited and application.state == ApplicationState.IN_CONSULTATION

    @precondition(lambda self: self._consulting().exists())
    @rule()
    def the_consultation_deadline_comes(self):
        """Time passes: open consultations are due today, so they may close unanswered."""
        self._consulting().update(deadline=timezone.localdate())

    @precondition(lambda self: self._editable().exists())
    @rule(funding=st.sampled_from([300_000, 0]), data=st.data())
    def the_department_changes_the_funding(self, funding, data):
        application = self._pick(data, self._open())
        scope = [(code, funding) for code in (ZHONGGULOU, JIANDAOJIE)]
        try:
            services.application_update(
                actor=self.people.dept_clerk, application=application, values={}, scope=scope
            )
        except Conflict as refused:
            assert refused.code == "not_editable"
            assert application.state not in EDITABLE_STATES
        else:
            assert application.state in EDITABLE_STATES

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def the_state_is_known_and_is_where_the_timeline_ends(self):
        last_event = {}
        for pk, to_state in ApplicationEvent.objects.filter(
            application_id__in=self.applications
        ).values_list("application_id", "to_state"):
            last_event[pk] = to_state
        for pk, state in Application.objects.filter(pk__in=self.applications).values_list(
            "pk", "state"
        ):
            assert state in ApplicationState.values
            assert last_event[pk] == state

    @invariant()
    def every_recorded_step_is_a_row_of_the_table(self):
        previous: dict[int, str] = {}
        for event in ApplicationEvent.objects.filter(application_id__in=self.applications):
            if event.action == "create":
                assert (event.from_state, event.to_state) == ("", ApplicationState.DRAFT)
            elif event.action == "opinion":
                assert event.from_state == event.to_state == ApplicationState.IN_CONSULTATION
            else:
                transition = TRANSITIONS.get((event.from_state, event.action))
                assert transition is not None, (event.from_state, event.action)
                if event.action == "decide":
                    assert event.to_state == services.DECIDED_STATE[event.data["outcome"]]
                else:
                    assert event.to_state == transition.target
            # The timeline is a chain: each step starts where the one before it ended.
            assert event.from_state == previous.get(event.application_id, "")
            previous[event.application_id] = event.to_state

    @invariant()
    def final_states_never_change(self):
        for pk, (state, events) in self.final_states.items():
            application = Application.objects.get(pk=pk)
            assert (application.state, application.events.count()) == (state, events)

    @invariant()
    def exactly_the_approved_applications_have_one_admission(self):
        counts = defaultdict(int)
        for pk in Admission.objects.filter(application_id__in=self.applications).values_list(
            "application_id", flat=True
        ):
            counts[pk] += 1
        for pk, state in Application.objects.filter(pk__in=self.applications).values_list(
            "pk", "state"
        ):
            assert counts[pk] == (1 if state == ApplicationState.APPROVED else 0), state

    @invariant()
    def admission_numbers_run_from_one_without_gaps(self):
        by_year = defaultdict(list)
        for district, year, sequence, number in Admission.objects.values_list(
            "district_id", "year", "sequence", "number"
        ):
            by_year[(district, year)].append(sequence)
            match = NUMBER.match(number)
            assert match and (int(match[1]), int(match[2])) == (year, sequence), number
        for sequences in by_year.values():
            assert sorted(sequences) == list(range(1, len(sequences) + 1))

    @invariant()
    def approved_assisted_work_is_funded_wherever_it_is_admitted(self):
        applied = {
            (pk, code): fen
            for pk, code, fen in ApplicationScope.objects.filter(
                application_id__in=self.applications
            ).values_list("application_id", "region_id", "funding_fen")
        }
        admitted = AdmissionScope.objects.filter(
            admission__application_id__in=self.applications,
            admission__list_kind=ListKind.ASSIST,
        ).values_list("admission__application_id", "region_id", "funding_fen")
        for pk, code, fen in admitted:
            assert fen > 0, code
            assert applied[(pk, code)] == fen

    @invariant()
    def purchased_services_admit_nothing(self):
        for decision in Decision.objects.filter(
            application_id__in=self.applications, outcome=DecisionOutcome.PURCHASE_SERVICES
        ).select_related("application", "purchase"):
            assert decision.application.state == ApplicationState.REJECTED
            assert not Admission.objects.filter(application_id=decision.application_id).exists()
            assert decision.purchase.value_fen > 0

    @invariant()
    def every_disagreeing_opinion_is_answered_by_the_decision(self):
        assert not Opinion.objects.filter(
            consultation__application__decision__isnull=False,
            consultation__application_id__in=self.applications,
            verdict=OpinionVerdict.DISAGREE,
            response="",
        ).exists()

    @invariant()
    def a_consultation_closed_only_when_answered_or_due(self):
        for consultation in Consultation.objects.filter(
            application_id__in=self.applications, closed_at__isnull=False
        ):
            opinions = consultation.opinions.all()
            assert not any(
                o.answered_at and o.answered_at > consultation.closed_at for o in opinions
            )
            if any(o.answered_at is None for o in opinions):
                assert timezone.localtime(consultation.closed_at).date() >= consultation.deadline

    def _editable(self):
        return Application.objects.filter(pk__in=self.applications, state__in=EDITABLE_STATES)

    def _consulting(self):
        return Consultation.objects.filter(
            application_id__in=self.applications,
            closed_at__isnull=True,
            deadline__gt=timezone.localdate(),
        )


def _extra_accounts(personas) -> None:
    """A community officer for 箭道街社区, and the table's roles on the wrong side."""
    for username, role, unit_name in (
        ("jiandaojie_officer", Role.COMMUNITY_OFFICER, "箭道街社区居民委员会"),
        ("other_dept_clerk", Role.DEPT_CLERK, "市中区人社局"),
        ("other_district_review_officer", Role.REVIEW_OFFICER, "云龙区委编办（准入办）"),
        (
            "other_district_group_secretary",
            Role.GROUP_SECRETARY,
            "云龙区社区减负工作领导小组办公室",
        ),
    ):
        account = account_create(
            actor=None,
            username=username,
            display_name=username,
            unit=Unit.objects.get(name=unit_name),
            roles=[role],
            password=PASSWORD,
            granted_by_command=True,
        )
        setattr(personas, username, account)


@pytest.mark.django_db
def test_random_action_sequences_keep_the_invariants(personas):
    _extra_accounts(personas)
    machine = type("Machine", (AdmissionMachine,), {"people": personas})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=12,
            stateful_step_count=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
