"""The working-day calendar: public holidays and make-up workdays (调休) set by the administrator.

`jianfu.core.workdays` reads these rows; every deadline counted in working days depends on them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_record
from jianfu.core.errors import InvalidInput, NotFound
from jianfu.core.models import CalendarDay
from jianfu.core.permissions import require
from jianfu.org.models import User

# Registered in jianfu/org/rules.py with the other administrator permissions.
PERMISSION = "core.manage_calendar"

NAME_MAX = CalendarDay._meta.get_field("name").max_length
# What an import line may say in its second column.
WORKDAY_WORDS = {"班": True, "上班": True, "休": False, "休息": False, "放假": False}
SEPARATOR = re.compile(r"[,，\t]")


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) > NAME_MAX:
        raise InvalidInput(_("说明不能超过 %(n)d 个字。") % {"n": NAME_MAX})
    return name


def _snapshot(day: CalendarDay | None) -> dict | None:
    return None if day is None else {"is_workday": day.is_workday, "name": day.name}


@transaction.atomic
def calendar_day_set(
    *, actor: User | None, date: dt.date, is_workday: bool, name: str = ""
) -> CalendarDay:
    """Mark one day as a holiday or a make-up workday, replacing what was set for it."""
    require(actor, PERMISSION)
    name = _clean_name(name)
    before = CalendarDay.objects.select_for_update().filter(date=date).first()
    day, _created = CalendarDay.objects.update_or_create(
        date=date, defaults={"is_workday": bool(is_workday), "name": name}
    )
    audit_record(
        actor=actor,
        action="core.calendar_day_set",
        object_type="core.calendarday",
        object_id=date.isoformat(),
        changes={"before": _snapshot(before), "after": _snapshot(day)},
    )
    return day


@transaction.atomic
def calendar_day_delete(*, actor: User | None, date: dt.date) -> None:
    """Remove a day's exception: it becomes an ordinary weekday or weekend day again."""
    require(actor, PERMISSION)
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if day is None:
        raise NotFound(_("%(day)s 没有设置节假日或调休。") % {"day": date.isoformat()})
    audit_record(
        actor=actor,
        action="core.calendar_day_delete",
        object_type="core.calendarday",
        object_id=date.isoformat(),
        changes={"before": _snapshot(day)},
    )
    day.delete()


@dataclass(frozen=True)
class CalendarImportResult:
    created: int
    changed: int
    unchanged: int
    removed: int


def _parse_line(text: str, year: int | None) -> tuple[dt.date, bool, str]:
    parts = [part.strip() for part in SEPARATOR.split(text)]
    if len(parts) < 2 or len(parts) > 3:
        raise ValueError(_("应为“日期,班或休,说明”三栏，如 2026-10-01,休,国庆节"))
    try:
        day = dt.date.fromisoformat(parts[0])
    except ValueError:
        raise ValueError(_("日期“%(value)s”无效，应为 YYYY-MM-DD") % {"value": parts[0]}) from None
    if year is not None and day.year != year:
        raise ValueError(_("日期 %(day)s 不在 %(year)d 年") % {"day": parts[0], "year": year})
    if parts[1] not in WORKDAY_WORDS:
        raise ValueError(_("第二栏应为“班”或“休”，而不是“%(value)s”") % {"value": parts[1]})
    name = parts[2] if len(parts) == 3 else ""
    if len(name) > NAME_MAX:
        raise ValueError(_("说明不能超过 %(n)d 个字") % {"n": NAME_MAX})
    return day, WORKDAY_WORDS[parts[1]], name


@transaction.atomic
def calendar_import(
    *, actor: User | None, text: str, year: int | None = None, replace: bool = False
) -> CalendarImportResult:
    """Set many days from pasted lines such as "2026-10-01,休,国庆节"; all or nothing.

    Every bad line is reported and nothing is written unless all lines are good. With `replace`,
    the year's rows that the lines do not name are removed, so the year matches the import.
    """
    require(actor, PERMISSION)
    if replace and year is None:
        raise InvalidInput(_("替换整年的记录时须指明年份。"))
    parsed: dict[dt.date, tuple[bool, str]] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            day, is_workday, name = _parse_line(line, year)
        except ValueError as error:
            problems.append(_("第 %(n)d 行：%(problem)s") % {"n": number, "problem": error})
            continue
        if day in parsed:
            problems.append(
                _("第 %(n)d 行：日期 %(day)s 重复") % {"n": number, "day": day.isoformat()}
            )
            continue
        parsed[day] = (is_workday, name)
    if problems:
        raise InvalidInput(
            _("有 %(n)d 行无法导入，未写入任何记录。") % {"n": len(problems)},
            details={"problems": problems},
        )
    if not parsed:
        raise InvalidInput(_("没有可导入的行。"))
    # With a year, every row of that year is read, so `replace` knows which ones to drop.
    rows = CalendarDay.objects.select_for_update()
    rows = rows.filter(date__year=year) if year is not None else rows.filter(date__in=list(parsed))
    existing = {day.date: day for day in rows}
    created = [
        CalendarDay(date=day, is_workday=is_workday, name=name)
        for day, (is_workday, name) in parsed.items()
        if day not in existing
    ]
    changed = [
        CalendarDay(date=day, is_workday=is_workday, name=name)
        for day, (is_workday, name) in parsed.items()
        if day in existing and (existing[day].is_workday, existing[day].name) != (is_workday, name)
    ]
    removed = [day for day in existing if replace and day not in parsed]
    CalendarDay.objects.bulk_create(created)
    CalendarDay.objects.bulk_update(changed, ["is_workday", "name"])
    if removed:
        CalendarDay.objects.filter(date__in=removed).delete()
    result = CalendarImportResult(
        created=len(created),
        changed=len(changed),
        unchanged=len(parsed) - len(created) - len(changed),
        removed=len(removed),
    )
    audit_record(
        actor=actor,
        action="core.calendar_import",
        object_type="core.calendarday",
        object_id=str(year or ""),
        changes={
            "created": [d.date.isoformat() for d in created],
            "changed": [d.date.isoformat() for d in changed],
            "removed": [d.isoformat() for d in removed],
        },
    )
    return result
