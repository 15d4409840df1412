"""Reading the annual notices: a district's offices read their district's, nobody else any."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from jianfu.certificates.rules import is_district_office_over
from jianfu.org.models import Region, RegionLevel, User
from jianfu.org.roles import DISTRICT_ROLES
from jianfu.org.rules import active_unit
from jianfu.reports.models import Notice

# A notice takes seconds to make; one still unfinished after this long will not finish (its
# worker stopped), so it no longer stops the office from starting another.
STALE_AFTER = dt.timedelta(minutes=30)
# Everything but the documents themselves: a list or a progress poll needs no megabytes.
LIST_DEFERRED = ("pdf", "xlsx", "figures")


def notice_district_of(*, user: User) -> Region | None:
    """The district whose notices the user reads: a district office's own; None otherwise."""
    unit = active_unit(user)
    if unit is None or not unit.district_code or not user.has_role(*DISTRICT_ROLES):
        return None
    return Region.objects.filter(code=unit.district_code, level=RegionLevel.DISTRICT).first()


def notices_of(*, district: Region) -> QuerySet[Notice]:
    """A district's notices, newest first, without their documents."""
    return (
        Notice.objects.filter(district=district)
        .select_related("job", "created_by")
        .defer(*LIST_DEFERRED)
    )


def notice_visible_to(*, user: User, notice_id: int, documents: bool = False) -> Notice | None:
    """The notice if the user is one of its district's offices, else None (a 404)."""
    notices = Notice.objects.select_related("district", "job", "created_by")
    if not documents:
        notices = notices.defer("pdf", "xlsx")
    notice = notices.filter(pk=notice_id).first()
    if notice is None or not is_district_office_over(user, notice.district):
        return None
    return notice


def notice_latest(*, district: Region, year: int) -> Notice | None:
    """The notice the API gives out for a district and year: the latest finished one, or else
    the latest still being made (None when there is neither)."""
    notices = notices_of(district=district).filter(year=year)
    # Only a job that wrote the documents sets finished_at.
    finished = notices.filter(finished_at__isnull=False).first()
    return finished or notice_running(district=district, year=year)


def notice_running(*, district: Region, year: int) -> Notice | None:
    """The district's notice for the year that is queued or being made, if any (one left
    unfinished for longer than STALE_AFTER no longer counts: its worker was lost)."""
    return (
        notices_of(district=district)
        .filter(
            year=year,
            finished_at__isnull=True,
            job__finished_at__isnull=True,
            job__created_at__gte=timezone.now() - STALE_AFTER,
        )
        .first()
    )
