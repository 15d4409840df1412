"""Working days: Monday to Friday, except the holidays and make-up workdays in `CalendarDay`."""

from __future__ import annotations

import datetime as dt

from jianfu.core.models import CalendarDay


def _exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return dict(
        CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_workday")
    )


def is_workday(day: dt.date, exceptions: dict[dt.date, bool] | None = None) -> bool:
    if exceptions is None:
        exceptions = _exceptions(day, day)
    return exceptions.get(day, day.weekday() < 5)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The day `days` working days after `start` (start itself does not count)."""
    # Holidays never remove more than about a third of the days, so three times the span
    # plus a fortnight always reaches the answer with one query.
    exceptions = _exceptions(start, start + dt.timedelta(days=days * 3 + 14))
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_workday(day, exceptions):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days lie after `start` up to and including `end` (negative if reversed)."""
    if end < start:
        return -working_days_between(end, start)
    exceptions = _exceptions(start, end)
    return sum(
        is_workday(start + dt.timedelta(days=n), exceptions)
        for n in range(1, (end - start).days + 1)
    )
