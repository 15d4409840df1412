"""The annual notice over the API: fetch a district's notice for a year, or start making it.

`GET /reports/notice?region=&year=` gives the finished notice (200) with its documents' URLs;
while one is being made, its progress (202); with neither, the district's leadership-group
office starts one (202) and polls the same URL. A district outside the caller's jurisdiction
does not exist for them (404); one inside it that their role may not start a notice for is 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from jianfu.core.errors import Forbidden, InvalidInput, NotFound
from jianfu.core.models import JobStatus
from jianfu.org.models import Region, RegionLevel, User
from jianfu.reports.models import Notice
from jianfu.reports.notice_selectors import notice_district_of, notice_latest, notice_visible_to
from jianfu.reports.notice_services import notice_defaults, notice_start
from jianfu.reports.notice_views import notice_file_response

router = Router(tags=["reports"])


class NoticeFilter(Schema):
    region: str = Field(description="区县的区划代码 · the district's code")
    year: int = Field(description="年度 · the year the notice is about")


class RegionBrief(Schema):
    code: str
    name: str


class JobOut(Schema):
    status: JobStatus = Field(description="queued 排队 · running 进行中 · succeeded · failed")
    done: int = Field(description="已完成步骤 · steps done")
    total: int = Field(description="步骤总数 · steps in all (0 before it starts)")
    percent: int


class NoticeOut(Schema):
    id: int
    district: RegionBrief
    year: int
    number: str = Field(description="文号")
    title: str
    status: Literal["ready", "queued", "running", "failed"] = Field(
        description="ready 已生成 · queued/running 生成中 · failed 生成失败"
    )
    created_at: dt.datetime
    finished_at: dt.datetime | None
    job: JobOut | None
    pdf_url: str | None = Field(description="通报 PDF（已生成时）· when ready")
    xlsx_url: str | None = Field(description="数据表 XLSX（已生成时）· when ready")
    pdf_sha256: str
    url: str = Field(description="通报页面 · the notice's page")


def _user(request: HttpRequest) -> User:
    return request.auth


def _status(notice: Notice) -> str:
    if notice.finished_at is not None:
        return "ready"
    if notice.job is None or notice.job.status == JobStatus.FAILED:
        return "failed"
    return "running" if notice.job.status == JobStatus.RUNNING else "queued"


def _out(notice: Notice) -> dict:
    ready = notice.finished_at is not None
    job = notice.job
    return {
        "id": notice.pk,
        "district": {"code": notice.district_id, "name": notice.district.name},
        "year": notice.year,
        "number": notice.number,
        "title": notice.title,
        "status": _status(notice),
        "created_at": notice.created_at,
        "finished_at": notice.finished_at,
        "job": (
            {"status": job.status, "done": job.done, "total": job.total, "percent": job.percent}
            if job is not None
            else None
        ),
        "pdf_url": reverse("api:notice_pdf", kwargs={"notice_id": notice.pk}) if ready else None,
        "xlsx_url": reverse("api:notice_xlsx", kwargs={"notice_id": notice.pk}) if ready else None,
        "pdf_sha256": notice.pdf_sha256,
        "url": reverse("notice_detail", kwargs={"notice_id": notice.pk}),
    }


def _district(request: HttpRequest, code: str) -> Region:
    """The district asked for: 404 unless the caller may read its figures, 422 for a code of
    another level, 403 unless the caller is one of the district's offices."""
    user = _user(request)
    region = Region.objects.filter(code=code.strip()).first()
    if region is None or not user.has_perm("reports.read_region", region):
        raise NotFound()
    if region.level != RegionLevel.DISTRICT:
        raise InvalidInput(_("通报按区县生成，请填写区县的区划代码。"), code="not_a_district")
    own = notice_district_of(user=user)
    if own is None or own.code != region.code:
        raise Forbidden(_("年度通报只供本区的区级办公室查看。"))
    return region


@router.get(
    "/reports/notice",
    response={200: NoticeOut, 202: NoticeOut},
    url_name="notice_fetch",
    summary="年度通报 · A district's notice for a year: fetched if made, else started (202)",
)
def notice_fetch(request: HttpRequest, filters: Query[NoticeFilter]):
    district = _district(request, filters.region)
    notice = notice_latest(district=district, year=filters.year)
    if notice is None:
        defaults = notice_defaults(district=district, year=filters.year)
        notice = notice_start(
            actor=_user(request),
            district=district,
            year=filters.year,
            number=defaults["number"],
            title=defaults["title"],
            preface=defaults["preface"],
        )
        # A worker (or, in tests, the immediate backend) may already have made it.
        notice = (
            Notice.objects.select_related("district", "job").defer("pdf", "xlsx").get(pk=notice.pk)
        )
    return Status(200 if notice.finished_at else 202, _out(notice))


@router.get(
    "/reports/notices/{notice_id}",
    response=NoticeOut,
    url_name="notice_detail",
    summary="年度通报进度 · One notice and its progress",
)
def notice_detail(request: HttpRequest, notice_id: int) -> dict:
    notice = notice_visible_to(user=_user(request), notice_id=notice_id)
    if notice is None:
        raise NotFound()
    return _out(notice)


def _document(request: HttpRequest, notice_id: int, fmt: str) -> HttpResponse:
    notice = notice_visible_to(user=_user(request), notice_id=notice_id, documents=True)
    if notice is None:
        raise NotFound()
    if not notice.ready:
        raise NotFound(_("通报尚未生成完成，请稍后再试。"), code="notice_not_ready")
    return notice_file_response(notice, fmt)


@router.get(
    "/reports/notices/{notice_id}/pdf",
    url_name="notice_pdf",
    summary="下载通报 PDF · The notice as an official document",
    openapi_extra={"responses": {200: {"description": "application/pdf"}}},
)
def notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    return _document(request, notice_id, "pdf")


@router.get(
    "/reports/notices/{notice_id}/xlsx",
    url_name="notice_xlsx",
    summary="下载通报数据表 · The notice's figures as a workbook",
    openapi_extra={
        "responses": {
            200: {
                "description": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    },
)
def notice_xlsx(request: HttpRequest, notice_id: int) -> HttpResponse:
    return _document(request, notice_id, "xlsx")
