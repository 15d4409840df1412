"""The annual evaluation's management pages: campaigns and their actions, evaluators, token
sheets, paper ballots, results with their export, and the district's settings. Voting and
"my ballots" live in vote_views. Reads go through evaluation.selectors, writes through
evaluation.services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jianfu.core.audit import audit_record
from jianfu.core.errors import DomainError, Forbidden
from jianfu.core.http import content_disposition
from jianfu.core.paging import keyset_page
from jianfu.core.views import form_error
from jianfu.evaluation import paper as paper_sheets
from jianfu.evaluation import result_exports, selectors, services
from jianfu.evaluation.forms import (
    NO,
    YES,
    CampaignCreateForm,
    CampaignEditForm,
    EnrolForm,
    PaperUploadForm,
    PublishForm,
    SettingsForm,
    SheetForm,
    basis_points,
    local_input,
    percent_of,
)
from jianfu.evaluation.models import (
    Campaign,
    CampaignState,
    EvaluationSettings,
    Evaluator,
    GroupKind,
    Outcome,
    PaperBatchState,
    Target,
)
from jianfu.org.models import Region, RegionLevel, User
from jianfu.org.roles import Role

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A new campaign's window lasts a month until the office sets its own.
DEFAULT_WINDOW_DAYS = 30
ACTIONS = ("open", "refresh", "close", "publish")
T = TypeVar("T")


# Helpers ----------------------------------------------------------------------------------------


def _campaign_or_404(request: HttpRequest, pk: int) -> Campaign:
    campaign = selectors.campaign_visible_to(user=request.user, pk=pk)
    if campaign is None:
        raise Http404
    return campaign


def _require_manager(user: User, campaign: Campaign) -> None:
    if not user.has_perm("evaluation.manage", campaign):
        raise PermissionDenied


def _office_district(user: User) -> Region | None:
    """The district whose leadership-group office the user works in, if any."""
    unit = user.unit
    if not user.has_role(Role.GROUP_SECRETARY) or unit is None or not unit.district_code:
        return None
    district = Region.objects.filter(code=unit.district_code, level=RegionLevel.DISTRICT).first()
    if district is None or not user.has_perm("evaluation.manage", district):
        return None
    return district


def _office_district_or_403(user: User) -> Region:
    district = _office_district(user)
    if district is None:
        raise PermissionDenied
    return district


def _managed_regions(request: HttpRequest, campaign: Campaign) -> list[Region]:
    """The streets and communities whose evaluators, sheets and paper the user handles; a user
    with none of them reads nothing here (404, as for a campaign they cannot see)."""
    regions = list(selectors.regions_managed_by(user=request.user, campaign=campaign))
    if not regions:
        raise Http404
    return regions


def _region_label(region: Region) -> str:
    if region.level == RegionLevel.COMMUNITY and region.parent is not None:
        return f"{region.parent.name} / {region.name}"
    return region.name


def _paper_regions(user: User, regions: list[Region]) -> list[Region]:
    return [region for region in regions if user.has_perm("evaluation.enter_paper", region)]


def _group_choices(campaign: Campaign) -> list[tuple[str, str]]:
    return [(group.kind, group.get_kind_display()) for group in campaign.groups.all()]


def _refused(request: HttpRequest, error: DomainError) -> None:
    """A service's refusal as a message on the page it came from."""
    if isinstance(error, Forbidden):
        raise PermissionDenied(str(error.message)) from error
    messages.error(request, str(error.message))


def _attempt(form: Form, write: Callable[[], T]) -> T | None:
    """Run one service write. A refusal is shown on the form (and kept as `form.refusal`),
    nothing is written, and None comes back so the page renders the form again."""
    try:
        return write()
    except Forbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except DomainError as error:
        form.refusal = error
        form_error(form, error)
        return None


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    # Codes, ballots and results name people and places: kept out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


# Campaigns --------------------------------------------------------------------------------------


@login_required
def campaign_index(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    campaigns = list(selectors.campaigns_visible_to(user=user).order_by("-year", "district_id"))
    enrolled = set(
        Evaluator.objects.filter(user=user, campaign__in=[c.pk for c in campaigns]).values_list(
            "campaign_id", flat=True
        )
    )
    now = timezone.now()
    for campaign in campaigns:
        campaign.can_vote = (
            campaign.pk in enrolled
            and campaign.state == CampaignState.OPEN
            and campaign.opens_at <= now < campaign.closes_at
        )
        campaign.results_shown = selectors.results_visible(user=user, campaign=campaign)
    district = _office_district(user)
    context = {
        "campaigns": campaigns,
        "office_district": district,
        "has_current": district is not None
        and any(c.district_id == district.code and c.year == now.year for c in campaigns),
    }
    return render(request, "evaluation/index.html", context)


def _settings_of(district: Region) -> EvaluationSettings:
    # Read without get_or_create: showing a form writes nothing.
    return EvaluationSettings.objects.filter(district=district).first() or EvaluationSettings(
        district=district
    )


def _new_campaign_initial(district: Region) -> dict[str, Any]:
    rules = _settings_of(district)
    today = timezone.localdate()
    # The first year from this one that has no campaign yet.
    taken = set(Campaign.objects.filter(district=district).values_list("year", flat=True))
    year = next(y for y in range(today.year, today.year + len(taken) + 1) if y not in taken)
    # This year's from tomorrow; a later year's in its December, when its work can be judged.
    first = today + dt.timedelta(days=1) if year == today.year else dt.date(year, 12, 1)
    opens = timezone.make_aware(dt.datetime.combine(first, dt.time(8)))
    closes = timezone.make_aware(
        dt.datetime.combine(first + dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1), dt.time(18))
    )
    weights = dict(services.DEFAULT_GROUPS)
    return {
        "title": _("%(district)s%(year)s年度社区工作准入事项评议")
        % {"district": district.name, "year": year},
        "year": year,
        "opens_at": local_input(opens),
        "closes_at": local_input(closes),
        "quorum": rules.quorum,
        "threshold": percent_of(rules.revoke_threshold_bp),
        "automatic_revocation": YES if rules.automatic_revocation else NO,
        "dimensions": "\n".join(services.DEFAULT_DIMENSIONS),
        **{f"weight_{kind}": weights.get(kind, "") for kind in GroupKind.values},
    }


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    district = _office_district_or_403(user)
    form = CampaignCreateForm(request.POST or None, initial=_new_campaign_initial(district))
    if request.method == "POST" and form.is_valid():
        campaign = _attempt(
            form,
            lambda: services.campaign_create(
                actor=user,
                district=district,
                year=form.cleaned_data["year"],
                groups=list(form.weights().items()),
                dimensions=form.cleaned_data["dimensions"],
                **form.rules(),
            ),
        )
        if campaign is not None:
            messages.success(
                request,
                _("已建立评议活动（筹备中），共 %(count)s 个评议对象。")
                % {"count": campaign.targets.count()},
            )
            return redirect("evaluation_campaign", pk=campaign.pk)
    context = {"form": form, "district": district, "campaign": None}
    return render(request, "evaluation/campaign_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    campaign = _campaign_or_404(request, pk)
    _require_manager(user, campaign)
    if campaign.state != CampaignState.DRAFT:
        messages.error(request, _("评议活动开始后不能再修改。"))
        return redirect("evaluation_campaign", pk=campaign.pk)
    groups = list(campaign.groups.all())
    initial = {
        "title": campaign.title,
        "opens_at": local_input(campaign.opens_at),
        "closes_at": local_input(campaign.closes_at),
        "quorum": campaign.quorum,
        "threshold": percent_of(campaign.revoke_threshold_bp),
        "automatic_revocation": YES if campaign.automatic_revocation else NO,
        **{f"weight_{group.kind}": group.weight for group in groups},
    }
    form = CampaignEditForm(
        request.POST or None, initial=initial, kinds=[group.kind for group in groups]
    )
    if request.method == "POST" and form.is_valid():
        saved = _attempt(
            form,
            lambda: services.campaign_update(
                actor=user, campaign=campaign, weights=form.weights(), **form.rules()
            ),
        )
        if saved is not None:
            messages.success(request, _("已保存。"))
            return redirect("evaluation_campaign", pk=campaign.pk)
    context = {
        "form": form,
        "district": campaign.district,
        "campaign": campaign,
        "dimensions": list(campaign.dimensions.all()),
    }
    return render(request, "evaluation/campaign_form.html", context)


def _render_campaign(
    request: HttpRequest, campaign: Campaign, publish_form: PublishForm | None = None
) -> HttpResponse:
    user: User = request.user
    now = timezone.now()
    manager = user.has_perm("evaluation.manage", campaign)
    state = campaign.state
    regions = list(selectors.regions_managed_by(user=user, campaign=campaign))
    evaluator = selectors.evaluator_of(user=user, campaign=campaign)
    pending_revocations = (
        campaign.targets.filter(outcome=Outcome.TO_REVOKE).count()
        if state == CampaignState.CLOSED
        else 0
    )
    context = {
        "campaign": campaign,
        "groups": list(campaign.groups.all()),
        "dimensions": list(campaign.dimensions.all()),
        "regions": selectors.targets_by_region(campaign=campaign),
        "participation": selectors.campaign_participation(campaign=campaign),
        "manager": manager,
        "window_open": campaign.opens_at <= now < campaign.closes_at,
        "window_over": now >= campaign.closes_at,
        "evaluator": evaluator,
        "can_vote": evaluator is not None
        and state == CampaignState.OPEN
        and campaign.opens_at <= now < campaign.closes_at,
        "can_manage_evaluators": bool(regions),
        "can_see_paper": bool(regions) and state != CampaignState.DRAFT,
        "results_visible": selectors.results_visible(user=user, campaign=campaign),
        "pending_revocations": pending_revocations,
        "publish_form": (publish_form or PublishForm())
        if manager and state == CampaignState.CLOSED
        else None,
    }
    return render(request, "evaluation/campaign_detail.html", context)


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_campaign(request, _campaign_or_404(request, pk))


@login_required
@require_POST
def campaign_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user: User = request.user
    campaign = _campaign_or_404(request, pk)
    if action not in ACTIONS:
        raise Http404
    _require_manager(user, campaign)
    try:
        if action == "open":
            services.campaign_open(actor=user, campaign=campaign)
            messages.success(request, _("评议已开始，已通知相关街道、社区和评议人。"))
        elif action == "refresh":
            added = services.campaign_refresh_targets(actor=user, campaign=campaign)
            messages.success(request, _("已更新评议对象，新增 %(count)s 个。") % {"count": added})
        elif action == "close":
            services.campaign_close(actor=user, campaign=campaign)
            messages.success(request, _("投票已结束，计票完成。"))
            return redirect("evaluation_results", pk=campaign.pk)
        else:
            form = PublishForm(request.POST)
            if not form.is_valid():
                return _render_campaign(request, campaign, form)
            services.campaign_publish(
                actor=user, campaign=campaign, notice=form.cleaned_data["notice"]
            )
            messages.success(request, _("结果已通报，已通知相关单位和参与评议的评议人。"))
    except DomainError as error:
        _refused(request, error)
    return redirect("evaluation_campaign", pk=campaign.pk)


# Evaluators -------------------------------------------------------------------------------------


def _enrollable_users(campaign: Campaign, regions: list[Region]):
    """Active accounts with the evaluator role in the user's streets and communities, not yet
    enrolled in this campaign."""
    return (
        User.objects.filter(
            is_active=True,
            roles__role=Role.EVALUATOR,
            unit__region_id__in=[region.code for region in regions],
        )
        .exclude(pk__in=campaign.evaluators.filter(user__isnull=False).values("user_id"))
        .select_related("unit")
        .order_by("unit__region_id", "username")
    )


def _user_label(user: User) -> str:
    name = user.display_name or user.username
    unit = user.unit.name if user.unit else ""
    return f"{name}（{user.username}）· {unit}" if unit else f"{name}（{user.username}）"


@login_required
@require_http_methods(["GET", "POST"])
def evaluators(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    campaign = _campaign_or_404(request, pk)
    regions = _managed_regions(request, campaign)
    form = None
    if campaign.state in (CampaignState.DRAFT, CampaignState.OPEN):
        candidates = {str(u.pk): u for u in _enrollable_users(campaign, regions)}
        form = EnrolForm(
            request.POST if request.method == "POST" else None,
            users=[(pk_, _user_label(u)) for pk_, u in candidates.items()],
            groups=_group_choices(campaign),
        )
        if request.method == "POST" and form.is_valid():
            person = candidates[form.cleaned_data["user"]]
            enrolled = _attempt(
                form,
                lambda: services.evaluator_enrol(
                    actor=user,
                    campaign=campaign,
                    user=person,
                    group_kind=form.cleaned_data["group"],
                ),
            )
            if enrolled is not None:
                messages.success(
                    request, _("已登记 %(name)s 为评议人。") % {"name": _user_label(person)}
                )
                return redirect("evaluation_evaluators", pk=campaign.pk)
    elif request.method == "POST":
        messages.error(request, _("评议活动已结束，不能再登记评议人。"))
        return redirect("evaluation_evaluators", pk=campaign.pk)
    codes = [region.code for region in regions]
    wanted = request.GET.get("region", "")
    listed = selectors.evaluators_visible_to(user=user, campaign=campaign)
    if wanted in codes:
        listed = listed.filter(region_id=wanted)
    # Registered people first (newest account first), then the code-holders by serial.
    page = keyset_page(
        request,
        listed,
        ordering=("region_id", "-user_id", "serial", "id"),
        size=PAGE_SIZE,
        count=True,
    )
    summary = Evaluator.objects.filter(campaign=campaign, region_id__in=codes).aggregate(
        total=Count("id", distinct=True),
        registered=Count("id", filter=Q(user__isnull=False), distinct=True),
        codes=Count("id", filter=Q(code_hash__isnull=False), distinct=True),
        voted=Count("id", filter=Q(ballots__isnull=False), distinct=True),
    )
    context = {
        "campaign": campaign,
        "form": form,
        "regions": [(region.code, _region_label(region)) for region in regions],
        "region": wanted if wanted in codes else "",
        "page": page,
        "query": request.GET.copy(),
        "summary": summary,
    }
    return render(request, "evaluation/evaluators.html", context)


# Token sheets -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sheets(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    campaign = _campaign_or_404(request, pk)
    regions = _managed_regions(request, campaign)
    by_code = {region.code: region for region in regions}
    form = None
    if campaign.state in (CampaignState.DRAFT, CampaignState.OPEN):
        form = SheetForm(
            request.POST if request.method == "POST" else None,
            regions=[(region.code, _region_label(region)) for region in regions],
            groups=_group_choices(campaign),
            initial={"group": GroupKind.RESIDENTS},
        )
        if request.method == "POST" and form.is_valid():
            issued = _attempt(
                form,
                lambda: services.tokens_issue(
                    actor=user,
                    campaign=campaign,
                    region=by_code[form.cleaned_data["region"]],
                    group_kind=form.cleaned_data["group"],
                    count=form.cleaned_data["count"],
                    site_url=request.build_absolute_uri("/"),
                ),
            )
            if issued is not None:
                messages.success(
                    request,
                    _(
                        "已生成 %(count)s 个评议码。请下载评议码表打印，评议码只印在表上，系统不保存明文。"
                    )
                    % {"count": len(issued[1])},
                )
                return redirect("evaluation_sheets", pk=campaign.pk)
    elif request.method == "POST":
        messages.error(request, _("评议活动已结束，不能再印制评议码。"))
        return redirect("evaluation_sheets", pk=campaign.pk)
    listed = (
        selectors.sheets_visible_to(user=user, campaign=campaign)
        .defer("pdf")
        .annotate(used=Count("evaluators", filter=Q(evaluators__code_used_at__isnull=False)))
        .order_by("-issued_at", "-id")
    )
    context = {
        "campaign": campaign,
        "form": form,
        "sheets": listed,
    }
    return render(request, "evaluation/sheets.html", context)


@login_required
def sheet_pdf(request: HttpRequest, sheet_id: int) -> HttpResponse:
    """A token sheet's PDF, for whoever may enrol evaluators in its street or community; the
    codes are on it, so every download is audited."""
    user: User = request.user
    sheet = selectors.sheet_visible_to(user=user, pk=sheet_id)
    if sheet is None:
        raise Http404
    audit_record(
        actor=user,
        action="evaluation.sheet_download",
        target=sheet,
        changes={"campaign": sheet.campaign_id, "region": sheet.region_id, "count": sheet.count},
    )
    filename = _("评议码表-%(region)s-%(id)s.pdf") % {"region": sheet.region.name, "id": sheet.pk}
    return _download(bytes(sheet.pdf), filename, "application/pdf")


# Paper ballots ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def paper(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    campaign = _campaign_or_404(request, pk)
    regions = _managed_regions(request, campaign)
    entering = _paper_regions(user, regions)
    by_code = {region.code: region for region in entering}
    bad_rows: list[dict[str, Any]] = []
    form = None
    if entering and campaign.state == CampaignState.OPEN:
        form = PaperUploadForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            regions=[(region.code, _region_label(region)) for region in entering],
        )
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            batch = _attempt(
                form,
                lambda: services.paper_batch_upload(
                    actor=user,
                    campaign=campaign,
                    region=by_code[form.cleaned_data["region"]],
                    file_name=upload.name,
                    content=upload.read(),
                ),
            )
            if batch is not None:
                messages.success(
                    request,
                    _("已上传 %(count)s 张纸质票，须由录入人以外的工作人员确认后才计入。")
                    % {"count": len(batch.rows)},
                )
                return redirect("evaluation_paper_batch", batch_id=batch.pk)
            # Every bad row of the file, each with all its reasons.
            details = getattr(form.refusal, "details", None)
            bad_rows = (details.get("rows") if isinstance(details, dict) else None) or []
    elif request.method == "POST":
        if not entering:
            raise PermissionDenied
        messages.error(request, _("纸质票只能在投票期间录入。"))
        return redirect("evaluation_paper", pk=campaign.pk)
    batches = selectors.paper_batches_visible_to(user=user, campaign=campaign).order_by(
        "-uploaded_at", "-id"
    )
    context = {
        "campaign": campaign,
        "form": form,
        "bad_rows": bad_rows,
        "templates": [(region.code, _region_label(region)) for region in entering],
        "batches": batches,
        "can_enter": bool(entering),
    }
    return render(request, "evaluation/paper.html", context)


@login_required
def paper_template_download(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    campaign = _campaign_or_404(request, pk)
    regions = _paper_regions(user, _managed_regions(request, campaign))
    region = next((r for r in regions if r.code == request.GET.get("region")), None)
    if region is None:
        raise Http404
    content = paper_sheets.paper_template(campaign, region.code)
    return _download(content, _("纸质票模板-%(region)s.xlsx") % {"region": region.name}, XLSX)


@login_required
@require_http_methods(["GET", "POST"])
def paper_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    user: User = request.user
    batch = selectors.paper_batch_visible_to(user=user, pk=batch_id)
    if batch is None:
        raise Http404
    may_decide = batch.state == PaperBatchState.PENDING and user.has_perm(
        "evaluation.enter_paper", batch.region
    )
    if request.method == "POST":
        if not user.has_perm("evaluation.enter_paper", batch.region):
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "confirm":
                ballots = services.paper_batch_confirm(actor=user, batch=batch)
                messages.success(
                    request, _("已确认，%(count)s 张纸质票已计入。") % {"count": len(ballots)}
                )
            elif action == "discard":
                services.paper_batch_discard(actor=user, batch=batch)
                messages.success(request, _("这批纸质票已作废，未计入任何选票。"))
            else:
                raise Http404
        except DomainError as error:
            # The uploader confirming their own batch too: said on the page, not an error page.
            messages.error(request, str(error.message))
        return redirect("evaluation_paper_batch", batch_id=batch.pk)
    rows = selectors.paper_batch_rows(batch=batch)
    dimensions = list(batch.campaign.dimensions.all())
    for row in rows:
        row["dimension_ratings"] = [row["ratings"].get(d.position) for d in dimensions]
    context = {
        "batch": batch,
        "campaign": batch.campaign,
        "rows": rows,
        "dimensions": dimensions,
        "may_decide": may_decide,
        "is_uploader": batch.uploaded_by_id == user.pk,
    }
    return render(request, "evaluation/paper_batch.html", context)


# Results ----------------------------------------------------------------------------------------


def _results_or_404(request: HttpRequest, pk: int) -> Campaign:
    campaign = _campaign_or_404(request, pk)
    if not selectors.results_visible(user=request.user, campaign=campaign):
        raise Http404
    return campaign


def _result_filters(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    """The street or community and outcome asked for, and the choices the filter offers."""
    places = Region.objects.filter(code__in=campaign.targets.values("region_id")).select_related(
        "parent"
    )
    communities = sorted(places, key=lambda region: region.code)
    streets = {
        region.parent.code: region.parent
        for region in communities
        if region.level == RegionLevel.COMMUNITY and region.parent is not None
    }
    streets.update({r.code: r for r in communities if r.level == RegionLevel.STREET})
    choices = [
        (street.code, street.name, [(c.code, c.name) for c in communities if c.parent_id == code])
        for code, street in sorted(streets.items())
    ]
    known = {code for code, *_rest in choices} | {r.code for r in communities}
    region = request.GET.get("region", "")
    outcome = request.GET.get("outcome", "")
    return {
        "region": region if region in known else "",
        "outcome": outcome if outcome in Outcome.values else "",
        "street": region in streets,
        "region_choices": choices,
        "outcome_choices": Outcome.choices,
    }


def _filtered_results(campaign: Campaign, filters: dict[str, Any]):
    targets = selectors.campaign_results(campaign=campaign)
    if filters["region"]:
        code = filters["region"]
        targets = targets.filter(Q(region_id=code) | Q(region__parent_id=code))
    if filters["outcome"]:
        targets = targets.filter(outcome=filters["outcome"])
    return targets


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    campaign = _results_or_404(request, pk)
    filters = _result_filters(request, campaign)
    groups = list(campaign.groups.all())
    dimensions = list(campaign.dimensions.all())
    rows = result_exports.result_rows(
        campaign=campaign,
        targets=_filtered_results(campaign, filters),
        groups=groups,
        dimensions=dimensions,
    )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.target.outcome] = counts.get(row.target.outcome, 0) + 1
    context = {
        "campaign": campaign,
        "groups": groups,
        "dimensions": dimensions,
        "rows": rows,
        "counts": [(value, label, counts.get(value, 0)) for value, label in Outcome.choices],
        "filters": filters,
        "query": request.GET.urlencode(),
        "manager": user.has_perm("evaluation.manage", campaign),
        # The separator of a list in a sentence: 、 in Chinese, a comma in English.
        "weights_text": _("、").join(f"{g.get_kind_display()} {g.weight}" for g in groups),
    }
    return render(request, "evaluation/results.html", context)


@login_required
def results_export(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _results_or_404(request, pk)
    filters = _result_filters(request, campaign)
    content = result_exports.results_xlsx(
        campaign=campaign, targets=_filtered_results(campaign, filters)
    )
    return _download(content, f"{campaign.title}-评议结果.xlsx", XLSX)


@login_required
@require_POST
def target_confirm(request: HttpRequest, target_id: int) -> HttpResponse:
    user: User = request.user
    target = Target.objects.select_related("campaign", "region").filter(pk=target_id).first()
    if target is None or selectors.campaign_visible_to(user=user, pk=target.campaign_id) is None:
        raise Http404
    _require_manager(user, target.campaign)
    try:
        services.target_revocation_confirm(actor=user, target=target)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("已确认撤销：%(title)s（%(region)s）。")
            % {"title": target.title, "region": target.region.name},
        )
    return redirect("evaluation_results", pk=target.campaign_id)


# Settings ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    district = _office_district_or_403(user)
    rules = _settings_of(district)
    form = SettingsForm(
        request.POST or None,
        initial={
            "threshold": percent_of(rules.revoke_threshold_bp),
            "quorum": rules.quorum,
            "automatic_revocation": YES if rules.automatic_revocation else NO,
            "adjustment_below": rules.adjustment_below,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = _attempt(
            form,
            lambda: services.evaluation_settings_update(
                actor=user,
                district=district,
                revoke_threshold_bp=basis_points(data["threshold"]),
                quorum=data["quorum"],
                automatic_revocation=data["automatic_revocation"],
                adjustment_below=data["adjustment_below"],
            ),
        )
        if saved is not None:
            messages.success(request, _("评议设置已保存，此后新建的评议活动将采用。"))
            return redirect("evaluation_settings")
    return render(request, "evaluation/settings.html", {"form": form, "district": district})
