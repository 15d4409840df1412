"""Lists (清单), their versions and items, and the recorded reason for every change (DESIGN.md §3.2)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jianfu.org.models import Region


class ListKind(models.TextChoices):
    DUTY = "duty", _("依法履行职责事项")
    ASSIST = "assist", _("依法协助政府工作事项")
    CERTIFICATE = "certificate", _("可出具证明事项")
    CERTIFICATE_BANNED = "certificate_banned", _("不得出具证明事项")
    SIGNBOARD = "signboard", _("准许挂牌")
    NEGATIVE = "negative", _("负面清单")
    POWER = "power", _("权力清单")
    DEVOLVED = "devolved", _("部门下沉事项")


class ListLevel(models.TextChoices):
    """Whose work the list describes: a district department's, a street's or a community's."""

    DISTRICT = "district", _("区级部门")
    STREET = "street", _("街道（乡镇）")
    COMMUNITY = "community", _("社区（村）")


class PowerType(models.TextChoices):
    """The national item-type codes of the integrated government-service platform."""

    LICENSING = "01", _("行政许可")
    PENALTY = "02", _("行政处罚")
    ENFORCEMENT = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    PAYMENT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    ADJUDICATION = "09", _("行政裁决")
    OTHER_POWER = "10", _("其他行政权力")
    PUBLIC_SERVICE = "20", _("公共服务")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("现行")
    SUPERSEDED = "superseded", _("已废止")


class ChangeType(models.TextChoices):
    ADD = "add", pgettext_lazy("change", "新增")
    EDIT = "edit", pgettext_lazy("change", "修改")
    SPLIT = "split", pgettext_lazy("change", "拆分")
    MERGE = "merge", pgettext_lazy("change", "合并")
    MOVE_OUT = "move_out", pgettext_lazy("change", "移出")
    MOVE_IN = "move_in", pgettext_lazy("change", "移入")
    CANCEL = "cancel", pgettext_lazy("change", "取消")


class CatalogList(models.Model):
    code = models.CharField(_("清单编号"), max_length=60, unique=True)
    name = models.CharField(_("清单名称"), max_length=200)
    kind = models.CharField(_("清单类别"), max_length=20, choices=ListKind.choices)
    level = models.CharField(_("层级"), max_length=10, choices=ListLevel.choices)
    # No region means a national list (e.g. 民发〔2020〕20号), which every district reads.
    region = models.ForeignKey(
        Region,
        verbose_name=_("所属区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="catalog_lists",
    )
    district_code = models.CharField(max_length=12, blank=True, db_index=True)
    # A regular expression the list's own (local) item codes follow; national codes are
    # always accepted as well.
    code_pattern = models.CharField(_("本地编码规则"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)
    sort_key = models.CharField(max_length=400, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_id", "kind", "sort_key", "id"]
        verbose_name = _("清单")
        verbose_name_plural = _("清单")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ListKind.values), name="list_kind_known"),
            models.CheckConstraint(
                condition=Q(level__in=ListLevel.values), name="list_level_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ListVersion(models.Model):
    list = models.ForeignKey(CatalogList, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(_("版本"), max_length=40)
    status = models.CharField(
        _("状态"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="successors"
    )
    document_number = models.CharField(_("批准文号"), max_length=100, blank=True)
    # The dates the version was in force; "as of" questions are answered from them.
    valid_from = models.DateField(_("施行日期"), null=True, blank=True)
    valid_until = models.DateField(_("废止日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["list_id", "-created_at"]
        verbose_name = _("清单版本")
        verbose_name_plural = _("清单版本")
        constraints = [
            models.UniqueConstraint(fields=["list", "label"], name="version_label_unique"),
            models.UniqueConstraint(
                fields=["list"],
                condition=Q(status=VersionStatus.PUBLISHED),
                name="version_one_published_per_list",
            ),
            models.UniqueConstraint(
                fields=["list"],
                condition=Q(status=VersionStatus.DRAFT),
                name="version_one_draft_per_list",
            ),
            models.CheckConstraint(
                condition=Q(status__in=VersionStatus.values), name="version_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status=VersionStatus.DRAFT)
                | (Q(valid_from__isnull=False) & Q(published_at__isnull=False)),
                name="version_published_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.list.name} {self.label}"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class Item(models.Model):
    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="items")
    # The same item keeps its key in every version, which is what diffs are computed on.
    key = models.UUIDField(default=uuid.uuid4)
    code = models.CharField(_("事项编码"), max_length=80, blank=True)
    name = models.CharField(_("事项名称"), max_length=300)
    category = models.CharField(_("类别"), max_length=40, blank=True)
    power_type = models.CharField(
        _("事项类型"), max_length=2, blank=True, choices=PowerType.choices
    )
    legal_law = models.CharField(_("法律法规"), max_length=200, blank=True)
    legal_article = models.CharField(_("条款"), max_length=100, blank=True)
    legal_text = models.TextField(_("依据原文"), blank=True)
    department = models.CharField(_("责任部门"), max_length=100, blank=True)
    parent_key = models.UUIDField(null=True, blank=True)
    position = models.PositiveIntegerField(_("序号"), default=0)
    remarks = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["version_id", "position", "id"]
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="item_key_unique_in_version"),
            models.UniqueConstraint(
                fields=["version", "code"],
                condition=~Q(code=""),
                name="item_code_unique_in_version",
            ),
            models.CheckConstraint(
                condition=Q(power_type="") | Q(power_type__in=PowerType.values),
                name="item_power_type_known",
            ),
        ]
        indexes = [
            models.Index(fields=["version", "position"]),
            models.Index(fields=["key"]),
            models.Index(fields=["version", "parent_key"]),
        ]

    def __str__(self) -> str:
        return self.name

    def editable_values(self) -> dict:
        """The fields an editor sets (everything but its place in the tree and the list)."""
        return {name: getattr(self, name) for name in EDITABLE_FIELDS}


# The fields a diff compares, in the order they are shown.
ITEM_FIELDS = (
    "code",
    "name",
    "category",
    "power_type",
    "legal_law",
    "legal_article",
    "legal_text",
    "department",
    "parent_key",
    "position",
    "remarks",
)
# The fields an editor sets directly; the parent and the position follow from where an item is.
EDITABLE_FIELDS = tuple(name for name in ITEM_FIELDS if name not in ("parent_key", "position"))


class ItemChange(models.Model):
    """One adjustment made in a draft version, with its reason; the year's statistics count these."""

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="changes")
    change_type = models.CharField(_("调整类型"), max_length=10, choices=ChangeType.choices)
    item_key = models.UUIDField()
    item_name = models.CharField(_("事项名称"), max_length=300)
    department = models.CharField(_("责任部门"), max_length=100, blank=True)
    # Merge: the keys merged into this item; split: the key it was split from;
    # move: the list on the other side.
    related_keys = models.JSONField(default=list, blank=True)
    related_list = models.ForeignKey(
        CatalogList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fields = models.JSONField(default=dict, blank=True)
    reason = models.TextField(_("调整理由"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version_id", "id"]
        verbose_name = _("事项调整")
        verbose_name_plural = _("事项调整")
        indexes = [models.Index(fields=["version", "item_key"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(change_type__in=ChangeType.values), name="change_type_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_change_type_display()} {self.item_name}"

    def field_changes(self) -> list[tuple[str, object, object]]:
        """(field label, before, after) for each field an edit changed."""
        return [
            (str(Item._meta.get_field(name).verbose_name), values["before"], values["after"])
            for name, values in self.fields.items()
            if name not in ("parent_key", "position")
        ]
