from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jianfu.org.roles import ADMIN_ROLES, Role


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    DISTRICT = "district", _("区/县")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")


LEVEL_ORDER = list(RegionLevel.values)

# The 12-digit statistical division code (统计用区划代码) is 2 digits of province, 2 of city,
# 2 of county, 3 of town and 3 of village; a region's significant prefix is its own part and
# everything above it, and the rest of its code is zeros.
PREFIX_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.DISTRICT: 6,
    RegionLevel.STREET: 9,
    RegionLevel.COMMUNITY: 12,
}


class RegionQuerySet(models.QuerySet["Region"]):
    def within(self, prefix: str | None) -> RegionQuerySet:
        """Regions in the subtree whose codes start with `prefix` (None: the whole installation)."""
        return self if prefix is None else self.filter(code__startswith=prefix)


class Region(models.Model):
    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("区划")
        verbose_name_plural = _("区划")
        constraints = [
            models.CheckConstraint(condition=Q(level__in=LEVEL_ORDER), name="region_level_known"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(level=RegionLevel.PROVINCE),
                name="region_province_has_no_parent",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="region_validity_ordered",
            ),
        ]
        indexes = [models.Index(fields=["parent", "code"]), models.Index(fields=["level"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LENGTH[RegionLevel(self.level)]]

    @property
    def code_range(self) -> tuple[str, str]:
        """The first and last codes a region's descendants can have (codes are 12 digits), for
        a condition by range: SQLite walks an index for it, not for Django's `startswith`
        (`LIKE … ESCAPE`)."""
        width = self._meta.get_field("code").max_length
        return self.prefix.ljust(width, "0"), self.prefix.ljust(width, "9")

    @property
    def district_code(self) -> str | None:
        """The code of the district this region lies in, or None above district level."""
        if LEVEL_ORDER.index(self.level) < LEVEL_ORDER.index(RegionLevel.DISTRICT):
            return None
        return self.code[:6] + "000000"

    def contains(self, code: str) -> bool:
        return code.startswith(self.prefix)


class UnitType(models.TextChoices):
    DEPARTMENT = "department", _("职能部门")
    REVIEW_OFFICE = "review_office", _("编办/准入办")
    GROUP_OFFICE = "group_office", _("领导小组办公室")
    STREET_OFFICE = "street_office", _("街道办事处")
    COMMUNITY_COMMITTEE = "community_committee", _("社区居（村）委会")
    DISPATCHED_AGENCY = "dispatched_agency", _("派驻机构")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织")
    PLATFORM = "platform", _("平台运维单位")


class UnitQuerySet(models.QuerySet["Unit"]):
    def within(self, prefix: str | None) -> UnitQuerySet:
        return self if prefix is None else self.filter(region__code__startswith=prefix)


class Unit(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    type = models.CharField(_("类型"), max_length=24, choices=UnitType.choices)
    # A platform unit (the operators of this installation) sits above every region; every
    # other unit sits at exactly one region.
    region = models.ForeignKey(
        Region,
        verbose_name=_("所在区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    district_code = models.CharField(_("所属区县代码"), max_length=12, blank=True, db_index=True)
    sort_key = models.CharField(max_length=400, blank=True, editable=False, db_index=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["sort_key", "id"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="unit_name_unique_in_region"),
            models.CheckConstraint(
                condition=Q(type=UnitType.PLATFORM, region__isnull=True)
                | (~Q(type=UnitType.PLATFORM) & Q(region__isnull=False)),
                name="unit_region_unless_platform",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_set(self) -> frozenset[str]:
        """The user's roles, read once per request and kept on the instance."""
        cached = self.__dict__.get("_role_set")
        if cached is None:
            cached = frozenset(self.roles.values_list("role", flat=True))
            self.__dict__["_role_set"] = cached
        return cached

    def roles_known(self, roles: frozenset[str]) -> None:
        """Keep roles read together with the user (one statement for both), so role_set does
        not read them again."""
        self.__dict__["_role_set"] = roles

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    @property
    def jurisdiction_prefix(self) -> str | None:
        """Code prefix of the region subtree this user may see; None means the whole installation.

        A user without a unit, or whose unit is inactive, has no jurisdiction at all, which
        the selectors express as a prefix no code can start with.
        """
        unit = self.unit
        if unit is None or not unit.is_active or not self.is_active:
            return NO_JURISDICTION
        if unit.region_id is None:
            return None
        return unit.region.prefix


# Region codes are digits only, so no code starts with "-".
NO_JURISDICTION = "-"


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="user_role_unique"),
            # The database itself refuses a second administrator role on one account.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role__in=sorted(ADMIN_ROLES)),
                name="user_holds_one_admin_role",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"
