"""Who may read and who may maintain a list: role × the list's region."""

import rules

from jianfu.catalog.models import CatalogList
from jianfu.org.models import Region, User
from jianfu.org.roles import Role

# The review office and the leadership-group office keep the district's lists; a street
# office keeps the lists of its own street.
EDITOR_ROLES = (Role.REVIEW_OFFICER, Role.GROUP_SECRETARY, Role.STREET_OFFICER)


def _region_code(target: CatalogList | Region | None) -> str | None:
    if isinstance(target, CatalogList):
        return target.region_id
    if isinstance(target, Region):
        return target.code
    return None


@rules.predicate
def is_list_editor(user: User) -> bool:
    return user.is_authenticated and user.has_role(*EDITOR_ROLES)


@rules.predicate
def list_in_jurisdiction(user: User, target: CatalogList | Region | None) -> bool:
    """The list (or the region a new list would belong to) lies inside the user's jurisdiction."""
    prefix = user.jurisdiction_prefix
    code = _region_code(target)
    if prefix is None:
        return True
    return code is not None and code.startswith(prefix)


rules.add_perm("catalog.view_lists", rules.is_authenticated)
rules.add_perm("catalog.edit_lists", is_list_editor)
rules.add_perm("catalog.edit_list", is_list_editor & list_in_jurisdiction)
