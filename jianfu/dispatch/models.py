"""Tasks and the right to refuse (拒绝权): dispatches, their deliveries, and the arrival check.

DESIGN.md §3.4. A department's `Task` reaches each recipient (a street or community) as a
`Delivery`, checked on arrival against the admissions register: an unadmitted delivery carries
every reason it failed and can be refused with one action. Every later step is a `DeliveryEvent`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jianfu.admission.models import Admission
from jianfu.catalog.models import CatalogList
from jianfu.core.fields import YearOfField, current_year
from jianfu.org.models import Region, Unit


class RecipientLevel(models.TextChoices):
    STREET = "street", _("街道（乡镇）")
    COMMUNITY = "community", _("社区（村）")


class TaskStatus(models.TextChoices):
    DISPATCHING = "dispatching", _("派发中")
    DISPATCHED = "dispatched", _("已派发")
    FAILED = "failed", _("派发失败")
    CANCELLED = "cancelled", _("已撤回")


class OutputKind(models.TextChoices):
    """What a task asks the recipient to hand in."""

    FORM = "form", _("报表")
    LEDGER = "ledger", _("台账记录")
    REPORT = "report", _("工作报告")


class Reason(models.TextChoices):
    """Why a delivery is unadmitted; a delivery lists every reason that applies."""

    NO_BASIS = "no_basis", _("未引用准入编号或社区职责事项")
    NO_ADMISSION = "no_admission", _("准入编号不存在")
    ADMISSION_EXPIRED = "admission_expired", _("准入已到期")
    ADMISSION_REVOKED = "admission_revoked", _("准入已撤销")
    ADMISSION_SUSPENDED = "admission_suspended", _("准入已暂停")
    ADMISSION_NOT_YET_VALID = "admission_not_yet_valid", _("准入尚未生效")
    OUTSIDE_SCOPE = "outside_scope", _("接收单位不在准入范围内")
    OTHER_DEPARTMENT = "other_department", _("准入属于其他部门")
    UNFUNDED = "unfunded", _("准入未为该单位落实经费")
    FUNDS_OVERDUE = "funds_overdue", _("准入经费逾期未拨付到该单位，准入已对其暂停")
    NEGATIVE_LIST = "negative_list", _("事项属于负面清单")
    DUTY_NOT_LISTED = "duty_not_listed", _("所引事项不在本单位依法履行职责事项清单内")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("待处理")
    ACCEPTED = "accepted", _("已接收")
    REFUSAL_REQUESTED = "refusal_requested", _("拒绝待审核")
    REFUSED = "refused", _("已拒绝")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已撤回")


# Deliveries still in the recipient's hands: re-checked when their admission changes.
OPEN_STATUSES = frozenset(
    {DeliveryStatus.RECEIVED, DeliveryStatus.ACCEPTED, DeliveryStatus.REFUSAL_REQUESTED}
)


class Task(models.Model):
    """One piece of work a department sends to chosen streets or communities."""

    reference = models.CharField(_("任务编号"), max_length=30, unique=True)
    department = models.ForeignKey(
        Unit, verbose_name=_("派发部门"), on_delete=models.PROTECT, related_name="tasks"
    )
    # The department's district (blank for a city or province department): whose district
    # offices see the task and count it on the department's record.
    district_code = models.CharField(max_length=12, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("任务名称"), max_length=200)
    content = models.TextField(_("任务内容"))
    deadline = models.DateField(_("完成时限"))
    outputs = models.JSONField(_("须报送材料"), default=list, blank=True)
    # The basis the department cites: an admission number (kept as typed, so a number that
    # does not exist is on record too) or an item of a community duty list.
    admission_number = models.CharField(_("准入编号"), max_length=40, blank=True)
    admission = models.ForeignKey(
        Admission, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    duty_list = models.ForeignKey(
        CatalogList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    duty_item_key = models.UUIDField(null=True, blank=True)
    duty_item_name = models.CharField(_("职责事项"), max_length=300, blank=True)
    recipient_level = models.CharField(_("接收层级"), max_length=10, choices=RecipientLevel.choices)
    # The regions picked (a community, a street's worth, a whole district …), expanded to the
    # recipients at `recipient_level` when the task fans out.
    recipient_codes = models.JSONField(default=list)
    status = models.CharField(
        _("状态"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.DISPATCHING
    )
    recipients_total = models.PositiveIntegerField(_("接收单位数"), default=0)
    unadmitted_total = models.PositiveIntegerField(_("未准入接收单位数"), default=0)
    # What the reasons of the last arrival check refer to: the admission's number, state and
    # term, the negative-list entries matched.
    check_details = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey(
        "core.BackgroundJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The year the task was issued; its deliveries carry it too (the partition key on
    # PostgreSQL, see docs/partitioning.md).
    year = models.PositiveSmallIntegerField(_("年度"), default=current_year, editable=False)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("撤回理由"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        indexes = [models.Index(fields=["department", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="task_status_known"
            ),
            models.CheckConstraint(
                condition=Q(recipient_level__in=RecipientLevel.values),
                name="task_recipient_level_known",
            ),
            # A task cites one basis at most: an admission or a duty item.
            models.CheckConstraint(
                condition=Q(admission_number="") | Q(duty_item_key__isnull=True),
                name="task_one_basis",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Delivery(models.Model):
    """The task as it reaches one street or community, with the result of its arrival check."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="deliveries")
    region = models.ForeignKey(
        Region, verbose_name=_("接收单位"), on_delete=models.PROTECT, related_name="+"
    )
    # What the check found on arrival is what counts on the department's record; `admitted`
    # and `reasons` follow later changes of the admission (revoked, suspended, resumed).
    admitted_on_arrival = models.BooleanField(_("到达时已准入"))
    admitted = models.BooleanField(_("已准入"))
    reasons = models.JSONField(_("未准入原因"), default=list, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.RECEIVED,
    )
    # Where an overruled refusal request returns to.
    status_before_refusal = models.CharField(max_length=20, blank=True)
    progress_percent = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    progress_note = models.TextField(_("进展情况"), blank=True)
    refusal_reason = models.TextField(_("拒绝理由"), blank=True)
    # The rule the refusal notice cites, as the district worded it on the day of the refusal.
    refusal_basis = models.TextField(_("拒绝受理依据"), blank=True)
    # A refusal of work that was admitted when refused (upheld by the street); refusals of
    # unadmitted work never count against the recipient.
    refused_while_admitted = models.BooleanField(default=False)
    refused_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_late = models.BooleanField(_("逾期完成"), default=False)
    arrived_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The task's year (the partition key on PostgreSQL, see docs/partitioning.md).
    year = YearOfField(of="task")

    class Meta:
        ordering = ["task_id", "region_id"]
        verbose_name = _("任务接收")
        verbose_name_plural = _("任务接收")
        indexes = [
            models.Index(fields=["region", "status"]),
            models.Index(fields=["task", "admitted"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["task", "region"], name="delivery_once_per_recipient"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_known"
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100), name="delivery_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} → {self.region_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class DeliveryEvent(models.Model):
    """One step on a delivery after its arrival: accepted, progress, refused, re-checked …"""

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20)
    admitted = models.BooleanField()
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery_id", "at", "id"]
        verbose_name = _("任务处理记录")
        verbose_name_plural = _("任务处理记录")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.action}"
