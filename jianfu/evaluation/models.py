"""Annual evaluation (一年一评议, DESIGN.md §3.6): campaigns, evaluators, ballots and the tally.

A campaign is one district's evaluation for one year. Its targets are each department's
admitted work in each street or community (an admission × a region of its scope). Evaluators
belong to a weighted group and to the street or community whose targets they rate; they are
registered users or holders of a one-time code printed on a token sheet. A ballot is one
evaluator's rating of one target: the database holds at most one per evaluator and target,
and nothing ever updates or deletes one (triggers refuse it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jianfu.admission.models import Admission
from jianfu.core.fields import YearOfField
from jianfu.org.models import Region, Unit

# 不过半数: a satisfaction rate of 50.00 % or less revokes (in basis points, compared exactly).
REVOKE_THRESHOLD_DEFAULT = 5000
QUORUM_DEFAULT = 30
# A ballot has one column per dimension, so a campaign rates at most this many.
MAX_DIMENSIONS = 8


class EvaluationSettings(models.Model):
    """A district's evaluation rules; each new campaign copies them."""

    district = models.OneToOneField(
        Region, on_delete=models.CASCADE, primary_key=True, related_name="evaluation_settings"
    )
    revoke_threshold_bp = models.PositiveIntegerField(
        _("撤销线（万分比，满意率不高于此值即撤销）"), default=REVOKE_THRESHOLD_DEFAULT
    )
    quorum = models.PositiveIntegerField(_("每个评议对象最少有效票数"), default=QUORUM_DEFAULT)
    automatic_revocation = models.BooleanField(
        _("计票后自动撤销（否则由领导小组办公室确认）"), default=True
    )
    # Agency assessment: a dispatched agency whose weighted score is below this is flagged
    # for adjustment (seed 003: the street may propose personnel adjustments).
    adjustment_below = models.PositiveSmallIntegerField(_("派驻机构考核“需调整”分数线"), default=60)

    class Meta:
        verbose_name = _("评议设置")
        verbose_name_plural = _("评议设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(revoke_threshold_bp__lte=10000), name="evaluation_settings_threshold"
            ),
            models.CheckConstraint(condition=Q(quorum__gte=1), name="evaluation_settings_quorum"),
        ]

    def __str__(self) -> str:
        return str(self.district_id)


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    OPEN = "open", _("投票中")
    CLOSED = "closed", _("已计票")
    PUBLISHED = "published", _("已通报")


class Campaign(models.Model):
    district = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("评议年度"))
    title = models.CharField(_("名称"), max_length=200)
    state = models.CharField(
        _("状态"), max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    opens_at = models.DateTimeField(_("投票开始"))
    closes_at = models.DateTimeField(_("投票截止"))
    revoke_threshold_bp = models.PositiveIntegerField(
        _("撤销线（万分比）"), default=REVOKE_THRESHOLD_DEFAULT
    )
    quorum = models.PositiveIntegerField(_("最少有效票数"), default=QUORUM_DEFAULT)
    automatic_revocation = models.BooleanField(_("自动撤销"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    notice = models.TextField(_("通报正文"), blank=True)

    class Meta:
        ordering = ["-year", "district_id"]
        verbose_name = _("评议活动")
        verbose_name_plural = _("评议活动")
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="campaign_one_per_year"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="campaign_window_order"
            ),
            models.CheckConstraint(
                condition=Q(state__in=CampaignState.values), name="campaign_state_known"
            ),
            models.CheckConstraint(
                condition=Q(revoke_threshold_bp__lte=10000), name="campaign_threshold_range"
            ),
            models.CheckConstraint(condition=Q(quorum__gte=1), name="campaign_quorum_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def threshold_percent(self) -> float:
        return self.revoke_threshold_bp / 100


class GroupKind(models.TextChoices):
    RESIDENT_UNITS = "resident_units", _("驻区单位")
    ORGANISATIONS = "organisations", _("社会组织")
    PARTY_MEMBERS = "party_members", _("党员代表")
    RESIDENTS = "residents", _("居民代表")
    OTHER_REPRESENTATIVES = "other_reps", _("各类组织代表")


class EvaluatorGroup(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="groups")
    kind = models.CharField(_("评议人类别"), max_length=16, choices=GroupKind.choices)
    weight = models.PositiveIntegerField(_("权重"))

    class Meta:
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="evaluator_group_unique"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="evaluator_group_weight"),
            models.CheckConstraint(
                condition=Q(kind__in=GroupKind.values), name="evaluator_group_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class Dimension(models.Model):
    """What evaluators rate besides the overall verdict; `position` is the ballot's column."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="dimensions")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("评议维度"), max_length=50)

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="dimension_position"),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=MAX_DIMENSIONS),
                name="dimension_position_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    PENDING = "pending", _("待计票")
    KEPT = "kept", _("保留")
    BELOW_QUORUM = "below_quorum", _("有效票不足，不作结论")
    TO_REVOKE = "to_revoke", _("不过半数，待确认撤销")
    REVOKED = "revoked", _("不过半数，已撤销")


class Target(models.Model):
    """A department's admitted work in one street or community, and what its tally found."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    admission = models.ForeignKey(Admission, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("评议对象"), max_length=200)
    # Filled by the tally.
    valid_ballots = models.PositiveIntegerField(_("有效票"), default=0)
    satisfied_ballots = models.PositiveIntegerField(_("满意与基本满意票"), default=0)
    weighted_satisfied = models.BigIntegerField(default=0)
    weighted_valid = models.BigIntegerField(default=0)
    rate = models.FloatField(_("满意率"), null=True, blank=True)
    rate_low = models.FloatField(null=True, blank=True)
    rate_high = models.FloatField(null=True, blank=True)
    # {group id: [valid, satisfied, 满意, 基本满意, 不满意]} and {dimension position: [weighted
    # satisfied, weighted rated]}, kept so the results page explains every rate.
    group_counts = models.JSONField(default=dict, blank=True)
    dimension_counts = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(
        _("结论"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["campaign", "region_id", "department__sort_key", "admission_id"]
        verbose_name = _("评议对象")
        verbose_name_plural = _("评议对象")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "admission", "region"], name="target_unique"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="target_outcome_known"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "region"])]

    def __str__(self) -> str:
        return f"{self.title}（{self.region_id}）"

    @property
    def rate_percent(self) -> float | None:
        return None if self.rate is None else self.rate * 100


class TokenSheet(models.Model):
    """A printed sheet of one-time codes a community hands to residents' representatives.

    The codes themselves are kept only as hashes and in this sheet's PDF, which the issuing
    community may print again (a jammed printer must not cost anyone their vote).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sheets")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.PROTECT, related_name="sheets")
    count = models.PositiveIntegerField(_("评议码数量"))
    pdf = models.BinaryField(default=b"")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.region_id} {self.group_id} ×{self.count}"


class Evaluator(models.Model):
    """One person entitled to one ballot per target of their street or community."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="evaluators")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.PROTECT, related_name="evaluators")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # SM3 of the normalised one-time code; the code itself is never stored.
    code_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    sheet = models.ForeignKey(
        TokenSheet, null=True, blank=True, on_delete=models.PROTECT, related_name="evaluators"
    )
    serial = models.PositiveIntegerField(_("序号"), default=0)
    code_used_at = models.DateTimeField(null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "region_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="evaluator_user_once"),
            models.CheckConstraint(
                condition=Q(user__isnull=False, code_hash__isnull=True)
                | Q(user__isnull=True, code_hash__isnull=False),
                name="evaluator_user_or_code",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user) if self.user_id else f"{self.region_id}-{self.serial}"


class Channel(models.TextChoices):
    WEB = "web", _("网上（账号）")
    CODE = "code", _("网上（评议码）")
    PAPER = "paper", _("纸质票录入")


class Rating(models.IntegerChoices):
    DISSATISFIED = 0, _("不满意")
    FAIRLY_SATISFIED = 1, _("基本满意")
    SATISFIED = 2, _("满意")


class PaperBatchState(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认录入")
    DISCARDED = "discarded", _("已作废")


class PaperBatch(models.Model):
    """A spreadsheet of paper ballots: entered by one officer, written only when another
    officer of the same community or its street confirms it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="paper_batches")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    rows = models.JSONField(default=list)
    state = models.CharField(
        max_length=10, choices=PaperBatchState.choices, default=PaperBatchState.PENDING
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=PaperBatchState.values), name="paper_batch_state_known"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


class Ballot(models.Model):
    """One evaluator's verdict on one target: overall and per dimension (0 不满意, 1 基本满意,
    2 满意; a dimension left blank is null)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="ballots")
    evaluator = models.ForeignKey(Evaluator, on_delete=models.PROTECT, related_name="ballots")
    # The evaluator's group, copied so the tally reads one table.
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=6, choices=Channel.choices)
    overall = models.PositiveSmallIntegerField(_("总体评价"), choices=Rating.choices)
    rating_1 = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_2 = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_3 = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_4 = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_5 = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_6 = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_7 = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_8 = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(_("意见建议"), blank=True)
    paper_batch = models.ForeignKey(
        PaperBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="ballots"
    )
    cast_at = models.DateTimeField()
    # The campaign's year (the partition key on PostgreSQL, see docs/partitioning.md).
    year = YearOfField(of="campaign")

    class Meta:
        ordering = ["target", "id"]
        verbose_name = _("选票")
        verbose_name_plural = _("选票")
        constraints = [
            # Invariant 5: one evaluator, one ballot per target, whatever arrives concurrently.
            models.UniqueConstraint(fields=["target", "evaluator"], name="ballot_one_per_target"),
            models.CheckConstraint(condition=Q(overall__lte=2), name="ballot_overall_known"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"rating_{p}__isnull": True}) | Q(**{f"rating_{p}__lte": 2}),
                    name=f"ballot_rating_{p}_known",
                )
                for p in range(1, MAX_DIMENSIONS + 1)
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="ballot_channel_known"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "target", "group"])]

    def __str__(self) -> str:
        return f"{self.target_id}/{self.evaluator_id}"


def rating_field(position: int) -> str:
    return f"rating_{position}"


# ---------------------------------------------------------------------------------------------
# Two-way / three-party assessment of dispatched agencies (派驻机构双向评估, 三方会考; seed 003)


class AssessorKind(models.TextChoices):
    DEPARTMENT = "department", _("区直部门")
    STREET = "street", _("街道")
    SOCIETY = "society", _("社会评价")


class AssessmentState(models.TextChoices):
    OPEN = "open", _("评分中")
    CLOSED = "closed", _("已结束")


class AgencyAssessment(models.Model):
    """One district's yearly assessment of the agencies its departments station in streets."""

    district = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("考核年度"))
    title = models.CharField(_("名称"), max_length=200)
    state = models.CharField(
        max_length=10, choices=AssessmentState.choices, default=AssessmentState.OPEN
    )
    weight_department = models.PositiveSmallIntegerField(_("区直部门权重"), default=30)
    weight_street = models.PositiveSmallIntegerField(_("街道权重"), default=40)
    weight_society = models.PositiveSmallIntegerField(_("社会评价权重"), default=30)
    adjustment_below = models.PositiveSmallIntegerField(_("“需调整”分数线"), default=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "district_id"]
        verbose_name = _("派驻机构考核")
        verbose_name_plural = _("派驻机构考核")
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="assessment_one_per_year"),
            models.CheckConstraint(
                condition=Q(weight_department__gt=0)
                | Q(weight_street__gt=0)
                | Q(weight_society__gt=0),
                name="assessment_some_weight",
            ),
            models.CheckConstraint(
                condition=Q(state__in=AssessmentState.values), name="assessment_state_known"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def weight_of(self, kind: str) -> int:
        return getattr(self, f"weight_{kind}")


class Indicator(models.Model):
    """What each assessor scores, e.g. 工作实绩, 服务群众, 配合街道工作; the maxima sum to 100."""

    assessment = models.ForeignKey(
        AgencyAssessment, on_delete=models.CASCADE, related_name="indicators"
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("考核指标"), max_length=100)
    max_score = models.PositiveSmallIntegerField(_("分值"))

    class Meta:
        ordering = ["assessment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "position"], name="indicator_position"),
            models.CheckConstraint(condition=Q(max_score__gte=1), name="indicator_max_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class AssessedAgency(models.Model):
    """A dispatched agency on the roster: the department that stations it and its street."""

    assessment = models.ForeignKey(
        AgencyAssessment, on_delete=models.CASCADE, related_name="agencies"
    )
    agency = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["assessment", "street_id", "agency__sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "agency"], name="assessed_agency_once"),
        ]

    def __str__(self) -> str:
        return str(self.agency_id)


class AgencyScore(models.Model):
    """One assessor kind's score of one agency on one indicator (changeable until closed)."""

    agency = models.ForeignKey(AssessedAgency, on_delete=models.CASCADE, related_name="scores")
    assessor_kind = models.CharField(max_length=10, choices=AssessorKind.choices)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scores")
    score = models.PositiveSmallIntegerField(_("得分"))
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "assessor_kind", "indicator"], name="agency_score_once"
            ),
            models.CheckConstraint(
                condition=Q(assessor_kind__in=AssessorKind.values), name="agency_score_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.assessor_kind} {self.indicator_id}: {self.score}"
