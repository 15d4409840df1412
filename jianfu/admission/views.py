"""Application pages: the list, the form, one application with its actions and documents, and
the user's notifications. Reads go through admission.selectors, writes through admission.services."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jianfu.admission import burden, selectors, services
from jianfu.admission.forms import (
    ACTION_FORMS,
    AcceptForm,
    ActionForm,
    ApplicationForm,
    DecideForm,
    DocumentForm,
    OpinionForm,
)
from jianfu.admission.models import (
    AdmissionState,
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    Opinion,
    OpinionVerdict,
)
from jianfu.admission.workflow import ACTION_LABELS, EDITABLE_STATES, actions_from
from jianfu.catalog.models import ListKind
from jianfu.catalog.selectors import lists_visible_to
from jianfu.core.errors import DomainError, Forbidden, InvalidInput
from jianfu.core.http import content_disposition
from jianfu.core.models import Notification
from jianfu.core.notifications import notifications_mark_read, notifications_unread
from jianfu.core.paging import keyset_page
from jianfu.core.views import form_error
from jianfu.core.workdays import add_working_days
from jianfu.org.models import Region, RegionLevel, User
from jianfu.org.selectors import regions_visible_to

# Who works with applications at all: the departments, the district offices, and the streets
# and communities asked for their opinion.
EVENT_LABELS = {
    **ACTION_LABELS,
    "create": gettext_lazy("新建申请"),
    "opinion": gettext_lazy("回复意见"),
}


def _application_or_404(request: HttpRequest, application_id: int) -> Application:
    found = selectors.application_visible_to(user=request.user, application_id=application_id)
    if found is None:
        raise Http404
    return found


# The list ---------------------------------------------------------------------------------------


@login_required
def application_index(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(*selectors.APPLICATION_ROLES):
        raise PermissionDenied
    applications = selectors.applications_visible_to(user=request.user)
    state = request.GET.get("state", "")
    if state in ApplicationState.values:
        applications = applications.filter(state=state)
    context = {
        "page": keyset_page(request, applications, ordering=("-id",), size=50),
        "query": request.GET.copy(),
        "states": ApplicationState.choices,
        "state": state,
        "today": timezone.localdate(),
        "can_create": request.user.has_perm("admission.create_application"),
    }
    return render(request, "admission/application_index.html", context)


# The form ---------------------------------------------------------------------------------------


def _application_form(request: HttpRequest, **kwargs: Any) -> ApplicationForm:
    """The form with the choices of the user's district: its streets and communities, its lists,
    and the department's admissions in force."""
    user: User = request.user
    unit = user.unit
    district = unit.district_code if unit else ""
    today = timezone.localdate()
    regions = (
        regions_visible_to(user=user)
        .filter(code__startswith=district[:6] or "-")
        .filter(level__in=[RegionLevel.STREET, RegionLevel.COMMUNITY])
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )
    streets: dict[str, tuple[Region, list[Region]]] = {}
    for region in regions:
        if region.level == RegionLevel.STREET:
            streets[region.code] = (region, [])
        elif region.code[:9] + "000" in streets:
            streets[region.code[:9] + "000"][1].append(region)
    retirable = selectors.admissions_visible_to(user=user).filter(
        department_id=user.unit_id, state=AdmissionState.ACTIVE
    )
    data = (request.POST or None) if request.method == "POST" else None
    return ApplicationForm(
        data,
        streets=list(streets.values()),
        lists=lists_visible_to(user=user, region=district) if district else [],
        retirable=retirable,
        **kwargs,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("admission.create_application"):
        raise PermissionDenied
    form = _application_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                actor=request.user,
                values=form.values(),
                scope=form.cleaned_data["scope_funding"],
                retires=list(form.cleaned_data["retires"]),
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("申请已保存为草稿，请上传申请材料后提交负责人签批。"))
            return redirect("application_detail", application_id=application.pk)
    return render(request, "admission/application_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _application_or_404(request, application_id)
    if not request.user.has_perm("admission.edit_application", application):
        raise PermissionDenied
    if application.state not in EDITABLE_STATES:
        messages.error(request, _("只有草稿或退回补正的申请可以修改。"))
        return redirect("application_detail", application_id=application.pk)
    fields = ApplicationForm._meta.fields
    initial = {
        **model_to_dict(application, fields=fields),
        **ApplicationForm.initial_for(application),
    }
    form = _application_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_update(
                actor=request.user,
                application=application,
                values=form.values(),
                scope=form.cleaned_data["scope_funding"],
                retires=list(form.cleaned_data["retires"]),
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("已保存。"))
            return redirect("application_detail", application_id=application.pk)
    context = {"form": form, "application": application}
    return render(request, "admission/application_form.html", context)


# One application --------------------------------------------------------------------------------


def _action_form(
    action: str, application: Application, data=None, *, scope=None, opinions=None
) -> ActionForm:
    form_class = ACTION_FORMS[action]
    kwargs: dict[str, Any] = {"application": application, "prefix": action}
    if form_class is AcceptForm:
        kwargs["evidence"] = services.criteria_evidence(application)
    elif form_class is DecideForm:
        if scope is None:
            scope = [row.region for row in application.scope.select_related("region")]
        if opinions is None:
            opinions = _opinions(application)
        kwargs["scope"] = scope
        kwargs["disagreeing"] = [o for o in opinions if o.verdict == OpinionVerdict.DISAGREE]
        kwargs["initial"] = {"meeting_date": timezone.localdate()}
    elif action == "open_consultation":
        days = services.settings_for(application.district).consultation_days
        kwargs["initial"] = {"deadline": add_working_days(timezone.localdate(), days)}
    return form_class(data, **kwargs)


def _opinions(application: Application) -> list[Opinion]:
    return list(
        Opinion.objects.filter(consultation__application=application)
        .select_related("region")
        .order_by("consultation_id", "region_id")
    )


def _render_detail(
    request: HttpRequest,
    application: Application,
    bound: dict[str, django_forms.Form] | None = None,
) -> HttpResponse:
    """The application page; `bound` holds a submitted form to show again with its errors."""
    user: User = request.user
    bound = bound or {}
    scope = list(application.scope.select_related("region"))
    consultations = list(
        application.consultations.prefetch_related(
            Prefetch("opinions", queryset=Opinion.objects.select_related("region"))
        )
    )
    opinions = [o for c in consultations for o in c.opinions.all()]
    decision = Decision.objects.filter(application=application).first()
    actions = [a for a in actions_from(application.state) if services.may_act(user, application, a)]
    action_forms = [
        (
            action,
            ACTION_LABELS[action],
            bound.get(action)
            or _action_form(
                action, application, scope=[row.region for row in scope], opinions=opinions
            ),
        )
        for action in actions
    ]
    editable = application.state in EDITABLE_STATES and user.has_perm(
        "admission.edit_application", application
    )
    opinion_form = None
    if application.state == ApplicationState.IN_CONSULTATION and selectors.awaits_opinion_from(
        user=user, consultations=consultations
    ):
        opinion_form = bound.get("opinion") or OpinionForm(prefix="opinion")
    shown = {*actions, *(["upload"] if editable else []), *(["opinion"] if opinion_form else [])}
    for key, form in bound.items():
        # A refused form that is no longer offered (say the state moved on) is told as a message.
        if key not in shown:
            for error in form.non_field_errors():
                messages.error(request, error)
        elif form.errors:
            messages.error(request, _("未能办理，请查看下方标红的提示。"))
    today = timezone.localdate()
    context = {
        "application": application,
        "list_kind_label": ListKind(application.list_kind).label
        if application.list_kind in ListKind.values
        else application.list_kind,
        "today": today,
        "overdue": bool(application.stage_due and application.stage_due < today),
        "scope": scope,
        "scope_total": sum(row.funding_fen for row in scope),
        "burden": burden.application_burden(application),
        "criteria": _criteria_rows(application),
        "documents": list(application.documents.defer("content").select_related("uploaded_by")),
        "consultations": consultations,
        "decision": decision,
        "purchase": getattr(decision, "purchase", None) if decision else None,
        "admissions": list(application.admissions.order_by("id")),
        "retires": list(application.retires.all()),
        "events": _timeline(application),
        "action_forms": action_forms,
        "editable": editable,
        "upload_form": (bound.get("upload") or DocumentForm(prefix="upload")) if editable else None,
        "opinion_form": opinion_form,
    }
    if "accept" in actions:
        context["problems"] = services.completeness_problems(application)
        context["negative"] = services.negative_list_match(application)
    if "decide" in actions:
        context["funding_gaps"] = services.funding_gaps(application)
    if "close_consultation" in actions:
        open_ones = [c for c in consultations if c.closed_at is None]
        context["unanswered"] = sum(
            1 for c in open_ones for o in c.opinions.all() if o.answered_at is None
        )
        context["deadline"] = open_ones[0].deadline if open_ones else None
    return render(request, "admission/application_detail.html", context)


def _criteria_rows(application: Application) -> list[dict]:
    evidence = services.criteria_evidence(application)
    finding = application.criteria or {}
    return [
        {
            "name": name,
            "label": services.CRITERIA_LABELS[name],
            "evidence": evidence[name],
            "finding": finding.get(name),
            "reviewed": bool(finding),
        }
        for name in services.CRITERIA
    ]


def _timeline(application: Application) -> list[dict]:
    return [
        {
            "event": event,
            "label": EVENT_LABELS.get(event.action, event.action),
            "state": ApplicationState(event.to_state).label
            if event.to_state in ApplicationState.values
            else "",
            "moved": event.from_state != event.to_state,
            "verdict": OpinionVerdict(event.data["verdict"]).label
            if event.data.get("verdict") in OpinionVerdict.values
            else "",
            "outcome": DecisionOutcome(event.data["outcome"]).label
            if event.data.get("outcome") in DecisionOutcome.values
            else "",
        }
        for event in application.events.select_related("actor").order_by("id")
    ]


@login_required
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    return _render_detail(request, _application_or_404(request, application_id))


@login_required
@require_POST
def application_transition(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _application_or_404(request, application_id)
    action = request.POST.get("action", "")
    if action not in ACTION_FORMS:
        messages.error(request, _("未知操作：%(action)s") % {"action": action[:30]})
        return redirect("application_detail", application_id=application.pk)
    form = _action_form(action, application, request.POST)
    if not form.is_valid():
        return _render_detail(request, application, {action: form})
    try:
        services.application_transition(
            actor=request.user, application=application, action=action, **form.service_fields()
        )
    except Forbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except DomainError as error:
        form_error(form, error)
        return _render_detail(request, application, {action: form})
    messages.success(request, _("已办理：%(action)s") % {"action": ACTION_LABELS[action]})
    return redirect("application_detail", application_id=application.pk)


@login_required
@require_POST
def opinion_give(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _application_or_404(request, application_id)
    unit = request.user.unit
    if unit is None or unit.region_id is None:
        raise PermissionDenied
    form = OpinionForm(request.POST, prefix="opinion")
    if form.is_valid():
        try:
            services.opinion_give(
                actor=request.user,
                application=application,
                region=unit.region,
                verdict=form.cleaned_data["verdict"],
                text=form.cleaned_data["text"],
            )
        except Forbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("意见已提交。"))
            return redirect("application_detail", application_id=application.pk)
    return _render_detail(request, application, {"opinion": form})


# Documents --------------------------------------------------------------------------------------


@login_required
@require_POST
def document_upload(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _application_or_404(request, application_id)
    if not request.user.has_perm("admission.edit_application", application):
        raise PermissionDenied
    form = DocumentForm(request.POST, request.FILES, prefix="upload")
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > services.DOCUMENT_MAX_BYTES:
                # Refused before the whole file is read into memory.
                raise InvalidInput(_("文件不能超过 20 MB。"))
            services.application_attach(
                actor=request.user,
                application=application,
                kind=form.cleaned_data["kind"],
                name=upload.name,
                content=upload.read(),
                content_type=upload.content_type or "",
            )
        except Forbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            if application.state not in EDITABLE_STATES:
                messages.error(request, str(error.message))
                return redirect("application_detail", application_id=application.pk)
            form.add_error("file", str(error.message))
        else:
            messages.success(request, _("已上传：%(name)s") % {"name": upload.name})
            return redirect(reverse("application_detail", args=[application.pk]) + "#documents")
    return _render_detail(request, application, {"upload": form})


@login_required
def document_download(request: HttpRequest, application_id: int, document_id: int) -> HttpResponse:
    application = _application_or_404(request, application_id)
    document = application.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404
    response = HttpResponse(
        bytes(document.content),
        content_type=services.document_content_type(document.name),
    )
    response["Content-Disposition"] = content_disposition(document.name)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def document_delete(request: HttpRequest, application_id: int, document_id: int) -> HttpResponse:
    application = _application_or_404(request, application_id)
    document = application.documents.defer("content").filter(pk=document_id).first()
    if document is None:
        raise Http404
    try:
        services.application_detach(actor=request.user, document=document)
    except Forbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已删除：%(name)s") % {"name": document.name})
    return redirect(reverse("application_detail", args=[application.pk]) + "#documents")


# Notifications ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notification_index(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Marking one's own notifications read is bookkeeping, not a step anyone audits.
        count = notifications_mark_read(user=request.user)
        messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": count})
        return redirect("notification_index")
    notifications = Notification.objects.filter(recipient=request.user).order_by("-id")
    context = {
        "page": keyset_page(request, notifications, ordering=("-id",), size=50),
        "query": request.GET.copy(),
        "unread": notifications_unread(user=request.user).count(),
    }
    return render(request, "core/notifications.html", context)
