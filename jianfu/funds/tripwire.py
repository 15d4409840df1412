"""费随事转's tripwire: an admission whose money has not reached a community in time is suspended
for that community, so its tasks there may be refused; it resumes when the money arrives.

Each year of an admission's term, the money for a funded community is due within the district's
`funding_grace_days` (default 30) of the year's start of the term: the admission's first day in
its first year, 1 January after. Whether an admission is suspended for a community is a function
of the day and the ledger alone — past the due day with nothing transferred for that year — so
the daily run, a transfer and a reversal all settle it the same way, and running it twice
changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.admission.models import (
    Admission,
    AdmissionScope,
    AdmissionSettings,
    AdmissionState,
)
from jianfu.catalog.models import ListKind
from jianfu.core.audit import audit_record
from jianfu.core.notifications import notify
from jianfu.funds.models import FundingSuspension
from jianfu.funds.selectors import transferred_by_community
from jianfu.org.models import RegionLevel, User
from jianfu.org.roles import Role

GRACE_DAYS_DEFAULT = AdmissionSettings._meta.get_field("funding_grace_days").get_default()


def funding_due_on(admission: Admission, year: int, grace_days: int) -> dt.date:
    """The last day the year's money may reach a community without suspending the admission."""
    return max(admission.valid_from, dt.date(year, 1, 1)) + dt.timedelta(days=grace_days)


@dataclass(frozen=True)
class TripwireResult:
    suspended: list[FundingSuspension]
    resumed: list[FundingSuspension]


def _funded_scope(day: dt.date, admissions: Iterable[int] | None):
    """The scope rows whose money is due: funded communities of admissions in force on `day`
    that must bring money (not duty work, not emergency admissions)."""
    rows = AdmissionScope.objects.filter(
        funding_fen__gt=0,
        # Money reaches communities' sub-accounts; a street's own work is funded otherwise.
        region__level=RegionLevel.COMMUNITY,
        admission__state=AdmissionState.ACTIVE,
        # Revoked here, the admission asks no more money of this community.
        revoked_on__isnull=True,
        admission__provisional=False,
        admission__valid_from__lte=day,
        admission__valid_until__gte=day,
    ).exclude(admission__list_kind=ListKind.DUTY)
    if admissions is not None:
        rows = rows.filter(admission_id__in=list(admissions))
    return rows.select_related("admission__department", "region")


@transaction.atomic
def funding_tripwire(
    *, day: dt.date | None = None, admissions: Iterable[int] | None = None
) -> TripwireResult:
    """Suspend each admission for each funded community whose money for `day`'s year is overdue,
    and resume each suspension whose money has arrived (or whose admission no longer asks for
    any); audit and tell everyone concerned, and re-check the tasks already sent. `admissions`
    limits the run to those admissions (after a transfer or a reversal)."""
    # Imported here, not at the top: dispatch.services imports this module (a suspended
    # admission makes its tasks refusable), so a top-level import would be a cycle.
    from jianfu.dispatch.services import deliveries_recheck

    day = day or timezone.localdate()
    scope = list(_funded_scope(day, admissions))
    grace = dict(
        AdmissionSettings.objects.filter(
            district_id__in={row.admission.district_id for row in scope}
        ).values_list("district_id", "funding_grace_days")
    )
    arrived = transferred_by_community({row.admission_id for row in scope}, day.year)
    open_suspensions = FundingSuspension.objects.filter(resumed_at__isnull=True)
    if admissions is not None:
        open_suspensions = open_suspensions.filter(admission_id__in=list(admissions))
    current = {
        (s.admission_id, s.region_id): s
        for s in open_suspensions.select_for_update().select_related(
            "admission__department", "region"
        )
    }
    overdue: dict[tuple[int, str], tuple[AdmissionScope, dt.date]] = {}
    for row in scope:
        due_on = funding_due_on(
            row.admission, day.year, grace.get(row.admission.district_id, GRACE_DAYS_DEFAULT)
        )
        key = (row.admission_id, row.region_id)
        if day > due_on and arrived.get(key, 0) <= 0:
            overdue[key] = (row, due_on)
    now = timezone.now()
    suspended = [
        FundingSuspension(
            admission=row.admission,
            region=row.region,
            year=day.year,
            due_on=due_on,
            suspended_at=now,
        )
        for key, (row, due_on) in overdue.items()
        if key not in current
    ]
    FundingSuspension.objects.bulk_create(suspended)
    resumed = [s for key, s in current.items() if key not in overdue]
    for suspension in resumed:
        suspension.resumed_at = now
    FundingSuspension.objects.bulk_update(resumed, ["resumed_at"])
    for suspension in suspended:
        _record(suspension, "funding.suspend", arrived)
    for suspension in resumed:
        _record(suspension, "funding.resume", arrived)
    changed = {s.admission_id: s.admission for s in (*suspended, *resumed)}
    for admission in changed.values():
        deliveries_recheck(admission=admission)
    return TripwireResult(suspended, resumed)


def daily_funding_tripwire() -> str:
    """The worker's daily run of the tripwire (jianfu.core.daily)."""
    result = funding_tripwire()
    return f"suspended={len(result.suspended)} resumed={len(result.resumed)}"


def _record(suspension: FundingSuspension, action: str, arrived: dict) -> None:
    admission, region = suspension.admission, suspension.region
    audit_record(
        action=action,
        target=suspension,
        changes={
            "admission": admission.number,
            "region": region.code,
            "year": suspension.year,
            "due_on": suspension.due_on.isoformat(),
            "transferred_fen": arrived.get((admission.pk, region.code), 0),
        },
    )
    names = {
        "number": admission.number,
        "title": admission.title,
        "community": region.name,
        "department": admission.department.name,
        "due": suspension.due_on.isoformat(),
    }
    if action == "funding.suspend":
        message = _(
            "费随事转：%(department)s准入 %(number)s（%(title)s）的经费应于 %(due)s 前拨付到"
            "%(community)s，至今未到位。该准入对%(community)s暂停，相关任务社区可以拒绝；"
            "经费到位后自动恢复。"
        )
    else:
        message = _(
            "费随事转：%(department)s准入 %(number)s（%(title)s）的经费已到位，"
            "该准入对%(community)s恢复。"
        )
    notify(
        recipients=concerned_users(suspension),
        message=message % names,
        url=reverse("admission_detail", args=[admission.pk]),
    )


def concerned_users(suspension: FundingSuspension):
    """Who is told of a suspension: the department's clerks and heads, the community's and its
    street's officers, and the district's finance office."""
    admission, region = suspension.admission, suspension.region
    return User.objects.filter(
        Q(unit_id=admission.department_id, roles__role__in=[Role.DEPT_CLERK, Role.DEPT_HEAD])
        | Q(unit__region_id=region.code, roles__role=Role.COMMUNITY_OFFICER)
        | Q(unit__region_id=region.parent_id, roles__role=Role.STREET_OFFICER)
        | Q(
            unit__region_id=admission.district_id,
            unit__district_code=admission.district_id,
            roles__role=Role.FINANCE_OFFICER,
        ),
        is_active=True,
        unit__is_active=True,
    ).distinct()


def suspended_regions(admission: Admission) -> set[str]:
    """The communities for which the admission is suspended because its money is overdue."""
    return set(
        FundingSuspension.objects.filter(admission=admission, resumed_at__isnull=True).values_list(
            "region_id", flat=True
        )
    )
