"""The figures every dashboard, the API, the public portal and the annual notice read.

A nightly refresh (`stats_refresh`) computes them from the live records with the apps' own
selectors and stores one row per region and year, and one per department, district and year.
Reading a district's or a province's figures is then one indexed query, however many
deliveries, ballots and ledger postings lie behind them; pages say "as of" the refresh.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jianfu.org.models import Region, RegionLevel, Unit


class SatisfactionMixin(models.Model):
    """The residents' verdicts on the admitted work (published evaluation campaigns only)."""

    targets = models.PositiveIntegerField(_("评议对象"), default=0)
    targets_revoked = models.PositiveIntegerField(_("不过半数撤销"), default=0)
    # The mean satisfaction is kept as a sum and a count, so sums over regions stay exact.
    rated_targets = models.PositiveIntegerField(default=0)
    satisfaction_sum = models.FloatField(default=0)

    class Meta:
        abstract = True

    @property
    def satisfaction(self) -> float | None:
        """The mean satisfaction rate of the rated targets (0–1), None when none was rated."""
        return self.satisfaction_sum / self.rated_targets if self.rated_targets else None


class RegionFigures(SatisfactionMixin):
    """A district's, street's or community's figures for a year (a city's or province's too,
    summed from its districts)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    level = models.CharField(_("层级"), max_length=10, choices=RegionLevel.choices)
    parent_code = models.CharField(max_length=12, blank=True)
    # The day the burden figures describe: the year's last day, or the refresh's for this year.
    on = models.DateField(_("统计日期"))
    computed_at = models.DateTimeField(_("统计时间"))
    communities = models.PositiveIntegerField(_("社区数"), default=0)
    with_baseline = models.PositiveIntegerField(_("有基线的社区"), default=0)
    # The burden index (jianfu.burden.index.Figures as a dict): the sum over the communities;
    # the baselines' sum and the same communities' figures now, for the reduction.
    burden = models.JSONField(default=dict)
    baseline = models.JSONField(null=True, blank=True)
    comparable = models.JSONField(null=True, blank=True)
    admissions_in_force = models.PositiveIntegerField(_("有效准入事项"), default=0)
    deliveries = models.PositiveIntegerField(_("收到任务"), default=0)
    unadmitted_deliveries = models.PositiveIntegerField(_("未经准入的任务"), default=0)
    refusals = models.PositiveIntegerField(_("拒绝受理"), default=0)
    refusals_pending = models.PositiveIntegerField(_("拒绝待审核"), default=0)

    class Meta:
        verbose_name = _("区域年度统计")
        verbose_name_plural = _("区域年度统计")
        ordering = ["year", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="region_figures_once"),
        ]
        indexes = [models.Index(fields=["parent_code", "year"], name="region_figures_children")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}"


class DepartmentFigures(SatisfactionMixin):
    """A department's record in one district for a year: its scorecard there."""

    department = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    computed_at = models.DateTimeField(_("统计时间"))
    # Applications filed with the district in the year, by state ({state: count}).
    applications = models.JSONField(default=dict)
    admissions_granted = models.PositiveIntegerField(_("新准入事项"), default=0)
    admissions_in_force = models.PositiveIntegerField(_("有效准入事项"), default=0)
    admissions_revoked = models.PositiveIntegerField(_("被撤销的准入事项"), default=0)
    dispatches = models.PositiveIntegerField(_("派发任务"), default=0)
    unadmitted_dispatches = models.PositiveIntegerField(_("未经准入派发"), default=0)
    deliveries = models.PositiveIntegerField(_("送达社区"), default=0)
    unadmitted_deliveries = models.PositiveIntegerField(_("未经准入送达"), default=0)
    refusals = models.PositiveIntegerField(_("被拒绝"), default=0)
    refusals_of_unadmitted = models.PositiveIntegerField(_("因未准入被拒绝"), default=0)
    late_completions = models.PositiveIntegerField(_("逾期完成"), default=0)
    overdue_open = models.PositiveIntegerField(_("逾期未完成"), default=0)
    funds_committed_fen = models.BigIntegerField(_("应拨经费（分）"), default=0)
    funds_transferred_fen = models.BigIntegerField(_("已拨经费（分）"), default=0)

    class Meta:
        verbose_name = _("部门年度统计")
        verbose_name_plural = _("部门年度统计")
        ordering = ["year", "district_id", "department__sort_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "district", "year"], name="department_figures_once"
            ),
        ]
        indexes = [models.Index(fields=["district", "year"], name="department_figures_district")]

    def __str__(self) -> str:
        return f"{self.department_id} {self.district_id} {self.year}"

    @property
    def delivery_rate(self) -> float | None:
        """经费到位率: transferred ÷ committed."""
        if not self.funds_committed_fen:
            return None
        return self.funds_transferred_fen / self.funds_committed_fen

    @property
    def unadmitted_rate(self) -> float | None:
        return self.unadmitted_deliveries / self.deliveries if self.deliveries else None


class StatsRefresh(models.Model):
    """One run of the refresh: when, for which years, how long it took."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    years = models.JSONField(default=list)
    regions = models.PositiveIntegerField(default=0)
    departments = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """The annual notice (通报) on a district's burden-reduction work for a year: a PDF laid
    out as an official document and a workbook of the same figures, made by a background job.
    The latest one of a district and year is the one the pages and the API give out."""

    district = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.CharField(_("文号"), max_length=100, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    # The opening paragraph, the office's own words; the figures follow it.
    preface = models.TextField(_("导语"), blank=True)
    job = models.ForeignKey(
        "core.BackgroundJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the notice printed, frozen, so the PDF and the workbook can be checked against it.
    figures = models.JSONField(default=dict, blank=True)
    pdf = models.BinaryField(default=b"", blank=True)
    xlsx = models.BinaryField(default=b"", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("年度通报")
        verbose_name_plural = _("年度通报")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["district", "year"], name="notice_district_year")]

    def __str__(self) -> str:
        return self.title

    @property
    def ready(self) -> bool:
        return self.finished_at is not None and bool(self.pdf)
