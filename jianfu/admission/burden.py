"""The burden budget: hours a year of admitted work per community, against what it can carry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, Sum
from django.utils import timezone

from jianfu.admission.models import (
    AdmissionScope,
    AdmissionSettings,
    AdmissionState,
    Application,
    CommunityCapacity,
    TargetLevel,
)
from jianfu.org.models import Region


def capacity_hours(communities: Iterable[Region], settings: AdmissionSettings) -> dict[str, int]:
    """Each community's yearly hours: its own figure, or workers × the district's hours per worker."""
    codes = [c.code for c in communities]
    rows = {c.community_id: c for c in CommunityCapacity.objects.filter(community_id__in=codes)}
    result = {}
    for code in codes:
        row = rows.get(code)
        if row is None:
            result[code] = 0
        elif row.hours_per_year is not None:
            result[code] = row.hours_per_year
        else:
            result[code] = row.workers * settings.hours_per_worker
    return result


def _in_force() -> Q:
    """Admission scope rows whose admission is in force today."""
    today = timezone.localdate()
    return Q(
        admission__state=AdmissionState.ACTIVE,
        admission__valid_from__lte=today,
        admission__valid_until__gte=today,
    )


def admitted_hours(
    codes: Iterable[str], excluding_application: int | None = None
) -> dict[str, float]:
    """Hours a year of the admissions in force today on each community."""
    rows = AdmissionScope.objects.filter(_in_force(), region_id__in=list(codes))
    if excluding_application is not None:
        rows = rows.exclude(admission__application_id=excluding_application)
    rows = rows.values("region_id").annotate(hours=Sum("admission__hours_per_community"))
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        totals[row["region_id"]] = row["hours"] or 0.0
    return totals


def application_burden(application: Application, codes: Iterable[str] | None = None) -> list[dict]:
    """Per community in scope: capacity, burden before and after, and whether it runs over.

    A community over its budget is `offset` when the application retires admissions there of
    at least as many hours as it adds ("one in, one out").
    """
    from jianfu.admission.services import settings_for

    if application.target_level != TargetLevel.COMMUNITY:
        return []
    scope = application.scope.select_related("region")
    if codes is not None:
        scope = scope.filter(region_id__in=list(codes))
    communities = [row.region for row in scope]
    settings = settings_for(application.district)
    capacity = capacity_hours(communities, settings)
    codes = [c.code for c in communities]
    # Once approved, the application's own admission is in force; "before" must not count it.
    before = admitted_hours(codes, excluding_application=application.pk)
    retired_ids = list(application.retires.values_list("pk", flat=True))
    retired = defaultdict(float)
    # Only an admission still in force frees hours; an expired or revoked one frees nothing.
    for row in AdmissionScope.objects.filter(
        _in_force(), admission_id__in=retired_ids, region_id__in=codes
    ).values("region_id", "admission__hours_per_community"):
        retired[row["region_id"]] += row["admission__hours_per_community"]
    added = application.hours_per_community
    rows = []
    for community in communities:
        code = community.code
        after = before[code] + added - retired[code]
        rows.append(
            {
                "code": code,
                "name": community.name,
                "capacity": capacity[code],
                "before": round(before[code], 1),
                "after": round(after, 1),
                "over": after > capacity[code],
                "offset": retired[code] >= added > 0,
            }
        )
    return rows
