"""Dispatch over the REST API: sending tasks, the per-recipient arrival check, the inbox, the
recipients' answers and the street's review, refusal notices and violation counts."""

import datetime as dt
import uuid
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from jianfu.api.pagination import DEFAULT_LIMIT, PageMeta, cursor_page
from jianfu.core.errors import NotFound
from jianfu.dispatch import documents, selectors, services
from jianfu.dispatch.models import (
    Delivery,
    DeliveryStatus,
    OutputKind,
    RecipientLevel,
    Task,
    TaskStatus,
)
from jianfu.org.models import Unit, UnitType, User

router = Router(tags=["dispatch"])


# ---------------------------------------------------------------------------------------------
# Output


class DepartmentOut(Schema):
    id: int
    name: str


class ReasonOut(Schema):
    code: str
    text: str


class OutputOut(Schema):
    kind: OutputKind
    name: str


class DutyItemOut(Schema):
    key: uuid.UUID
    name: str


def _reasons(delivery: Delivery) -> list[dict]:
    texts = services.reason_texts(delivery.task, delivery.reasons)
    return [
        {"code": code, "text": text} for code, text in zip(delivery.reasons, texts, strict=True)
    ]


def _duty_item(task: Task) -> dict | None:
    if task.duty_item_key is None:
        return None
    return {"key": task.duty_item_key, "name": task.duty_item_name}


class CheckOut(Schema):
    """One recipient's arrival check: the delivery's id, where it went, and why it is
    unadmitted (no reasons: admitted)."""

    id: int
    region: str
    region_name: str
    admitted: bool
    reasons: list[ReasonOut]

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region_id

    @staticmethod
    def resolve_region_name(obj) -> str:
        return obj.region.name

    @staticmethod
    def resolve_reasons(obj) -> list[dict]:
        return _reasons(obj)


class DeliveryRow(CheckOut):
    """A delivery as its task's page lists it."""

    admitted_on_arrival: bool
    status: DeliveryStatus
    status_label: str
    progress_percent: int
    progress_note: str
    refusal_reason: str
    refused_while_admitted: bool
    arrived_at: dt.datetime
    accepted_at: dt.datetime | None
    refused_at: dt.datetime | None
    completed_at: dt.datetime | None
    completed_late: bool
    updated_at: dt.datetime
    actions: list[str] = Field(
        description="您现在可执行的操作 · what you may do now: accept, refuse, progress, "
        "complete, uphold_refusal, overrule_refusal"
    )
    notice_url: str | None = Field(description="不予受理告知书（仅已拒绝）· refusal notice PDF")

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(DeliveryStatus(obj.status).label)

    @staticmethod
    def resolve_actions(obj, context) -> list[str]:
        return services.actions_allowed(context["request"].auth, obj)

    @staticmethod
    def resolve_notice_url(obj) -> str | None:
        if obj.status != DeliveryStatus.REFUSED:
            return None
        return reverse("api:delivery_notice", kwargs={"delivery_id": obj.pk})


class DeliveryPage(PageMeta):
    items: list[DeliveryRow]


class TaskOut(Schema):
    id: int
    reference: str
    title: str
    department: DepartmentOut
    deadline: dt.date
    status: TaskStatus
    status_label: str
    recipient_level: RecipientLevel
    admission_number: str | None
    duty_item: DutyItemOut | None
    recipients_total: int
    unadmitted_total: int
    created_at: dt.datetime
    dispatched_at: dt.datetime | None
    cancelled_at: dt.datetime | None

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(TaskStatus(obj.status).label)

    @staticmethod
    def resolve_admission_number(obj) -> str | None:
        return obj.admission_number or None

    @staticmethod
    def resolve_duty_item(obj) -> dict | None:
        return _duty_item(obj)


class TaskBrief(TaskOut):
    """The task as its recipients read it."""

    content: str
    outputs: list[OutputOut]
    cancel_reason: str


class DeliveryOut(DeliveryRow):
    """A delivery with the task it brings: the inbox, and the answer to every action."""

    task: TaskBrief


class JobOut(Schema):
    id: uuid.UUID
    status: str
    done: int
    total: int
    percent: int
    page_url: str

    @staticmethod
    def resolve_page_url(obj) -> str:
        return reverse("job_detail", args=[obj.pk])


class TaskFullOut(TaskBrief):
    recipient_codes: list[str]
    job: JobOut | None = Field(description="派发的后台任务（大批量派发）· the fan-out job")


class TaskCreatedOut(TaskFullOut):
    poll_url: str = Field(description="查询派发结果 · where to read the task and its progress")
    check: list[CheckOut] | None = Field(
        description="逐个接收单位的准入核验；后台派发时为 null · the per-recipient check, "
        "null while the dispatch runs in the background"
    )

    @staticmethod
    def resolve_poll_url(obj) -> str:
        return reverse("api:task_detail", kwargs={"task_id": obj.pk})

    @staticmethod
    def resolve_check(obj, context) -> list | None:
        if obj.status != TaskStatus.DISPATCHED:
            return None
        return list(selectors.deliveries_of(user=context["request"].auth, task=obj).order_by("id"))


class TaskDetailOut(TaskFullOut):
    may_cancel: bool
    delivery_counts: dict[str, int] = Field(
        description="您可见的接收记录按状态计数，另有 unadmitted · your deliveries by status"
    )
    deliveries: DeliveryPage = Field(
        description="第一页；后续页见 /tasks/{id}/deliveries · the first page; next pages at "
        "/tasks/{id}/deliveries?cursor="
    )

    @staticmethod
    def resolve_may_cancel(obj, context) -> bool:
        user = context["request"].auth
        return obj.status in services.CANCELLABLE and user.has_perm("dispatch.cancel_task", obj)

    @staticmethod
    def resolve_delivery_counts(obj, context) -> dict[str, int]:
        deliveries = selectors.deliveries_of(user=context["request"].auth, task=obj)
        counts = dict.fromkeys(DeliveryStatus.values, 0)
        rows = deliveries.order_by().values("status", "admitted").annotate(n=Count("pk"))
        counts["unadmitted"] = 0
        for row in rows:
            counts[row["status"]] += row["n"]
            if not row["admitted"]:
                counts["unadmitted"] += row["n"]
        return counts

    @staticmethod
    def resolve_deliveries(obj, context) -> dict:
        deliveries = selectors.deliveries_of(user=context["request"].auth, task=obj)
        return cursor_page(deliveries, key="id", cursor=None, limit=DEFAULT_LIMIT)


class TaskPage(PageMeta):
    items: list[TaskOut]


class InboxPage(PageMeta):
    items: list[DeliveryOut]


class ViolationOut(Schema):
    department: DepartmentOut
    year: int
    dispatches: int
    unadmitted_dispatches: int
    deliveries: int
    unadmitted_deliveries: int
    refusals: int
    refusals_of_unadmitted: int
    late_completions: int
    overdue_open: int
    unadmitted_rate: float | None


# ---------------------------------------------------------------------------------------------
# Tasks


class OutputIn(Schema):
    model_config = ConfigDict(use_enum_values=True)

    kind: OutputKind
    name: str


class TaskIn(Schema):
    model_config = ConfigDict(use_enum_values=True)

    admission_number: str | None = Field(None, description="准入编号 · the admission cited")
    duty_item: str | None = Field(
        None, description="职责事项的标识（UUID）或编码 · a duty-list item's key or code"
    )
    title: str
    content: str
    deadline: dt.date
    outputs: list[OutputIn] = []
    recipients: list[str] = Field(
        description="社区、街道、区县…的区划代码 · division codes: a community, a street's "
        "worth, a whole district"
    )
    level: RecipientLevel = RecipientLevel.COMMUNITY


def _task_or_404(request: HttpRequest, task_id: int) -> Task:
    found = selectors.tasks_visible_to(user=request.auth).filter(pk=task_id)
    task = found.select_related("job").first()
    if task is None:
        raise NotFound()
    return task


@router.post(
    "/tasks",
    response={201: TaskCreatedOut, 202: TaskCreatedOut},
    summary="派发任务 · Dispatch a task; answers with each recipient's arrival check",
)
def task_create(request: HttpRequest, body: TaskIn):
    task = services.task_dispatch(
        actor=request.auth,
        values=body.model_dump(include={"title", "content", "deadline", "outputs"}),
        recipients=body.recipients,
        level=body.level,
        admission_number=body.admission_number or "",
        duty_item=body.duty_item or "",
    )
    task = _task_or_404(request, task.pk)
    # A dispatch too large to check inside the request runs as a job: 202, poll the task.
    return Status(202 if task.job_id else 201, task)


class TaskFilters(Schema):
    status: TaskStatus | None = None
    unadmitted_only: bool = Field(False, description="只看有未准入接收单位的任务")
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get("/tasks", response=TaskPage, summary="任务 · Tasks you may see, newest first")
def task_list(request: HttpRequest, filters: Query[TaskFilters]) -> dict:
    tasks = selectors.tasks_visible_to(user=request.auth)
    if filters.status:
        tasks = tasks.filter(status=filters.status)
    if filters.unadmitted_only:
        tasks = tasks.filter(unadmitted_total__gt=0)
    return cursor_page(tasks, key="id", cursor=filters.cursor, limit=filters.limit, descending=True)


@router.get(
    "/tasks/{task_id}",
    response=TaskDetailOut,
    url_name="task_detail",
    summary="任务 · One task, its job, and the first page of the deliveries you may see",
)
def task_detail(request: HttpRequest, task_id: int):
    return _task_or_404(request, task_id)


class DeliveryFilters(Schema):
    status: DeliveryStatus | None = None
    admitted: bool | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get(
    "/tasks/{task_id}/deliveries",
    response=DeliveryPage,
    summary="任务的接收记录 · A task's deliveries you may see, by cursor",
)
def task_deliveries(request: HttpRequest, task_id: int, filters: Query[DeliveryFilters]) -> dict:
    deliveries = selectors.deliveries_of(user=request.auth, task=_task_or_404(request, task_id))
    if filters.status:
        deliveries = deliveries.filter(status=filters.status)
    if filters.admitted is not None:
        deliveries = deliveries.filter(admitted=filters.admitted)
    return cursor_page(deliveries, key="id", cursor=filters.cursor, limit=filters.limit)


class ReasonIn(Schema):
    reason: str = ""


@router.post(
    "/tasks/{task_id}/cancel",
    response=TaskDetailOut,
    summary="撤回任务 · Withdraw a task (its department) or terminate it (the group office)",
)
def task_cancel(request: HttpRequest, task_id: int, body: ReasonIn):
    task = _task_or_404(request, task_id)
    services.task_cancel(actor=request.auth, task=task, reason=body.reason)
    return _task_or_404(request, task_id)


# ---------------------------------------------------------------------------------------------
# The inbox and the recipients' answers


class InboxFilters(Schema):
    status: DeliveryStatus | None = None
    admitted: bool | None = None
    task: int | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get(
    "/inbox",
    response=InboxPage,
    summary="收到的任务 · Tasks addressed to your street or community, newest first",
)
def inbox(request: HttpRequest, filters: Query[InboxFilters]) -> dict:
    deliveries = selectors.inbox_for(
        user=request.auth,
        status=filters.status or "",
        admitted=filters.admitted,
        task=filters.task,
    )
    page = cursor_page(
        deliveries, key="id", cursor=filters.cursor, limit=filters.limit, descending=True
    )
    body = {"next_cursor": page["next_cursor"], "items": _inbox_rows(request.auth, page["items"])}
    # Rendered as ninja renders a validated InboxPage (the schema above still documents it).
    return _rendered(request, body)


def _rendered(request: HttpRequest, body: dict) -> HttpResponse:
    """The body rendered by the API's renderer, as ninja renders a validated response."""
    # Imported here: the API module imports this router.
    from jianfu.api.api import api

    return api.create_response(request, body, status=200)


def _task_brief_dict(task: Task, labels: dict[str, str]) -> dict:
    """A task as `TaskBrief` dumps it, built directly from the model (see `_inbox_rows`)."""
    department = task.department
    return {
        "id": task.pk,
        "reference": task.reference,
        "title": task.title,
        "department": {"id": department.pk, "name": department.name},
        "deadline": task.deadline,
        "status": TaskStatus(task.status),
        "status_label": labels[task.status],
        "recipient_level": RecipientLevel(task.recipient_level),
        "admission_number": task.admission_number or None,
        "duty_item": _duty_item(task),
        "recipients_total": task.recipients_total,
        "unadmitted_total": task.unadmitted_total,
        "created_at": task.created_at,
        "dispatched_at": task.dispatched_at,
        "cancelled_at": task.cancelled_at,
        "content": task.content,
        "outputs": [
            {"kind": OutputKind(output["kind"]), "name": output["name"]} for output in task.outputs
        ],
        "cancel_reason": task.cancel_reason,
    }


def _inbox_rows(user: User, deliveries: list[Delivery]) -> list[dict]:
    """The deliveries as `DeliveryOut` dumps them, field for field and in its order.

    The inbox is the API's busiest list: validating 50 model instances through ninja's
    attribute getters took half of each request, so its rows are built here and the page is
    rendered without that validation (test_api_inbox_rows_match_the_schema keeps the two equal).
    The labels are translated once per page, not once per row."""
    delivery_labels = {value: str(label) for value, label in DeliveryStatus.choices}
    task_labels = {value: str(label) for value, label in TaskStatus.choices}
    tasks: dict[int, dict] = {}
    rows = []
    for delivery in deliveries:
        task = delivery.task
        if task.pk not in tasks:
            tasks[task.pk] = _task_brief_dict(task, task_labels)
        notice_url = None
        if delivery.status == DeliveryStatus.REFUSED:
            notice_url = reverse("api:delivery_notice", kwargs={"delivery_id": delivery.pk})
        rows.append(
            {
                "id": delivery.pk,
                "region": delivery.region_id,
                "region_name": delivery.region.name,
                "admitted": delivery.admitted,
                "reasons": _reasons(delivery),
                "admitted_on_arrival": delivery.admitted_on_arrival,
                "status": DeliveryStatus(delivery.status),
                "status_label": delivery_labels[delivery.status],
                "progress_percent": delivery.progress_percent,
                "progress_note": delivery.progress_note,
                "refusal_reason": delivery.refusal_reason,
                "refused_while_admitted": delivery.refused_while_admitted,
                "arrived_at": delivery.arrived_at,
                "accepted_at": delivery.accepted_at,
                "refused_at": delivery.refused_at,
                "completed_at": delivery.completed_at,
                "completed_late": delivery.completed_late,
                "updated_at": delivery.updated_at,
                "actions": services.actions_allowed(user, delivery),
                "notice_url": notice_url,
                "task": tasks[task.pk],
            }
        )
    return rows


class ReviewFilters(Schema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get(
    "/refusal-reviews",
    response=InboxPage,
    summary="待审核的拒绝 · Refusals of admitted work waiting for your review",
)
def refusal_reviews(request: HttpRequest, filters: Query[ReviewFilters]) -> dict:
    deliveries = selectors.refusals_to_review(user=request.auth)
    return cursor_page(deliveries, key="id", cursor=filters.cursor, limit=filters.limit)


def _delivery_or_404(request: HttpRequest, delivery_id: int) -> Delivery:
    found = selectors.delivery_visible_to(user=request.auth, delivery_id=delivery_id)
    if found is None:
        raise NotFound()
    return found


class EventOut(Schema):
    action: str
    actor: str
    status: DeliveryStatus
    admitted: bool
    note: str
    at: dt.datetime

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor.display_name if obj.actor_id else ""


class DeliveryDetailOut(DeliveryOut):
    events: list[EventOut]

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.select_related("actor"))


@router.get(
    "/deliveries/{delivery_id}",
    response=DeliveryDetailOut,
    summary="任务接收记录 · One delivery, its task and its history",
)
def delivery_detail(request: HttpRequest, delivery_id: int):
    return _delivery_or_404(request, delivery_id)


def _act(request: HttpRequest, delivery_id: int, action: str, **fields: Any) -> Delivery:
    delivery = _delivery_or_404(request, delivery_id)
    services.delivery_act(actor=request.auth, delivery=delivery, action=action, **fields)
    return _delivery_or_404(request, delivery_id)


class RefuseIn(Schema):
    reason: str = Field(
        "", description="未准入的任务可不填；已准入的必填，并由街道审核 · optional when unadmitted"
    )


class NoteIn(Schema):
    note: str = ""


class ProgressIn(Schema):
    percent: int = Field(description="0–100")
    note: str


@router.post(
    "/deliveries/{delivery_id}/accept",
    response=DeliveryDetailOut,
    summary="接收任务 · Accept a delivery",
)
def delivery_accept(request: HttpRequest, delivery_id: int):
    return _act(request, delivery_id, "accept")


@router.post(
    "/deliveries/{delivery_id}/refuse",
    response=DeliveryDetailOut,
    summary="拒绝任务 · Refuse: unadmitted at once; admitted with a reason, for the street's review",
)
def delivery_refuse(request: HttpRequest, delivery_id: int, body: RefuseIn | None = None):
    return _act(request, delivery_id, "refuse", reason=body.reason if body else "")


@router.post(
    "/deliveries/{delivery_id}/progress",
    response=DeliveryDetailOut,
    summary="报告进度 · Report progress on an accepted delivery",
)
def delivery_progress(request: HttpRequest, delivery_id: int, body: ProgressIn):
    return _act(request, delivery_id, "progress", percent=body.percent, note=body.note)


@router.post(
    "/deliveries/{delivery_id}/complete",
    response=DeliveryDetailOut,
    summary="完成任务 · Complete an accepted delivery",
)
def delivery_complete(request: HttpRequest, delivery_id: int, body: NoteIn | None = None):
    return _act(request, delivery_id, "complete", note=body.note if body else "")


@router.post(
    "/deliveries/{delivery_id}/uphold-refusal",
    response=DeliveryDetailOut,
    summary="同意拒绝 · Uphold a refusal of admitted work (the street, or the group office)",
)
def delivery_uphold_refusal(request: HttpRequest, delivery_id: int, body: NoteIn | None = None):
    return _act(request, delivery_id, "uphold_refusal", note=body.note if body else "")


@router.post(
    "/deliveries/{delivery_id}/overrule-refusal",
    response=DeliveryDetailOut,
    summary="不同意拒绝 · Overrule a refusal (a note is required); the delivery goes back",
)
def delivery_overrule_refusal(request: HttpRequest, delivery_id: int, body: NoteIn | None = None):
    return _act(request, delivery_id, "overrule_refusal", note=body.note if body else "")


@router.get(
    "/deliveries/{delivery_id}/notice.pdf",
    url_name="delivery_notice",
    summary="不予受理告知书 · The refusal notice of a refused delivery (PDF)",
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
def delivery_notice(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _delivery_or_404(request, delivery_id)
    if delivery.status != DeliveryStatus.REFUSED:
        raise NotFound(_("该任务未被拒绝，没有不予受理告知书。"))
    return documents.refusal_notice_response(delivery)


# ---------------------------------------------------------------------------------------------
# Violation accounting


class ViolationFilters(Schema):
    year: int = Field(
        default_factory=lambda: timezone.localdate().year, ge=2000, le=2100, description="派发年份"
    )


@router.get(
    "/departments/{department_id}/violations",
    response=ViolationOut,
    summary="部门违规派发记录 · A department's dispatches, unadmitted work, refusals, late completions",
)
def department_violations(
    request: HttpRequest, department_id: int, filters: Query[ViolationFilters]
) -> dict:
    department = Unit.objects.filter(pk=department_id, type=UnitType.DEPARTMENT).first()
    if department is None or not request.auth.has_perm("dispatch.view_violations", department):
        raise NotFound()
    (row,) = selectors.violations(
        departments=Unit.objects.filter(pk=department.pk), year=filters.year
    )
    return {**vars(row), "year": filters.year, "unadmitted_rate": row.unadmitted_rate}
