"""The annual notice's pages: the district's notices with the form to start one, a notice's
progress and documents, and the documents themselves."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from jianfu.core.errors import DomainError
from jianfu.core.http import content_disposition
from jianfu.reports import selectors
from jianfu.reports.notice_documents import notice_context
from jianfu.reports.notice_selectors import notice_district_of, notice_visible_to, notices_of
from jianfu.reports.notice_services import (
    NUMBER_MAX,
    PREFACE_MAX,
    TITLE_MAX,
    notice_defaults,
    notice_may_start,
    notice_start,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTED = 50


class NoticeForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int)
    number = forms.CharField(label=gettext_lazy("文号"), max_length=NUMBER_MAX, required=False)
    title = forms.CharField(label=gettext_lazy("标题"), max_length=TITLE_MAX)
    preface = forms.CharField(
        label=gettext_lazy("导语"),
        max_length=PREFACE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("通报的开头一段；各项数据由系统按统计结果自动生成。"),
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]


def _district(request: HttpRequest):
    district = notice_district_of(user=request.user)
    if district is None:
        raise PermissionDenied
    return district


@login_required
@require_http_methods(["GET", "POST"])
def notice_index(request: HttpRequest) -> HttpResponse:
    district = _district(request)
    may_start = notice_may_start(user=request.user, district=district)
    years = selectors.stats_years()
    form = None
    if may_start:
        asked = request.GET.get("year", "")
        year = int(asked) if asked.isdigit() and int(asked) in years else None
        initial = notice_defaults(district=district, year=year or selectors.default_year(years))
        form = NoticeForm(request.POST or None, initial=initial, years=years)
        if request.method == "POST" and form.is_valid():
            try:
                notice = notice_start(actor=request.user, district=district, **form.cleaned_data)
            except DomainError as error:
                details = error.details if isinstance(error.details, dict) else {}
                for field, problem in details.items():
                    form.add_error(field if field in form.fields else None, problem)
                if not details:
                    form.add_error(None, str(error.message))
            else:
                return redirect("notice_detail", notice_id=notice.pk)
    elif request.method == "POST":
        raise PermissionDenied
    context = {
        "district": district,
        "form": form,
        "notices": notices_of(district=district)[:LISTED],
        "as_of": selectors.as_of(),
    }
    return render(request, "reports/notice_index.html", context)


@login_required
@require_GET
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = notice_visible_to(user=request.user, notice_id=notice_id)
    if notice is None:
        raise Http404
    # Only the job that wrote the documents sets finished_at; reading `ready` would load them.
    ready = notice.finished_at is not None
    context = {"notice": notice, "job": notice.job, "ready": ready}
    if ready:
        context["preview"] = notice_context(notice)
    template = (
        "reports/notice_detail.html#progress" if request.htmx else "reports/notice_detail.html"
    )
    return render(request, template, context)


@login_required
@require_GET
def notice_download(request: HttpRequest, notice_id: int, fmt: str) -> HttpResponse:
    notice = notice_visible_to(user=request.user, notice_id=notice_id, documents=True)
    if notice is None or not notice.ready or fmt not in ("pdf", "xlsx"):
        raise Http404
    return notice_file_response(notice, fmt)


def notice_file_response(notice, fmt: str) -> HttpResponse:
    """The notice's PDF (inline) or workbook (attachment), kept out of shared caches."""
    content, content_type = (
        (bytes(notice.pdf), "application/pdf") if fmt == "pdf" else (bytes(notice.xlsx), XLSX)
    )
    response = HttpResponse(content, content_type=content_type)
    filename = _("%(district)s%(year)s年度社区减负工作通报.%(ext)s") % {
        "district": notice.district.name,
        "year": notice.year,
        "ext": fmt,
    }
    response["Content-Disposition"] = content_disposition(
        filename,
        inline=fmt == "pdf",
        fallback=f"notice-{notice.district_id}-{notice.year}-{notice.pk}.{fmt}",
    )
    response["Cache-Control"] = "private, no-store"
    return response
