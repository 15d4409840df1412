"""Permission predicates: role × jurisdiction."""

import rules

from jianfu.org.models import Region, Unit, User
from jianfu.org.roles import Role


def active_unit(user: User) -> Unit | None:
    """The unit a signed-in, active user acts for, if it is active too; else None."""
    if not user.is_authenticated or not user.is_active:
        return None
    unit = user.unit
    return unit if unit is not None and unit.is_active else None


def _within(user: User, code: str | None) -> bool:
    prefix = user.jurisdiction_prefix
    if prefix is None:
        return True
    return code is not None and code.startswith(prefix)


@rules.predicate
def is_system_admin(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.SYSTEM_ADMIN)


@rules.predicate
def is_security_admin(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.SECURITY_ADMIN)


@rules.predicate
def is_audit_admin(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.AUDIT_ADMIN)


@rules.predicate
def region_in_jurisdiction(user: User, region: Region | None) -> bool:
    # No region means "a new region at the top of the tree", which only a user whose
    # jurisdiction is the whole installation may create.
    if region is None:
        return user.jurisdiction_prefix is None
    return _within(user, region.code)


@rules.predicate
def unit_in_jurisdiction(user: User, unit: Unit | None) -> bool:
    if unit is None or unit.region_id is None:
        return user.jurisdiction_prefix is None
    return _within(user, unit.region_id)


@rules.predicate
def account_in_jurisdiction(user: User, account: User | None) -> bool:
    if account is None:
        return True
    return unit_in_jurisdiction(user, account.unit)


rules.add_perm("org.manage_regions", is_system_admin)
rules.add_perm("org.manage_region", is_system_admin & region_in_jurisdiction)
rules.add_perm("org.manage_units", is_system_admin)
rules.add_perm("org.manage_unit", is_system_admin & unit_in_jurisdiction)
rules.add_perm("org.manage_users", is_system_admin)
rules.add_perm("org.manage_user", is_system_admin & account_in_jurisdiction)
rules.add_perm("core.view_audit", is_audit_admin)
# The working-day calendar (holidays, make-up workdays) that every deadline is counted in.
rules.add_perm("core.manage_calendar", is_system_admin)
