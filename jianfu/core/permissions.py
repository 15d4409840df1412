"""The permission check every service starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jianfu.core.errors import Forbidden

if TYPE_CHECKING:
    from jianfu.org.models import User


def allowed(actor: User | None, permission: str, obj: object = None) -> bool:
    # No actor means the server's own command line, run by whoever operates the installation.
    return actor is None or actor.has_perm(permission, obj)


def require(actor: User | None, permission: str, obj: object = None) -> None:
    """Refuse (403) unless the actor holds the permission, for this object if one is given."""
    if not allowed(actor, permission, obj):
        raise Forbidden()
