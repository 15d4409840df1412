"""The admissions register: staff pages, the public register and verification, settings, calendar."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jianfu.admission import burden, selectors, services
from jianfu.admission.models import (
    Admission,
    AdmissionCounter,
    AdmissionScope,
    AdmissionState,
    CommunityCapacity,
)
from jianfu.admission.register_forms import (
    STATE_FORMS,
    CalendarDayForm,
    CalendarImportForm,
    ProvisionalForm,
    RegisterFilterForm,
    RenewForm,
    SettingsForm,
    capacity_rows,
    year_from,
)
from jianfu.catalog.models import ListKind
from jianfu.core import calendar
from jianfu.core.db_router import reads_from_replica
from jianfu.core.errors import DomainError
from jianfu.core.http import content_disposition
from jianfu.core.models import CalendarDay
from jianfu.core.paging import keyset_page
from jianfu.core.views import form_error
from jianfu.funds.selectors import transferred_by_community
from jianfu.funds.tripwire import suspended_regions
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.org.roles import Role
from jianfu.org.selectors import regions_visible_to

PAGE_SIZE = 50
# Public pages load only what a person checking a number needs: no funding, no people.
PUBLIC_FIELDS = (
    "number",
    "year",
    "sequence",
    "district",
    "district__name",
    "department",
    "department__name",
    "title",
    "target_level",
    "valid_from",
    "valid_until",
    "state",
    "state_reason",
    "state_reference",
    "provisional",
)


# Helpers ----------------------------------------------------------------------------------------


def _with_scope(admissions: QuerySet[Admission]) -> QuerySet[Admission]:
    """Rows for a register table: no PDF bytes, each row's streets or communities in one query."""
    return admissions.defer("agreement_pdf").prefetch_related(
        Prefetch(
            "scope",
            queryset=AdmissionScope.objects.select_related("region").order_by("region_id"),
        )
    )


def _mark_status(admissions, today: dt.date) -> None:
    for admission in admissions:
        admission.status_now = admission.status_on(today)
        admission.status_label = AdmissionState(admission.status_now).label
        admission.not_yet_valid = today < admission.valid_from


def _managed_districts(user: User) -> list[Region]:
    """The districts whose admissions the user manages (the group secretary's own district)."""
    if not user.is_authenticated or not user.has_role(Role.GROUP_SECRETARY):
        return []
    districts = regions_visible_to(user=user, level=RegionLevel.DISTRICT)
    unit = user.unit
    if unit is not None and unit.district_code:
        districts = Region.objects.filter(code=unit.district_code)
    return [d for d in districts[:200] if user.has_perm("admission.manage_admissions", d)]


def _visible_admission(request: HttpRequest, admission_id: int) -> Admission:
    admission = (
        selectors.admissions_visible_to(user=request.user)
        .select_related("issued_by", "application")
        .defer("agreement_pdf")
        .filter(pk=admission_id)
        .first()
    )
    if admission is None:
        raise Http404
    return admission


def _filter_choices(admissions: QuerySet[Admission]) -> dict:
    """The departments and years that occur among the rows the reader may see."""
    rows = admissions.order_by()
    departments = Unit.objects.filter(pk__in=rows.values("department_id")).order_by("sort_key")
    years = sorted(rows.values_list("year", flat=True).distinct(), reverse=True)
    return {"departments": departments, "years": years}


def _register_page(request: HttpRequest, admissions: QuerySet[Admission]):
    """One page of the register with the filters in the query string applied."""
    form = RegisterFilterForm(request.GET or None)
    filtered = selectors.admissions_filtered(admissions, **form.filters())
    # Newest number first; the id tells apart the same number in two districts.
    page = keyset_page(
        request,
        _with_scope(filtered),
        ordering=("-year", "-sequence", "-id"),
        size=PAGE_SIZE,
        count=True,
    )
    _mark_status(page.object_list, timezone.localdate())
    return page


# The staff register -----------------------------------------------------------------------------


@login_required
def admission_index(request: HttpRequest) -> HttpResponse:
    visible = selectors.admissions_visible_to(user=request.user)
    page = _register_page(request, visible)
    regions = regions_visible_to(user=request.user).filter(
        level__in=[RegionLevel.DISTRICT, RegionLevel.STREET]
    )
    context = {
        "page": page,
        "filters": request.GET,
        "query": request.GET.copy(),
        "statuses": AdmissionState.choices,
        "regions": regions[:500],
        "may_manage": bool(_managed_districts(request.user)),
        **_filter_choices(visible),
    }
    return render(request, "admission/admission_index.html", context)


@login_required
def admission_detail(request: HttpRequest, admission_id: int) -> HttpResponse:
    admission = _visible_admission(request, admission_id)
    return _render_detail(request, admission)


def _render_detail(request: HttpRequest, admission: Admission, **forms) -> HttpResponse:
    today = timezone.localdate()
    _mark_status([admission], today)
    scope = list(admission.scope.select_related("region", "region__parent"))
    # 费随事转: what has reached each community this year, and where the money is overdue.
    arrived = transferred_by_community([admission.pk], today.year)
    overdue = suspended_regions(admission)
    for row in scope:
        row.arrived_fen = arrived.get((admission.pk, row.region_id), 0)
        row.funds_overdue = row.region_id in overdue
    application = None
    if admission.application_id:
        application = selectors.application_visible_to(
            user=request.user, application_id=admission.application_id
        )
    may_manage = request.user.has_perm("admission.manage_admissions", admission)
    renewed = admission.renewals.exists()
    context = {
        "admission": admission,
        "scope": scope,
        "total_fen": sum(row.funding_fen for row in scope),
        "arrived_fen": sum(row.arrived_fen for row in scope),
        "year": today.year,
        "application": application,
        "earlier": _earlier(admission),
        "later": _later(admission),
        "may_manage": may_manage,
        "list_kind_label": ListKind(admission.list_kind).label
        if admission.list_kind in ListKind.values
        else admission.list_kind,
    }
    shown = set()
    if may_manage:
        state = admission.state
        moves = services.ADMISSION_MOVES
        context["state_forms"] = [
            (move, forms.get(move) or STATE_FORMS[move](prefix=move))
            for move in ("suspend", "resume", "revoke")
            if state in moves[move][0]
        ]
        shown = {move for move, _form in context["state_forms"]}
        if admission.state == AdmissionState.ACTIVE and not renewed and not admission.provisional:
            shown.add("renew")
            context["renew_form"] = forms.get("renew") or RenewForm(
                prefix="renew",
                initial={"valid_until": dt.date(admission.valid_until.year + 1, 12, 31)},
            )
    for name, form in forms.items():
        # A refusal for a form the current state no longer offers is shown at the top.
        if name not in shown:
            for error in form.non_field_errors():
                messages.error(request, error)
    return render(request, "admission/admission_detail.html", context)


def _earlier(admission: Admission) -> list[Admission]:
    """The admissions this one continues, newest first (a renewal chain is short)."""
    chain: list[Admission] = []
    previous_id = admission.previous_id
    while previous_id is not None and len(chain) < 50:
        current = Admission.objects.defer("agreement_pdf").get(pk=previous_id)
        chain.append(current)
        previous_id = current.previous_id
    return chain


def _later(admission: Admission) -> list[Admission]:
    """The renewals that continue this one, oldest first."""
    chain, current = [], admission
    while len(chain) < 50:
        current = current.renewals.defer("agreement_pdf").order_by("id").first()
        if current is None:
            break
        chain.append(current)
    return chain


@login_required
def admission_agreement(request: HttpRequest, admission_id: int) -> HttpResponse:
    admission = _visible_admission(request, admission_id)
    try:
        pdf = services.agreement_bytes(admission=Admission.objects.get(pk=admission.pk))
    except DomainError as error:
        # No Chinese font on the server yet: say so instead of serving empty boxes.
        return HttpResponse(str(error.message), status=error.status, content_type="text/plain")
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = _("协助管理协议书-%(number)s.pdf") % {"number": admission.number}
    # An ASCII name for old clients, the real one in RFC 5987 form for everyone else.
    fallback = f"agreement-{admission.year}-{admission.sequence}.pdf"
    response["Content-Disposition"] = content_disposition(filename, inline=True, fallback=fallback)
    return response


@login_required
@require_POST
def admission_state(request: HttpRequest, admission_id: int) -> HttpResponse:
    admission = _visible_admission(request, admission_id)
    if not request.user.has_perm("admission.manage_admissions", admission):
        raise PermissionDenied
    move = request.POST.get("move", "")
    if move not in STATE_FORMS:
        raise Http404
    form = STATE_FORMS[move](request.POST, prefix=move)
    if form.is_valid():
        try:
            services.admission_change_state(
                actor=request.user,
                admission=admission,
                move=move,
                reason=form.cleaned_data["reason"],
                reference=form.cleaned_data.get("reference", ""),
            )
        except DomainError as error:
            form_error(form, error)
        else:
            admission.refresh_from_db(fields=["state"])
            messages.success(request, _state_message(admission))
            return redirect("admission_detail", admission_id=admission.pk)
    return _render_detail(request, admission, **{move: form})


def _state_message(admission: Admission) -> str:
    # Whole sentences, so each language can word them its own way.
    message = {
        AdmissionState.REVOKED: _("准入 %(number)s 已撤销。"),
        AdmissionState.SUSPENDED: _("准入 %(number)s 已暂停。"),
        AdmissionState.ACTIVE: _("准入 %(number)s 已恢复。"),
    }.get(admission.state, _("准入 %(number)s 的状态已变更。"))
    return message % {"number": admission.number}


@login_required
@require_POST
def admission_renew(request: HttpRequest, admission_id: int) -> HttpResponse:
    admission = _visible_admission(request, admission_id)
    if not request.user.has_perm("admission.manage_admissions", admission):
        raise PermissionDenied
    form = RenewForm(request.POST, prefix="renew")
    if form.is_valid():
        try:
            renewal = services.admission_renew(
                actor=request.user, admission=admission, **form.cleaned_data
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("已续期，新的准入编号为 %(number)s。") % {"number": renewal.number},
            )
            return redirect("admission_detail", admission_id=renewal.pk)
    return _render_detail(request, admission, renew=form)


# Emergencies -------------------------------------------------------------------------------------


def _scope_groups(districts: list[Region]) -> list[tuple[Region, list[Region]]]:
    """Each street of the districts with its communities, for a checkbox list grouped by street."""
    within = Q(pk__in=[])
    for district in districts:
        within |= Q(code__startswith=district.prefix)
    picked = list(
        Region.objects.filter(
            within, level__in=[RegionLevel.STREET, RegionLevel.COMMUNITY]
        ).order_by("code")
    )
    streets = [r for r in picked if r.level == RegionLevel.STREET]
    return [(s, [r for r in picked if r.parent_id == s.code]) for s in streets]


@login_required
@require_http_methods(["GET", "POST"])
def provisional_new(request: HttpRequest) -> HttpResponse:
    districts = _managed_districts(request.user)
    if not districts:
        raise PermissionDenied
    departments = list(
        Unit.objects.filter(
            type=UnitType.DEPARTMENT,
            is_active=True,
            district_code__in=[d.code for d in districts],
        ).order_by("sort_key")
    )
    groups = _scope_groups(districts)
    regions = [r for street, communities in groups for r in (street, *communities)]
    max_days = min(services.settings_for(d).provisional_days for d in districts)
    form = ProvisionalForm(
        request.POST or None, departments=departments, regions=regions, max_days=max_days
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        department = next(d for d in departments if d.pk == data["department"])
        try:
            admission = services.admission_issue_provisional(
                actor=request.user,
                department=department,
                title=data["title"],
                content=data["content"],
                target_level=data["target_level"],
                regions=data["regions"],
                reason=data["reason"],
                days=data["days"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("已签发临时准入 %(number)s，有效期至 %(day)s。")
                % {"number": admission.number, "day": admission.valid_until.isoformat()},
            )
            return redirect("admission_detail", admission_id=admission.pk)
    picked = set(form["regions"].value() or [])
    context = {"form": form, "groups": groups, "picked": picked, "max_days": max_days}
    return render(request, "admission/provisional.html", context)


# Settings ---------------------------------------------------------------------------------------


def _number_example(district: Region, prefix: str) -> str:
    year = timezone.localdate().year
    counter = AdmissionCounter.objects.filter(district=district, year=year).first()
    sequence = (counter.last if counter else 0) + 1
    return f"{prefix}准〔{year}〕{sequence}号"


def _capacity_table(communities: list[Region], settings, posted) -> list[dict]:
    """Each community's workers and hours (as typed, after a refused save), budget and burden."""
    capacities = {
        c.community_id: c for c in CommunityCapacity.objects.filter(community__in=communities)
    }
    budget = burden.capacity_hours(communities, settings)
    admitted = burden.admitted_hours([c.code for c in communities])
    table = []
    for community in communities:
        code = community.code
        capacity = capacities.get(code) or CommunityCapacity(community=community)
        table.append(
            {
                "community": community,
                "workers": posted.get(f"workers-{code}", "") if posted else capacity.workers,
                "hours": posted.get(f"hours-{code}", "")
                if posted
                else capacity.hours_per_year or "",
                "budget": budget.get(code, 0),
                "admitted": round(admitted.get(code, 0)),
                "over": admitted.get(code, 0) > budget.get(code, 0),
            }
        )
    return table


@login_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    districts = _managed_districts(request.user)
    if not districts:
        raise PermissionDenied
    wanted = request.POST.get("district") or request.GET.get("district")
    district = next((d for d in districts if d.code == wanted), districts[0])
    settings = services.settings_for(district)
    if request.htmx and "number_prefix" in request.GET:
        # The live example under the prefix field, redrawn as the secretary types.
        prefix = request.GET["number_prefix"].strip()[:10] or settings.number_prefix
        return render(
            request,
            "admission/settings.html#number-example",
            {"example": _number_example(district, prefix)},
        )
    communities = list(
        Region.objects.filter(code__startswith=district.prefix, level=RegionLevel.COMMUNITY)
        .select_related("parent")
        .order_by("code")
    )
    form = SettingsForm(
        request.POST or None,
        initial={name: getattr(settings, name) for name in SettingsForm.base_fields},
    )
    problems: list[str] = []
    if request.method == "POST":
        rows, problems = capacity_rows(request.POST, communities)
        if form.is_valid() and not problems:
            try:
                # One form, one save: the settings and the table are written together or not at all.
                with transaction.atomic():
                    services.admission_settings_update(
                        actor=request.user, district=district, values=form.values()
                    )
                    services.community_capacity_update(actor=request.user, rows=rows)
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("准入设置已保存。"))
                return redirect(f"{reverse('admission_settings')}?district={district.code}")
    posted = request.POST if request.method == "POST" else None
    prefix = form["number_prefix"].value() or settings.number_prefix
    context = {
        "form": form,
        "district": district,
        "districts": districts,
        "table": _capacity_table(communities, settings, posted),
        "problems": problems,
        "example": _number_example(district, str(prefix).strip()[:10]),
    }
    return render(request, "admission/settings.html", context)


# Working-day calendar -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(calendar.PERMISSION):
        raise PermissionDenied
    year = year_from(request.POST.get("year") or request.GET.get("year"))
    action = request.POST.get("action")
    add_form = CalendarDayForm(request.POST if action == "add" else None, prefix="add")
    import_form = CalendarImportForm(request.POST if action == "import" else None, prefix="import")
    if request.method == "POST":
        try:
            if action == "add" and add_form.is_valid():
                day = calendar.calendar_day_set(actor=request.user, **add_form.cleaned_data)
                messages.success(request, _("已保存 %(day)s。") % {"day": day.date.isoformat()})
                return redirect(f"{reverse('calendar_edit')}?year={day.date.year}")
            if action == "delete":
                try:
                    date = dt.date.fromisoformat(request.POST.get("date", ""))
                except ValueError:
                    raise Http404 from None
                try:
                    calendar.calendar_day_delete(actor=request.user, date=date)
                except DomainError as error:
                    messages.error(request, str(error.message))
                else:
                    messages.success(request, _("已删除 %(day)s。") % {"day": date.isoformat()})
                return redirect(f"{reverse('calendar_edit')}?year={date.year}")
            if action == "import" and import_form.is_valid():
                result = calendar.calendar_import(
                    actor=request.user,
                    text=import_form.cleaned_data["text"],
                    year=year,
                    replace=import_form.cleaned_data["replace"],
                )
                messages.success(
                    request,
                    _("导入完成：新增 %(created)d 天，修改 %(changed)d 天，删除 %(removed)d 天。")
                    % {
                        "created": result.created,
                        "changed": result.changed,
                        "removed": result.removed,
                    },
                )
                return redirect(f"{reverse('calendar_edit')}?year={year}")
        except DomainError as error:
            form = import_form if action == "import" else add_form
            if error.details:
                # The summary first ("有 3 行无法导入"), then every bad line.
                form.add_error(None, str(error.message))
            form_error(form, error)
    days = CalendarDay.objects.filter(date__year=year).order_by("date")
    context = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "days": days,
        "add_form": add_form,
        "import_form": import_form,
    }
    return render(request, "core/calendar.html", context)


# Public: verification and the register ------------------------------------------------------------


def verify_admission(request: HttpRequest, number: str = "") -> HttpResponse:
    """Anyone checks a number, without logging in: valid or not today, for where, until when."""
    # A trailing slash, as in a link copied from somewhere, is not part of the number.
    number = number.strip().rstrip("/")
    typed = request.GET.get("number", "").strip()
    if not number and typed:
        found = selectors.admission_by_number(typed)
        if found is not None:
            return redirect("verify_admission", number=found.number)
        number = typed
    if not number:
        return render(request, "admission/verify.html", {"number": ""})
    found = selectors.admission_verification(number)
    if found is not None and found.admission.number != number:
        # A number typed with [] or spaces is shown under its proper spelling.
        return redirect("verify_admission", number=found.admission.number)
    if found is None:
        context = {"number": number, "admission": None}
        return render(request, "admission/verify.html", context, status=404)
    today = timezone.localdate()
    _mark_status([found.admission], today)
    context = {
        "number": number,
        "admission": found.admission,
        "today": today,
        "regions": found.regions,
        "renewals": found.renewals,
    }
    return render(request, "admission/verify.html", context)


@reads_from_replica
def public_register(request: HttpRequest) -> HttpResponse:
    """The whole register, all districts or one, for everyone (DESIGN §3.9)."""
    everything = selectors.admissions_visible_to(user=None).only(*PUBLIC_FIELDS)
    page = _register_page(request, everything)
    district = request.GET.get("district", "")
    choices = _filter_choices(
        everything.filter(district_id=district) if district.isdigit() else everything
    )
    context = {
        "page": page,
        "filters": request.GET,
        "query": request.GET.copy(),
        "statuses": AdmissionState.choices,
        "districts": Region.objects.filter(
            code__in=everything.order_by().values("district_id")
        ).order_by("code"),
        **choices,
    }
    return render(request, "admission/public_register.html", context)
