"""Reads in admission, each scoped to the acting user (or the public)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from jianfu.admission.models import (
    FINAL_STATES,
    Admission,
    AdmissionState,
    Application,
    ApplicationState,
    Consultation,
    Opinion,
)
from jianfu.admission.services import may_act
from jianfu.admission.workflow import TRANSITIONS
from jianfu.org.models import NO_JURISDICTION, Region, User
from jianfu.org.roles import DISTRICT_ROLES, Role

# Who works with applications: the departments, the district offices, and the streets and
# communities asked for their opinion.
APPLICATION_ROLES = (
    Role.DEPT_CLERK,
    Role.DEPT_HEAD,
    *DISTRICT_ROLES,
    Role.STREET_OFFICER,
    Role.COMMUNITY_OFFICER,
)


def _district_filter(user: User, field: str) -> Q:
    """Rows whose district (the foreign key `field`) the user's unit works for, at or above it."""
    prefix = user.jurisdiction_prefix
    if prefix is None:
        return Q()
    if prefix == NO_JURISDICTION:
        return Q(pk__in=[])
    # At district level or above the prefix covers whole districts. A street's or community's
    # staff are not district offices, whatever role they hold: they see what concerns them.
    if len(prefix) <= 6:
        return Q(**{f"{field}__code__startswith": prefix})
    return Q(pk__in=[])


def applications_visible_to(*, user: User) -> QuerySet[Application]:
    """Own department's applications; the district's for its offices; consultations for streets
    and communities invited to give an opinion."""
    if not user.is_authenticated:
        return Application.objects.none()
    condition = Q(department_id=user.unit_id) if user.unit_id else Q(pk__in=[])
    if user.has_role(*DISTRICT_ROLES):
        # Drafts stay inside the department until they are signed off.
        condition |= _district_filter(user, "district") & ~Q(
            state__in=[ApplicationState.DRAFT, ApplicationState.AWAITING_SIGNOFF]
        )
    unit = user.unit
    if user.has_role(Role.STREET_OFFICER, Role.COMMUNITY_OFFICER) and unit and unit.region_id:
        invited = Opinion.objects.filter(
            consultation__application=OuterRef("pk"), region_id=unit.region_id
        )
        condition |= Q(Exists(invited))
    return (
        Application.objects.filter(condition)
        .select_related("department", "district")
        .order_by("-id")
    )


def application_visible_to(*, user: User, application_id: int) -> Application | None:
    return applications_visible_to(user=user).filter(pk=application_id).first()


def awaits_opinion_from(*, user: User, consultations: Iterable[Consultation]) -> bool:
    """The user answers for a street or community invited to an open consultation, not yet
    answered (`consultations` with their opinions prefetched)."""
    unit = user.unit
    if unit is None or not unit.region_id:
        return False
    return user.has_perm("admission.give_opinion", unit.region) and any(
        opinion.region_id == unit.region_id and opinion.answered_at is None
        for consultation in consultations
        if consultation.closed_at is None
        for opinion in consultation.opinions.all()
    )


def admissions_visible_to(*, user: User | None) -> QuerySet[Admission]:
    """The register with its internal detail (funding, conditions, agreement): the district's
    offices and departments see their districts; streets and communities the admissions that
    cover them. Anonymous callers get the rows for the public columns only."""
    admissions = Admission.objects.select_related("department", "district")
    if user is None or not user.is_authenticated:
        return admissions
    prefix = user.jurisdiction_prefix
    if prefix is None:
        return admissions
    unit = user.unit
    condition = _district_filter(user, "district")
    if unit is not None and unit.region_id:
        condition |= Q(scope__region__code__startswith=prefix)
    if user.unit_id:
        condition |= Q(department_id=user.unit_id)
    return admissions.filter(condition).distinct()


def admission_number_cleaned(number: str) -> str:
    """An admission number as typed, with spaces dropped and half-width brackets made full-width."""
    return number.strip().replace(" ", "").replace("[", "〔").replace("]", "〕")


def admission_by_number(number: str) -> Admission | None:
    """The public lookup of an admission number (spaces and half-width brackets tolerated)."""
    cleaned = admission_number_cleaned(number)
    # The agreement PDFs are not needed to answer "is this number valid?".
    renewals = Admission.objects.defer("agreement_pdf")
    return (
        Admission.objects.select_related("department", "district", "previous")
        .defer("agreement_pdf", "previous__agreement_pdf")
        .prefetch_related("scope__region", Prefetch("renewals", queryset=renewals))
        .filter(number=cleaned)
        .first()
    )


# The public verification answers thousands of checks a day, one number each, so its three
# statements are written once here rather than built and compiled by the ORM on every request
# (which cost more than the page's rendering). They read the same columns the ORM would.
_VERIFY_ADMISSION_SQL = (
    "SELECT a.id, a.number, a.title, a.state, a.valid_from, a.valid_until, a.provisional, "
    "a.target_level, a.state_reason, a.state_reference, department.name, district.name, "
    "previous.number "
    "FROM admission_admission a "
    "JOIN org_unit department ON department.id = a.department_id "
    "JOIN org_region district ON district.code = a.district_id "
    "LEFT JOIN admission_admission previous ON previous.id = a.previous_id "
    "WHERE a.number = %s"
)
_VERIFY_REGIONS_SQL = (
    "SELECT region.name FROM admission_admissionscope scope "
    "JOIN org_region region ON region.code = scope.region_id "
    "WHERE scope.admission_id = %s ORDER BY scope.region_id"
)
_VERIFY_RENEWALS_SQL = "SELECT number FROM admission_admission WHERE previous_id = %s ORDER BY id"


@dataclass
class VerifiedAdmission:
    """The columns of one admission the public verification page shows."""

    number: str
    title: str
    state: str
    valid_from: dt.date
    valid_until: dt.date
    provisional: bool
    target_level: str
    state_reason: str
    state_reference: str
    department_name: str
    district_name: str
    previous_number: str | None

    # The same rule as the register's: an active admission past its term has expired.
    status_on = Admission.status_on


@dataclass(frozen=True)
class Verification:
    """What the public verification page shows of one admission."""

    admission: VerifiedAdmission
    regions: list[str]  # the names of the streets or communities of its scope, by code
    renewals: list[str]  # the numbers of the admissions that renewed it, oldest first


def admission_verification(number: str) -> Verification | None:
    """The public lookup of an admission number for the verification page: the admission's shown
    columns (its department, district and predecessor joined), its scope's region names and its
    renewals' numbers; three short statements, on the primary like every verification."""
    with connection.cursor() as cursor:
        cursor.execute(_VERIFY_ADMISSION_SQL, [admission_number_cleaned(number)])
        row = cursor.fetchone()
        if row is None:
            return None
        pk, *columns = row
        cursor.execute(_VERIFY_REGIONS_SQL, [pk])
        regions = [name for (name,) in cursor.fetchall()]
        cursor.execute(_VERIFY_RENEWALS_SQL, [pk])
        renewals = [renewal for (renewal,) in cursor.fetchall()]
    return Verification(admission=VerifiedAdmission(*columns), regions=regions, renewals=renewals)


def admissions_filtered(
    admissions: QuerySet[Admission],
    *,
    status: str = "",
    department: int | None = None,
    region: str = "",
    year: int | None = None,
    on: dt.date | None = None,
) -> QuerySet[Admission]:
    """Filter the register; `status` is what a reader sees on `on` (today by default)."""
    on = on or timezone.localdate()
    if status == AdmissionState.EXPIRED:
        admissions = admissions.filter(
            Q(state=AdmissionState.EXPIRED) | Q(state=AdmissionState.ACTIVE, valid_until__lt=on)
        )
    elif status == AdmissionState.ACTIVE:
        admissions = admissions.filter(state=AdmissionState.ACTIVE, valid_until__gte=on)
    elif status:
        admissions = admissions.filter(state=status)
    if department:
        admissions = admissions.filter(department_id=department)
    if region:
        found = Region.objects.filter(code=region).first()
        prefix = found.prefix if found is not None else region
        admissions = admissions.filter(
            Q(district__code__startswith=prefix) | Q(scope__region__code__startswith=prefix)
        ).distinct()
    if year:
        admissions = admissions.filter(year=year)
    return admissions


@dataclass(frozen=True)
class PendingStep:
    application: Application
    actions: list[str]
    due: dt.date | None
    overdue: bool
    opinion: Opinion | None = None


def pending_steps_for(*, user: User) -> list[PendingStep]:
    """Applications waiting for this user's action, soonest deadline first, overdue flagged."""
    today = timezone.localdate()
    steps = []
    candidates = applications_visible_to(user=user).exclude(state__in=FINAL_STATES)
    states = {state for (state, _action), t in TRANSITIONS.items() if user.has_role(*t.roles)}
    for application in candidates.filter(state__in=states)[:200]:
        actions = [
            action
            for (state, action) in TRANSITIONS
            if state == application.state
            and action != "withdraw"
            and may_act(user, application, action)
        ]
        if actions:
            due = application.stage_due
            steps.append(PendingStep(application, actions, due, bool(due and due < today)))
    unit = user.unit
    if user.has_role(Role.STREET_OFFICER, Role.COMMUNITY_OFFICER) and unit and unit.region_id:
        waiting = Opinion.objects.filter(
            region_id=unit.region_id,
            answered_at__isnull=True,
            consultation__closed_at__isnull=True,
            consultation__application__state=ApplicationState.IN_CONSULTATION,
        ).select_related("consultation__application__department")
        for opinion in waiting:
            due = opinion.consultation.deadline
            steps.append(
                PendingStep(
                    opinion.consultation.application, ["opinion"], due, due < today, opinion
                )
            )
    return sorted(steps, key=lambda s: (s.due or dt.date.max, s.application.pk))
