"""Burden inventories and the burden index (DESIGN.md §3.8).

Each community keeps four inventories: signboards (挂牌), ledger books (台账), appraisal and
creation campaigns (创建评比) and information systems (信息系统). Every entry names what allows
it, an admission or an item of a published list (the signboards a community may hang, its own
duties), or it is unadmitted. Clean-up never deletes: an entry is ended (removed, merged,
retired, or turned into an electronic ledger) on a date, so the inventory on any past day can
be counted again.

Snapshots freeze the burden figures of a community on a day; a baseline snapshot is what the
reduction is measured against (seed 002: 242 → 95 tasks).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jianfu.admission.models import Admission
from jianfu.catalog.models import CatalogList
from jianfu.org.models import Region, Unit

# Seed 001 allows four signboards (seed 002 cut its pilots to "委、居、站、办"; seed 004 to three).
SIGNBOARD_CAP_DEFAULT = 4


class BurdenSettings(models.Model):
    """A district's caps on what a community carries."""

    district = models.OneToOneField(
        Region, on_delete=models.CASCADE, primary_key=True, related_name="burden_settings"
    )
    signboard_cap = models.PositiveSmallIntegerField(
        _("每个社区挂牌上限（块）"), default=SIGNBOARD_CAP_DEFAULT
    )
    # Empty means no cap: most districts abolish campaigns item by item instead.
    campaign_cap = models.PositiveSmallIntegerField(
        _("每个社区创建评比项目上限（项）"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("负担上限设置")
        verbose_name_plural = _("负担上限设置")

    def __str__(self) -> str:
        return str(self.district_id)


class EntryKind(models.TextChoices):
    SIGNBOARD = "signboard", _("挂牌")
    LEDGER = "ledger", _("台账")
    CAMPAIGN = "campaign", _("创建评比")
    SYSTEM = "system", _("信息系统")


class EntryStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    REMOVED = "removed", _("已摘除（取消）")
    MERGED = "merged", _("已合并")
    RETIRED = "retired", _("已停用")
    DIGITISED = "digitised", _("已转为电子台账")


# The ways an entry ends; DIGITISED only for paper ledgers.
ENDED_STATUSES = tuple(s for s in EntryStatus.values if s != EntryStatus.ACTIVE)


class LedgerMedium(models.TextChoices):
    PAPER = "paper", _("纸质")
    ELECTRONIC = "electronic", _("电子")


class InventoryEntry(models.Model):
    community = models.ForeignKey(
        Region, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类别"), max_length=10, choices=EntryKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    department = models.ForeignKey(
        Unit,
        verbose_name=_("主管部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # As surveyed: a department that is not (or no longer) a unit in Jianfu keeps its name.
    department_name = models.CharField(_("主管部门名称"), max_length=100, blank=True)
    admission = models.ForeignKey(
        Admission,
        verbose_name=_("准入事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inventory_entries",
    )
    # Or the list item that allows it: a signboard on the 准许挂牌 list, a ledger of a duty.
    basis_list = models.ForeignKey(
        CatalogList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    basis_item_key = models.UUIDField(null=True, blank=True)
    basis_item_name = models.CharField(_("依据清单事项"), max_length=300, blank=True)
    # Ledger books an entry stands for (a survey counts "151本台账" by category); 1 otherwise.
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    medium = models.CharField(
        _("台账形式"), max_length=10, choices=LedgerMedium.choices, blank=True
    )
    year = models.PositiveSmallIntegerField(_("台账年度"), null=True, blank=True)
    one_vote_veto = models.BooleanField(_("一票否决"), default=False)
    notes = models.TextField(_("备注"), blank=True)
    since = models.DateField(_("设立日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.ACTIVE
    )
    ended_on = models.DateField(_("清理日期"), null=True, blank=True)
    end_reason = models.TextField(_("清理说明"), blank=True)
    # Merged into, or replaced by (the electronic ledger a paper one became).
    successor = models.ForeignKey(
        "self",
        verbose_name=_("并入（转为）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["community_id", "kind", "status", "name", "id"]
        verbose_name = _("负担台账条目")
        verbose_name_plural = _("负担台账条目")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="entry_kind_known"),
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values), name="entry_status_known"
            ),
            models.CheckConstraint(
                condition=(Q(status=EntryStatus.ACTIVE) & Q(ended_on__isnull=True))
                | (~Q(status=EntryStatus.ACTIVE) & Q(ended_on__isnull=False)),
                name="entry_ended_iff_not_active",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("since")),
                name="entry_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="entry_quantity_positive"),
            models.CheckConstraint(
                condition=Q(kind=EntryKind.LEDGER) | Q(medium=""), name="entry_medium_ledgers_only"
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.LEDGER) | ~Q(medium=""), name="entry_ledger_has_medium"
            ),
            models.CheckConstraint(
                condition=Q(kind=EntryKind.CAMPAIGN) | Q(one_vote_veto=False),
                name="entry_veto_campaigns_only",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "kind", "status"]),
            models.Index(fields=["community", "since", "ended_on"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unadmitted(self) -> bool:
        """Neither an admission nor a list item allows it."""
        return self.admission_id is None and self.basis_item_key is None

    @property
    def books(self) -> int:
        return self.quantity if self.kind == EntryKind.LEDGER else 0


class SnapshotSource(models.TextChoices):
    COMPUTED = "computed", _("系统统计")
    SURVEY = "survey", _("调查录入")


class BurdenSnapshot(models.Model):
    """A community's burden figures on a day; the baseline is what reductions are measured
    against. Figures entered from a survey (before Jianfu was used) are marked as such."""

    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    taken_on = models.DateField(_("统计日期"))
    label = models.CharField(_("名称"), max_length=100)
    is_baseline = models.BooleanField(_("基线"), default=False)
    source = models.CharField(
        _("来源"), max_length=10, choices=SnapshotSource.choices, default=SnapshotSource.COMPUTED
    )
    tasks = models.PositiveIntegerField(_("工作事项"), default=0)
    duties = models.PositiveIntegerField(_("其中：依法履职事项"), default=0)
    admitted = models.PositiveIntegerField(_("其中：准入协助事项"), default=0)
    hours = models.PositiveIntegerField(_("年负担（小时）"), default=0)
    signboards = models.PositiveIntegerField(_("挂牌（块）"), default=0)
    signboard_cap = models.PositiveSmallIntegerField(_("挂牌上限"), default=SIGNBOARD_CAP_DEFAULT)
    ledger_books = models.PositiveIntegerField(_("纸质台账（本）"), default=0)
    electronic_ledgers = models.PositiveIntegerField(_("电子台账（种）"), default=0)
    campaigns = models.PositiveIntegerField(_("创建评比（项）"), default=0)
    one_vote_veto = models.PositiveIntegerField(_("其中：一票否决"), default=0)
    systems = models.PositiveIntegerField(_("信息系统（个）"), default=0)
    unadmitted = models.PositiveIntegerField(_("未经准入条目"), default=0)
    funds_committed_fen = models.BigIntegerField(_("应到经费（分）"), default=0)
    funds_transferred_fen = models.BigIntegerField(_("已到经费（分）"), default=0)
    workers = models.PositiveIntegerField(_("社区工作者（人）"), default=0)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["community_id", "-taken_on", "-id"]
        verbose_name = _("负担快照")
        verbose_name_plural = _("负担快照")
        constraints = [
            models.UniqueConstraint(
                fields=["community"], condition=Q(is_baseline=True), name="snapshot_one_baseline"
            ),
            models.CheckConstraint(
                condition=Q(source__in=SnapshotSource.values), name="snapshot_source_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.taken_on} {self.label}"
