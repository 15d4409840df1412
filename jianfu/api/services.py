"""Issuing, checking and revoking API tokens."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.api.models import ApiToken
from jianfu.core import sql
from jianfu.core.audit import audit_record
from jianfu.core.crypto import new_secret, sm3_hex
from jianfu.core.errors import Forbidden, InvalidInput
from jianfu.org.backends import ACCOUNT_COLUMNS, ACCOUNT_JOINS, account_of_rows
from jianfu.org.models import User

TOKEN_PREFIX = "jf_"  # noqa: S105 (a marker that tells our tokens apart, not a secret)
# Recording every use would write on every API call; once a minute is enough to tell
# which tokens are alive.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


@transaction.atomic
def token_create(*, actor: User, name: str) -> IssuedToken:
    """Issue a new token for the actor's own account; the secret is returned once, never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("请填写令牌名称（不超过 100 个字）。"))
    secret = TOKEN_PREFIX + new_secret(32)
    token = ApiToken.objects.create(
        user=actor, name=name, prefix=secret[:10], token_hash=sm3_hex(secret)
    )
    audit_record(actor=actor, action="api_token.create", target=token, changes={"name": name})
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> None:
    """Revoke one of the actor's own tokens; it stops working at once."""
    if token.user_id != actor.pk:
        raise Forbidden()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", target=token)


# Every API call starts here: the token and its account with the account's unit, region and
# roles (a row per role) in one statement written once, not built and compiled by the ORM for
# each call (half of a call's time).
_TOKEN_USER_SQL = (
    f"SELECT token.id, token.last_used_at, {ACCOUNT_COLUMNS} "  # noqa: S608 (columns from the models)
    f"FROM api_apitoken token JOIN org_user account ON account.id = token.user_id {ACCOUNT_JOINS} "
    "WHERE token.token_hash = %s AND token.revoked_at IS NULL AND account.is_active"
)


def token_authenticate(secret: str) -> User | None:
    """The active user a presented token belongs to, with their unit, region and roles, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_USER_SQL, [sm3_hex(secret)])
        rows = cursor.fetchall()
    if not rows:
        return None
    token_id, last_used_at = sql.converted(ApiToken, ("id", "last_used_at"), rows[0][:2])
    user = account_of_rows(rows, start=2)
    now = timezone.now()
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user
