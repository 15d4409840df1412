"""The pages of the assessment of dispatched agencies: the district's assessments, opening one,
its roster, the score form of each assessor kind, and the ranked results with their export.
Reads go through evaluation.assessment_selectors, writes through evaluation.assessment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jianfu.core.errors import DomainError, Forbidden
from jianfu.core.views import form_error
from jianfu.evaluation import assessment as services
from jianfu.evaluation import assessment_selectors as selectors
from jianfu.evaluation.assessment_exports import assessment_xlsx
from jianfu.evaluation.assessment_forms import AssessmentForm, ScoreForm, score_field_name
from jianfu.evaluation.models import AgencyAssessment, AssessmentState, AssessorKind
from jianfu.evaluation.services import settings_for
from jianfu.funds.downloads import xlsx_response
from jianfu.org.models import Region, RegionLevel, Unit, User


def _assessment_or_404(request: HttpRequest, pk: int) -> AgencyAssessment:
    assessment = selectors.assessment_visible_to(user=request.user, pk=pk)
    if assessment is None:
        raise Http404
    return assessment


def _managed_or_403(request: HttpRequest, pk: int) -> AgencyAssessment:
    assessment = _assessment_or_404(request, pk)
    if not request.user.has_perm("evaluation.assess_manage", assessment):
        raise PermissionDenied
    return assessment


def _own_district(user: User) -> Region | None:
    """The district whose assessments the user opens, if they are its group office."""
    code = user.unit.district_code if user.unit else ""
    district = Region.objects.filter(code=code, level=RegionLevel.DISTRICT).first()
    if district is None or not user.has_perm("evaluation.assess_manage", district):
        return None
    return district


# The district's assessments ---------------------------------------------------------------------


@login_required
def assessment_index(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if not user.has_role(*selectors.ASSESSMENT_ROLES):
        raise PermissionDenied
    assessments = list(selectors.assessments_visible_to(user=user).order_by("-year"))
    kinds = selectors.scoring_kinds(user=user, assessments=assessments)
    rows = [
        {
            "assessment": assessment,
            "kinds": [(kind, AssessorKind(kind).label) for kind in kinds[assessment.pk]],
            "manages": user.has_perm("evaluation.assess_manage", assessment),
            "results": selectors.results_scope(user=user, assessment=assessment) is not None,
        }
        for assessment in assessments
    ]
    context = {"rows": rows, "may_create": _own_district(user) is not None}
    return render(request, "evaluation/assessment_index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    district = _own_district(user)
    if district is None:
        raise PermissionDenied
    form = AssessmentForm(
        request.POST or None,
        district_name=district.name,
        adjustment_below=settings_for(district).adjustment_below,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.assessment_create(
                actor=user,
                district=district,
                year=data["year"],
                title=data["title"],
                weights=form.weights(),
                indicators=data["indicators"],
                adjustment_below=data["adjustment_below"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("已创建考核，请为每个派驻机构选定派出部门。"))
            return redirect("assessment_roster", pk=made.pk)
    return render(request, "evaluation/assessment_form.html", {"form": form})


# The roster ------------------------------------------------------------------------------------


def _department_hint(agency: Unit, departments: list[Unit], district_name: str) -> Unit | None:
    """The department an agency named "XX局派驻YY" names, offered as a suggestion the office
    sees marked as such and confirms by saving; other names (司法所, 派出所) suggest nothing."""
    if "派驻" not in agency.name:
        return None
    head = agency.name.split("派驻", 1)[0]
    for department in departments:
        if head and head in (department.name, department.name.removeprefix(district_name)):
            return department
    return None


@login_required
@require_http_methods(["GET", "POST"])
def assessment_roster(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    assessment = _managed_or_403(request, pk)
    candidates = services.roster_candidates(assessment)
    departments = services.district_departments(assessment)
    editable = assessment.state == AssessmentState.OPEN
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        known = {str(d.pk): d.pk for d in departments}
        picked = {
            unit.pk: known.get(request.POST.get(f"department-{unit.pk}", "")) for unit in candidates
        }
        try:
            services.roster_set(actor=user, assessment=assessment, departments=picked)
        except Forbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            for problem in (error.details or {}).get("problems") or [str(error.message)]:
                messages.error(request, problem)
        else:
            messages.success(request, _("考核名单已保存。"))
            return redirect("assessment_roster", pk=assessment.pk)
    on_roster = {row.agency_id: row for row in assessment.agencies.all()}
    scored = selectors.scored_kinds_by_agency(assessment=assessment)
    rows = []
    for unit in candidates:
        row = on_roster.get(unit.pk)
        hint = None if row else _department_hint(unit, departments, assessment.district.name)
        rows.append(
            {
                "unit": unit,
                "street": services.street_of(unit),
                "row": row,
                "chosen": row.department_id if row else (hint.pk if hint else None),
                "hint": hint,
                "scored": [
                    AssessorKind(kind).label
                    for kind in selectors.KINDS
                    if row and kind in scored.get(row.pk, [])
                ],
            }
        )
    context = {
        "assessment": assessment,
        "rows": rows,
        "departments": departments,
        "editable": editable,
        "listed": len(on_roster),
    }
    return render(request, "evaluation/assessment_roster.html", context)


# Scoring ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assessment_score(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    user: User = request.user
    if kind not in AssessorKind.values:
        raise Http404
    assessment = _assessment_or_404(request, pk)
    if kind not in selectors.scoring_kinds(user=user, assessments=[assessment])[assessment.pk]:
        raise PermissionDenied
    agencies = selectors.agencies_to_score(user=user, assessment=assessment, kind=kind)
    indicators = selectors.indicators_of(assessment)
    saved = selectors.scores_of(agencies=agencies, kind=kind)
    editable = assessment.state == AssessmentState.OPEN
    initial = {
        score_field_name(agency, indicator): saved.get((agency.pk, indicator.pk))
        for agency in agencies
        for indicator in indicators
    }
    form = ScoreForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        agencies=agencies,
        indicators=indicators,
        disabled=not editable,
    )
    if request.method == "POST" and editable and form.is_valid():
        # Only the rows that changed are written (and audited).
        changed = {
            agency_id: given
            for agency_id, given in form.scores().items()
            if any(saved.get((agency_id, ind)) != value for ind, value in given.items())
        }
        if not changed:
            messages.info(request, _("得分没有变化。"))
            return redirect("assessment_score", pk=assessment.pk, kind=kind)
        try:
            count = services.score_submit(
                actor=user, assessment=assessment, kind=kind, scores=changed
            )
        except Forbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("已保存 %(count)d 个派驻机构的得分。") % {"count": count})
            return redirect("assessment_score", pk=assessment.pk, kind=kind)
    rows = [
        {
            "agency": agency,
            "fields": fields,
            "total": sum(saved.get((agency.pk, ind.pk)) or 0 for ind in indicators)
            if all((agency.pk, ind.pk) in saved for ind in indicators)
            else None,
        }
        for agency, fields in form.rows()
    ]
    context: dict[str, Any] = {
        "assessment": assessment,
        "kind": kind,
        "kind_label": AssessorKind(kind).label,
        "form": form,
        "rows": rows,
        "indicators": indicators,
        "editable": editable,
    }
    return render(request, "evaluation/assessment_score.html", context)


# Results ----------------------------------------------------------------------------------------


def _results_or_404(request: HttpRequest, pk: int):
    assessment = _assessment_or_404(request, pk)
    scope = selectors.results_scope(user=request.user, assessment=assessment)
    if scope is None:
        raise Http404
    return assessment, scope


@login_required
def assessment_results(request: HttpRequest, pk: int) -> HttpResponse:
    assessment, scope = _results_or_404(request, pk)
    results = selectors.assessment_results(assessment=assessment, scope=scope)
    context = {
        "assessment": assessment,
        "results": results,
        "kinds": [
            (kind, AssessorKind(kind).label, assessment.weight_of(kind)) for kind in selectors.KINDS
        ],
        "flagged": sum(1 for result in results if result.needs_adjustment),
        "may_close": assessment.state == AssessmentState.OPEN
        and request.user.has_perm("evaluation.assess_manage", assessment),
    }
    return render(request, "evaluation/assessment_results.html", context)


@login_required
def assessment_results_export(request: HttpRequest, pk: int) -> HttpResponse:
    assessment, scope = _results_or_404(request, pk)
    content = assessment_xlsx(
        assessment=assessment,
        results=selectors.assessment_results(assessment=assessment, scope=scope),
        details=selectors.score_details(assessment=assessment, scope=scope),
    )
    return xlsx_response(content, f"{assessment.title}.xlsx")


@login_required
@require_POST
def assessment_close(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _managed_or_403(request, pk)
    try:
        services.assessment_close(actor=request.user, assessment=assessment)
    except Forbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("考核已结束，得分不再修改。"))
    return redirect("assessment_results", pk=assessment.pk)
