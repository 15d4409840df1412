from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from jianfu.api.services import token_authenticate
from jianfu.org.models import User


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token created in the UI or by `jianfu create-token`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The browser's login session (with CSRF protection on writes)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None
