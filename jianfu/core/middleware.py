from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation
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


class InterfaceLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the user chose English with the language switch.

    Pages ignore the browser's Accept-Language: a civil servant's browser set to English still
    gets the Chinese interface by default. The API answers in the caller's Accept-Language.
    """

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        translation.activate(chosen if chosen in supported else settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
        return None
