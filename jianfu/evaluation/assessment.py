"""Writes of the assessment of dispatched agencies (派驻机构双向评估, 三方会考; seed 003).

The district's leadership-group office opens the year's assessment with the weights of the
three assessors (区直部门, 街道, 社会) and the indicators, and puts each dispatched agency on the
roster with the department that stations it. The department and the street each score their
agencies on every indicator; the group office enters society's score, the result of a
third-party survey. Scores can be changed until the office closes the assessment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_record
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.permissions import require
from jianfu.evaluation.models import (
    AgencyAssessment,
    AgencyScore,
    AssessedAgency,
    AssessmentState,
    AssessorKind,
    Indicator,
)
from jianfu.evaluation.services import settings_for
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User

# Seed 003 names what the assessment weighs: an agency's work performance (工作实绩) and the
# residents' satisfaction with it, and its place under the street's lead (属地管理).
DEFAULT_INDICATORS: tuple[tuple[str, int], ...] = (
    ("工作实绩", 40),
    ("服务群众", 30),
    ("配合街道工作", 20),
    ("遵规守纪", 10),
)
# 30 / 40 / 30: the street, where the agency works every day, weighs most.
DEFAULT_WEIGHTS: Mapping[str, int] = {
    AssessorKind.DEPARTMENT: 30,
    AssessorKind.STREET: 40,
    AssessorKind.SOCIETY: 30,
}
MAX_INDICATORS = 10
FULL_MARKS = 100


def permission_for(kind: str) -> str:
    """The permission to score an agency as `kind` (evaluation.assess_department …)."""
    return f"evaluation.assess_{kind}"


def street_of(unit: Unit) -> Region | None:
    """The street an agency works in: its own region, or its community's street."""
    region = unit.region
    if region is None:
        return None
    if region.level == RegionLevel.STREET:
        return region
    if region.level == RegionLevel.COMMUNITY:
        return region.parent
    return None


def _clean_weights(weights: Mapping[str, int]) -> dict[str, int]:
    cleaned = {}
    for kind in AssessorKind.values:
        weight = weights.get(kind, 0)
        if not isinstance(weight, int) or not 0 <= weight <= 100:
            raise InvalidInput(_("各方权重应为 0 至 100 的整数。"))
        cleaned[kind] = weight
    if not any(cleaned.values()):
        raise InvalidInput(_("至少一方的权重应大于 0。"))
    return cleaned


def _clean_indicators(indicators: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    cleaned = [(str(name).strip(), score) for name, score in indicators]
    if not 1 <= len(cleaned) <= MAX_INDICATORS:
        raise InvalidInput(_("考核指标应为 1 至 %(max)s 项。") % {"max": MAX_INDICATORS})
    names = [name for name, _score in cleaned]
    if any(not name or len(name) > 100 for name in names) or len(set(names)) != len(names):
        raise InvalidInput(_("考核指标名称不能为空、不能重复，且不超过 100 个字。"))
    if any(not isinstance(score, int) or not 1 <= score <= FULL_MARKS for _n, score in cleaned):
        raise InvalidInput(_("每项指标的分值应为 1 至 100 的整数。"))
    total = sum(score for _name, score in cleaned)
    # Every assessor scores out of 100, so the weighted total and the "needs adjustment" line
    # are on the same scale whatever the indicators are.
    if total != FULL_MARKS:
        raise InvalidInput(
            _("各项指标的分值合计应为 100 分，现为 %(total)s 分。") % {"total": total}
        )
    return cleaned


@transaction.atomic
def assessment_create(
    *,
    actor: User | None,
    district: Region,
    year: int,
    title: str,
    weights: Mapping[str, int] = DEFAULT_WEIGHTS,
    indicators: Sequence[tuple[str, int]] = DEFAULT_INDICATORS,
    adjustment_below: int | None = None,
) -> AgencyAssessment:
    """Open a district's yearly assessment with its weights and indicators; the roster is
    set afterwards, agency by agency, on the roster page."""
    require(actor, "evaluation.assess_manage", district)
    if district.level != RegionLevel.DISTRICT:
        raise InvalidInput(_("派驻机构考核以区/县为单位组织。"))
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(_("考核年度无效。"))
    title = title.strip()
    if not title or len(title) > 200:
        raise InvalidInput(_("请填写名称（不超过 200 字）。"))
    weights = _clean_weights(weights)
    indicators = _clean_indicators(indicators)
    if adjustment_below is None:
        adjustment_below = settings_for(district).adjustment_below
    if not isinstance(adjustment_below, int) or not 0 <= adjustment_below <= FULL_MARKS:
        raise InvalidInput(_("“需调整”分数线应在 0 至 100 之间。"))
    if AgencyAssessment.objects.filter(district=district, year=year).exists():
        raise Conflict(
            _("本区 %(year)s 年度的派驻机构考核已经存在。") % {"year": year}, code="exists"
        )
    assessment = AgencyAssessment.objects.create(
        district=district,
        year=year,
        title=title,
        weight_department=weights[AssessorKind.DEPARTMENT],
        weight_street=weights[AssessorKind.STREET],
        weight_society=weights[AssessorKind.SOCIETY],
        adjustment_below=adjustment_below,
        created_by=actor,
    )
    Indicator.objects.bulk_create(
        Indicator(assessment=assessment, position=position, name=name, max_score=score)
        for position, (name, score) in enumerate(indicators, start=1)
    )
    audit_record(
        actor=actor,
        action="evaluation.assessment_create",
        target=assessment,
        changes={
            "year": year,
            "weights": weights,
            "indicators": dict(indicators),
            "adjustment_below": adjustment_below,
        },
    )
    return assessment


def _locked_open(assessment: AgencyAssessment) -> AgencyAssessment:
    # The row lock orders every write against closing: no score lands after the close.
    locked = (
        AgencyAssessment.objects.select_for_update()
        .select_related("district")
        .get(pk=assessment.pk)
    )
    if locked.state != AssessmentState.OPEN:
        raise Conflict(_("派驻机构考核已经结束，不能再修改。"), code="closed")
    return locked


def roster_candidates(assessment: AgencyAssessment) -> list[Unit]:
    """The district's active dispatched agencies, with the street each works in."""
    return list(
        Unit.objects.filter(
            type=UnitType.DISPATCHED_AGENCY,
            is_active=True,
            district_code=assessment.district_id,
        )
        .select_related("region", "region__parent")
        .order_by("region_id", "sort_key", "id")
    )


def district_departments(assessment: AgencyAssessment) -> list[Unit]:
    return list(
        Unit.objects.filter(
            type=UnitType.DEPARTMENT, is_active=True, district_code=assessment.district_id
        ).order_by("sort_key", "id")
    )


@transaction.atomic
def roster_set(
    *, actor: User | None, assessment: AgencyAssessment, departments: Mapping[int, int | None]
) -> AgencyAssessment:
    """Put agencies on the roster with the department that stations each ({agency unit id:
    department unit id}); None takes an agency off. Agencies not named are left as they are."""
    require(actor, "evaluation.assess_manage", assessment)
    assessment = _locked_open(assessment)
    candidates = {unit.pk: unit for unit in roster_candidates(assessment)}
    known_departments = {unit.pk for unit in district_departments(assessment)}
    current = {row.agency_id: row for row in assessment.agencies.select_related("agency")}
    scored = set(
        AgencyScore.objects.filter(agency__assessment=assessment).values_list(
            "agency__agency_id", "assessor_kind"
        )
    )
    problems: list[str] = []
    added, changed, removed = [], {}, []
    for agency_id, department_id in departments.items():
        row = current.get(agency_id)
        unit = candidates.get(agency_id)
        if department_id is None:
            if row is None:
                continue
            if any(agency == agency_id for agency, _kind in scored):
                problems.append(
                    _("%(agency)s 已有评分，不能移出考核名单。") % {"agency": row.agency}
                )
            else:
                removed.append(row)
            continue
        if department_id not in known_departments:
            problems.append(_("所选派出部门不是本区的职能部门。"))
            continue
        if row is not None:
            if row.department_id == department_id:
                continue
            if (agency_id, AssessorKind.DEPARTMENT) in scored:
                problems.append(
                    _("%(agency)s 的区直部门评分已经录入，不能再更换派出部门。")
                    % {"agency": row.agency}
                )
                continue
            changed[agency_id] = (row.department_id, department_id)
            continue
        street = street_of(unit) if unit is not None else None
        if unit is None or street is None:
            problems.append(_("只能把本区在街道或社区工作的在用派驻机构列入考核名单。"))
            continue
        added.append(
            AssessedAgency(
                assessment=assessment, agency=unit, department_id=department_id, street=street
            )
        )
    if problems:
        raise InvalidInput(problems[0], details={"problems": problems})
    AssessedAgency.objects.bulk_create(added)
    AssessedAgency.objects.filter(pk__in=[row.pk for row in removed]).delete()
    for agency_id, (_before, department_id) in changed.items():
        row = current[agency_id]
        row.department_id = department_id
        row.save(update_fields=["department"])
    if added or changed or removed:
        audit_record(
            actor=actor,
            action="evaluation.assessment_roster",
            target=assessment,
            changes={
                "added": {row.agency_id: row.department_id for row in added},
                "changed": changed,
                "removed": [row.agency_id for row in removed],
            },
        )
    return assessment


def _check_scores(
    indicators: list[Indicator], agency: AssessedAgency, given: Mapping[int, int]
) -> list[str]:
    problems = []
    if set(given) != {indicator.pk for indicator in indicators}:
        problems.append(_("%(agency)s：每项指标都要打分。") % {"agency": agency.agency.name})
        return problems
    for indicator in indicators:
        score = given[indicator.pk]
        if not isinstance(score, int) or not 0 <= score <= indicator.max_score:
            problems.append(
                _("%(agency)s：“%(indicator)s”的得分应为 0 至 %(max)s 的整数。")
                % {
                    "agency": agency.agency.name,
                    "indicator": indicator.name,
                    "max": indicator.max_score,
                }
            )
    return problems


@transaction.atomic
def score_submit(
    *,
    actor: User,
    assessment: AgencyAssessment,
    kind: str,
    scores: Mapping[int, Mapping[int, int]],
) -> int:
    """Record one assessor kind's scores ({assessed agency id: {indicator id: score}}), every
    indicator of each agency named, replacing what the same kind scored before; returns the
    number of agencies scored. Nothing is written unless every agency and score is good."""
    if kind not in AssessorKind.values:
        raise InvalidInput(_("未知的考核主体：%(kind)s") % {"kind": kind})
    if not scores:
        raise InvalidInput(_("没有填写任何得分。"))
    assessment = _locked_open(assessment)
    agencies = {
        row.pk: row
        for row in AssessedAgency.objects.filter(
            assessment=assessment, pk__in=list(scores)
        ).select_related("agency", "assessment")
    }
    if len(agencies) != len(scores):
        raise Forbidden()
    for agency in agencies.values():
        require(actor, permission_for(kind), agency)
    indicators = list(assessment.indicators.all())
    problems = [
        problem
        for agency_id, given in scores.items()
        for problem in _check_scores(indicators, agencies[agency_id], given)
    ]
    if problems:
        raise InvalidInput(problems[0], details={"problems": problems})
    before: dict[int, dict[int, int]] = {}
    for agency_id, indicator_id, score in AgencyScore.objects.filter(
        agency_id__in=list(scores), assessor_kind=kind
    ).values_list("agency_id", "indicator_id", "score"):
        before.setdefault(agency_id, {})[indicator_id] = score
    now = timezone.now()
    rows = [
        AgencyScore(
            agency_id=agency_id,
            assessor_kind=kind,
            indicator_id=indicator_id,
            score=score,
            scored_by=actor,
            scored_at=now,
        )
        for agency_id, given in scores.items()
        for indicator_id, score in given.items()
    ]
    # One statement writes new scores and replaces earlier ones of the same assessor kind;
    # the unique constraint (agency, kind, indicator) is what makes it a replacement.
    AgencyScore.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["agency", "assessor_kind", "indicator"],
        update_fields=["score", "scored_by", "scored_at"],
    )
    audit_record(
        actor=actor,
        action="evaluation.assessment_score",
        target=assessment,
        changes={
            "kind": kind,
            "scores": {
                agency_id: {"before": before.get(agency_id, {}), "after": dict(given)}
                for agency_id, given in scores.items()
            },
        },
    )
    return len(scores)


@transaction.atomic
def assessment_close(*, actor: User | None, assessment: AgencyAssessment) -> AgencyAssessment:
    """End the scoring: the scores are final and the results stand as they are."""
    require(actor, "evaluation.assess_manage", assessment)
    assessment = _locked_open(assessment)
    assessment.state = AssessmentState.CLOSED
    assessment.closed_at = timezone.now()
    assessment.save(update_fields=["state", "closed_at"])
    scored = dict(
        AgencyScore.objects.filter(agency__assessment=assessment)
        .values_list("assessor_kind")
        .annotate(agencies=Count("agency", distinct=True))
    )
    audit_record(
        actor=actor,
        action="evaluation.assessment_close",
        target=assessment,
        changes={"agencies": assessment.agencies.count(), "scored": scored},
    )
    return assessment
