import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


class AuditRecord(models.Model):
    """One append-only entry of the audit trail, chained to the previous one by an SM3 hash.

    The database refuses UPDATE and DELETE on this table (see the migration), and the hash
    chain reveals any change made by someone able to get past that.
    """

    created_at = models.DateTimeField(_("时间"), db_index=True)
    # The actor is kept by id and by name so the record stays readable after accounts change;
    # no foreign-key constraint, because the audit trail must outlive what it describes.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("账号"), max_length=150, blank=True)
    roles = models.CharField(_("角色"), max_length=200, blank=True)
    unit_id = models.BigIntegerField(_("单位编号"), null=True, blank=True)
    unit_name = models.CharField(_("单位"), max_length=100, blank=True)
    ip = models.CharField(_("IP 地址"), max_length=45, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, blank=True)
    action = models.CharField(_("操作"), max_length=60, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    changes = models.JSONField(_("变更摘要"), default=dict, blank=True)
    result = models.CharField(_("结果"), max_length=10, choices=AuditResult.choices)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"


class AuditChainHead(models.Model):
    """The newest link of the audit chain: lets removal of the last records be detected, and its
    row lock serialises concurrent appends so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_record_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single")]

    def __str__(self) -> str:
        return f"audit chain head #{self.last_record_id}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class BackgroundJob(models.Model):
    """A long piece of work run by the worker, with progress a page can poll."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=40)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    # The uploaded file travels in the database, so any worker on any machine can read it.
    payload = models.BinaryField(blank=True, default=b"")
    payload_name = models.CharField(max_length=200, blank=True)
    options = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class CalendarDay(models.Model):
    """A day that breaks the Monday–Friday rule: a public holiday, or a weekend made a workday (调休)."""

    date = models.DateField(_("日期"), primary_key=True)
    is_workday = models.BooleanField(_("上班"))
    name = models.CharField(_("说明"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Notification(models.Model):
    """A message to one user about a step that concerns them, shown until they read it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message


class DailyRun(models.Model):
    """One run of a daily job (jianfu.core.daily): at most one per job and day, whichever worker
    gets there first."""

    name = models.CharField(max_length=40)
    day = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(null=True)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-day", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="daily_run_once")]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"
