"""Who may do what in admission: role × the application's department or district."""

from __future__ import annotations

import rules

from jianfu.admission.models import Admission, Application
from jianfu.admission.workflow import Party
from jianfu.org.models import Region, UnitType, User
from jianfu.org.roles import Role

PARTY_UNIT_TYPES = {Party.REVIEW: UnitType.REVIEW_OFFICE, Party.GROUP: UnitType.GROUP_OFFICE}


def covers_district(user: User, district_code: str) -> bool:
    """The user works in the district or above it (the district's review or group office)."""
    prefix = user.jurisdiction_prefix
    return prefix is None or district_code.startswith(prefix)


def party_allows(user: User, application: Application, party: str) -> bool:
    """The user acts for the side of the procedure that `party` names, for this application."""
    if not user.is_authenticated or user.unit_id is None:
        return False
    if party == Party.DEPARTMENT:
        return user.unit_id == application.department_id
    # Only the district's own review office reviews, and only its leadership-group office
    # consults and decides; so a department never reviews or decides its own application.
    unit = user.unit
    return (
        unit.type == PARTY_UNIT_TYPES[party]
        and unit.district_code == application.district_id
        and unit.pk != application.department_id
    )


@rules.predicate
def is_department_clerk(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.DEPT_CLERK)


@rules.predicate
def may_edit_application(user: User, application: Application) -> bool:
    return user.has_role(Role.DEPT_CLERK) and party_allows(user, application, Party.DEPARTMENT)


@rules.predicate
def is_group_secretary_of(user: User, target: Admission | Region) -> bool:
    code = target.district_id if isinstance(target, Admission) else target.code
    return (
        user.is_authenticated
        and user.has_role(Role.GROUP_SECRETARY)
        and user.unit is not None
        and user.unit.type == UnitType.GROUP_OFFICE
        and user.unit.district_code == code
    )


@rules.predicate
def may_answer_for(user: User, region: Region) -> bool:
    """A street or community officer answers a consultation for their own street or community."""
    if not user.is_authenticated or not user.has_role(Role.STREET_OFFICER, Role.COMMUNITY_OFFICER):
        return False
    unit = user.unit
    return unit is not None and unit.region_id == region.code


rules.add_perm("admission.create_application", is_department_clerk)
rules.add_perm("admission.edit_application", may_edit_application)
rules.add_perm("admission.manage_admissions", is_group_secretary_of)
rules.add_perm("admission.give_opinion", may_answer_for)
