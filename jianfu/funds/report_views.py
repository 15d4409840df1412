"""The funding report (经费到位): committed, transferred and spent money with the delivery rate,
by admission, department, street, community or year; one admission's communities; and the XLSX
exports of the report and of the whole ledger. Reads go through funds.selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jianfu.core.money import format_wan
from jianfu.funds import report_exports, selectors
from jianfu.funds.downloads import xlsx_response
from jianfu.funds.selectors import (
    LEDGER_EXPORT_ROLES,
    REPORT_GROUPINGS,
    REPORT_ROLES,
    ReportRow,
)
from jianfu.org.models import User
from jianfu.org.roles import DISTRICT_ROLES, Role

ALL_YEARS = "all"
DEFAULT_GROUPING = "admission"
GROUPING_LABELS = {
    "admission": gettext_lazy("按准入事项"),
    "department": gettext_lazy("按部门"),
    "street": gettext_lazy("按街道"),
    "community": gettext_lazy("按社区"),
    "year": gettext_lazy("按年度"),
}
YEARS_BACK = 4


def _reader(request: HttpRequest, roles: tuple[str, ...]) -> User:
    user: User = request.user
    if not user.has_role(*roles):
        raise PermissionDenied
    return user


def _parameters(request: HttpRequest) -> tuple[int | None, str, list[str]]:
    """The year (None: every year) and grouping asked for, and what was wrong with them."""
    problems = []
    this_year = timezone.localdate().year
    raw_year = request.GET.get("year", "").strip()
    year: int | None = this_year
    if raw_year == ALL_YEARS:
        year = None
    elif raw_year.isdigit() and 2000 <= int(raw_year) <= 2100:
        year = int(raw_year)
    elif raw_year:
        problems.append(
            _("年度“%(value)s”无效，已显示 %(year)d 年。") % {"value": raw_year, "year": this_year}
        )
    by = request.GET.get("by", "").strip() or DEFAULT_GROUPING
    if by not in REPORT_GROUPINGS:
        problems.append(_("没有“%(value)s”这种分组方式，已按准入事项显示。") % {"value": by})
        by = DEFAULT_GROUPING
    return year, by, problems


def _years(chosen: int | None) -> list[int]:
    """Next year (admissions run across the new year), this year and the ones before it."""
    this_year = timezone.localdate().year
    years = list(range(this_year + 1, this_year - YEARS_BACK - 1, -1))
    if chosen is not None and chosen not in years:
        years.append(chosen)
    return sorted(years, reverse=True)


def _area(user: User) -> str:
    """Whose money the report covers, for its title: the district, a department, a street …"""
    unit = user.unit
    if unit is None:
        return ""
    if user.has_role(Role.DEPT_CLERK, Role.DEPT_HEAD) and not user.has_role(*DISTRICT_ROLES):
        return unit.name
    return unit.region.name if unit.region_id else unit.name


def _table(rows: list[ReportRow], year: int | None) -> dict[str, Any]:
    """What the report's table and its summary show: the rows, their total, the summary's
    figures in 万元, and the year picker."""
    total = selectors.funding_report_total(rows)
    return {
        "rows": rows,
        "total": total,
        "summary": {
            "committed": format_wan(total.committed),
            "transferred": format_wan(total.transferred),
            "spent": format_wan(total.spent),
        },
        "year": year,
        "year_param": year if year is not None else ALL_YEARS,
        "years": _years(year),
    }


@login_required
def funding_report(request: HttpRequest) -> HttpResponse:
    user = _reader(request, REPORT_ROLES)
    year, by, problems = _parameters(request)
    for problem in problems:
        messages.warning(request, problem)
    rows = selectors.funding_report(user=user, year=year, by=by)
    context = {
        **_table(rows, year),
        "by": by,
        "groupings": list(GROUPING_LABELS.items()),
        "area": _area(user),
        "can_export_ledger": user.has_role(*LEDGER_EXPORT_ROLES),
    }
    return render(request, "funds/report.html", context)


@login_required
def funding_report_admission(request: HttpRequest, admission_id: int) -> HttpResponse:
    user = _reader(request, REPORT_ROLES)
    admission = selectors.funding_admission_visible_to(user=user, admission_id=admission_id)
    if admission is None:
        raise Http404
    year, _by, problems = _parameters(request)
    for problem in problems:
        messages.warning(request, problem)
    rows = selectors.funding_report(user=user, year=year, by="community", admission_id=admission.pk)
    context = {
        **_table(rows, year),
        "admission": admission,
    }
    return render(request, "funds/report_admission.html", context)


def _bad_request(problems: list[str]) -> HttpResponse:
    return HttpResponseBadRequest("\n".join(problems), content_type="text/plain; charset=utf-8")


@login_required
def funding_report_export(request: HttpRequest) -> HttpResponse:
    user = _reader(request, REPORT_ROLES)
    year, by, problems = _parameters(request)
    if problems:
        return _bad_request(problems)
    rows = selectors.funding_report(user=user, year=year, by=by)
    title = report_exports.report_title(area=_area(user), year=year, by=by)
    content = report_exports.report_xlsx(
        title=title, by=by, rows=rows, total=selectors.funding_report_total(rows)
    )
    return xlsx_response(content, f"{title}.xlsx")


@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    user = _reader(request, LEDGER_EXPORT_ROLES)
    year, _by, problems = _parameters(request)
    if problems:
        return _bad_request(problems)
    period = f"{year} 年" if year is not None else "历年"
    # Not translated: the workbook is a Chinese document whatever the reader's language.
    title = f"{_area(user)}{period}经费账簿"
    content = report_exports.ledger_xlsx(user=user, year=year, title=title)
    return xlsx_response(content, f"{title}.xlsx")
