"""Who may do what with tasks: the department that sends, the street or community that receives,
the street that reviews a refusal, the district offices that watch."""

from __future__ import annotations

import rules

from jianfu.dispatch.models import Delivery, RecipientLevel, Task
from jianfu.org.models import Unit, UnitType, User
from jianfu.org.roles import DISTRICT_ROLES, Role
from jianfu.org.rules import active_unit


@rules.predicate
def may_dispatch(user: User) -> bool:
    """Department clerks send tasks, from a department that sits at some region; so every task
    is on some department's record."""
    unit = active_unit(user)
    return (
        unit is not None
        and unit.type == UnitType.DEPARTMENT
        and unit.region_id is not None
        and user.has_role(Role.DEPT_CLERK)
    )


@rules.predicate
def is_recipient_of(user: User, delivery: Delivery) -> bool:
    """The officer of the street or community the delivery reached answers for it."""
    unit = active_unit(user)
    if unit is None or unit.region_id != delivery.region_id:
        return False
    role = (
        Role.STREET_OFFICER
        if delivery.task.recipient_level == RecipientLevel.STREET
        else Role.COMMUNITY_OFFICER
    )
    return user.has_role(role)


@rules.predicate
def reviews_refusals_of(user: User, delivery: Delivery) -> bool:
    """A community's refusal of admitted work is reviewed by its street; a street's by the
    district's leadership-group office."""
    unit = active_unit(user)
    if unit is None:
        return False
    if delivery.task.recipient_level == RecipientLevel.COMMUNITY:
        street = delivery.region_id[:9] + "000"
        return user.has_role(Role.STREET_OFFICER) and unit.region_id == street
    return (
        user.has_role(Role.GROUP_SECRETARY)
        and unit.type == UnitType.GROUP_OFFICE
        and unit.district_code == delivery.region_id[:6] + "000000"
    )


@rules.predicate
def may_cancel(user: User, task: Task) -> bool:
    """The sending department withdraws its task; the district's leadership-group office
    terminates one (seed 004: 一经发现，立即撤销、终止)."""
    unit = active_unit(user)
    if unit is None:
        return False
    if unit.pk == task.department_id:
        return user.has_role(Role.DEPT_CLERK, Role.DEPT_HEAD)
    if not (
        user.has_role(Role.GROUP_SECRETARY)
        and unit.type == UnitType.GROUP_OFFICE
        and unit.district_code
        and unit.region_id == unit.district_code
    ):
        return False
    # Its own district's tasks, and a city or province department's where they reached it.
    return (
        unit.district_code == task.district_code
        or task.deliveries.filter(region__code__startswith=unit.district_code[:6]).exists()
    )


@rules.predicate
def may_see_violations_of(user: User, department: Unit) -> bool:
    """A department sees its own record; the district's offices see every department's."""
    unit = active_unit(user)
    if unit is None:
        return False
    if unit.pk == department.pk:
        return True
    prefix = user.jurisdiction_prefix
    return (
        user.has_role(*DISTRICT_ROLES)
        and prefix is not None
        and len(prefix) <= 6
        and department.district_code.startswith(prefix)
    )


rules.add_perm("dispatch.dispatch_task", may_dispatch)
rules.add_perm("dispatch.answer_delivery", is_recipient_of)
rules.add_perm("dispatch.review_refusal", reviews_refusals_of)
rules.add_perm("dispatch.cancel_task", may_cancel)
rules.add_perm("dispatch.view_violations", may_see_violations_of)
