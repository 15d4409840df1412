"""The burden pages: the district's (or street's) burden table, a community's burden index,
its four inventories with their clean-up, the district's caps and the snapshots. Reads go
through burden.selectors, writes through burden.services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jianfu.burden import selectors, services
from jianfu.burden.forms import (
    BaselineForm,
    EndForm,
    EntryForm,
    FilterForm,
    SettingsForm,
    SnapshotForm,
)
from jianfu.burden.models import BurdenSettings, EntryKind, EntryStatus, InventoryEntry
from jianfu.core.errors import DomainError, Forbidden
from jianfu.core.paging import keyset_page
from jianfu.org.models import Region, RegionLevel, User

PAGE_SIZE = 50
T = TypeVar("T")


# Helpers ----------------------------------------------------------------------------------------


def _community_or_404(request: HttpRequest, code: str) -> Region:
    community = selectors.community_visible_to(user=request.user, code=code)
    if community is None:
        raise Http404
    return community


def _kind_or_404(kind: str) -> EntryKind:
    if kind not in EntryKind.values:
        raise Http404
    return EntryKind(kind)


def _entry_or_404(request: HttpRequest, pk: int) -> InventoryEntry:
    entry = selectors.entry_visible_to(user=request.user, pk=pk)
    if entry is None:
        raise Http404
    return entry


def _editable_entry(request: HttpRequest, pk: int) -> tuple[InventoryEntry, str]:
    """An entry the user may edit (404 outside their jurisdiction, 403 without the right),
    and the address of its inventory to go back to."""
    entry = _entry_or_404(request, pk)
    if not request.user.has_perm("burden.edit", entry.community):
        raise PermissionDenied
    return entry, _inventory_url(entry.community, entry.kind)


def _office_district_or_403(user: User) -> Region:
    district = selectors.office_district_of(user=user)
    if district is None:
        raise PermissionDenied
    return district


def _attempt(form: Form, write: Callable[[], T]) -> T | None:
    """Run one service write. A refusal is shown on the form, one line per problem, nothing is
    written, and None comes back so the page renders the form again."""
    try:
        return write()
    except Forbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except DomainError as error:
        details = error.details
        if isinstance(details, dict):
            details = details.get("problems")
        for problem in details if isinstance(details, list) else [error.message]:
            form.add_error(None, str(problem))
        return None


def _inventory_url(community: Region, kind: str) -> str:
    return reverse("burden_inventory", args=[community.code, kind])


# The district's table ---------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    scope = selectors.scope_of(user=user)
    if scope is None or not user.has_role(*selectors.BURDEN_ROLES):
        raise PermissionDenied
    if scope.level == RegionLevel.COMMUNITY:
        return redirect("burden_community", code=scope.code)
    filters = FilterForm(request.GET or None)
    flagged = filters.is_valid() and filters.cleaned_data["flagged"]
    table = selectors.burden_table(scope=scope, on=timezone.localdate(), flagged_only=flagged)
    context = {
        "table": table,
        "filters": filters,
        "flagged": flagged,
        "office_district": selectors.office_district_of(user=user),
        "single_street": scope.level == RegionLevel.STREET,
    }
    return render(request, "burden/index.html", context)


# A community ------------------------------------------------------------------------------------


@login_required
@require_GET
def community(request: HttpRequest, code: str) -> HttpResponse:
    user: User = request.user
    region = _community_or_404(request, code)
    burden = selectors.community_burden(community=region, on=timezone.localdate())
    context = {
        "community": region,
        "burden": burden,
        "figures": burden.figures,
        "comparisons": [
            {"label": selectors.figure_label(row.name), "row": row} for row in burden.comparisons
        ],
        "chart": selectors.history_chart(burden),
        "kinds": EntryKind.choices,
        "can_edit": user.has_perm("burden.edit", region),
        "up": scope_link(user),
    }
    return render(request, "burden/community.html", context)


def scope_link(user: User) -> bool:
    """Whether the user has a table above the community page to go back to."""
    scope = selectors.scope_of(user=user)
    return scope is not None and scope.level != RegionLevel.COMMUNITY


# Inventories ------------------------------------------------------------------------------------


def _entry_form(
    request: HttpRequest, community: Region, kind: str, entry: InventoryEntry | None = None
) -> EntryForm:
    initial = {} if entry is not None else {"initial": {"since": timezone.localdate()}}
    return EntryForm(
        request.POST if request.method == "POST" else None,
        kind=kind,
        entry=entry,
        basis_choices=selectors.basis_choices(community=community, kind=kind),
        **initial,
    )


def _suggestions(community: Region) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "departments": selectors.department_names(community=community),
        "admission_numbers": selectors.admissions_covering(community=community, on=today),
    }


@login_required
@require_http_methods(["GET", "POST"])
def inventory(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    user: User = request.user
    region = _community_or_404(request, code)
    kind = _kind_or_404(kind)
    can_edit = user.has_perm("burden.edit", region)
    form = _entry_form(request, region, kind) if can_edit else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            created = _attempt(
                form,
                lambda: services.inventory_entry_create(
                    actor=user, community=region, kind=kind, **form.values()
                ),
            )
            if created is not None:
                messages.success(request, _("已登记“%(name)s”。") % {"name": created.name})
                return redirect(_inventory_url(region, kind))
    active, ended = selectors.entries_of(community=region, kind=kind)
    cap = selectors.signboard_cap_of(region) if kind == EntryKind.SIGNBOARD else None
    context = {
        "community": region,
        "kind": kind,
        "kinds": EntryKind.choices,
        "active": active,
        "ended": ended,
        "cap": cap,
        "over_cap": max(0, len(active) - cap) if cap is not None else 0,
        "books": sum(e.quantity for e in active if e.medium == "paper"),
        "unadmitted": sum(1 for e in active if e.unadmitted),
        "vetoes": sum(1 for e in active if e.one_vote_veto),
        "form": form,
        "form_open": request.method == "POST",
        "can_edit": can_edit,
        **(_suggestions(region) if can_edit else {}),
    }
    return render(request, "burden/inventory.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    entry, back = _editable_entry(request, pk)
    if entry.status != EntryStatus.ACTIVE:
        messages.error(request, _("已清理的条目不能修改。"))
        return redirect(back)
    form = _entry_form(request, entry.community, entry.kind, entry)
    if request.method == "POST" and form.is_valid():
        saved = _attempt(
            form, lambda: services.inventory_entry_update(actor=user, entry=entry, **form.values())
        )
        if saved is not None:
            messages.success(request, _("已保存“%(name)s”。") % {"name": saved.name})
            return redirect(back)
    context = {
        "entry": entry,
        "community": entry.community,
        "kind": EntryKind(entry.kind),
        "form": form,
        "back": back,
        **_suggestions(entry.community),
    }
    return render(request, "burden/entry_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_end(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    entry, back = _editable_entry(request, pk)
    if entry.status != EntryStatus.ACTIVE:
        messages.error(request, _("该条目已清理。"))
        return redirect(back)
    form = EndForm(
        request.POST if request.method == "POST" else None,
        entry=entry,
        successors=selectors.successors_for(entry),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if form.digitise_new:
            done = _attempt(
                form,
                lambda: services.ledger_digitise(
                    actor=user,
                    entry=entry,
                    ended_on=data["ended_on"],
                    name=data.get("new_name", ""),
                    reason=data["reason"],
                ),
            )
        else:
            done = _attempt(
                form,
                lambda: services.inventory_entry_end(
                    actor=user,
                    entry=entry,
                    status=data["status"],
                    ended_on=data["ended_on"],
                    reason=data["reason"],
                    successor=data["successor"],
                ),
            )
        if done is not None:
            messages.success(
                request,
                _("已清理“%(name)s”（%(status)s）。")
                % {"name": entry.name, "status": EntryStatus(data["status"]).label},
            )
            return redirect(back)
    context = {
        "entry": entry,
        "community": entry.community,
        "kind": EntryKind(entry.kind),
        "form": form,
        "back": back,
    }
    return render(request, "burden/entry_end.html", context)


# The district's caps ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    district = _office_district_or_403(user)
    current = BurdenSettings.objects.filter(district=district).first()
    initial = {
        "signboard_cap": current.signboard_cap if current else selectors.signboard_cap_of(district),
        "campaign_cap": current.campaign_cap if current else None,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _attempt(
            form,
            lambda: services.burden_settings_update(
                actor=user,
                district=district,
                signboard_cap=form.cleaned_data["signboard_cap"],
                campaign_cap=form.cleaned_data["campaign_cap"],
            ),
        )
        if saved is not None:
            messages.success(request, _("已保存上限设置。"))
            return redirect("burden_index")
    return render(request, "burden/settings.html", {"form": form, "district": district})


# Snapshots --------------------------------------------------------------------------------------


def _render_snapshots(
    request: HttpRequest,
    snapshot_form: SnapshotForm | None = None,
    baseline_form: BaselineForm | None = None,
) -> HttpResponse:
    user: User = request.user
    if not user.has_role(*selectors.BURDEN_ROLES) or selectors.scope_of(user=user) is None:
        raise PermissionDenied
    communities = list(selectors.communities_visible_to(user=user))
    chosen = request.GET.get("community", "")
    if chosen not in {c.code for c in communities}:
        chosen = ""
    # One row per (day, label, baseline, source): together they name a group.
    page = keyset_page(
        request,
        selectors.snapshot_groups(user=user, community=chosen),
        ordering=("-taken_on", "-is_baseline", "label", "source"),
        size=PAGE_SIZE,
    )
    district = selectors.office_district_of(user=user)
    if district is not None:
        snapshot_form = snapshot_form or SnapshotForm(
            prefix="take", initial={"label": services.month_label(timezone.localdate())}
        )
        baseline_form = baseline_form or BaselineForm(
            prefix="baseline", communities=_community_choices(district)
        )
    context = {
        "page": page,
        "communities": communities,
        "chosen": chosen,
        "district": district,
        "snapshot_form": snapshot_form,
        "baseline_form": baseline_form,
    }
    return render(request, "burden/snapshots.html", context)


def _community_choices(district: Region) -> list[tuple[str, str]]:
    return [
        (c.code, f"{c.parent.name} {c.name}" if c.parent else c.name)
        for c in selectors.communities_in(district)
    ]


@login_required
@require_GET
def snapshots(request: HttpRequest) -> HttpResponse:
    return _render_snapshots(request)


@login_required
@require_POST
def snapshot_take(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    district = _office_district_or_403(user)
    form = SnapshotForm(request.POST, prefix="take")
    if form.is_valid():
        taken = _attempt(
            form,
            lambda: services.burden_snapshot_take(
                actor=user,
                region=district,
                label=form.cleaned_data["label"],
                baseline=form.cleaned_data["baseline"],
            ),
        )
        if taken is not None:
            messages.success(
                request,
                _("已为 %(count)s 个社区生成快照“%(label)s”。")
                % {"count": len(taken), "label": form.cleaned_data["label"]},
            )
            return redirect("burden_snapshots")
    return _render_snapshots(request, snapshot_form=form)


@login_required
@require_POST
def baseline_record(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    district = _office_district_or_403(user)
    form = BaselineForm(request.POST, prefix="baseline", communities=_community_choices(district))
    if form.is_valid():
        region = Region.objects.get(code=form.cleaned_data["community"])
        figures = {**form.figures(), "signboard_cap": selectors.signboard_cap_of(region)}
        saved = _attempt(
            form,
            lambda: services.burden_baseline_record(
                actor=user,
                community=region,
                taken_on=form.cleaned_data["taken_on"],
                label=form.cleaned_data["label"],
                figures=figures,
            ),
        )
        if saved is not None:
            messages.success(request, _("已录入%(community)s的基线。") % {"community": region.name})
            return redirect("burden_community", code=region.code)
    return _render_snapshots(request, baseline_form=form)
