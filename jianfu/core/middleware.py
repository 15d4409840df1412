from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_context, audit_record
from jianfu.core.requests import client_ip

LAST_SEEN_KEY = "jianfu_last_seen"
# Writing the session on every request would cost a database write per page; the idle
# clock is refreshed at most once a minute instead.
REFRESH_AFTER_SECONDS = 60


class IdleSessionTimeoutMiddleware:
    """Logs a user out after SESSION_IDLE_TIMEOUT without a request, and binds the audit context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        with audit_context(ip=client_ip(request), channel=channel):
            if request.user.is_authenticated:
                self._enforce_idle_timeout(request)
            return self.get_response(request)

    def _enforce_idle_timeout(self, request: HttpRequest) -> None:
        now = timezone.now().timestamp()
        last_seen = request.session.get(LAST_SEEN_KEY)
        idle_limit = settings.SESSION_IDLE_TIMEOUT.total_seconds()
        if last_seen is not None and now - last_seen > idle_limit:
            user = request.user
            logout(request)
            audit_record(actor=user, action="auth.session_expired")
            messages.info(request, _("您已长时间未操作，请重新登录。"))
            return
        if last_seen is None or now - last_seen > REFRESH_AFTER_SECONDS:
            request.session[LAST_SEEN_KEY] = now
