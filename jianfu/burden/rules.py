"""Who may do what with the burden inventories: a community keeps its own, its street may keep
them for it (surveys are often done street by street), the district's leadership-group office
for every community of the district; reading follows the same lines, and every district office
reads the district's burden index. Caps and baselines are the group office's."""

from __future__ import annotations

import rules

from jianfu.certificates.rules import (
    is_community_officer_of,
    is_district_office_over,
    is_group_office_of_district,
    is_street_officer_over,
)
from jianfu.org.models import Region, RegionLevel, User
from jianfu.org.roles import Role
from jianfu.org.rules import active_unit


@rules.predicate
def is_street_officer_of(user: User, region: Region) -> bool:
    """A street's officers, over the street itself (its aggregate) and its communities."""
    unit = active_unit(user)
    if unit is None or not user.has_role(Role.STREET_OFFICER):
        return False
    if region.level == RegionLevel.STREET:
        return unit.region_id == region.code
    return region.level == RegionLevel.COMMUNITY and unit.region_id == region.parent_id


rules.add_perm(
    "burden.edit", is_community_officer_of | is_street_officer_over | is_group_office_of_district
)
rules.add_perm(
    "burden.read", is_community_officer_of | is_street_officer_of | is_district_office_over
)
rules.add_perm("burden.manage", is_group_office_of_district)
