from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jianfu.core.errors import DomainError
from jianfu.core.jobs import job_start
from jianfu.core.paging import keyset_page
from jianfu.core.views import form_error, require_perm
from jianfu.org import selectors, services
from jianfu.org.forms import (
    AccountCreateForm,
    AccountEditForm,
    ImportForm,
    PasswordResetForm,
    RegionCreateForm,
    RegionEditForm,
    UnitEditForm,
    UnitForm,
)
from jianfu.org.models import LEVEL_ORDER, RegionLevel, UnitType
from jianfu.org.roles import Role


@require_perm("org.manage_regions")
def region_index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    context = {"query": query, "roots": selectors.region_roots_visible_to(user=request.user)}
    if query:
        context["results"] = selectors.regions_visible_to(user=request.user, query=query)[:100]
    return render(request, "org/region_index.html", context)


@require_perm("org.manage_regions")
@require_http_methods(["GET", "POST"])
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = selectors.region_visible_to(user=request.user, code=code)
    if region is None:
        raise Http404
    edit_form = RegionEditForm(
        request.POST if request.POST.get("form") == "edit" else None,
        initial={
            "name": region.name,
            "valid_from": region.valid_from,
            "valid_until": region.valid_until,
        },
    )
    child_level = (
        LEVEL_ORDER[LEVEL_ORDER.index(region.level) + 1]
        if region.level != RegionLevel.COMMUNITY
        else None
    )
    child_form = RegionCreateForm(
        request.POST if request.POST.get("form") == "child" else None,
        initial={"level": child_level, "code": region.prefix},
    )
    if request.method == "POST":
        form = edit_form if request.POST.get("form") == "edit" else child_form
        if form.is_valid():
            try:
                if form is edit_form:
                    services.region_update(actor=request.user, region=region, **form.cleaned_data)
                    messages.success(request, _("已保存。"))
                    return redirect("region_detail", code=region.code)
                child = services.region_create(
                    actor=request.user, parent_code=region.code, **form.cleaned_data
                )
                messages.success(request, _("已添加 %(name)s。") % {"name": child.name})
                return redirect("region_detail", code=child.code)
            except DomainError as error:
                form_error(form, error)
    ancestors = selectors.regions_visible_to(user=request.user).filter(
        code__in=selectors.ancestor_codes(region.code)
    )
    context = {
        "region": region,
        "ancestors": ancestors,
        "children": region.children.order_by("code"),
        "units": selectors.units_visible_to(user=request.user, region=region.code),
        "edit_form": edit_form,
        "child_form": child_form if child_level else None,
    }
    return render(request, "org/region_detail.html", context)


@require_perm("org.manage_regions")
@require_http_methods(["GET", "POST"])
def region_create_top(request: HttpRequest) -> HttpResponse:
    """A new province: only for an administrator of the whole installation."""
    if not request.user.has_perm("org.manage_region", None):
        raise PermissionDenied
    form = RegionCreateForm(request.POST or None, initial={"level": RegionLevel.PROVINCE})
    if request.method == "POST" and form.is_valid():
        try:
            region = services.region_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect("region_detail", code=region.code)
    return render(request, "org/region_create.html", {"form": form})


def _import_view(request: HttpRequest, *, kind: str, template: str) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = job_start(
            owner=request.user, kind=kind, payload=upload.read(), payload_name=upload.name
        )
        return redirect("job_detail", job_id=job.pk)
    return render(request, template, {"form": form})


@require_perm("org.manage_regions")
@require_http_methods(["GET", "POST"])
def region_import(request: HttpRequest) -> HttpResponse:
    return _import_view(request, kind="regions_import", template="org/region_import.html")


@require_perm("org.manage_units")
def unit_index(request: HttpRequest) -> HttpResponse:
    units = selectors.units_visible_to(
        user=request.user,
        region=request.GET.get("region") or None,
        unit_type=request.GET.get("type") or None,
        query=request.GET.get("q", "").strip(),
        include_inactive=True,
    )
    page = keyset_page(request, units, ordering=("sort_key", "id"), size=50)
    context = {"page": page, "types": UnitType.choices, "query": request.GET.copy()}
    return render(request, "org/unit_index.html", context)


@require_perm("org.manage_units")
@require_http_methods(["GET", "POST"])
def unit_create(request: HttpRequest) -> HttpResponse:
    form = UnitForm(request.POST or None, initial={"region": request.GET.get("region", "")})
    if request.method == "POST" and form.is_valid():
        region = selectors.region_visible_to(user=request.user, code=form.cleaned_data["region"])
        if region is None:
            form.add_error("region", _("该区划不存在，或不在您的管辖范围内。"))
        else:
            try:
                services.unit_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    unit_type=form.cleaned_data["type"],
                    region=region,
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("单位已添加。"))
                return redirect("unit_index")
    return render(request, "org/unit_form.html", {"form": form, "creating": True})


@require_perm("org.manage_units")
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_visible_to(user=request.user, unit_id=unit_id)
    if unit is None or not request.user.has_perm("org.manage_unit", unit):
        raise Http404
    form = UnitEditForm(
        request.POST or None,
        initial={"name": unit.name, "type": unit.type, "is_active": unit.is_active},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(
                actor=request.user,
                unit=unit,
                name=form.cleaned_data["name"],
                unit_type=form.cleaned_data["type"],
                is_active=form.cleaned_data["is_active"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("已保存。"))
            return redirect("unit_index")
    return render(request, "org/unit_form.html", {"form": form, "unit": unit})


@require_perm("org.manage_units")
@require_http_methods(["GET", "POST"])
def unit_import(request: HttpRequest) -> HttpResponse:
    return _import_view(request, kind="units_import", template="org/unit_import.html")


def _manageable_units(user):
    return [u for u in selectors.units_visible_to(user=user) if user.has_perm("org.manage_unit", u)]


@require_perm("org.manage_users")
def account_index(request: HttpRequest) -> HttpResponse:
    accounts = selectors.accounts_visible_to(
        user=request.user,
        role=request.GET.get("role") or None,
        query=request.GET.get("q", "").strip(),
    )
    page = keyset_page(request, accounts, ordering=("username",), size=50)
    context = {"page": page, "roles": Role.choices, "query": request.GET.copy()}
    return render(request, "org/account_index.html", context)


@require_perm("org.manage_users")
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    form = AccountCreateForm(request.POST or None, units=_manageable_units(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = selectors.unit_visible_to(user=request.user, unit_id=data["unit"])
        try:
            account = services.account_create(
                actor=request.user,
                username=data["username"],
                display_name=data["display_name"],
                unit=unit,
                roles=data["roles"],
                password=data["password"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request, _("账号 %(username)s 已创建。") % {"username": account.username}
            )
            return redirect("account_index")
    return render(request, "org/account_form.html", {"form": form, "creating": True})


@require_perm("org.manage_users")
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.account_visible_to(user=request.user, account_id=account_id)
    if account is None:
        raise Http404
    is_admin_account = account.has_role(Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
    form = AccountEditForm(
        request.POST if request.POST.get("form") == "edit" else None,
        units=_manageable_units(request.user),
        initial={
            "display_name": account.display_name,
            "unit": account.unit_id,
            "roles": sorted(account.role_set),
            "is_active": account.is_active,
        },
    )
    password_form = PasswordResetForm(
        request.POST if request.POST.get("form") == "password" else None
    )
    if request.method == "POST":
        try:
            if form.is_bound and form.is_valid():
                data = form.cleaned_data
                services.account_update(
                    actor=request.user,
                    account=account,
                    display_name=data["display_name"],
                    unit=selectors.unit_visible_to(user=request.user, unit_id=data["unit"]),
                    roles=data["roles"],
                    is_active=data["is_active"],
                )
                messages.success(request, _("已保存。"))
                return redirect("account_index")
            if password_form.is_bound and password_form.is_valid():
                services.account_set_password(
                    actor=request.user,
                    account=account,
                    password=password_form.cleaned_data["password"],
                )
                messages.success(request, _("密码已重置。"))
                return redirect("account_edit", account_id=account.pk)
        except DomainError as error:
            form_error(password_form if password_form.is_bound else form, error)
    context = {
        "account": account,
        "form": form,
        "password_form": password_form,
        "is_admin_account": is_admin_account,
    }
    return render(request, "org/account_form.html", context)
