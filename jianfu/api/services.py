"""Issuing, checking and revoking API tokens."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.api.models import ApiToken
from jianfu.core.audit import audit_record
from jianfu.core.crypto import new_secret, sm3_hex
from jianfu.core.errors import Forbidden, InvalidInput
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


def token_authenticate(secret: str) -> User | None:
    """The active user a presented token belongs to, with their unit, region and roles, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    # One statement for the token, its user, unit, region and roles (a row per role): every API
    # call starts here, and nearly every one asks for the roles next.
    rows = list(
        ApiToken.objects.select_related("user", "user__unit", "user__unit__region")
        .filter(token_hash=sm3_hex(secret), revoked_at__isnull=True, user__is_active=True)
        .annotate(role=F("user__roles__role"))
    )
    if not rows:
        return None
    token = rows[0]
    token.user.roles_known(frozenset(row.role for row in rows if row.role is not None))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
