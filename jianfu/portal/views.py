"""The public portal: its front page, the evaluation results, the daily dump and the language
links. No login; every page is read-only and cacheable (jianfu.portal.http.public_page)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from jianfu.evaluation.models import Outcome
from jianfu.evaluation.result_exports import percent_text
from jianfu.evaluation.selectors import campaign_results
from jianfu.org.models import RegionLevel
from jianfu.portal import dump, selectors
from jianfu.portal.http import DUMP_MAX_AGE, public_page
from jianfu.reports import selectors as figures

# The portal's language links stay on the portal: anything else goes to its front page.
PORTAL_PREFIXES = ("/public/", "/verify/")


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _headline(stats: figures.RegionStats) -> dict:
    """What the front page says about a district: tasks before → after, unadmitted work,
    money delivered, residents' satisfaction."""
    tasks = next(c for c in stats.comparisons if c.name == "tasks")
    row = stats.row
    return {
        "region": stats.region,
        "year": row.year,
        "communities": row.communities,
        "with_baseline": row.with_baseline,
        "tasks_before": tasks.baseline,
        "tasks_after": tasks.current,
        "tasks_reduction": tasks.reduction,
        "deliveries": row.deliveries,
        "unadmitted_deliveries": row.unadmitted_deliveries,
        "funds_delivery_percent": _percent(stats.funds_delivery_rate),
        "satisfaction_percent": _percent(row.satisfaction),
        "targets": row.targets,
        "targets_revoked": row.targets_revoked,
    }


@public_page
def index(request: HttpRequest) -> HttpResponse:
    context = {
        "districts": [_headline(stats) for stats in figures.latest_public_district_stats()],
        "as_of": figures.as_of(),
        "campaigns": selectors.published_campaigns()[:5],
    }
    return render(request, "portal/index.html", context)


@public_page
def evaluation_index(request: HttpRequest) -> HttpResponse:
    campaigns = list(selectors.published_campaigns())
    # By district, each district's campaigns latest year first.
    by_district: dict[str, dict] = {}
    for campaign in sorted(campaigns, key=lambda c: (c.district_id, -c.year)):
        entry = by_district.setdefault(
            campaign.district_id, {"district": campaign.district, "campaigns": []}
        )
        entry["campaigns"].append(campaign)
    return render(
        request, "portal/evaluation_index.html", {"districts": list(by_district.values())}
    )


def _place(target) -> tuple[str, str]:
    region = target.region
    if region.parent_id and region.level == RegionLevel.COMMUNITY:
        return region.parent.name, region.name
    return region.name, ""


@public_page
def evaluation_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.published_campaign(campaign_id)
    if campaign is None:
        raise Http404
    rows = []
    counts = dict.fromkeys(Outcome.values, 0)
    for target in campaign_results(campaign=campaign):
        street, community = _place(target)
        counts[target.outcome] += 1
        rows.append(
            {
                "target": target,
                "street": street,
                "community": community,
                "rate_text": percent_text(target.rate, campaign.revoke_threshold_bp),
                "interval_text": (
                    f"{percent_text(target.rate_low)} – {percent_text(target.rate_high)}"
                    if target.rate is not None and target.rate_low is not None
                    else ""
                ),
            }
        )
    chart = {
        "categories": [
            f"{row['target'].title} · {row['community'] or row['street']}" for row in rows
        ],
        "outcomes": [row["target"].outcome for row in rows],
        "rates": [
            None if row["target"].rate is None else round(row["target"].rate * 100, 1)
            for row in rows
        ],
        "threshold": campaign.threshold_percent,
        "labels": {"rate": _("满意率（%）"), "threshold": _("撤销线")},
    }
    context = {
        "campaign": campaign,
        "rows": rows,
        "counts": [(value, label, counts[value]) for value, label in Outcome.choices],
        "chart": chart,
    }
    return render(request, "portal/evaluation_detail.html", context)


@public_page
def dump_page(request: HttpRequest) -> HttpResponse:
    context = {
        "as_of": figures.as_of(),
        "years": figures.stats_years(),
        "figure_fields": dump.FIGURE_FIELDS,
    }
    return render(request, "portal/dump.html", context)


def _dump_response(
    request: HttpRequest, content: bytes, content_type: str, fingerprint: str | None = None
) -> HttpResponse:
    # The ETag is the content's hash: it changes when the figures are refreshed (as_of) and
    # when a list is published or an admission changes between refreshes, so a cache that
    # revalidates never keeps a stale dump. Last-Modified says when the figures were computed.
    fingerprint = fingerprint or hashlib.sha256(content).hexdigest()
    etag = f'"{fingerprint[:32]}"'
    as_of = figures.as_of()
    last_modified = int(as_of.timestamp()) if as_of is not None else None
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    response = HttpResponse(content, content_type=content_type)
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    return response


@public_page(max_age=DUMP_MAX_AGE)
def dump_latest_json(request: HttpRequest) -> HttpResponse:
    content, fingerprint = dump.dump_json(as_of=figures.as_of())
    response = _dump_response(request, content, "application/json; charset=utf-8", fingerprint)
    response["Content-Disposition"] = 'inline; filename="jianfu-latest.json"'
    return response


@public_page(max_age=DUMP_MAX_AGE)
def dump_latest_csv(request: HttpRequest) -> HttpResponse:
    response = _dump_response(request, dump.dump_csv(), "text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="jianfu-latest.csv"'
    return response


@never_cache
@require_safe
def language(request: HttpRequest, code: str) -> HttpResponse:
    """Switch the interface language with a plain link (no form, so no CSRF token on cached
    pages): remember the choice in the language cookie and go back to the page."""
    target = request.GET.get("next", "")
    if not (
        url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and target.startswith(PORTAL_PREFIXES)
    ):
        target = reverse("portal_index")
    response = HttpResponseRedirect(target)
    if check_for_language(code) and code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
