"""The certificate pages: the requests of a community (and of the communities a street or the
district oversees), taking a request with the lists' verdict as the officer types, a request's
page with its decisions, the seal-use log, the district's types and banned list, and the report
of who keeps asking for what communities must not certify.

Reads go through certificates.selectors, writes through certificates.services. A resident's ID
number reaches a page only in the one response that reveals it (for a reason, audited, never
cached); everywhere else it is masked, and a number typed into a form is never written back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jianfu.certificates import selectors, services
from jianfu.certificates.documents import refusal_notice_pdf
from jianfu.certificates.explanations import banned_explanation, unlisted_explanation
from jianfu.certificates.exports import requests_xlsx, seal_log_xlsx
from jianfu.certificates.forms import (
    CertificateTypeForm,
    IdSearchForm,
    IssueForm,
    RefuseForm,
    RequestEditForm,
    RequestFilterForm,
    RequestForm,
    RevealForm,
    RevokeForm,
    SealUseForm,
    YearForm,
)
from jianfu.certificates.models import (
    Certificate,
    CertificateRequest,
    CertificateType,
    RefusalGround,
    RequestState,
)
from jianfu.certificates.selectors import CERTIFICATE_ROLES, RequestFilters
from jianfu.core.audit import audit_record
from jianfu.core.errors import DomainError, Forbidden
from jianfu.core.http import content_disposition
from jianfu.core.id_numbers import id_number_index
from jianfu.core.paging import keyset_page
from jianfu.core.pdf import render_pdf
from jianfu.core.views import form_error
from jianfu.funds.downloads import xlsx_response
from jianfu.org.models import Region, RegionLevel, User
from jianfu.org.roles import DISTRICT_ROLES, Role
from jianfu.org.rules import active_unit

PAGE_SIZE = 50
SEAL_PAGE_SIZE = 100
# The lookup index of an ID number in a list's address: 64 hex digits (HMAC-SM3).
ID_INDEX = re.compile(r"^[0-9a-f]{64}$")
# The placeholders a type's template may use, filled from the request.
PLACEHOLDER = re.compile(r"\{(name|id_number|purpose|asking_body|community)\}")
# The statement offered when the district has set no template for a type. Not translated: it
# is the text of a Chinese certificate, like the standard explanations.
DEFAULT_STATEMENT = (
    "兹证明{name}（公民身份号码：{id_number}）系本社区居民。"
    "经核实，……（请根据核实的情况填写）。\n"
    "此证明仅用于{purpose}。"
)
T = TypeVar("T")


# Helpers ----------------------------------------------------------------------------------------


def _roles_or_403(user: User) -> None:
    if not user.has_role(*CERTIFICATE_ROLES):
        raise PermissionDenied


def _own_community_or_403(user: User) -> Region:
    community = selectors.community_of(user=user)
    if community is None:
        raise PermissionDenied
    return community


def _request_or_404(request: HttpRequest, pk: int) -> CertificateRequest:
    found = selectors.request_visible_to(user=request.user, request_id=pk)
    if found is None:
        raise Http404
    return found


def _certificate_or_404(request: HttpRequest, pk: int) -> Certificate:
    found = selectors.certificate_visible_to(user=request.user, pk=pk)
    if found is None:
        raise Http404
    return found


def _require_handle(user: User, community: Region) -> None:
    if not user.has_perm("certificates.handle", community):
        raise PermissionDenied


# Service refusals about the ID number belong to its field, not the form's top.
ID_NUMBER_CODES = {"id_number_length", "id_number_region", "id_number_birth", "id_number_check"}


def _attempt(form: Form, write: Callable[[], T]) -> T | None:
    """Run one service write; a refusal lands on the form and None comes back."""
    try:
        return write()
    except Forbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except DomainError as error:
        if error.code in ID_NUMBER_CODES and "id_number" in form.fields:
            form.add_error("id_number", str(error.message))
        else:
            form_error(form, error)
        return None


def _no_store(response: HttpResponse) -> HttpResponse:
    # Names, codes and (once) an ID number: never kept by a browser or a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    return _no_store(response)


def _scope_name(user: User, communities: list[Region], community: str = "") -> str:
    """What a workbook's title names: the chosen community, else the user's own region."""
    chosen = next((c for c in communities if c.code == community), None)
    if chosen is not None:
        return chosen.name
    unit = active_unit(user)
    return unit.region.name if unit is not None and unit.region is not None else ""


def _ground_rows(grounds) -> list[tuple[str, int]]:
    return [(RefusalGround(ground).label if ground else "—", n) for ground, n in grounds]


# The list ----------------------------------------------------------------------------------------


def _filters(request: HttpRequest, form: RequestFilterForm) -> RequestFilters:
    data: dict[str, Any] = {}
    if form.is_bound:
        # A filter that does not parse is dropped; the others still apply.
        form.is_valid()
        data = form.cleaned_data
    index = request.GET.get("idx", "")
    return RequestFilters(
        state=data.get("state") or "",
        year=data.get("year"),
        type_name=data.get("type_name") or "",
        text=(data.get("q") or "").strip(),
        id_index=index if ID_INDEX.match(index) else "",
        community=data.get("community") or "",
    )


def _filter_form(request: HttpRequest, communities: list[Region]) -> RequestFilterForm:
    user = request.user
    return RequestFilterForm(
        request.GET or None,
        years=selectors.request_years(user=user),
        types=selectors.request_type_names(user=user),
        communities=communities,
    )


def _index_page(request: HttpRequest, id_form: IdSearchForm) -> HttpResponse:
    user: User = request.user
    communities = selectors.communities_visible_to(user=user)
    form = _filter_form(request, communities)
    filters = _filters(request, form)
    requests = selectors.requests_filtered(user=user, filters=filters)
    page = keyset_page(request, requests, ordering=("-received_at", "-id"), size=PAGE_SIZE)
    own = selectors.community_of(user=user)
    counts = None if own is not None else selectors.request_counts(requests)
    query = request.GET.copy()
    context = {
        "form": form,
        "id_form": id_form,
        "page": page,
        "query": query,
        "own_community": own,
        "overseer": own is None,
        "counts": counts,
        "ground_rows": _ground_rows(counts.refused_by_ground) if counts else [],
        "id_filtered": bool(filters.id_index),
        "clear_id_url": f"?{urlencode({k: v for k, v in query.items() if k not in ('idx', 'page', 'cursor')})}",
        "export_query": urlencode({k: v for k, v in query.items() if k not in ("page", "cursor")}),
        "communities": communities,
    }
    return render(request, "certificates/index.html", context)


@login_required
@require_GET
def certificates_index(request: HttpRequest) -> HttpResponse:
    _roles_or_403(request.user)
    return _index_page(request, IdSearchForm())


@login_required
@require_POST
def certificates_find(request: HttpRequest) -> HttpResponse:
    """Find a resident's requests by ID number: the number is posted, checked, and turned into
    its lookup index, which is all the list's address carries."""
    _roles_or_403(request.user)
    form = IdSearchForm(request.POST)
    if not form.is_valid():
        return _no_store(_index_page(request, form))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("cursor", None)
    query["idx"] = id_number_index(form.cleaned_data["id_number"])
    return redirect(f"{reverse('certificates_index')}?{query.urlencode()}")


@login_required
@require_GET
def certificates_export(request: HttpRequest) -> HttpResponse:
    """The requests the list shows (its filters), as the register's workbook."""
    user: User = request.user
    _roles_or_403(user)
    communities = selectors.communities_visible_to(user=user)
    filters = _filters(request, _filter_form(request, communities))
    requests = selectors.requests_filtered(user=user, filters=filters)
    scope = _scope_name(user, communities, filters.community)
    audit_record(
        actor=user,
        action="certificates.requests_export",
        changes={
            "scope": scope,
            "state": filters.state,
            "year": filters.year,
            "type": filters.type_name,
            "by_id_number": bool(filters.id_index),
        },
    )
    content = requests_xlsx(title=f"{scope}开具证明登记台账", requests=requests)
    return xlsx_response(content, f"{scope}开具证明登记台账.xlsx")


# Taking a request ------------------------------------------------------------------------------


def _verdict(community: Region, types: list, item_key: str, type_name: str) -> dict[str, Any]:
    """What the lists say about the type the officer chose or typed; reads only."""
    type_name = (type_name or "").strip()
    if not item_key and not type_name:
        return {"match": None, "settings": None, "explanation": "", "materials": []}
    match = selectors.type_match(
        community=community, item_key=item_key or None, type_name=type_name
    )
    settings: CertificateType | None = None
    explanation = ""
    if match.verdict == "allowed":
        settings = next((s for item, s in types if item.key == match.item.key), None)
    elif match.verdict == "banned":
        explanation = banned_explanation(type_name or match.name, match.item)
    else:
        lists = sorted({item.version.list.name for item, _settings in types})
        explanation = unlisted_explanation(type_name or match.name, lists)
    return {
        "match": match,
        "settings": settings,
        "explanation": explanation,
        "legal_basis": selectors.legal_basis(match.item) if match.item is not None else "",
        "materials": list(settings.materials) if settings else [],
    }


@login_required
@require_http_methods(["GET", "POST"])
def certificates_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    community = _own_community_or_403(user)
    types = selectors.types_for(community)
    source = request.POST if request.method == "POST" else request.GET
    check = _verdict(community, types, source.get("type_key", ""), source.get("type_name", ""))
    form = RequestForm(
        request.POST if request.method == "POST" else None,
        types=types,
        materials=check["materials"],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        made = _attempt(
            form,
            lambda: services.certificate_request_create(
                actor=user,
                community=community,
                item_key=data["type_key"] or None,
                type_name=data["type_name"],
                resident_name=data["resident_name"],
                id_number=data["id_number"],
                resident_phone=data["resident_phone"],
                asking_body=data["asking_body"],
                asking_clause=data["asking_clause"],
                asking_clause_text=data["asking_clause_text"],
                purpose=data["purpose"],
                materials_checked=data["materials"],
                pledged=data["pledged"],
            ),
        )
        if made is not None:
            if made.state == RequestState.REFUSED:
                messages.warning(request, _("该证明事项社区不予出具，请将告知单交给申请人。"))
            else:
                messages.success(request, _("已受理，请核验材料后出具证明。"))
            return redirect("certificates_request", pk=made.pk)
    context = {"form": form, "community": community, "types": types, **check}
    return _no_store(render(request, "certificates/new.html", context))


@login_required
@require_GET
def certificates_check(request: HttpRequest) -> HttpResponse:
    """The lists' verdict on what the resident asks for, and the chosen type's materials, as the
    officer types or picks (htmx); nothing is written."""
    user: User = request.user
    community = _own_community_or_403(user)
    types = selectors.types_for(community)
    check = _verdict(
        community, types, request.GET.get("type_key", ""), request.GET.get("type_name", "")
    )
    form = RequestForm(
        initial={"materials": request.GET.getlist("materials")},
        types=types,
        materials=check["materials"],
    )
    return render(request, "certificates/check.html", {"form": form, **check})


# A request's page ---------------------------------------------------------------------------------


def fill_statement(template: str, cert_request: CertificateRequest) -> str:
    """The type's template with the request's values in its placeholders; the ID number masked."""
    values = {
        "name": cert_request.resident_name,
        "id_number": cert_request.id_masked,
        "purpose": cert_request.purpose,
        "asking_body": cert_request.asking_body,
        "community": cert_request.community.name,
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template or DEFAULT_STATEMENT)


def _type_of(cert_request: CertificateRequest):
    """The request's type as the lists have it now, and the district's settings for it."""
    match = selectors.type_match(
        community=cert_request.community,
        item_key=cert_request.item_key,
        type_name=cert_request.type_name,
    )
    settings = (
        selectors.type_settings(cert_request.community, match.item)
        if match.verdict == "allowed"
        else None
    )
    return match, settings


def _detail(request: HttpRequest, cert_request: CertificateRequest, **given: Form) -> HttpResponse:
    user: User = request.user
    community = cert_request.community
    may_handle = user.has_perm("certificates.handle", community)
    waiting = cert_request.state == RequestState.RECEIVED
    context: dict[str, Any] = {
        "cert_request": cert_request,
        "may_handle": may_handle,
        "may_unmask": bool(cert_request.id_sealed)
        and user.has_perm("certificates.unmask_id", community),
        "reveal_form": RevealForm(),
        "certificate": None,
    }
    if cert_request.state == RequestState.ISSUED:
        context["certificate"] = (
            selectors.certificates_visible_to(user=user).filter(request=cert_request).first()
        )
        if may_handle and context["certificate"] and not context["certificate"].is_revoked:
            context["revoke_form"] = given.get("revoke_form") or RevokeForm(prefix="revoke")
    if waiting:
        match, settings = _type_of(cert_request)
        materials = list(settings.materials) if settings else []
        context.update(match=match, settings=settings, required_materials=materials)
        if may_handle:
            context["edit_form"] = given.get("edit_form") or RequestEditForm(
                prefix="edit",
                materials=materials,
                initial={
                    "resident_name": cert_request.resident_name,
                    "resident_phone": cert_request.resident_phone,
                    "asking_body": cert_request.asking_body,
                    "asking_clause": cert_request.asking_clause,
                    "asking_clause_text": cert_request.asking_clause_text,
                    "purpose": cert_request.purpose,
                    "materials": cert_request.materials_checked,
                    "pledged": cert_request.pledged,
                },
            )
            context["issue_form"] = given.get("issue_form") or IssueForm(
                prefix="issue",
                approvers=selectors.seal_approvers(community=community, excluding=user),
                initial={
                    "statement": fill_statement(settings.template if settings else "", cert_request)
                },
            )
            context["refuse_form"] = given.get("refuse_form") or RefuseForm(prefix="refuse")
            checked = set(cert_request.materials_checked)
            context["missing_materials"] = [m for m in materials if m not in checked]
    return _no_store(render(request, "certificates/request.html", context))


@login_required
@require_GET
def certificates_request(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _request_or_404(request, pk))


@login_required
@require_POST
def certificates_request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cert_request = _request_or_404(request, pk)
    _require_handle(request.user, cert_request.community)
    _match, settings = _type_of(cert_request)
    form = RequestEditForm(
        request.POST,
        prefix="edit",
        materials=list(settings.materials) if settings else [],
        initial={"materials": cert_request.materials_checked},
    )
    if form.is_valid():
        done = _attempt(
            form,
            lambda: services.certificate_request_update(
                actor=request.user,
                request=cert_request,
                id_number=form.cleaned_data["id_number"],
                **form.values(),
            ),
        )
        if done is not None:
            messages.success(request, _("申请信息已保存。"))
            return redirect("certificates_request", pk=cert_request.pk)
    return _detail(request, cert_request, edit_form=form)


@login_required
@require_POST
def certificates_issue(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    cert_request = _request_or_404(request, pk)
    _require_handle(user, cert_request.community)
    form = IssueForm(
        request.POST,
        prefix="issue",
        approvers=selectors.seal_approvers(community=cert_request.community, excluding=user),
    )
    if form.is_valid():
        data = form.cleaned_data
        issued = _attempt(
            form,
            lambda: services.certificate_issue(
                actor=user,
                request=cert_request,
                statement=data["statement"],
                approver=data["approver"],
                copies=data["copies"],
                site_url=request.build_absolute_uri("/"),
            ),
        )
        if issued is not None:
            certificate, code = issued
            # The code is shown here once; only its hash is stored, so no page shows it again.
            context = {"certificate": certificate, "code": code, "cert_request": cert_request}
            return _no_store(render(request, "certificates/issued.html", context))
    return _detail(request, cert_request, issue_form=form)


@login_required
@require_POST
def certificates_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    cert_request = _request_or_404(request, pk)
    _require_handle(request.user, cert_request.community)
    form = RefuseForm(request.POST, prefix="refuse")
    if form.is_valid():
        done = _attempt(
            form,
            lambda: services.certificate_refuse(
                actor=request.user,
                request=cert_request,
                ground=form.cleaned_data["ground"],
                note=form.cleaned_data["note"],
            ),
        )
        if done is not None:
            messages.success(request, _("已决定不予出具，请将告知单交给申请人。"))
            return redirect("certificates_request", pk=cert_request.pk)
    return _detail(request, cert_request, refuse_form=form)


@login_required
@require_POST
def certificates_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident's full ID number, once, for a stated reason (audited by the service). The
    number is in this response alone: not in the session, a message or any cache."""
    user: User = request.user
    cert_request = _request_or_404(request, pk)
    if not user.has_perm("certificates.unmask_id", cert_request.community):
        raise PermissionDenied
    form = RevealForm(request.POST)
    number = None
    if form.is_valid():
        number = _attempt(
            form,
            lambda: services.id_number_reveal(
                actor=user, request=cert_request, reason=form.cleaned_data["reason"]
            ),
        )
    template = "certificates/reveal.html" if request.htmx else "certificates/reveal_page.html"
    context = {"cert_request": cert_request, "reveal_form": form, "number": number}
    return _no_store(render(request, template, context))


@login_required
@require_GET
def certificates_notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice handed to the resident of a refused request."""
    cert_request = _request_or_404(request, pk)
    if cert_request.state != RequestState.REFUSED:
        raise Http404
    try:
        content = refusal_notice_pdf(request=cert_request)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("certificates_request", pk=cert_request.pk)
    return _download(content, f"不予出具证明告知单-{cert_request.pk}.pdf", "application/pdf")


@login_required
@require_GET
def certificates_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """An issued certificate's PDF, as it was issued; every download is audited."""
    certificate = _certificate_or_404(request, pk)
    audit_record(
        actor=request.user,
        action="certificates.pdf_download",
        target=certificate,
        changes={"serial": certificate.serial, "community": certificate.community_id},
    )
    content = selectors.certificate_pdf_bytes(certificate)
    return _download(content, f"证明-{certificate.serial}.pdf", "application/pdf")


@login_required
@require_POST
def certificates_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate_or_404(request, pk)
    _require_handle(request.user, certificate.community)
    form = RevokeForm(request.POST, prefix="revoke")
    if form.is_valid():
        done = _attempt(
            form,
            lambda: services.certificate_revoke(
                actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, _("证明已撤销，核验时将显示“已撤销”。"))
            return redirect("certificates_request", pk=certificate.request_id)
    return _detail(request, _request_or_404(request, certificate.request_id), revoke_form=form)


# The seal ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def certificates_seal(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    _roles_or_403(user)
    communities = selectors.communities_visible_to(user=user)
    year_form = YearForm(request.GET or None, communities=communities)
    own = selectors.community_of(user=user)
    if request.method == "POST" and own is None:
        raise PermissionDenied
    seal_form = None
    if own is not None:
        seal_form = SealUseForm(
            request.POST if request.method == "POST" else None,
            prefix="seal",
            approvers=selectors.seal_approvers(community=own),
        )
    if request.method == "POST" and seal_form.is_valid():
        data = seal_form.cleaned_data
        done = _attempt(
            seal_form,
            lambda: services.seal_use_record(
                actor=user,
                community=own,
                content=data["content"],
                approver=data["approver"],
                requester_name=data["requester_name"],
                requester_phone=data["requester_phone"],
                copies=data["copies"],
            ),
        )
        if done is not None:
            messages.success(request, _("用印已登记。"))
            return redirect("certificates_seal")
    year, community = year_form.chosen_year(), year_form.chosen_community()
    uses = selectors.seal_uses_of_year(user=user, year=year, community=community)
    page = keyset_page(request, uses, ordering=("-used_at", "-id"), size=SEAL_PAGE_SIZE)
    query = request.GET.copy()
    context = {
        "year_form": year_form,
        "seal_form": seal_form,
        "page": page,
        "query": query,
        "year": year,
        "overseer": own is None,
        "export_query": urlencode({"year": year, "community": community}),
    }
    return render(request, "certificates/seal.html", context)


@login_required
@require_GET
def certificates_seal_export(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    _roles_or_403(user)
    communities = selectors.communities_visible_to(user=user)
    year_form = YearForm(request.GET or None, communities=communities)
    year, community = year_form.chosen_year(), year_form.chosen_community()
    uses = selectors.seal_uses_of_year(user=user, year=year, community=community)
    scope = _scope_name(user, communities, community)
    title = f"{scope}{year}年度印章使用登记簿"
    audit_record(
        actor=user,
        action="certificates.seal_export",
        changes={"scope": scope, "year": year},
    )
    return xlsx_response(seal_log_xlsx(title=title, uses=uses), f"{title}.xlsx")


# The district's types and the banned list ---------------------------------------------------------


def _region_or_403(user: User) -> Region:
    _roles_or_403(user)
    unit = active_unit(user)
    if unit is None or unit.region is None or not unit.region.district_code:
        raise PermissionDenied
    return unit.region


def _district_of(region: Region) -> Region | None:
    return Region.objects.filter(code=region.district_code, level=RegionLevel.DISTRICT).first()


def _banned_groups(region: Region) -> list[tuple[Any, list]]:
    """The banned items by list: the national batch first, then local additions."""
    groups: dict[int, tuple[Any, list]] = {}
    for item in selectors.banned_items(region):
        groups.setdefault(item.version.list_id, (item.version, []))[1].append(item)
    return list(groups.values())


@login_required
@require_GET
def certificates_types(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    region = _region_or_403(user)
    district = _district_of(region)
    types = selectors.types_for(region)
    context = {
        "region": region,
        "district": district,
        "types": types,
        "several_lists": len({item.version.list_id for item, _settings in types}) > 1,
        "banned_groups": _banned_groups(region),
        "may_manage": district is not None and user.has_perm("certificates.manage_types", district),
    }
    return render(request, "certificates/types.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def certificates_type_edit(request: HttpRequest, key) -> HttpResponse:
    user: User = request.user
    region = _region_or_403(user)
    district = _district_of(region)
    if district is None or not user.has_perm("certificates.manage_types", district):
        raise PermissionDenied
    found = next(((i, s) for i, s in selectors.types_for(district) if i.key == key), None)
    if found is None:
        raise Http404
    item, settings = found
    initial = {
        "use": settings.use if settings else "",
        "materials": "\n".join(settings.materials) if settings else "",
        "template": settings.template if settings else DEFAULT_STATEMENT,
        "valid_days": settings.valid_days if settings else 90,
    }
    form = CertificateTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _attempt(
            form,
            lambda: services.certificate_type_update(
                actor=user,
                district=district,
                item_key=item.key,
                use=data["use"],
                materials=form.materials_list(),
                template=data["template"],
                valid_days=data["valid_days"],
            ),
        )
        if done is not None:
            messages.success(request, _("“%(name)s”的设置已保存。") % {"name": item.name})
            return redirect("certificates_types")
    context = {
        "item": item,
        "legal_basis": selectors.legal_basis(item),
        "form": form,
        "district": district,
    }
    return render(request, "certificates/type_form.html", context)


@login_required
@require_GET
def certificates_banned_pdf(request: HttpRequest) -> HttpResponse:
    """The banned list as a sheet to print and hand to residents and asking bodies."""
    region = _region_or_403(request.user)
    district = _district_of(region)
    try:
        content = render_pdf(
            template="certificates/banned_pdf.html",
            context={"groups": _banned_groups(region), "district": district},
        )
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("certificates_types")
    return _download(content, "不应由社区出具的证明事项.pdf", "application/pdf")


# Who keeps asking ----------------------------------------------------------------------------------


@login_required
@require_GET
def certificates_refusals(request: HttpRequest) -> HttpResponse:
    """The refused requests of a year by asking body and type, for the street and the district."""
    user: User = request.user
    if not user.has_role(Role.STREET_OFFICER, *DISTRICT_ROLES):
        raise PermissionDenied
    communities = selectors.communities_visible_to(user=user)
    form = YearForm(request.GET or None, communities=communities)
    rows = selectors.refusals_by_asker(
        user=user, year=form.chosen_year(), community=form.chosen_community()
    )
    grounds = [
        ground for ground in RefusalGround.values if any(row.grounds.get(ground) for row in rows)
    ]
    context = {
        "form": form,
        "year": form.chosen_year(),
        "rows": [
            {"row": row, "counts": [row.grounds.get(ground, 0) for ground in grounds]}
            for row in rows
        ],
        "grounds": [RefusalGround(ground).label for ground in grounds],
        "total": sum(row.total for row in rows),
        "askers": len({row.asking_body for row in rows}),
    }
    return render(request, "certificates/refusals.html", context)
