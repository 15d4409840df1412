"""Who reads which figures.

A region's figures: the district's offices for the district and everything in it, a street's
officers for the street and its communities, a community's officers for their community, and a
district's departments for their district (the same figures the public portal shows). A
department's scorecard: the department itself and the offices of a district it worked in. The
annual notice is the district leadership-group office's.
"""

from __future__ import annotations

import rules

from jianfu.certificates.rules import (
    is_community_officer_of,
    is_district_office_over,
    is_group_office_of_district,
)
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.org.roles import DISTRICT_ROLES, Role
from jianfu.org.rules import active_unit

DEPARTMENT_ROLES = (Role.DEPT_CLERK, Role.DEPT_HEAD)


@rules.predicate
def is_street_officer_within(user: User, region: Region) -> bool:
    unit = active_unit(user)
    if unit is None or not user.has_role(Role.STREET_OFFICER) or unit.region_id is None:
        return False
    if region.level == RegionLevel.STREET:
        return unit.region_id == region.code
    return region.level == RegionLevel.COMMUNITY and unit.region_id == region.parent_id


@rules.predicate
def is_department_of_district(user: User, region: Region) -> bool:
    unit = active_unit(user)
    return (
        unit is not None
        and unit.type == UnitType.DEPARTMENT
        and user.has_role(*DEPARTMENT_ROLES)
        and bool(unit.district_code)
        and unit.district_code == (region.district_code or "")
    )


@rules.predicate
def is_the_department(user: User, department: Unit) -> bool:
    unit = active_unit(user)
    return unit is not None and user.has_role(*DEPARTMENT_ROLES) and unit.pk == department.pk


@rules.predicate
def reads_districts_scorecards(user: User, department: Unit) -> bool:
    """A district office reads the scorecard of any department (its district's, or a city's
    whose work reached it); the selectors keep the figures to the office's district."""
    unit = active_unit(user)
    return unit is not None and user.has_role(*DISTRICT_ROLES) and bool(unit.district_code)


rules.add_perm(
    "reports.read_region",
    is_district_office_over
    | is_street_officer_within
    | is_community_officer_of
    | is_department_of_district,
)
rules.add_perm("reports.read_department", is_the_department | reads_districts_scorecards)
rules.add_perm("reports.notice", is_group_office_of_district)
