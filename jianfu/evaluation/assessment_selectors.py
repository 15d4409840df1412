"""Reads of the assessment of dispatched agencies, scoped to the reader.

Who reads what:
- the district's assessments: everyone who takes part in them (the group office, the review
  office and auditors, the departments' clerks and heads, the streets' officers);
- a score form: the agencies the reader may score as one assessor kind, with what that kind
  scored so far (a department its own agencies, a street the agencies stationed in it, the
  group office every agency for society);
- results: the group office, review office and auditors of the district at any time; once the
  assessment is closed, a street its own agencies' rows and a department its agencies' rows,
  ranked among all the district's agencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Rank

from jianfu.evaluation.assessment import permission_for
from jianfu.evaluation.models import (
    AgencyAssessment,
    AgencyScore,
    AssessedAgency,
    AssessmentState,
    AssessorKind,
    Indicator,
)
from jianfu.org.models import NO_JURISDICTION, UnitType, User
from jianfu.org.roles import Role

KINDS: tuple[str, ...] = tuple(AssessorKind.values)
DISTRICT_READERS = (Role.GROUP_SECRETARY, Role.REVIEW_OFFICER, Role.AUDITOR)
ASSESSMENT_ROLES = (*DISTRICT_READERS, Role.DEPT_CLERK, Role.DEPT_HEAD, Role.STREET_OFFICER)


def assessments_visible_to(*, user: User) -> QuerySet[AgencyAssessment]:
    """The assessments of the reader's district (or of every district below them)."""
    if not user.is_authenticated or not user.has_role(*ASSESSMENT_ROLES):
        return AgencyAssessment.objects.none()
    prefix = user.jurisdiction_prefix
    if prefix == NO_JURISDICTION:
        return AgencyAssessment.objects.none()
    assessments = AgencyAssessment.objects.select_related("district").annotate(
        agency_count=Count("agencies", distinct=True)
    )
    if prefix is not None:
        assessments = assessments.filter(district__code__startswith=prefix[:6])
    return assessments


def assessment_visible_to(*, user: User, pk: int) -> AgencyAssessment | None:
    return assessments_visible_to(user=user).filter(pk=pk).first()


def _agencies_scored_as(user: User, kind: str) -> Q | None:
    """Which roster rows the user may score as `kind`, as a filter (None: none). The rules'
    predicates say the same for one row; this is their set-based form for lists."""
    unit = user.unit if user.is_authenticated else None
    if unit is None or not unit.is_active or not user.is_active:
        return None
    # (the roles that score as the kind, the type of their unit, the rows they score)
    who = {
        AssessorKind.DEPARTMENT: (
            (Role.DEPT_CLERK, Role.DEPT_HEAD),
            UnitType.DEPARTMENT,
            Q(department_id=unit.pk),
        ),
        AssessorKind.STREET: (
            (Role.STREET_OFFICER,),
            UnitType.STREET_OFFICE,
            Q(street_id=unit.region_id),
        ),
        AssessorKind.SOCIETY: (
            (Role.GROUP_SECRETARY,),
            UnitType.GROUP_OFFICE,
            Q(assessment__district_id=unit.district_code),
        ),
    }
    if kind not in who:
        return None
    roles, unit_type, rows = who[kind]
    return rows if user.has_role(*roles) and unit.type == unit_type else None


def agencies_to_score(
    *, user: User, assessment: AgencyAssessment, kind: str
) -> list[AssessedAgency]:
    """The roster rows the user may score as `kind`, by street and name."""
    allowed = _agencies_scored_as(user, kind)
    if allowed is None:
        return []
    rows = (
        AssessedAgency.objects.filter(allowed, assessment=assessment)
        .select_related("agency", "department", "street", "assessment")
        .order_by("street_id", "agency__sort_key", "id")
    )
    return [row for row in rows if user.has_perm(permission_for(kind), row)]


def scoring_kinds(*, user: User, assessments: list[AgencyAssessment]) -> dict[int, list[str]]:
    """For each assessment, the assessor kinds the user scores in it (one query per kind the
    user could hold at all)."""
    found: dict[int, list[str]] = {assessment.pk: [] for assessment in assessments}
    for kind in KINDS:
        allowed = _agencies_scored_as(user, kind)
        if allowed is None or not found:
            continue
        having = (
            AssessedAgency.objects.filter(allowed, assessment_id__in=list(found))
            .order_by()
            .values_list("assessment_id", flat=True)
            .distinct()
        )
        for assessment_id in having:
            found[assessment_id].append(kind)
    return found


def scores_of(*, agencies: list[AssessedAgency], kind: str) -> dict[tuple[int, int], int]:
    """What `kind` scored so far: {(assessed agency id, indicator id): score}."""
    rows = AgencyScore.objects.filter(
        agency_id__in=[agency.pk for agency in agencies], assessor_kind=kind
    ).values_list("agency_id", "indicator_id", "score")
    return {(agency_id, indicator_id): score for agency_id, indicator_id, score in rows}


def scored_kinds_by_agency(*, assessment: AgencyAssessment) -> dict[int, list[str]]:
    """Which assessor kinds have scored each roster row: {assessed agency id: [kind, …]}."""
    found: dict[int, list[str]] = {}
    rows = (
        AgencyScore.objects.filter(agency__assessment=assessment)
        .values_list("agency_id", "assessor_kind")
        .distinct()
        .order_by("agency_id", "assessor_kind")
    )
    for agency_id, kind in rows:
        found.setdefault(agency_id, []).append(kind)
    return found


def indicators_of(assessment: AgencyAssessment) -> list[Indicator]:
    return list(assessment.indicators.order_by("position"))


# Results ---------------------------------------------------------------------------------------


@dataclass
class AgencyResult:
    """One agency's line: each assessor kind's total (None: not scored yet), the weighted total
    over the kinds that scored, its rank among all the district's agencies, and the flag."""

    row: AssessedAgency
    totals: dict[str, int | None]
    weighted: Decimal | None
    rank: int | None
    needs_adjustment: bool

    @property
    def missing(self) -> list[str]:
        return [AssessorKind(kind).label for kind, total in self.totals.items() if total is None]


def _is_district_reader(user: User, assessment: AgencyAssessment) -> bool:
    unit = user.unit if user.is_authenticated else None
    return (
        unit is not None
        and unit.is_active
        and user.has_role(*DISTRICT_READERS)
        and unit.district_code == assessment.district_id
    )


def results_scope(*, user: User, assessment: AgencyAssessment) -> Q | None:
    """Which rows of the results the user reads (None: no results at all)."""
    if _is_district_reader(user, assessment):
        return Q()
    if assessment.state != AssessmentState.CLOSED:
        return None
    scopes = [
        scope
        for scope in (
            _agencies_scored_as(user, AssessorKind.DEPARTMENT),
            _agencies_scored_as(user, AssessorKind.STREET),
        )
        if scope is not None
    ]
    if not scopes:
        return None
    combined = scopes[0]
    for scope in scopes[1:]:
        combined |= scope
    return combined


def _ranked(assessment: AgencyAssessment) -> QuerySet[AssessedAgency]:
    """Every roster row with its totals, computed in one grouped query over the scores.

    total_k = Σ scores of kind k; weighted = Σ w_k·total_k / Σ w_k over the kinds that scored,
    carried as numerator and denominator so the flag compares exactly; the weighted total in
    hundredths is rounded half up in integer arithmetic, the same on SQLite and PostgreSQL,
    and the rank (ties share a rank) is taken on that rounded value, the one the page shows.
    """
    totals = {
        f"total_{kind}": Sum("scores__score", filter=Q(scores__assessor_kind=kind))
        for kind in KINDS
    }
    counts = {
        f"count_{kind}": Count("scores", filter=Q(scores__assessor_kind=kind)) for kind in KINDS
    }
    numerator = sum(
        (Coalesce(F(f"total_{kind}"), 0) * Value(assessment.weight_of(kind)) for kind in KINDS),
        start=Value(0),
    )
    denominator = sum(
        (
            Case(
                When(**{f"count_{kind}__gt": 0}, then=Value(assessment.weight_of(kind))),
                default=Value(0),
            )
            for kind in KINDS
        ),
        start=Value(0),
    )
    centi = Case(
        When(
            weight_sum__gt=0,
            then=(F("weighted_sum") * 200 + F("weight_sum")) / (F("weight_sum") * 2),
        ),
        default=None,
        output_field=IntegerField(),
    )
    return (
        AssessedAgency.objects.filter(assessment=assessment)
        .select_related("agency", "department", "street")
        .annotate(**totals, **counts)
        .annotate(
            weighted_sum=ExpressionWrapper(numerator, output_field=IntegerField()),
            weight_sum=ExpressionWrapper(denominator, output_field=IntegerField()),
        )
        .annotate(weighted_centi=centi)
        .annotate(
            rank=Window(Rank(), order_by=F("weighted_centi").desc(nulls_last=True)),
        )
        .order_by("rank", "street_id", "agency__sort_key", "id")
    )


def assessment_results(*, assessment: AgencyAssessment, scope: Q | None) -> list[AgencyResult]:
    """The ranked results of the rows in `scope` (see results_scope: Q() is every row, None
    none), each ranked among all the district's agencies."""
    if scope is None:
        return []
    shown = None
    if scope != Q():
        shown = set(
            AssessedAgency.objects.filter(scope, assessment=assessment).values_list("pk", flat=True)
        )
    results = []
    for row in _ranked(assessment):
        if shown is not None and row.pk not in shown:
            continue
        scored = row.weighted_centi is not None
        results.append(
            AgencyResult(
                row=row,
                totals={
                    kind: getattr(row, f"total_{kind}") if getattr(row, f"count_{kind}") else None
                    for kind in KINDS
                },
                weighted=Decimal(row.weighted_centi).scaleb(-2) if scored else None,
                rank=row.rank if scored else None,
                # Compared exactly: Σ w·total < line × Σ w, no rounding on either side.
                needs_adjustment=scored
                and row.weighted_sum < assessment.adjustment_below * row.weight_sum,
            )
        )
    return results


def score_details(*, assessment: AgencyAssessment, scope: Q | None) -> QuerySet:
    """Every score (agency, assessor kind, indicator) in `scope`, for the export."""
    if scope is None:
        return AgencyScore.objects.none().values()
    rows = AgencyScore.objects.filter(agency__assessment=assessment)
    if scope != Q():
        rows = rows.filter(agency__in=AssessedAgency.objects.filter(scope, assessment=assessment))
    return rows.order_by(
        "agency__street_id",
        "agency__agency__sort_key",
        "agency_id",
        "assessor_kind",
        "indicator__position",
    ).values(
        "agency__agency__name",
        "agency__street__name",
        "assessor_kind",
        "indicator__name",
        "indicator__max_score",
        "score",
        "scored_by__display_name",
        "scored_by__username",
        "scored_at",
    )
