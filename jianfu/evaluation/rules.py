"""Who may do what in the annual evaluation: the district's leadership-group office runs the
campaign; a street or community enrols its evaluators, prints codes and enters paper ballots;
a registered evaluator votes (checked by the service: they must be enrolled)."""

from __future__ import annotations

import rules

from jianfu.evaluation.models import AgencyAssessment, AssessedAgency, Campaign, Target
from jianfu.org.models import Region, RegionLevel, UnitType, User
from jianfu.org.roles import Role
from jianfu.org.rules import active_unit


def district_code_of(target: Region | Campaign | Target | AgencyAssessment) -> str:
    if isinstance(target, Region):
        return target.district_code or ""
    if isinstance(target, Target):
        return target.campaign.district_id
    return target.district_id


@rules.predicate
def is_group_office_of(user: User, target: Region | Campaign | Target | AgencyAssessment) -> bool:
    """The leadership-group office (领导小组办公室) of the district."""
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(Role.GROUP_SECRETARY)
        and unit.type == UnitType.GROUP_OFFICE
        and unit.district_code == district_code_of(target)
    )


def _street_of(region: Region) -> str | None:
    if region.level == RegionLevel.STREET:
        return region.code
    if region.level == RegionLevel.COMMUNITY:
        return region.parent_id
    return None


@rules.predicate
def may_enrol(user: User, region: Region) -> bool:
    """The group office, the street for itself and its communities, a community for itself."""
    return is_group_office_of(user, region) or may_enter_paper(user, region)


@rules.predicate
def may_enter_paper(user: User, region: Region) -> bool:
    """Paper ballots are entered and confirmed where they were collected: by the community's
    officers, or by its street's."""
    unit = active_unit(user)
    if unit is None:
        return False
    if user.has_role(Role.COMMUNITY_OFFICER) and unit.region_id == region.code:
        return True
    return user.has_role(Role.STREET_OFFICER) and unit.region_id == _street_of(region)


rules.add_perm("evaluation.manage", is_group_office_of)
rules.add_perm("evaluation.enrol", may_enrol)
rules.add_perm("evaluation.enter_paper", may_enter_paper)


# ---------------------------------------------------------------------------------------------
# Assessment of dispatched agencies (派驻机构双向评估, 三方会考): the group office runs it and
# enters society's score (the third-party survey); each agency's department and street score it.


@rules.predicate
def may_assess_as_department(user: User, agency: AssessedAgency) -> bool:
    """The clerks and head of the department that stations the agency."""
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(Role.DEPT_CLERK, Role.DEPT_HEAD)
        and unit.type == UnitType.DEPARTMENT
        and unit.pk == agency.department_id
    )


@rules.predicate
def may_assess_as_street(user: User, agency: AssessedAgency) -> bool:
    """The officers of the street the agency is stationed in."""
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(Role.STREET_OFFICER)
        and unit.type == UnitType.STREET_OFFICE
        and unit.region_id == agency.street_id
    )


@rules.predicate
def may_assess_as_society(user: User, agency: AssessedAgency) -> bool:
    """Society's score is a survey's result, which the district's group office enters."""
    return is_group_office_of(user, agency.assessment)


rules.add_perm("evaluation.assess_manage", is_group_office_of)
rules.add_perm("evaluation.assess_department", may_assess_as_department)
rules.add_perm("evaluation.assess_street", may_assess_as_street)
rules.add_perm("evaluation.assess_society", may_assess_as_society)
