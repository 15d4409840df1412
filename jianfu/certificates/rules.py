"""Who may do what with certificates: a community's officers take requests, issue, refuse and
revoke under their own seal; its street and the district's offices read; the district's
leadership-group office sets the types' use, materials and template. Seeing an ID number in
clear takes its own permission, and a reason (the service audits it)."""

from __future__ import annotations

import rules

from jianfu.org.models import Region, RegionLevel, UnitType, User
from jianfu.org.roles import DISTRICT_ROLES, Role
from jianfu.org.rules import active_unit


@rules.predicate
def is_community_officer_of(user: User, community: Region) -> bool:
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(Role.COMMUNITY_OFFICER)
        and community.level == RegionLevel.COMMUNITY
        and unit.region_id == community.code
    )


@rules.predicate
def is_street_officer_over(user: User, community: Region) -> bool:
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(Role.STREET_OFFICER)
        and community.level == RegionLevel.COMMUNITY
        and unit.region_id == community.parent_id
    )


@rules.predicate
def is_district_office_over(user: User, region: Region) -> bool:
    """The district's review, group, finance and audit offices, over anything in the district."""
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(*DISTRICT_ROLES)
        and bool(unit.district_code)
        and unit.district_code == (region.district_code or "")
    )


@rules.predicate
def is_district_auditor_over(user: User, region: Region) -> bool:
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(Role.AUDITOR)
        and bool(unit.district_code)
        and unit.district_code == (region.district_code or "")
    )


@rules.predicate
def is_group_office_of_district(user: User, district: Region) -> bool:
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(Role.GROUP_SECRETARY)
        and unit.type == UnitType.GROUP_OFFICE
        and unit.district_code == (district.district_code or "")
    )


rules.add_perm("certificates.handle", is_community_officer_of)
rules.add_perm(
    "certificates.read", is_community_officer_of | is_street_officer_over | is_district_office_over
)
rules.add_perm("certificates.unmask_id", is_community_officer_of | is_district_auditor_over)
rules.add_perm("certificates.manage_types", is_group_office_of_district)
