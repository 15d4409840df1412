"""Reads in admission, each scoped to the acting user (or the public)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from jianfu.admission.models import (
    FINAL_STATES,
    Admission,
    AdmissionScope,
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


# The columns the public verification shows (templates/admission/verify.html).
VERIFY_FIELDS = (
    "number", "title", "state", "valid_from", "valid_until", "provisional", "target_level",
    "state_reason", "state_reference", "department__name", "district__name", "previous__number",
)  # fmt: skip


@dataclass(frozen=True)
class Verification:
    """What the public verification page shows of one admission."""

    admission: Admission
    regions: list[str]  # the names of the streets or communities of its scope, by code
    renewals: list[str]  # the numbers of the admissions that renewed it, oldest first


def admission_verification(number: str) -> Verification | None:
    """The public lookup of an admission number for the verification page: the admission with
    only the columns the page shows (its department, district and predecessor joined), its
    scope's region names and its renewals' numbers; three short statements."""
    cleaned = admission_number_cleaned(number)
    admission = (
        Admission.objects.select_related("department", "district", "previous")
        .only(*VERIFY_FIELDS)
        .filter(number=cleaned)
        .first()
    )
    if admission is None:
        return None
    regions = AdmissionScope.objects.filter(admission_id=admission.pk).order_by("region_id")
    renewals = Admission.objects.filter(previous_id=admission.pk).order_by("id")
    return Verification(
        admission=admission,
        regions=list(regions.values_list("region__name", flat=True)),
        renewals=list(renewals.values_list("number", flat=True)),
    )


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
