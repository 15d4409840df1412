"""Concurrent decisions, numbering and consultations on PostgreSQL (issue 4, req. 2 and 5).

Each racer runs in its own thread with its own database connection, and all of them are released
at the same moment by a barrier. SQLite is skipped: it lets one writer in at a time
(`transaction_mode="IMMEDIATE"`), so nothing can race there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from jianfu.admission import services
from jianfu.admission.models import (
    Admission,
    AdmissionCounter,
    Application,
    ApplicationEvent,
    ApplicationState,
    Consultation,
    Decision,
    DecisionOutcome,
    Opinion,
)
from jianfu.admission.tests.conftest import advance, answer_all
from jianfu.admission.tests.conftest import make_application as _make_application
from jianfu.core.errors import Conflict
from jianfu.org.models import Region, Unit, User
from jianfu.org.roles import Role
from jianfu.org.services import account_create

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL: SQLite admits one writer at a time, so there is no race to test",
)

PASSWORD = "Persona-Pass-2026"
THREADS = 6


def _together(calls: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run the calls in threads released at once; each result is ("ok", value) or ("error", exc)."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("error", None)] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            # Connect before the barrier, so the race starts at the first statement.
            connection.ensure_connection()
            barrier.wait(timeout=30)
            results[index] = ("ok", call())
        except Exception as error:  # the test asserts on what each racer met
            results[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return results


def _decide(user_pk: int, application_pk: int) -> Application:
    """The group secretary records an approval, with objects loaded in the racer's own thread."""
    return services.application_transition(
        actor=User.objects.select_related("unit__region").get(pk=user_pk),
        application=Application.objects.get(pk=application_pk),
        action="decide",
        outcome=DecisionOutcome.APPROVE,
        meeting_date=timezone.localdate(),
        attendees="区委副书记（组长）、区委编办、区民政局、城东街道",
        minutes="会议审议了区民政局的准入申请。",
    )


def _account(username: str, role: str, unit_name: str) -> User:
    return account_create(
        actor=None,
        username=username,
        display_name=username,
        unit=Unit.objects.get(name=unit_name),
        roles=[role],
        password=PASSWORD,
        granted_by_command=True,
    )


def _awaiting_decision(personas, title: str = "高龄津贴申领初审") -> Application:
    application = _make_application(personas.dept_clerk, values={"title": title})
    return advance(personas, application, ApplicationState.AWAITING_DECISION)


def test_two_secretaries_deciding_at_once_issue_one_admission(live_db, personas):
    second = _account("group_secretary_b", Role.GROUP_SECRETARY, "市中区社区减负工作领导小组办公室")
    application = _awaiting_decision(personas)

    results = _together(
        [
            lambda: _decide(personas.group_secretary.pk, application.pk),
            lambda: _decide(second.pk, application.pk),
        ]
    )

    won = [value for outcome, value in results if outcome == "ok"]
    lost = [value for outcome, value in results if outcome == "error"]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], Conflict) and lost[0].code == "wrong_state"
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    assert Admission.objects.filter(application=application).count() == 1
    assert Decision.objects.filter(application=application).count() == 1
    assert ApplicationEvent.objects.filter(application=application, action="decide").count() == 1


def test_twenty_concurrent_approvals_are_numbered_one_to_twenty(live_db, personas):
    applications = [_awaiting_decision(personas, f"协助事项 {n}") for n in range(1, 21)]
    pks = [application.pk for application in applications]
    queue = list(pks)
    lock = threading.Lock()

    def drain() -> list[str]:
        issued = []
        while True:
            with lock:
                if not queue:
                    return issued
                pk = queue.pop()
            _decide(personas.group_secretary.pk, pk)
            issued.append(Admission.objects.get(application_id=pk).number)

    results = _together([drain] * THREADS)

    assert all(outcome == "ok" for outcome, _value in results), results
    year = timezone.localdate().year
    admissions = Admission.objects.filter(district_id="511002000000", year=year)
    assert sorted(admissions.values_list("sequence", flat=True)) == list(range(1, 21))
    numbers = sorted(number for _outcome, issued in results for number in issued)
    assert numbers == sorted(f"市中准〔{year}〕{n}号" for n in range(1, 21))
    assert AdmissionCounter.objects.get(district_id="511002000000", year=year).last == 20
    assert set(admissions.values_list("application_id", flat=True)) == set(pks)


# ---------------------------------------------------------------------------------------------
# Closing a consultation while the last opinions arrive.


def _in_consultation(personas, officers) -> tuple[Application, Consultation]:
    """A consultation of 钟鼓楼社区, 箭道街社区 and 城东街道 where only `officers` have not answered."""
    application = _make_application(personas.dept_clerk)
    application = advance(personas, application, ApplicationState.IN_CONSULTATION)
    waiting = {officer.unit.region_id for officer in officers}
    answer_all(personas, application)
    Opinion.objects.filter(consultation__application=application, region_id__in=waiting).update(
        verdict="", answered_at=None
    )
    return application, Consultation.objects.get(application=application)


def _close(secretary_pk: int, application_pk: int) -> Application:
    return services.application_transition(
        actor=User.objects.select_related("unit__region").get(pk=secretary_pk),
        application=Application.objects.get(pk=application_pk),
        action="close_consultation",
    )


def _answer(officer_pk: int, application_pk: int) -> Opinion:
    officer = User.objects.select_related("unit__region").get(pk=officer_pk)
    return services.opinion_give(
        actor=officer,
        application=Application.objects.get(pk=application_pk),
        region=Region.objects.get(code=officer.unit.region_id),
        verdict="agree",
    )


def _race_close_and_answers(personas, application: Application, officers: list[User]):
    """The secretary closes while the officers answer; the close's result comes first."""
    return _together(
        [
            partial(_close, personas.group_secretary.pk, application.pk),
            *[partial(_answer, officer.pk, application.pk) for officer in officers],
        ]
    )


def _check_consultation(application: Application, consultation: Consultation, results) -> str:
    """The invariants of a closed race; returns which side went first, for the record."""
    close_outcome, close_value = results[0]
    consultation.refresh_from_db()
    application.refresh_from_db()
    opinions = list(consultation.opinions.all())
    answered = [o for o in opinions if o.answered_at is not None]
    for outcome, value in results[1:]:
        if outcome == "error":
            # An opinion that lost to the close is refused, not recorded.
            assert isinstance(value, Conflict) and value.code == "wrong_state", value
    if close_outcome == "ok":
        assert application.state == ApplicationState.AWAITING_DECISION
        assert consultation.closed_at is not None
        # No opinion is recorded after the consultation closed …
        assert all(o.answered_at <= consultation.closed_at for o in answered)
        # … and the close recorded exactly the answers missing when it happened.
        event = ApplicationEvent.objects.get(application=application, action="close_consultation")
        assert event.data["unanswered"] == len(opinions) - len(answered)
        answered_in_race = sum(outcome == "ok" for outcome, _value in results[1:])
        return "opinions first" if answered_in_race == len(results) - 1 else "close first"
    # The close was refused: the deadline is not reached and someone had not answered yet.
    assert isinstance(close_value, Conflict) and close_value.code == "consultation_open"
    assert consultation.closed_at is None
    assert application.state == ApplicationState.IN_CONSULTATION
    return "close refused"


def test_closing_at_the_deadline_while_the_last_opinions_arrive(live_db, personas):
    officers = [personas.community_officer, personas.street_officer]
    for _round in range(8):
        application, consultation = _in_consultation(personas, officers)
        # The deadline has come: the consultation may close with answers missing.
        Consultation.objects.filter(pk=consultation.pk).update(deadline=timezone.localdate())
        results = _race_close_and_answers(personas, application, officers)
        assert results[0][0] == "ok", results
        assert _check_consultation(application, consultation, results) != "close refused"


def test_closing_before_the_deadline_succeeds_only_after_every_answer(live_db, personas):
    officers = [personas.community_officer, personas.street_officer]
    for _round in range(8):
        application, consultation = _in_consultation(personas, officers)
        assert consultation.deadline > timezone.localdate()
        results = _race_close_and_answers(personas, application, officers)
        # Every opinion is recorded: before the deadline the close cannot cut them off.
        assert all(outcome == "ok" for outcome, _value in results[1:]), results
        verdict = _check_consultation(application, consultation, results)
        if verdict == "close refused":
            # Closing again, now that everyone has answered, works.
            _close(personas.group_secretary.pk, application.pk)
        consultation.refresh_from_db()
        assert consultation.closed_at is not None
        assert not consultation.opinions.filter(answered_at__isnull=True).exists()
