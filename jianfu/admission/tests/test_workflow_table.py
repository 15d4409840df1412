"""The workflow table, cell by cell: every state × action × persona does what TRANSITIONS says.

An action the table has no row for is a 409 ``wrong_state`` for everyone; an action it has is
done by the roles it names on the right side of the procedure, and refused (403) for everyone
else. The applications in each state are built once for the module; each test runs in a
savepoint that is rolled back, so they all start from the same rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from jianfu.admission import services
from jianfu.admission.models import (
    FINAL_STATES,
    Admission,
    Application,
    ApplicationEvent,
    ApplicationState,
    DecisionOutcome,
)
from jianfu.admission.tests.conftest import (
    ALL_CRITERIA,
    advance,
    answer_all,
    decide,
    make_application,
)
from jianfu.admission.workflow import ACTION_LABELS, ACTIONS, TRANSITIONS, Party
from jianfu.core.errors import Conflict, Forbidden
from jianfu.org.demo import ACCOUNTS, demo_load
from jianfu.org.models import Unit, User
from jianfu.org.roles import Role
from jianfu.org.services import account_create

PASSWORD = "Persona-Pass-2026"
DOC = Path(__file__).resolve().parents[3] / "docs" / "admission.md"

STATES = list(ApplicationState.values)
# The business roles of the demo, each as the persona who holds it in 内江市市中区.
ROLE_PERSONAS = [
    "dept_clerk",
    "dept_head",
    "review_officer",
    "group_secretary",
    "street_officer",
    "community_officer",
    "finance_officer",
    "auditor",
    "evaluator",
]
# The roles the table names, held on the wrong side: another department of the same district,
# the review office and group office of another district.
OUTSIDERS = {
    "other_dept_clerk": (Role.DEPT_CLERK, "市中区人社局"),
    "other_dept_head": (Role.DEPT_HEAD, "市中区人社局"),
    "other_district_review_officer": (Role.REVIEW_OFFICER, "云龙区委编办（准入办）"),
    "other_district_group_secretary": (Role.GROUP_SECRETARY, "云龙区社区减负工作领导小组办公室"),
}
# Who acts for the right side of each party, for the application of 市中区民政局.
RIGHT_SIDE = {
    Party.DEPARTMENT: {"dept_clerk", "dept_head"},
    Party.REVIEW: {"review_officer"},
    Party.GROUP: {"group_secretary"},
}


def _account(username: str, role: str, unit_name: str, *roles: str) -> User:
    return account_create(
        actor=None,
        username=username,
        display_name=username,
        unit=Unit.objects.get(name=unit_name),
        roles=[role, *roles],
        password=PASSWORD,
        granted_by_command=True,
    )


def _build_state(people: SimpleNamespace, state: str) -> Application:
    """An application of 市中区民政局 in `state`, with what every action from there needs."""
    application = make_application(people.dept_clerk)
    if state == ApplicationState.RETURNED:
        application = advance(people, application, ApplicationState.IN_REVIEW)
        return services.application_transition(
            actor=people.review_officer,
            application=application,
            action="return",
            comment="请补充法律依据原文。",
        )
    if state == ApplicationState.REJECTED:
        application = advance(people, application, ApplicationState.AWAITING_DECISION)
        return decide(people, application, DecisionOutcome.REJECT)
    if state == ApplicationState.WITHDRAWN:
        return services.application_transition(
            actor=people.dept_clerk, application=application, action="withdraw"
        )
    application = advance(people, application, state)
    if state == ApplicationState.IN_CONSULTATION:
        # Every invited street and community has answered, so closing is allowed today.
        answer_all(people, application)
    return application


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The personas and one application per state, kept in a transaction rolled back at the end."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        demo_load(password=PASSWORD)
        users = {u.username: u for u in User.objects.select_related("unit", "unit__region")}
        people = SimpleNamespace(**{name: users[name] for name, *_rest in ACCOUNTS})
        for username, (role, unit_name) in OUTSIDERS.items():
            setattr(people, username, _account(username, role, unit_name))
        applications = {state: _build_state(people, state).pk for state in STATES}
        yield SimpleNamespace(people=people, applications=applications)
        transaction.set_rollback(True)


def _fields(action: str) -> dict:
    """What each action needs to pass its guards, so a refusal can only come from the table."""
    if action == "accept":
        return {"criteria": ALL_CRITERIA}
    if action == "decide":
        return {
            "outcome": DecisionOutcome.APPROVE,
            "meeting_date": timezone.localdate(),
            "attendees": "区委副书记（组长）、区委编办、区民政局",
            "minutes": "会议审议了区民政局的准入申请。",
        }
    return {}


def _expected_target(state: str, action: str) -> str:
    if action == "decide":
        return services.DECIDED_STATE[DecisionOutcome.APPROVE]
    return TRANSITIONS[(state, action)].target


def _allowed(state: str, action: str, persona: str) -> bool:
    # The personas on the right side are named after the role they hold.
    transition = TRANSITIONS[(state, action)]
    return persona in RIGHT_SIDE[transition.party] and persona in transition.roles


CELLS = [
    pytest.param(state, action, persona, id=f"{state}-{action}-{persona}")
    for state in STATES
    for action in ACTIONS
    for persona in [*ROLE_PERSONAS, *OUTSIDERS]
]


@pytest.mark.parametrize(("state", "action", "persona"), CELLS)
def test_each_state_action_and_persona_follows_the_transition_table(
    world, db, state, action, persona
):
    actor = getattr(world.people, persona)
    application = Application.objects.get(pk=world.applications[state])
    assert application.state == state
    call = {
        "actor": actor,
        "application": application,
        "action": action,
        "comment": "依据工作流程表办理。",
        **_fields(action),
    }
    if (state, action) not in TRANSITIONS:
        with pytest.raises(Conflict) as refused:
            services.application_transition(**call)
        assert refused.value.code == "wrong_state"
        assert refused.value.status == 409
        assert not services.may_act(actor, application, action)
    elif not _allowed(state, action, persona):
        with pytest.raises(Forbidden) as refused:
            services.application_transition(**call)
        assert refused.value.status == 403
        assert not services.may_act(actor, application, action)
    else:
        assert services.may_act(actor, application, action)
        events_before = application.events.count()
        moved = services.application_transition(**call)
        moved.refresh_from_db()
        assert moved.state == _expected_target(state, action)
        event = moved.events.order_by("-id").first()
        assert application.events.count() == events_before + 1
        assert (event.action, event.from_state, event.to_state, event.actor_id) == (
            action,
            state,
            moved.state,
            actor.pk,
        )
        assert event.comment == "依据工作流程表办理。"
        return
    # A refusal changes nothing.
    application.refresh_from_db()
    assert application.state == state


def test_the_table_covers_every_state_and_only_known_actions():
    sources = {state for state, _action in TRANSITIONS}
    targets = {t.target for t in TRANSITIONS.values()} | set(services.DECIDED_STATE.values())
    assert sources | targets == set(STATES)
    assert not sources & FINAL_STATES, "a final state has a way out"
    assert set(ACTIONS) == set(ACTION_LABELS)
    for transition in TRANSITIONS.values():
        assert transition.roles <= set(Role.values)
        assert transition.party in RIGHT_SIDE


# ---------------------------------------------------------------------------------------------
# A department cannot review or decide its own application (issue 4, rule 3).


@pytest.fixture
def insider(world, db):
    """One account of 市中区民政局 holding the department's, the reviewer's and the secretary's roles."""
    return _account(
        "minzheng_all_roles",
        Role.DEPT_CLERK,
        "市中区民政局",
        Role.DEPT_HEAD,
        Role.REVIEW_OFFICER,
        Role.GROUP_SECRETARY,
    )


def _insider_application(world, insider, state: str) -> Application:
    application = make_application(insider)
    return advance(world.people, application, state)


def test_department_with_review_role_cannot_start_review_of_its_own_application(world, db, insider):
    application = _insider_application(world, insider, ApplicationState.SUBMITTED)
    assert not services.may_act(insider, application, "start_review")
    with pytest.raises(Forbidden):
        services.application_transition(
            actor=insider, application=application, action="start_review"
        )
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


def test_department_with_review_role_cannot_accept_its_own_application(world, db, insider):
    application = _insider_application(world, insider, ApplicationState.IN_REVIEW)
    with pytest.raises(Forbidden):
        services.application_transition(
            actor=insider, application=application, action="accept", criteria=ALL_CRITERIA
        )
    with pytest.raises(Forbidden):
        services.application_transition(
            actor=insider, application=application, action="return", comment="自己退回自己"
        )
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_REVIEW


def test_department_with_secretary_role_cannot_decide_its_own_application(world, db, insider):
    application = _insider_application(world, insider, ApplicationState.AWAITING_DECISION)
    assert not services.may_act(insider, application, "decide")
    with pytest.raises(Forbidden):
        services.application_transition(
            actor=insider, application=application, action="decide", **_fields("decide")
        )
    application.refresh_from_db()
    assert application.state == ApplicationState.AWAITING_DECISION
    assert not Admission.objects.filter(application=application).exists()


def test_the_insider_still_acts_for_its_department_and_the_district_reviews(world, db, insider):
    application = make_application(insider)
    for action in ("send_for_signoff", "sign_off"):
        application = services.application_transition(
            actor=insider, application=application, action=action
        )
    assert application.state == ApplicationState.SUBMITTED
    application = services.application_transition(
        actor=world.people.review_officer, application=application, action="start_review"
    )
    assert application.state == ApplicationState.IN_REVIEW
    assert [e.actor_id for e in ApplicationEvent.objects.filter(application=application)] == [
        insider.pk,
        insider.pk,
        insider.pk,
        world.people.review_officer.pk,
    ]


# ---------------------------------------------------------------------------------------------
# docs/admission.md shows the table; it must say exactly what TRANSITIONS says.


def workflow_diagram() -> str:
    """The Mermaid diagram of docs/admission.md, drawn from TRANSITIONS (see workflow_markdown)."""
    lines = ["```mermaid", "stateDiagram-v2"]
    lines += [f'    state "{s.label} {s.value}" as {s.value}' for s in ApplicationState]
    lines.append("    [*] --> draft")
    for (state, action), transition in TRANSITIONS.items():
        if action == "decide":
            targets = sorted(set(services.DECIDED_STATE.values()))
        else:
            targets = [transition.target]
        lines += [f"    {state} --> {target}: {action}" for target in targets]
    lines += [f"    {state} --> [*]" for state in ApplicationState if state in FINAL_STATES]
    lines.append("```")
    return "\n".join(lines)


def workflow_table() -> str:
    """The transition table of docs/admission.md, drawn from TRANSITIONS."""
    lines = [
        "<!-- transitions:start -->",
        "| state | action | next state | who may (roles) | party |",
        "|---|---|---|---|---|",
    ]
    for (state, action), transition in TRANSITIONS.items():
        target = f"`{transition.target}` {ApplicationState(transition.target).label}"
        if action == "decide":
            target += "; `reject` and `purchase_services` outcomes → rejected 不予准入"
        roles = ", ".join(f"`{role}` {Role(role).label}" for role in sorted(transition.roles))
        lines.append(
            f"| `{state}` {ApplicationState(state).label} | `{action}` {ACTION_LABELS[action]} "
            f"| {target} | {roles} | `{transition.party}` |"
        )
    lines.append("<!-- transitions:end -->")
    return "\n".join(lines)


def workflow_markdown() -> str:
    """Both, to paste into docs/admission.md after changing the table:

    ``jianfu shell -c "from jianfu.admission.tests.test_workflow_table import workflow_markdown;
    print(workflow_markdown())"``
    """
    return f"{workflow_diagram()}\n\n{workflow_table()}"


def test_the_document_shows_the_drawing_of_the_current_table():
    text = DOC.read_text(encoding="utf-8")
    hint = "docs/admission.md is out of date: redraw it with workflow_markdown()"
    assert workflow_diagram() in text, hint
    assert workflow_table() in text, hint


def _code(cell: str) -> str:
    found = re.search(r"`([^`]+)`", cell)
    assert found, f"no `code` in table cell {cell!r}"
    return found.group(1)


def _documented_table() -> dict[tuple[str, str], tuple[str, frozenset[str], str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("<!-- transitions:start -->", 1)[1].split("<!-- transitions:end -->")[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].startswith("`"):
            continue
        state, action, target = _code(cells[0]), _code(cells[1]), _code(cells[2])
        roles = frozenset(re.findall(r"`([^`]+)`", cells[3]))
        assert (state, action) not in rows, f"({state}, {action}) is documented twice"
        rows[(state, action)] = (target, roles, _code(cells[4]))
    return rows


def _documented_diagram() -> set[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("```mermaid", 1)[1].split("```", 1)[0]
    assert "stateDiagram-v2" in block
    return {
        (source, target, label.strip())
        for source, target, label in re.findall(r"^\s*(\w+) --> (\w+) *: *(\w+)\s*$", block, re.M)
    }


def test_the_documented_table_matches_the_transitions_exactly():
    documented = _documented_table()
    actual = {
        key: (transition.target, transition.roles, transition.party)
        for key, transition in TRANSITIONS.items()
    }
    assert documented.keys() == actual.keys()
    for key, row in actual.items():
        assert documented[key] == row, f"docs/admission.md disagrees with TRANSITIONS on {key}"


def test_the_documented_diagram_draws_every_transition():
    edges = set()
    for (state, action), transition in TRANSITIONS.items():
        if action == "decide":
            edges |= {(state, target, action) for target in set(services.DECIDED_STATE.values())}
        else:
            edges.add((state, transition.target, action))
    assert _documented_diagram() == edges


def test_the_documented_admission_moves_match_the_service():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("<!-- moves:start -->", 1)[1].split("<!-- moves:end -->")[0]
    documented = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            sources = frozenset(re.findall(r"`([^`]+)`", cells[1]))
            documented[_code(cells[0])] = (sources, _code(cells[2]))
    assert documented == {
        move: (frozenset(sources), target)
        for move, (sources, target) in services.ADMISSION_MOVES.items()
    }
