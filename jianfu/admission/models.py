"""Admission (准入): applications, their consultation and decision, and the admissions register.

DESIGN.md §3.3. An application moves through the states of `workflow.TRANSITIONS`; every move
is an `ApplicationEvent`. An approval issues an `Admission` with a number that is sequential
per district and year.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jianfu.catalog.models import CatalogList
from jianfu.org.models import Region, Unit


class ObjectKind(models.TextChoices):
    """What a department wants to place on streets or communities."""

    TASK = "task", _("工作事项")
    SIGNBOARD = "signboard", _("挂牌")
    CERTIFICATE = "certificate", _("出具证明")
    LEDGER = "ledger", _("台账")
    APPRAISAL = "appraisal", _("考核评比")
    INFORMATION_SYSTEM = "information_system", _("信息系统")
    ORGANISATION = "organisation", _("机构/组织")


class TargetLevel(models.TextChoices):
    STREET = "street", _("街道（乡镇）")
    COMMUNITY = "community", _("社区（村）")


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    AWAITING_SIGNOFF = "awaiting_signoff", _("待负责人签批")
    SUBMITTED = "submitted", _("已提交")
    IN_REVIEW = "in_review", _("初审中")
    RETURNED = "returned", _("退回补正")
    IN_CONSULTATION = "in_consultation", _("征求意见中")
    AWAITING_DECISION = "awaiting_decision", _("待联席会议决定")
    APPROVED = "approved", _("已准入")
    REJECTED = "rejected", _("不予准入")
    WITHDRAWN = "withdrawn", _("已撤回")


FINAL_STATES = frozenset(
    {ApplicationState.APPROVED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN}
)


class DecisionOutcome(models.TextChoices):
    APPROVE = "approve", _("同意准入")
    APPROVE_WITH_CONDITIONS = "approve_conditions", _("附条件准入")
    APPROVE_PART = "approve_part", _("部分范围准入")
    PURCHASE_SERVICES = "purchase_services", _("改为政府购买服务")
    REJECT = "reject", _("不予准入")


class OpinionVerdict(models.TextChoices):
    AGREE = "agree", _("同意")
    AGREE_WITH_CONDITIONS = "agree_conditions", _("附条件同意")
    DISAGREE = "disagree", _("不同意")


class AdmissionState(models.TextChoices):
    ACTIVE = "active", _("有效")
    EXPIRED = "expired", _("已到期")
    REVOKED = "revoked", _("已撤销")
    SUSPENDED = "suspended", _("已暂停")


class DocumentKind(models.TextChoices):
    LEGAL_BASIS = "legal_basis", _("法律法规依据")
    HIGHER_REQUIREMENT = "higher_requirement", _("上级党委政府文件")
    WORK_PLAN = "work_plan", _("工作方案")
    FUNDING = "funding", _("经费保障材料")
    OTHER = "other", _("其他材料")


class AdmissionSettings(models.Model):
    """A district's admission rules: numbering, stage deadlines, burden budget."""

    district = models.OneToOneField(
        Region, on_delete=models.CASCADE, primary_key=True, related_name="admission_settings"
    )
    # The number reads e.g. 市中准〔2026〕12号: {prefix} + 准〔{year}〕{seq}号.
    # Unique, or two districts' numbers would collide (内江 and 乐山 both have a 市中区).
    number_prefix = models.CharField(_("准入编号简称"), max_length=20, unique=True)
    review_days = models.PositiveSmallIntegerField(_("初审时限（工作日）"), default=5)
    consultation_days = models.PositiveSmallIntegerField(_("征求意见时限（工作日）"), default=10)
    decision_days = models.PositiveSmallIntegerField(_("决定时限（自提交起，工作日）"), default=15)
    provisional_days = models.PositiveSmallIntegerField(_("临时准入最长天数"), default=90)
    hours_per_worker = models.PositiveIntegerField(
        _("每名社区工作者每年可承接协助工作小时数"), default=300
    )
    capacity_blocks = models.BooleanField(_("超出负担预算时禁止准入"), default=False)
    # 费随事转: an admission whose money for the year has not reached a community this many
    # days after the year's start of its term is suspended for that community (the tripwire).
    funding_grace_days = models.PositiveSmallIntegerField(_("经费到位时限（天）"), default=30)
    # The rule a refusal notice (不予受理告知书) cites; seed 000 words it this way.
    refusal_basis = models.TextField(
        _("拒绝受理依据"),
        # Not translated: it is the wording of a Chinese official document.
        default=(
            "根据本区社区工作准入制度，街道和社区凭审批文件接纳进入的机构及任务，"
            "对不符合准入规定的有权拒绝或不受理；未经准入的工作事项，一律不得交由社区落实。"
        ),
    )

    class Meta:
        verbose_name = _("准入设置")
        verbose_name_plural = _("准入设置")

    def __str__(self) -> str:
        return self.number_prefix


class CommunityCapacity(models.Model):
    """How many workers a community has, and so how many hours of assisted work it can carry."""

    community = models.OneToOneField(
        Region, on_delete=models.CASCADE, primary_key=True, related_name="capacity"
    )
    workers = models.PositiveSmallIntegerField(_("社区工作者人数"), default=0)
    # Empty means workers × the district's hours per worker.
    hours_per_year = models.PositiveIntegerField(_("年度负担预算（小时）"), null=True, blank=True)

    class Meta:
        verbose_name = _("社区负担预算")
        verbose_name_plural = _("社区负担预算")

    def __str__(self) -> str:
        return f"{self.community_id} {self.workers}"


class Application(models.Model):
    """A department's request to place work on streets or communities."""

    reference = models.CharField(_("申请编号"), max_length=30, unique=True)
    district = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Unit, verbose_name=_("申请部门"), on_delete=models.PROTECT, related_name="applications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
        db_index=True,
    )
    title = models.CharField(_("事项名称"), max_length=200)
    object_kind = models.CharField(_("准入对象类别"), max_length=20, choices=ObjectKind.choices)
    target_level = models.CharField(_("承接层级"), max_length=10, choices=TargetLevel.choices)
    # Which kind of list the work joins: assisted work must bring its money (费随事转).
    list_kind = models.CharField(_("所属清单类别"), max_length=20, default="assist")
    content = models.TextField(_("授权内容"))
    service_objects = models.TextField(_("服务对象"), blank=True)
    powers = models.TextField(_("配套权限"), blank=True)
    term_from = models.DateField(_("拟实施起始日"), null=True, blank=True)
    term_until = models.DateField(_("拟实施截止日"), null=True, blank=True)
    # The three criteria of seed 003, each as structured evidence.
    legal_law = models.CharField(_("法律法规名称"), max_length=200, blank=True)
    legal_article = models.CharField(_("条款"), max_length=100, blank=True)
    legal_text = models.TextField(_("依据原文"), blank=True)
    higher_document_number = models.CharField(_("上级文件文号"), max_length=100, blank=True)
    higher_document_title = models.CharField(_("上级文件名称"), max_length=200, blank=True)
    need_statement = models.TextField(_("实际需要说明"), blank=True)
    work_plan = models.TextField(_("工作方案"), blank=True)
    funding_source = models.CharField(_("经费来源"), max_length=200, blank=True)
    staffing_support = models.TextField(_("人员保障"), blank=True)
    training_support = models.TextField(_("培训与业务指导"), blank=True)
    # Burden estimate in the Standard Cost Model form, per community.
    minutes_per_occurrence = models.PositiveIntegerField(_("每次耗时（分钟）"), default=0)
    occurrences_per_year = models.PositiveIntegerField(_("每年次数"), default=0)
    ledger_books = models.PositiveSmallIntegerField(_("台账本数"), default=0)
    report_forms = models.JSONField(_("报表"), default=list, blank=True)
    # The list item the work concerns, or a new item proposed for a list.
    catalog_list = models.ForeignKey(
        CatalogList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_key = models.UUIDField(null=True, blank=True)
    proposed_item_name = models.CharField(_("拟新增清单事项"), max_length=300, blank=True)
    # "One in, one out": admissions this application gives up if it is approved.
    retires = models.ManyToManyField("Admission", blank=True, related_name="retired_by")
    # The emergency (provisional) admission this application files properly, if any.
    regularises = models.ForeignKey(
        "Admission", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # When the current stage must end, in working days (see AdmissionSettings).
    stage_due = models.DateField(null=True, blank=True)
    decision_due = models.DateField(null=True, blank=True)
    # The review officer's finding on each of the three criteria.
    criteria = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("准入申请")
        verbose_name_plural = _("准入申请")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ApplicationState.values), name="application_state_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def hours_per_community(self) -> float:
        return self.minutes_per_occurrence * self.occurrences_per_year / 60


class ApplicationScope(models.Model):
    """One street or community the work would be placed on, with the money it brings there."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scope")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    funding_fen = models.BigIntegerField(_("每年经费（分）"), default=0)
    # Revoked for this region alone (e.g. its residents rejected the work in the annual
    # evaluation); the admission itself is revoked once every region of its scope is.
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)
    revoked_reason = models.TextField(_("撤销理由"), blank=True)
    revoked_reference = models.CharField(_("撤销依据"), max_length=100, blank=True)

    class Meta:
        ordering = ["region_id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "region"], name="scope_unique"),
            models.CheckConstraint(condition=Q(funding_fen__gte=0), name="scope_funding_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.region_id}"


class ApplicationDocument(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("材料类别"), max_length=20, choices=DocumentKind.choices)
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # Stored in the database, so every app server and worker reads the same file.
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ApplicationEvent(models.Model):
    """One step of an application's life: who did what, when, with which comment. Append-only."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_unit = models.CharField(max_length=100, blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"


class Consultation(models.Model):
    """The leadership group's request for the affected streets' and communities' opinions."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="consultations"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateField(_("截止日期"))
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.deadline}"


class Opinion(models.Model):
    """One invited street's or community's opinion; empty until it answers."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="opinions"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(_("意见"), max_length=20, choices=OpinionVerdict.choices, blank=True)
    text = models.TextField(_("意见内容"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The joint meeting's answer to a disagreeing opinion.
    response = models.TextField(_("对意见的答复"), blank=True)

    class Meta:
        ordering = ["region_id"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "region"], name="opinion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.verdict}"


class Decision(models.Model):
    """The joint meeting's decision on an application."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="decision"
    )
    outcome = models.CharField(_("决定"), max_length=20, choices=DecisionOutcome.choices)
    meeting_date = models.DateField(_("会议日期"))
    attendees = models.TextField(_("参会人员"))
    minutes = models.TextField(_("会议纪要"))
    conditions = models.TextField(_("准入条件"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.application_id} {self.outcome}"


class ServicePurchase(models.Model):
    """Work decided as purchase of services (政府购买服务): a contract, never a community task."""

    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="purchase")
    provider = models.CharField(_("承接主体"), max_length=200)
    value_fen = models.BigIntegerField(_("合同金额（分）"))
    term_from = models.DateField(_("服务起始日"))
    term_until = models.DateField(_("服务截止日"))
    deliverables = models.TextField(_("服务内容与成果要求"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(value_fen__gt=0), name="purchase_value_positive"),
            models.CheckConstraint(
                condition=Q(term_until__gte=models.F("term_from")), name="purchase_term_order"
            ),
        ]

    def __str__(self) -> str:
        return self.provider


class AdmissionCounter(models.Model):
    """The last admission number issued in a district and year; its row lock keeps numbers gapless."""

    district = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="admission_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.year} {self.last}"


class Admission(models.Model):
    """Permission for a department's work on named streets or communities, for a term."""

    number = models.CharField(_("准入编号"), max_length=40, unique=True)
    district = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="admissions"
    )
    department = models.ForeignKey(
        Unit, verbose_name=_("主管部门"), on_delete=models.PROTECT, related_name="admissions"
    )
    title = models.CharField(_("事项名称"), max_length=200)
    object_kind = models.CharField(_("准入对象类别"), max_length=20, choices=ObjectKind.choices)
    target_level = models.CharField(_("承接层级"), max_length=10, choices=TargetLevel.choices)
    list_kind = models.CharField(_("所属清单类别"), max_length=20, default="assist")
    content = models.TextField(_("授权内容"), blank=True)
    service_objects = models.TextField(_("服务对象"), blank=True)
    powers = models.TextField(_("配套权限"), blank=True)
    conditions = models.TextField(_("准入条件"), blank=True)
    funding_source = models.CharField(_("经费来源"), max_length=200, blank=True)
    hours_per_community = models.FloatField(_("每个社区年负担（小时）"), default=0)
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"))
    state = models.CharField(
        _("状态"),
        max_length=10,
        choices=AdmissionState.choices,
        default=AdmissionState.ACTIVE,
        db_index=True,
    )
    state_reason = models.TextField(_("状态变更理由"), blank=True)
    state_reference = models.CharField(_("决定文号"), max_length=100, blank=True)
    # An emergency admission issued by the group secretary before a regular application.
    provisional = models.BooleanField(_("临时准入"), default=False)
    provisional_reason = models.TextField(_("紧急事由"), blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals"
    )
    catalog_list = models.ForeignKey(
        CatalogList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_key = models.UUIDField(null=True, blank=True)
    agreement_pdf = models.BinaryField(blank=True, default=b"")
    agreement_sha256 = models.CharField(max_length=64, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-sequence"]
        verbose_name = _("准入事项")
        verbose_name_plural = _("准入事项")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "sequence"], name="admission_sequence_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="admission_term_order"
            ),
            models.CheckConstraint(
                condition=Q(state__in=AdmissionState.values), name="admission_state_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def status_on(self, day: dt.date) -> str:
        """The state a reader sees on `day`: an active admission past its term has expired."""
        if self.state == AdmissionState.ACTIVE and day > self.valid_until:
            return AdmissionState.EXPIRED
        return self.state


class AdmissionScope(models.Model):
    """A street or community the admission covers, with the money agreed for it per year."""

    admission = models.ForeignKey(Admission, on_delete=models.CASCADE, related_name="scope")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    funding_fen = models.BigIntegerField(_("每年经费（分）"), default=0)
    # Revoked for this region alone (e.g. its residents rejected the work in the annual
    # evaluation); the admission itself is revoked once every region of its scope is.
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)
    revoked_reason = models.TextField(_("撤销理由"), blank=True)
    revoked_reference = models.CharField(_("撤销依据"), max_length=100, blank=True)

    class Meta:
        ordering = ["region_id"]
        indexes = [models.Index(fields=["region", "admission"])]
        constraints = [
            models.UniqueConstraint(fields=["admission", "region"], name="admission_scope_unique"),
            models.CheckConstraint(
                condition=Q(funding_fen__gte=0), name="admission_scope_funding_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.admission_id} {self.region_id}"
