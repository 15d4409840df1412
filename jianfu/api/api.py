"""The REST API under /api/v1/: each app contributes its own router."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from jianfu import __version__
from jianfu.api.auth import ActiveSessionAuth, BearerTokenAuth
from jianfu.core.errors import DomainError

api = NinjaAPI(
    title="Jianfu API",
    version=f"v1 ({__version__})",
    description=(
        "社区减负系统接口。认证：浏览器会话，或 `Authorization: Bearer <令牌>`。\n\n"
        "Community burden-reduction API. Authenticate with the browser session or a bearer token."
    ),
    auth=[BearerTokenAuth(), ActiveSessionAuth()],
    urls_namespace="api",
)


def error_response(
    request: HttpRequest, *, status: int, code: str, message: str, details: object = None
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(
        request, status=exc.status, code=exc.code, message=str(exc.message), details=exc.details
    )


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"location": list(map(str, e.get("loc", []))), "message": e.get("msg", "")}
        for e in exc.errors
    ]
    return error_response(
        request, status=422, code="invalid_input", message=_("请求参数有误。"), details=details
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request,
        status=401,
        code="unauthenticated",
        message=_("需要登录，或提供有效的接口令牌。"),
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(
        request, status=404, code="not_found", message=_("未找到该对象，或您无权查看。")
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, status=exc.status_code, code="http_error", message=str(exc))


def _register_routers() -> None:
    from jianfu.admission.api import router as admission_router
    from jianfu.api.me import router as me_router
    from jianfu.burden.api import router as burden_router
    from jianfu.catalog.api import router as catalog_router
    from jianfu.certificates.api import router as certificates_router
    from jianfu.dispatch.api import router as dispatch_router
    from jianfu.evaluation.api import router as evaluation_router
    from jianfu.funds.api import router as funds_router
    from jianfu.org.api import router as org_router
    from jianfu.reports.api import router as stats_router
    from jianfu.reports.notice_api import router as notice_router

    api.add_router("/", me_router)
    api.add_router("/", org_router)
    api.add_router("/", catalog_router)
    api.add_router("/", admission_router)
    api.add_router("/", dispatch_router)
    api.add_router("/", funds_router)
    api.add_router("/", evaluation_router)
    api.add_router("/", certificates_router)
    api.add_router("/", burden_router)
    api.add_router("/", stats_router)
    api.add_router("/", notice_router)


_register_routers()
