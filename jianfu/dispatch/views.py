"""Task pages: the department's dispatches, the recipients' inbox and answers, the street's review
of refusals, the refusal notice, and the violation counts (staff and public). Reads go through
dispatch.selectors, writes through dispatch.services."""

from __future__ import annotations

from html import escape as html_escape
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from jianfu.admission import selectors as admission_selectors
from jianfu.admission.register_forms import year_from
from jianfu.core.errors import DomainError, Forbidden, InvalidInput
from jianfu.core.paging import keyset_page
from jianfu.core.views import form_error
from jianfu.dispatch import documents, selectors, services
from jianfu.dispatch.forms import (
    ACTION_FORMS,
    ACTION_LABELS,
    CancelForm,
    InboxFilterForm,
    TaskFilterForm,
    TaskForm,
    action_arguments,
)
from jianfu.dispatch.models import (
    Delivery,
    DeliveryStatus,
    OutputKind,
    RecipientLevel,
    Task,
    TaskStatus,
)
from jianfu.funds import selectors as funds_selectors
from jianfu.org.models import Region, RegionLevel, UnitType, User
from jianfu.org.roles import DISTRICT_ROLES, Role

PAGE_SIZE = 50
# A task may reach 30,000 recipients; its page shows them a page at a time.
RECIPIENTS_PAGE_SIZE = 100
# Who works with the task list: the departments that send, the streets that receive and review,
# the district's offices that watch.
TASK_ROLES = (Role.DEPT_CLERK, Role.DEPT_HEAD, Role.STREET_OFFICER, *DISTRICT_ROLES)
RECIPIENT_ROLES = (Role.COMMUNITY_OFFICER, Role.STREET_OFFICER)
REVIEW_ROLES = (Role.STREET_OFFICER, Role.GROUP_SECRETARY)
YEARS_OFFERED = 5
# The field of an action's form that a service's InvalidInput is about.
NOTE_FIELDS = {"refuse": "reason", "overrule_refusal": "note"}


# Helpers ----------------------------------------------------------------------------------------


def _task_or_404(request: HttpRequest, task_id: int) -> Task:
    task = selectors.task_visible_to(user=request.user, task_id=task_id)
    if task is None:
        raise Http404
    return task


def _delivery_or_404(request: HttpRequest, delivery_id: int) -> Delivery:
    delivery = selectors.delivery_visible_to(user=request.user, delivery_id=delivery_id)
    if delivery is None:
        raise Http404
    return delivery


def _safe_next(request: HttpRequest) -> str:
    """The page a row's button came from (the inbox, the reviews), if it is one of ours."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return ""


def _tasks_filtered(
    tasks: QuerySet[Task], *, status: str, unadmitted: bool, year: int | None
) -> QuerySet[Task]:
    if status:
        tasks = tasks.filter(status=status)
    if unadmitted:
        tasks = tasks.filter(unadmitted_total__gt=0)
    if year:
        tasks = tasks.filter(created_at__year=year)
    return tasks


def _years(chosen: int) -> list[int]:
    """This year and the ones before it, and the year asked for if it is older."""
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - YEARS_OFFERED, -1))
    if chosen not in years:
        years.append(chosen)
    return sorted(years, reverse=True)


def _with_reasons(task: Task, deliveries) -> list[Delivery]:
    rows = list(deliveries)
    for delivery in rows:
        delivery.reason_texts = services.reason_texts(task, delivery.reasons)
    return rows


def _outputs(task: Task) -> list[tuple[str, list[str]]]:
    """The required outputs grouped by kind: (报表, [names]) …"""
    return [
        (kind.label, names)
        for kind in OutputKind
        if (names := [o["name"] for o in task.outputs if o.get("kind") == kind])
    ]


# The task list ----------------------------------------------------------------------------------


@login_required
def task_index(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if not user.has_role(*TASK_ROLES):
        raise PermissionDenied
    visible = selectors.tasks_visible_to(user=user)
    form = TaskFilterForm(request.GET or None)
    tasks = _tasks_filtered(visible, **form.filters())
    page = keyset_page(request, tasks, ordering=("-id",), size=PAGE_SIZE, count=True)
    years = [d.year for d in visible.order_by().datetimes("created_at", "year", order="DESC")]
    context = {
        "page": page,
        "form": form,
        "filters": form.filters(),
        "query": request.GET.copy(),
        "statuses": TaskStatus.choices,
        "years": years,
        "can_dispatch": user.has_perm("dispatch.dispatch_task"),
        "own_record": user.unit is not None and user.unit.type == UnitType.DEPARTMENT,
    }
    return render(request, "dispatch/task_index.html", context)


# The dispatch form --------------------------------------------------------------------------------


def _task_form(request: HttpRequest) -> tuple[TaskForm, Region, list]:
    user: User = request.user
    root, groups = selectors.recipient_tree(user.unit)
    regions = [root, *(r for parent, kids in groups for r in (parent, *kids))]
    form = TaskForm(
        request.POST if request.method == "POST" else None,
        admissions=selectors.admission_choices(user),
        duty_items=selectors.duty_item_choices(user.unit),
        regions=regions,
    )
    return form, root, groups


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("dispatch.dispatch_task"):
        raise PermissionDenied
    form, root, groups = _task_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_dispatch(actor=request.user, **form.service_kwargs())
        except Forbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            form_error(form, error)
        else:
            if task.status == TaskStatus.DISPATCHING:
                messages.info(request, _("任务正在派发，接收单位较多，完成后本页显示核对结果。"))
            elif task.unadmitted_total:
                messages.warning(
                    request,
                    _(
                        "任务已派发到 %(total)d 个接收单位，其中 %(unadmitted)d 个未准入，"
                        "对方可以直接拒绝。"
                    )
                    % {"total": task.recipients_total, "unadmitted": task.unadmitted_total},
                )
            else:
                messages.success(
                    request,
                    _("任务已派发到 %(total)d 个接收单位，均已准入。")
                    % {"total": task.recipients_total},
                )
            return redirect("task_detail", task_id=task.pk)
    picked = form.picked()
    context = {
        "form": form,
        "root": root,
        "root_picked": root.code in picked,
        "groups": [
            (parent, parent.code in picked, [(r, r.code in picked) for r in kids])
            for parent, kids in groups
        ],
    }
    return render(request, "dispatch/task_form.html", context)


# One task -----------------------------------------------------------------------------------------


def _render_task(
    request: HttpRequest, task: Task, cancel_form: CancelForm | None = None
) -> HttpResponse:
    user: User = request.user
    visible = selectors.deliveries_of(user=user, task=task)
    counts = visible.aggregate(
        total=Count("pk"),
        unadmitted=Count("pk", filter=Q(admitted=False)),
        unadmitted_on_arrival=Count("pk", filter=Q(admitted_on_arrival=False)),
        late=Count("pk", filter=Q(completed_late=True)),
        **{status: Count("pk", filter=Q(status=status)) for status in DeliveryStatus.values},
    )
    only_unadmitted = request.GET.get("unadmitted") == "1"
    status = request.GET.get("status", "")
    deliveries = visible.order_by("region_id")
    if only_unadmitted:
        deliveries = deliveries.filter(admitted=False)
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    page = keyset_page(
        request, deliveries, ordering=("region_id", "id"), size=RECIPIENTS_PAGE_SIZE, count=True
    )
    page.object_list = _with_reasons(task, page.object_list)
    admission_visible = bool(
        task.admission_id
        and admission_selectors.admissions_visible_to(user=user)
        .filter(pk=task.admission_id)
        .exists()
    )
    may_cancel = task.status in services.CANCELLABLE and user.has_perm("dispatch.cancel_task", task)
    context = {
        "task": task,
        "job": task.job if task.status == TaskStatus.DISPATCHING else None,
        "outputs": _outputs(task),
        "counts": counts,
        "status_counts": [(value, label, counts[value]) for value, label in DeliveryStatus.choices],
        "page": page,
        "query": request.GET.copy(),
        "only_unadmitted": only_unadmitted,
        "status": status,
        "statuses": DeliveryStatus.choices,
        "admission_visible": admission_visible,
        "cancel_form": (cancel_form or CancelForm(prefix="cancel")) if may_cancel else None,
    }
    return render(request, "dispatch/task_detail.html", context)


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(request, task_id)
    if request.htmx and "progress" in request.GET:
        if task.status != TaskStatus.DISPATCHING:
            # The fan-out has ended: the whole page changes (counts, recipients), so reload it.
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(
            request, "dispatch/task_detail.html#progress", {"task": task, "job": task.job}
        )
    return _render_task(request, task)


@login_required
@require_POST
def task_cancel(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(request, task_id)
    if not request.user.has_perm("dispatch.cancel_task", task):
        raise PermissionDenied
    form = CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            services.task_cancel(actor=request.user, task=task, reason=form.cleaned_data["reason"])
        except Forbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            if task.status != TaskStatus.DISPATCHED:
                messages.error(request, str(error.message))
                return redirect("task_detail", task_id=task.pk)
            form_error(form, error)
        else:
            messages.success(request, _("任务已撤回，尚未办结的接收单位已收到通知。"))
            return redirect("task_detail", task_id=task.pk)
    messages.error(request, _("未能撤回，请查看下方标红的提示。"))
    return _render_task(request, task, form)


# The inbox ----------------------------------------------------------------------------------------


# A delivery id no real row has, reversed in its place and then replaced by each row's id.
_ID_PLACEHOLDER = 987654321987654321


def _delivery_url_format(name: str, *args: str) -> str:
    """The address `name` of a delivery (with `args` after its id), with `{}` for the id."""
    url = reverse(name, args=[_ID_PLACEHOLDER, *args])
    return url.replace("{", "{{").replace("}", "}}").replace(str(_ID_PLACEHOLDER), "{}")


# One row of the inbox's table. The rows are put together here rather than in the template: at
# fifty rows a page, looking up and escaping each row's variables in the template was a third of
# the page's time. Every value in it is escaped, or is an address or label made here.
_INBOX_ROW = """<tr{row_class} data-testid="inbox-row">
    <td><a href="{detail_url}">{title}</a><br><code class="small muted">{reference}</code></td>
    <td class="dept">{department}</td>
    <td class="nowrap">{deadline}</td>
    <td>{admission}</td>
    <td class="nowrap"><span class="status delivery-status-{status}">{status_label}</span>{progress}</td>
    <td><div class="row-actions">
      {refuse}
      {accept}
      <a href="{detail_url}">{detail_label}</a>
      {notice}
    </div></td>
  </tr>"""
_INBOX_PROGRESS = (
    '<br><span class="progress-bar" aria-hidden="true"><span style="width: {0}%"></span></span>'
    ' <span class="small">{0}%</span>'
)
_INBOX_BUTTON = """
      <form method="post" action="{url}">{hidden}
        <button type="submit" class="{css}"{test_id}>{label}</button></form>
      """


def _inbox_rows_html(request: HttpRequest, user: User, rows: list[dict]) -> str:
    """The inbox table's rows: their links, reasons, status and the buttons the rules allow."""
    # The labels are translated once per page, not once per row (get_status_display would
    # translate every choice of every row).
    status_labels = {value: escape(str(label)) for value, label in DeliveryStatus.choices}
    admitted_cell = format_html('<span class="admitted">{}</span>', _("已准入"))
    unadmitted_cell = format_html('<span class="unadmitted">{}</span>', _("未准入"))
    refuse_label, accept_label = escape(pgettext("action", "拒绝")), escape(_("接收"))
    detail_label, notice_label = escape(_("详情")), escape(_("告知书"))
    # So are the rows' addresses: a reverse() for each link of each row was a tenth of the page.
    detail_url = _delivery_url_format("delivery_detail")
    refuse_url = _delivery_url_format("delivery_action", "refuse")
    accept_url = _delivery_url_format("delivery_action", "accept")
    notice_url = _delivery_url_format("refusal_notice")
    # The hidden fields of every row's buttons, the same for all of them.
    hidden = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">',
        get_token(request),
        request.get_full_path(),
    )
    # The rules decide once for each kind of row (its status, admission and task), not per row.
    actions_of = services.actions_decider(user)
    # The rows' values are escaped with the standard library's escape, which is what Django's
    # does, without the wrapper for lazy strings that cost more than the escaping itself.
    html = []
    for row in rows:
        delivery_id, status, admitted = row["id"], row["status"], row["admitted"]
        actions = actions_of(
            task_status=row["task_status"],
            recipient_level=row["recipient_level"],
            region_id=row["region_id"],
            status=status,
            admitted=admitted,
        )
        if admitted:
            admission = admitted_cell
        else:
            # Only unadmitted work shows its reasons, and only it may be refused from the list.
            reasons = services.reason_texts_of(
                check_details=row["check_details"],
                admission_number=row["admission_number"],
                reasons=row["reasons"],
            )
            admission = unadmitted_cell + '<ul class="reasons">'
            admission += "".join(f"<li>{html_escape(reason)}</li>" for reason in reasons) + "</ul>"
        refuse = accept = notice = ""
        if not admitted and "refuse" in actions:
            refuse = _INBOX_BUTTON.format(
                url=refuse_url.format(delivery_id),
                hidden=hidden,
                css="refuse small",
                test_id=' data-testid="refuse"',
                label=refuse_label,
            )
        if "accept" in actions:
            accept = _INBOX_BUTTON.format(
                url=accept_url.format(delivery_id),
                hidden=hidden,
                css="small",
                test_id="",
                label=accept_label,
            )
        if status == DeliveryStatus.REFUSED:
            notice = f'<a href="{notice_url.format(delivery_id)}">{notice_label}</a>'
        html.append(
            _INBOX_ROW.format(
                row_class="" if admitted else ' class="unadmitted-row"',
                detail_url=detail_url.format(delivery_id),
                title=html_escape(row["title"]),
                reference=html_escape(row["reference"]),
                department=html_escape(row["department"]),
                deadline=row["deadline"].isoformat(),
                admission=admission,
                status=html_escape(status),
                status_label=status_labels.get(status) or html_escape(status),
                progress=(
                    _INBOX_PROGRESS.format(row["progress"])
                    if status == DeliveryStatus.ACCEPTED
                    else ""
                ),
                refuse=refuse,
                accept=accept,
                detail_label=detail_label,
                notice=notice,
            )
        )
    return mark_safe("".join(html))  # noqa: S308


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if not user.has_role(*RECIPIENT_ROLES):
        raise PermissionDenied
    form = InboxFilterForm(request.GET or None)
    filters = form.filters()
    deliveries = selectors.inbox_for(user=user, **filters)
    # The rows read only the columns the page shows; the total counts the bare deliveries.
    page = keyset_page(
        request,
        selectors.inbox_page_rows(deliveries),
        ordering=("-task_id", "-id"),
        size=PAGE_SIZE,
        count=True,
        count_from=deliveries,
    )
    rows = page.object_list
    context = {
        "page": page,
        "rows_html": _inbox_rows_html(request, user, rows),
        "form": form,
        "filters": request.GET,
        "query": request.GET.copy(),
        "statuses": [(value, str(label)) for value, label in DeliveryStatus.choices],
        "filtered_task": {"title": rows[0]["title"]} if filters["task"] and rows else None,
    }
    return render(request, "dispatch/inbox.html", context)


# One delivery -------------------------------------------------------------------------------------


def _events(delivery: Delivery) -> list[dict]:
    events = delivery.events.select_related("actor__unit").order_by("at", "id")
    return [
        {
            "event": event,
            # A refusal of admitted work is only a request until the street decides.
            "label": _("申请拒绝")
            if event.action == "refuse" and event.status == DeliveryStatus.REFUSAL_REQUESTED
            else ACTION_LABELS.get(event.action, event.action),
            "status": DeliveryStatus(event.status).label
            if event.status in DeliveryStatus.values
            else event.status,
        }
        for event in events
    ]


def _task_money(delivery: Delivery) -> funds_selectors.CommunityMoney | None:
    """随事经费: what the task's admission brought the community in the year it was sent."""
    task = delivery.task
    if task.admission_id is None or delivery.region.level != RegionLevel.COMMUNITY:
        return None
    return funds_selectors.money_for_community(
        admission_id=task.admission_id,
        region_id=delivery.region_id,
        year=timezone.localtime(task.created_at).year,
    )


def _render_delivery(
    request: HttpRequest,
    delivery: Delivery,
    bound: dict[str, django_forms.Form] | None = None,
) -> HttpResponse:
    user: User = request.user
    bound = bound or {}
    task = delivery.task
    actions = services.actions_allowed(user, delivery)
    action_forms = [
        (action, ACTION_LABELS[action], bound.get(action) or ACTION_FORMS[action](prefix=action))
        for action in actions
    ]
    for action, form in bound.items():
        # A form the delivery's state no longer offers tells its refusal at the top.
        if action not in actions:
            for error in form.non_field_errors():
                messages.error(request, error)
        elif form.errors:
            messages.error(request, _("未能办理，请查看下方标红的提示。"))
    context = {
        "delivery": delivery,
        "task": task,
        "outputs": _outputs(task),
        "reasons": services.reason_texts(task, delivery.reasons),
        "reasons_on_arrival": delivery.admitted != delivery.admitted_on_arrival,
        "events": _events(delivery),
        "action_forms": action_forms,
        "task_visible": selectors.task_visible_to(user=user, task_id=task.pk) is not None,
        "money": _task_money(delivery),
        "refusal_needs_review": delivery.admitted,
        "reviewer": pgettext("refusal reviewer", "街道")
        if task.recipient_level == RecipientLevel.COMMUNITY
        else _("区社区减负工作领导小组办公室"),
    }
    return render(request, "dispatch/delivery_detail.html", context)


@login_required
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    return _render_delivery(request, _delivery_or_404(request, delivery_id))


def _done_message(action: str, delivery: Delivery) -> str:
    if action == "refuse" and delivery.status == DeliveryStatus.REFUSED:
        return _("已拒绝。不予受理告知书已生成，派发部门会收到通知。")
    messages_by_action = {
        "refuse": _("拒绝申请已提交，等待审核。"),
        "accept": _("已接收任务。"),
        "progress": _("进度已更新。"),
        "complete": _("任务已办结。"),
        "uphold_refusal": _("已同意拒绝，派发部门会收到不予受理告知书。"),
        "overrule_refusal": _("已不同意拒绝，任务退回继续办理。"),
    }
    return messages_by_action[action]


@login_required
@require_POST
def delivery_action(request: HttpRequest, delivery_id: int, action: str) -> HttpResponse:
    if action not in ACTION_FORMS:
        raise Http404
    delivery = _delivery_or_404(request, delivery_id)
    form = ACTION_FORMS[action](request.POST, prefix=action)
    back = _safe_next(request)
    if form.is_valid():
        try:
            done = services.delivery_act(
                actor=request.user,
                delivery=delivery,
                action=action,
                **action_arguments(action, form),
            )
        except Forbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except InvalidInput as error:
            # The reason or note the service found missing is marked on its own field.
            field = NOTE_FIELDS.get(action)
            form.add_error(field if field in form.fields else None, str(error.message))
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _done_message(action, done))
            return redirect(back or reverse("delivery_detail", args=[delivery.pk]))
    if back:
        # A button in a list row: the refusal is told at the top of the list it came from.
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    return _render_delivery(request, delivery, {action: form})


@login_required
def refusal_notice(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _delivery_or_404(request, delivery_id)
    if delivery.status != DeliveryStatus.REFUSED:
        raise Http404
    try:
        return documents.refusal_notice_response(delivery)
    except DomainError as error:
        # No Chinese font on the server yet: say so instead of serving empty boxes.
        return HttpResponse(
            str(error.message), status=error.status, content_type="text/plain; charset=utf-8"
        )


# The street's review of refusals -----------------------------------------------------------------


@login_required
def refusal_reviews(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if not user.has_role(*REVIEW_ROLES):
        raise PermissionDenied
    waiting = selectors.refusals_to_review(user=user)
    page = keyset_page(request, waiting, ordering=("updated_at", "id"), size=PAGE_SIZE, count=True)
    rows = list(page.object_list)
    for delivery in rows:
        delivery.reason_texts = services.reason_texts(delivery.task, delivery.reasons)
    page.object_list = rows
    context = {"page": page, "query": request.GET.copy(), "next": request.get_full_path()}
    return render(request, "dispatch/refusal_reviews.html", context)


# Violation counts ---------------------------------------------------------------------------------


def _totals(rows: list[selectors.ViolationRow]) -> dict[str, Any]:
    fields = (
        "dispatches",
        "unadmitted_dispatches",
        "deliveries",
        "unadmitted_deliveries",
        "refusals",
        "refusals_of_unadmitted",
        "late_completions",
        "overdue_open",
    )
    totals: dict[str, Any] = {name: sum(getattr(row, name) for row in rows) for name in fields}
    deliveries = totals["deliveries"]
    totals["unadmitted_rate"] = totals["unadmitted_deliveries"] / deliveries if deliveries else None
    return totals


@login_required
def violations(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    readable = selectors.departments_for_violations(user=user)
    districts = selectors.districts_of(readable)
    # A city or province department has no district, and reads its own record whole.
    if not districts and not readable.exists():
        raise PermissionDenied
    wanted = request.GET.get("district", "")
    district = next((d for d in districts if d.code == wanted), None)
    if district is None and len(districts) == 1:
        district = districts[0]
    departments = (
        selectors.departments_for_violations(user=user, district_code=district.code)
        if district
        else readable
    )
    year = year_from(request.GET.get("year"))
    rows = selectors.violations(
        departments=departments, year=year, within=district.code[:6] if district else ""
    )
    context = {
        "rows": rows,
        "totals": _totals(rows),
        "year": year,
        "years": _years(year),
        "district": district,
        "districts": districts,
        # A department reads its own record only.
        "own_department": user.unit if not user.has_role(*DISTRICT_ROLES) else None,
    }
    return render(request, "dispatch/violations.html", context)


# The home page ------------------------------------------------------------------------------------


def home_cards(*, user: User) -> dict[str, Any]:
    """The home page's task counts: the inbox's waiting work, the refusals to review."""
    cards: dict[str, Any] = {}
    if user.has_role(*RECIPIENT_ROLES):
        cards["inbox"] = selectors.inbox_for(user=user).aggregate(
            received=Count("pk", filter=Q(status=DeliveryStatus.RECEIVED)),
            unadmitted=Count("pk", filter=Q(status=DeliveryStatus.RECEIVED, admitted=False)),
            accepted=Count("pk", filter=Q(status=DeliveryStatus.ACCEPTED)),
        )
    if user.has_role(*REVIEW_ROLES):
        cards["refusals"] = selectors.refusals_to_review(user=user).count()
    return cards
