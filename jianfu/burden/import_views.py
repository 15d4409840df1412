"""The survey import pages: upload a workbook, watch its preview being checked, confirm it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jianfu.burden.imports import (
    BASELINE_SHEET,
    JOB_KIND,
    KIND_SHEETS,
    MAX_BYTES,
    survey_import_allowed,
    survey_import_confirm,
    survey_import_start,
    survey_template,
)
from jianfu.burden.models import EntryKind
from jianfu.core.errors import DomainError
from jianfu.core.http import content_disposition
from jianfu.core.models import BackgroundJob
from jianfu.core.views import form_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_JOBS = 10


class SurveyUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("调查表（XLSX）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("文件不能超过 %(mb)d MB。") % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        return upload


def _importer(request: HttpRequest) -> None:
    if not survey_import_allowed(request.user):
        raise PermissionDenied


def _own_job(request: HttpRequest, job_id) -> BackgroundJob:
    return get_object_or_404(BackgroundJob, pk=job_id, owner=request.user, kind=JOB_KIND)


def _kinds() -> list[tuple[str, str, str]]:
    """(kind, sheet name, label) of each inventory, in the order the pages show them."""
    return [(kind.value, KIND_SHEETS[kind], kind.label) for kind in EntryKind]


@login_required
@require_http_methods(["GET", "POST"])
def import_index(request: HttpRequest) -> HttpResponse:
    _importer(request)
    form = SurveyUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = survey_import_start(actor=request.user, data=upload.read(), filename=upload.name)
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect("burden_import_job", job_id=job.pk)
    recent = BackgroundJob.objects.filter(owner=request.user, kind=JOB_KIND).defer("payload")
    context = {
        "form": form,
        "kinds": _kinds(),
        "baseline_sheet": BASELINE_SHEET,
        "may_baseline": survey_import_allowed(request.user, "burden.manage"),
        "recent": recent[:RECENT_JOBS],
    }
    return render(request, "burden/import.html", context)


@login_required
@require_GET
def import_job(request: HttpRequest, job_id) -> HttpResponse:
    job = _own_job(request, job_id)
    template = "burden/import_job.html#progress" if request.htmx else "burden/import_job.html"
    return render(request, template, {"job": job, "kinds": _kinds()})


@login_required
@require_POST
def import_confirm(request: HttpRequest, job_id) -> HttpResponse:
    _importer(request)
    try:
        job = survey_import_confirm(actor=request.user, preview=_own_job(request, job_id))
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("burden_import_job", job_id=job_id)
    return redirect("burden_import_job", job_id=job.pk)


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    _importer(request)
    response = HttpResponse(survey_template(user=request.user), content_type=XLSX)
    response["Content-Disposition"] = content_disposition(
        _("社区负担调查导入模板.xlsx"), fallback="burden-survey-template.xlsx"
    )
    return response
