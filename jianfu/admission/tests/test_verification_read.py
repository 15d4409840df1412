"""The public verification's own statements read the same values the register's models hold."""

import datetime as dt

import pytest

from jianfu.admission import services
from jianfu.admission.models import Admission, ApplicationState
from jianfu.admission.selectors import admission_verification
from jianfu.admission.tests.conftest import advance, make_application


@pytest.fixture
def admission(personas) -> Admission:
    application = advance(
        personas, make_application(personas.dept_clerk), ApplicationState.APPROVED
    )
    return application.admissions.get()


def test_verification_reads_what_the_admission_holds(personas, admission):
    renewal = services.admission_renew(
        actor=personas.group_secretary,
        admission=admission,
        valid_until=dt.date(admission.valid_until.year + 1, 12, 31),
        reason="继续实施",
    )
    for shown in (admission, renewal):
        shown.refresh_from_db()
        found = admission_verification(shown.number.replace("〔", "[").replace("〕", "] "))
        read = found.admission
        assert (read.number, read.title, read.state) == (shown.number, shown.title, shown.state)
        assert (read.valid_from, read.valid_until) == (shown.valid_from, shown.valid_until)
        assert type(read.valid_from) is dt.date and type(read.provisional) is bool
        assert read.provisional == shown.provisional and read.target_level == shown.target_level
        assert (read.state_reason, read.state_reference) == (
            shown.state_reason,
            shown.state_reference,
        )
        assert read.department_name == shown.department.name
        assert read.district_name == shown.district.name
        assert read.previous_number == (shown.previous.number if shown.previous else None)
        assert read.status_on(dt.date(2000, 1, 1)) == shown.status_on(dt.date(2000, 1, 1))
        scope = shown.scope.select_related("region").order_by("region_id")
        assert found.regions == [s.region.name for s in scope]
    assert admission_verification(admission.number).renewals == [renewal.number]
    assert admission_verification("市中准〔1999〕1号") is None
