"""The figures' pages: each region's dashboard with its drill-down, each department's
scorecard, and the same pages on the public portal (no login, figures only)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jianfu.core.db_router import reads_from_replica
from jianfu.core.jobs import job_start
from jianfu.org.models import Region, RegionLevel
from jianfu.org.roles import DISTRICT_ROLES
from jianfu.org.rules import active_unit
from jianfu.portal.http import public_page
from jianfu.reports import charts, selectors


def stats_or_public(view):
    """A dashboard needs a login; the same view under /public/ reads as the public (no user,
    even when someone is signed in): GET only, cacheable, figures only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, public: bool = False, **kwargs) -> HttpResponse:
        if public:
            return public_page(view)(request, *args, reader=None, public=True, **kwargs)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, reader=request.user, public=False, **kwargs)

    return wrapped


def _year(request: HttpRequest, years: list[int]) -> int | None:
    try:
        wanted = int(request.GET.get("year", ""))
    except ValueError:
        wanted = None
    return wanted if wanted in years else selectors.default_year(years)


def _base(public: bool) -> str:
    return "portal/base.html" if public else "base.html"


@login_required
def stats_home(request: HttpRequest) -> HttpResponse:
    """Where the user's figures start: their district, street or community."""
    region = selectors.stats_root_of(user=request.user)
    if region is None:
        return render(request, "reports/no_figures.html", status=403)
    return redirect("stats_region", code=region.code)


@reads_from_replica
@stats_or_public
def stats_region(request: HttpRequest, code: str, *, reader, public: bool) -> HttpResponse:
    """A region's dashboard for a year: the headline, the burden over time and before/after,
    its streets or communities (the drill-down) and the departments."""
    if public:
        region = selectors.public_region(code)
    else:
        region = selectors.region_visible_to(user=reader, code=code)
    if region is None:
        raise Http404
    years = selectors.stats_years()
    year = _year(request, years)
    stats, children = (
        selectors.region_and_children_stats(region=region, year=year) if year else (None, [])
    )
    history = selectors.region_history(region=region) if stats else []
    departments = selectors.department_stats(region=region, year=year) if stats else []
    region_url = "public_stats_region" if public else "stats_region"
    scorecards = _scorecard_links(reader, departments, public)
    query = f"?year={year}" if year else ""
    department_query = f"?year={year}&region={region.code}" if year else ""
    child_links = [reverse(region_url, args=[c.region.code]) + query for c in children]
    links = [
        scorecards[row.department.pk] + department_query if row.department.pk in scorecards else ""
        for row in departments
    ]
    context = {
        "public": public,
        "base_template": _base(public),
        "region": region,
        "year": year,
        "years": years,
        "as_of": selectors.as_of(),
        "stats": stats,
        "path": selectors.region_path(region),
        "children": list(zip(children, child_links, strict=True)),
        "departments": list(zip(departments, links, strict=True)),
        "region_url": region_url,
        "child_level": charts.child_level_label(region),
        "can_refresh": (
            not public
            and region.level == RegionLevel.DISTRICT
            and reader.has_perm("reports.notice", region)
        ),
    }
    if stats is not None:
        context.update(
            comparisons=charts.comparison_rows(stats),
            history_chart=charts.history_chart(history),
            history_rows=charts.history_rows(history),
            compare_chart=charts.compare_chart(stats),
            children_chart=charts.children_chart(children, child_links),
            departments_charts=charts.departments_charts(departments, links),
        )
    return render(request, "reports/region.html", context)


def _scorecard_links(reader, departments, public: bool) -> dict[int, str]:
    """The scorecards the reader may open from the table: all of them on the portal and for a
    district office, a department's own only, none for a street or community."""
    if public:
        return {
            r.department.pk: reverse("public_scorecard_department", args=[r.department.pk])
            for r in departments
        }
    unit = active_unit(reader)
    if unit is not None and reader.has_role(*DISTRICT_ROLES) and unit.district_code:
        return {
            r.department.pk: reverse("stats_department", args=[r.department.pk])
            for r in departments
        }
    own = selectors.department_of(user=reader)
    if own is None:
        return {}
    return {own.pk: reverse("stats_department", args=[own.pk])}


@reads_from_replica
@stats_or_public
def stats_department(request: HttpRequest, unit_id: int, *, reader, public: bool) -> HttpResponse:
    """A department's scorecard: its year over the region (its district, or the reader's) and
    its record over the years."""
    department = selectors.department_visible_to(user=reader, unit_id=unit_id)
    if department is None:
        raise Http404
    region = selectors.scorecard_region_for(
        user=reader, department=department, wanted=request.GET.get("region", "")
    )
    if region is None:
        raise Http404
    years = selectors.stats_years()
    year = _year(request, years)
    rows = (
        selectors.department_stats(region=region, year=year, department=department) if year else []
    )
    history = selectors.department_history(department=department, within=region)
    context = {
        "public": public,
        "base_template": _base(public),
        "department": department,
        "region": region,
        "year": year,
        "years": years,
        "as_of": selectors.as_of(),
        "row": rows[0] if rows else None,
        "history": list(reversed(history)),
        "history_chart": charts.department_history_chart(history),
        "rates_chart": charts.department_rates_chart(history),
        "region_url": reverse(
            "public_stats_region" if public else "stats_region", args=[region.code]
        ),
        "back_url": reverse("public_scorecard") if public else "",
    }
    if context["row"] is not None:
        context["applications_chart"] = charts.applications_chart(context["row"])
        context["application_rows"] = charts.application_rows(context["row"])
    return render(request, "reports/department.html", context)


@public_page
def public_stats_index(request: HttpRequest) -> HttpResponse:
    """The portal's list of the regions counted: provinces, cities and districts."""
    regions = list(selectors.public_regions())
    context = {
        "base_template": _base(True),
        "public": True,
        "regions": regions,
        "as_of": selectors.as_of(),
    }
    return render(request, "reports/public_index.html", context)


@public_page
def public_scorecard(request: HttpRequest) -> HttpResponse:
    """Every department's record in a district for a year, for everyone: admissions, tasks sent
    without admission, refusals, funding delivered, residents' satisfaction."""
    years = selectors.stats_years()
    year = _year(request, years)
    districts = [r for r in selectors.public_regions() if r.level == RegionLevel.DISTRICT]
    wanted = request.GET.get("district", "")
    district = next((d for d in districts if d.code == wanted), None)
    if district is None and year is not None:
        district = selectors.busiest_district(year=year)
    rows = selectors.department_stats(region=district, year=year) if district and year else []
    query = f"?year={year}&region={district.code}" if district and year else ""
    links = [reverse("public_scorecard_department", args=[r.department.pk]) + query for r in rows]
    context = {
        "base_template": _base(True),
        "public": True,
        "year": year,
        "years": years,
        "district": district,
        "districts": districts,
        "as_of": selectors.as_of(),
        "departments": list(zip(rows, links, strict=True)),
        "departments_charts": charts.departments_charts(rows, links),
    }
    return render(request, "reports/public_scorecard.html", context)


@require_POST
@login_required
def stats_refresh_start(request: HttpRequest, code: str) -> HttpResponse:
    """重新统计: the group office recounts its district's figures now, in the background."""
    district = Region.objects.filter(code=code, level=RegionLevel.DISTRICT).first()
    if district is None or not request.user.has_perm("reports.notice", district):
        raise Http404
    job = job_start(
        owner=request.user,
        kind="stats_refresh",
        options={"district": district.code},
        payload_name=_("重新统计：%(name)s") % {"name": district.name},
    )
    return redirect("job_detail", job_id=job.pk)
