"""What makes a page a public portal page: read-only, cacheable, and the same for everyone.

A portal page answers GET and HEAD only (anything else is 405), says it may be cached by
anyone for a while, and is built so that caching it leaks nothing: its templates show no
signed-in user and never ask for a CSRF token (the language is switched with plain links, see
`language`), so an anonymous request gets no cookie at all. The language is chosen by a cookie,
so responses vary on Cookie.

Should a response still carry a cookie (a signed-in user's session refreshed on this request,
or a CSRF token a template asked for after all), it is marked private instead, so no shared
cache keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from jianfu.core.db_router import replica_reads

# Pages change when the figures are refreshed (nightly) or a list or admission is published;
# ten minutes is how stale a cached page may be.
PAGE_MAX_AGE = 600
# The daily dump: an hour, and caches revalidate with its ETag.
DUMP_MAX_AGE = 3600


def _sets_cookie(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return True
    return bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))


def public_page(
    view: Callable[..., HttpResponse] | None = None, *, max_age: int = PAGE_MAX_AGE
) -> Callable:
    """Decorate a portal view: GET/HEAD only, `Cache-Control: public, max-age`, Vary: Cookie."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @require_safe
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            # A public page only reads: from the streaming replica when there is one.
            with replica_reads():
                response = view(request, *args, **kwargs)
            if response.status_code >= 500:
                return response
            if _sets_cookie(request):
                patch_cache_control(response, private=True, max_age=0)
            else:
                patch_cache_control(response, public=True, max_age=max_age)
            patch_vary_headers(response, ["Cookie"])
            return response

        return wrapped

    return decorate(view) if view is not None else decorate
