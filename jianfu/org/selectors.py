"""Reads of regions, units and accounts, each scoped to what the acting user may see."""

from django.db.models import Prefetch, Q, QuerySet

from jianfu.org.models import Region, Unit, User, UserRole
from jianfu.org.roles import Role


def ancestor_codes(code: str) -> list[str]:
    """The codes of every region above the one with this code, derived from the code itself."""
    return [
        code[:length].ljust(12, "0")
        for length in (2, 4, 6, 9)
        if code[:length].ljust(12, "0") != code and code[length:].strip("0")
    ]


def regions_visible_to(
    *, user: User, parent: str | None = None, level: str | None = None, query: str = ""
) -> QuerySet[Region]:
    """Regions in the user's jurisdiction, optionally children of `parent` or of one level."""
    regions = Region.objects.within(user.jurisdiction_prefix)
    if parent:
        regions = regions.filter(parent_id=parent)
    if level:
        regions = regions.filter(level=level)
    if query:
        regions = regions.filter(Q(name__contains=query) | Q(code__startswith=query))
    return regions.order_by("code")


def region_roots_visible_to(*, user: User) -> QuerySet[Region]:
    """The top of the part of the tree the user sees: their own region, or every province."""
    prefix = user.jurisdiction_prefix
    if prefix is None:
        return Region.objects.filter(parent__isnull=True).order_by("code")
    return Region.objects.filter(code=user.unit.region_id)


def region_visible_to(*, user: User, code: str) -> Region | None:
    return regions_visible_to(user=user).select_related("parent").filter(code=code).first()


def units_visible_to(
    *,
    user: User,
    region: str | None = None,
    unit_type: str | None = None,
    query: str = "",
    include_inactive: bool = False,
) -> QuerySet[Unit]:
    """Units in the user's jurisdiction, and the units above it (the departments that send it work)."""
    prefix = user.jurisdiction_prefix
    units = Unit.objects.select_related("region")
    if prefix is not None:
        above = ancestor_codes(user.unit.region_id) if user.unit and user.unit.region_id else []
        units = units.filter(Q(region__code__startswith=prefix) | Q(region_id__in=above))
    if region:
        units = units.filter(region_id=region)
    if unit_type:
        units = units.filter(type=unit_type)
    if query:
        units = units.filter(name__contains=query)
    if not include_inactive:
        units = units.filter(is_active=True)
    return units.order_by("sort_key", "id")


def unit_visible_to(*, user: User, unit_id: int) -> Unit | None:
    return units_visible_to(user=user, include_inactive=True).filter(pk=unit_id).first()


def accounts_visible_to(
    *, user: User, unit: int | None = None, role: str | None = None, query: str = ""
) -> QuerySet[User]:
    """Accounts an administrator may manage: those of units in their jurisdiction."""
    if not user.has_role(Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        return User.objects.filter(pk=user.pk)
    accounts = User.objects.select_related("unit", "unit__region").prefetch_related(
        Prefetch("roles", queryset=UserRole.objects.order_by("role"))
    )
    prefix = user.jurisdiction_prefix
    if prefix is not None:
        accounts = accounts.filter(unit__region__code__startswith=prefix)
    if unit:
        accounts = accounts.filter(unit_id=unit)
    if role:
        accounts = accounts.filter(roles__role=role)
    if query:
        accounts = accounts.filter(Q(username__contains=query) | Q(display_name__contains=query))
    return accounts.order_by("username")


def account_visible_to(*, user: User, account_id: int) -> User | None:
    return accounts_visible_to(user=user).filter(pk=account_id).first()
