"""Working days skip weekends and holidays, count make-up workdays, and cross year ends (issue 4, req. 4)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jianfu.admission import services
from jianfu.admission.models import ApplicationState
from jianfu.admission.tests.conftest import advance, make_application
from jianfu.core.models import CalendarDay
from jianfu.core.workdays import add_working_days, is_workday, working_days_between

FRIDAY = dt.date(2026, 3, 6)
MONDAY = dt.date(2026, 3, 9)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture
def national_day(db):
    """国庆 2026: 1–7 October off, Saturday 10 October worked (调休)."""
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day(f"2026-10-0{n}"), is_workday=False, name="国庆节")
            for n in range(1, 8)
        ]
        + [CalendarDay(date=day("2026-10-10"), is_workday=True, name="国庆节调休上班")]
    )


@pytest.fixture
def new_year_2027(db):
    CalendarDay.objects.create(date=day("2027-01-01"), is_workday=False, name="元旦")


@pytest.mark.django_db
def test_friday_plus_one_working_day_is_monday():
    assert add_working_days(FRIDAY, 1) == MONDAY
    assert add_working_days(FRIDAY, 5) == day("2026-03-13")
    assert working_days_between(FRIDAY, MONDAY) == 1


@pytest.mark.django_db
def test_a_weekend_start_counts_from_the_next_monday():
    saturday, sunday = day("2026-03-07"), day("2026-03-08")
    assert add_working_days(saturday, 1) == MONDAY
    assert add_working_days(sunday, 1) == MONDAY
    assert working_days_between(FRIDAY, sunday) == 0


@pytest.mark.django_db
def test_zero_days_is_the_start_itself_even_on_a_weekend():
    saturday = day("2026-03-07")
    assert add_working_days(FRIDAY, 0) == FRIDAY
    assert add_working_days(saturday, 0) == saturday
    assert working_days_between(FRIDAY, FRIDAY) == 0


@pytest.mark.django_db
def test_working_days_between_reversed_is_negative():
    assert working_days_between(MONDAY, FRIDAY) == -1
    assert working_days_between(day("2026-03-13"), FRIDAY) == -5


def test_year_end_skips_the_new_year_holiday(new_year_2027):
    thursday = day("2026-12-31")
    assert add_working_days(thursday, 1) == day("2027-01-04")
    assert working_days_between(thursday, day("2027-01-04")) == 1
    assert working_days_between(thursday, day("2027-01-03")) == 0


@pytest.mark.django_db
def test_year_end_without_a_holiday_row_is_the_first_of_january():
    assert add_working_days(day("2026-12-31"), 1) == day("2027-01-01")


def test_national_day_holidays_are_skipped(national_day):
    wednesday = day("2026-09-30")
    assert add_working_days(wednesday, 1) == day("2026-10-08")
    assert add_working_days(day("2026-09-29"), 2) == day("2026-10-08")
    assert not any(is_workday(day(f"2026-10-0{n}")) for n in range(1, 8))
    assert working_days_between(wednesday, day("2026-10-07")) == 0


def test_a_make_up_saturday_is_a_working_day(national_day):
    assert is_workday(day("2026-10-10"))
    assert add_working_days(day("2026-10-09"), 1) == day("2026-10-10")
    assert add_working_days(day("2026-10-09"), 2) == day("2026-10-12")
    # 8, 9, 10 (Saturday, worked) and 12 October.
    assert working_days_between(day("2026-09-30"), day("2026-10-12")) == 4


def test_a_long_holiday_right_after_the_start_is_still_found_with_one_query(
    national_day, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert add_working_days(day("2026-09-30"), 1) == day("2026-10-08")
    with django_assert_num_queries(1):
        assert add_working_days(day("2026-09-25"), 15) == day("2026-10-22")


def test_add_working_days_uses_one_query(national_day, django_assert_num_queries):
    with django_assert_num_queries(1):
        add_working_days(day("2026-09-25"), 10)
    with django_assert_num_queries(1):
        add_working_days(FRIDAY, 0)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.dates(min_value=dt.date(2026, 9, 1), max_value=dt.date(2027, 1, 31)),
    days=st.integers(min_value=0, max_value=40),
)
def test_adding_then_counting_gives_back_the_days(national_day, new_year_2027, start, days):
    end = add_working_days(start, days)
    assert working_days_between(start, end) == days
    if days:
        # The answer is the first day that completes the count: itself a working day.
        assert is_workday(end)
        assert working_days_between(start, end - dt.timedelta(days=1)) == days - 1


# ---------------------------------------------------------------------------------------------
# The stage deadlines sign-off sets come from the district's settings, in working days.


def _signed_off(personas):
    application = make_application(personas.dept_clerk)
    for actor, action in (
        (personas.dept_clerk, "send_for_signoff"),
        (personas.dept_head, "sign_off"),
    ):
        application = services.application_transition(
            actor=actor, application=application, action=action
        )
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    return application


FRIDAY_BEFORE_NATIONAL_DAY = dt.datetime(2026, 9, 25, 16, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_sign_off_sets_review_and_decision_deadlines_in_working_days(personas, national_day):
    with time_machine.travel(FRIDAY_BEFORE_NATIONAL_DAY, tick=False):
        application = _signed_off(personas)
    # Defaults: review within 5 working days, decision within 15 working days of submission.
    # From Friday 25 September: 28, 29, 30 September, then 8, 9, 10 (worked Saturday), 12 …
    assert application.stage_due == day("2026-10-09")
    assert application.decision_due == day("2026-10-22")
    assert timezone.localtime(application.submitted_at).date() == day("2026-09-25")


def test_sign_off_uses_the_districts_own_deadlines(personas, national_day):
    settings_row = services.settings_for(personas.dept_clerk.unit.region)
    assert settings_row.district_id == personas.dept_clerk.unit.district_code
    settings_row.review_days, settings_row.decision_days = 1, 4
    settings_row.save(update_fields=["review_days", "decision_days"])
    with time_machine.travel(FRIDAY_BEFORE_NATIONAL_DAY, tick=False):
        application = _signed_off(personas)
    assert application.stage_due == day("2026-09-28")
    assert application.decision_due == day("2026-10-08")


def test_a_consultation_runs_the_districts_consultation_days_by_default(personas, national_day):
    with time_machine.travel(FRIDAY_BEFORE_NATIONAL_DAY, tick=False):
        application = make_application(personas.dept_clerk)
        application = advance(personas, application, ApplicationState.IN_CONSULTATION)
    application.refresh_from_db()
    # Ten working days from Friday 25 September: 28, 29, 30 September, 8, 9, 10, 12 … 15 October.
    assert application.consultations.get().deadline == day("2026-10-15")
    assert application.stage_due == day("2026-10-15")
    assert application.decision_due == day("2026-10-22")
