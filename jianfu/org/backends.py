"""The account behind a session or a token, read with its unit, region and roles at once.

Every signed-in page starts by finding its account. Django's ModelBackend reads the user, and
then the page reads the unit and the roles when it first needs them: three statements before any
work. Here one statement, written once as SQL (jianfu.core.sql), brings all four; the API's
bearer tokens use the same columns and rows (jianfu.api.services).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.backends import ModelBackend
from django.db import connection

from jianfu.core import sql
from jianfu.org.models import Region, Unit, User

# The account, its unit, the unit's region, and one row per role (a NULL role if it has none).
ACCOUNT_COLUMNS = (
    f"{sql.select_list(User, 'account')}, {sql.select_list(Unit, 'unit')}, "
    f"{sql.select_list(Region, 'region')}, role.role"
)
ACCOUNT_JOINS = (
    "LEFT JOIN org_unit unit ON unit.id = account.unit_id "
    "LEFT JOIN org_region region ON region.code = unit.region_id "
    "LEFT JOIN org_userrole role ON role.user_id = account.id"
)
_USER_END = len(User._meta.concrete_fields)
_UNIT_END = _USER_END + len(Unit._meta.concrete_fields)

_SESSION_ACCOUNT_SQL = (
    f"SELECT {ACCOUNT_COLUMNS} FROM org_user account {ACCOUNT_JOINS} "  # noqa: S608 (columns from the models)
    "WHERE account.id = %s"
)


def account_of_rows(rows: Sequence[Sequence], start: int = 0) -> User:
    """The account in `rows` (ACCOUNT_COLUMNS from column `start` on, a row per role), with its
    unit, region and roles kept on it, so reading them costs no statement."""
    first = rows[0][start:]
    user = sql.instance(User, first[:_USER_END])
    unit = sql.instance(Unit, first[_USER_END:_UNIT_END])
    User._meta.get_field("unit").set_cached_value(user, unit)
    if unit is not None:
        region = sql.instance(Region, first[_UNIT_END:-1])
        Unit._meta.get_field("region").set_cached_value(unit, region)
    user.roles_known(frozenset(row[-1] for row in rows if row[-1] is not None))
    return user


class AccountBackend(ModelBackend):
    """Django's ModelBackend (the same password check, the same refusal of inactive accounts),
    except that the account a session names comes with its unit, region and roles in one
    statement (decision 121)."""

    def get_user(self, user_id):
        with connection.cursor() as cursor:
            cursor.execute(_SESSION_ACCOUNT_SQL, [user_id])
            rows = cursor.fetchall()
        if not rows:
            return None
        user = account_of_rows(rows)
        return user if self.user_can_authenticate(user) else None
