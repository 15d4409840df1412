from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jianfu.core import selectors
from jianfu.core.audit import audit_record
from jianfu.core.errors import DomainError
from jianfu.core.forms import AuditFilterForm, LoginForm, PasswordChangeForm
from jianfu.core.jobs import job_start
from jianfu.core.models import AuditResult
from jianfu.core.paging import keyset_page
from jianfu.org.services import account_set_password


def require_perm(permission: str):
    """Refuse the view with 403 unless the user holds `permission` (role-level rules)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def form_error(form, error: DomainError) -> None:
    """Show a service's refusal on the form, one message per problem."""
    problems = (error.details or {}).get("problems") if isinstance(error.details, dict) else None
    for problem in problems or [str(error.message)]:
        form.add_error(None, problem)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            return _complete_login(request, form.get_user())
        audit_record(
            action="auth.login",
            result=AuditResult.FAILURE,
            username=request.POST.get("username", "")[:150],
        )
    return render(request, "core/login.html", {"form": form, "next": request.GET.get("next", "")})


def _complete_login(request: HttpRequest, user) -> HttpResponse:
    # The last step of the login flow: a second factor (TOTP) is checked before this point.
    login(request, user)
    audit_record(actor=user, action="auth.login")
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = ""
    return redirect(target or "home")


def lockout(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """Shown instead of the login page while a username is locked out after repeated failures."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    audit_record(action="auth.login_locked", result=AuditResult.DENIED, username=username[:150])
    form = LoginForm(request)
    return render(request, "core/login.html", {"form": form, "locked_out": True}, status=403)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(actor=request.user, action="auth.logout")
    logout(request)
    messages.info(request, _("您已安全退出。"))
    return redirect("login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # Imported here: the dispatch pages import this module's helpers.
    from jianfu.dispatch.views import home_cards

    context = selectors.home_for(user=request.user)
    context["tasks"] = home_cards(user=request.user)
    return render(request, "core/home.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_set_password(
                actor=request.user, account=request.user, password=form.cleaned_data["new_password"]
            )
        except DomainError as error:
            form_error(form, error)
        else:
            # Changing the password ends other sessions; this one stays logged in.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改。"))
            return redirect("home")
    return render(request, "core/password_change.html", {"form": form})


@login_required
def job_detail(request: HttpRequest, job_id) -> HttpResponse:
    job = selectors.job_visible_to(user=request.user, job_id=job_id)
    if job is None:
        raise Http404
    template = "core/job.html#progress" if request.htmx else "core/job.html"
    context = {"job": job}
    if job.kind == "list_import":
        from jianfu.catalog.imports import FIELD_CHOICES

        # A preview that could not find its columns offers the mapping step.
        context["import_fields"] = FIELD_CHOICES
    return render(request, template, context)


@require_perm("core.view_audit")
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    records = selectors.audit_records_visible_to(user=request.user, **filters)
    page = keyset_page(request, records, ordering=("-id",), size=50)
    context = {
        "form": form,
        "page": page,
        "query": request.GET.copy(),
        "last_verification": selectors.audit_last_verification(),
        "daily": selectors.audit_daily_counts(
            records=selectors.audit_records_visible_to(user=request.user), days=30
        ),
    }
    return render(request, "core/audit_list.html", context)


@require_perm("core.view_audit")
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    job = job_start(owner=request.user, kind="audit_verify")
    return redirect("job_detail", job_id=job.pk)
