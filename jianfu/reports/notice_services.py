"""The annual notice (通报): the district leadership-group office starts it, a background job
freezes the year's figures and makes the PDF and the workbook (jianfu.reports.notice_jobs).

Seed 000: the office 定期通报工作职责移交的落实情况和准入制度的落实检查情况. The notice
prints only the precomputed figures (jianfu.reports.selectors), the same ones the dashboards,
the API and the public portal show, frozen in `Notice.figures` when the notice is made.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_record
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.jobs import job_start
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.reports import selectors
from jianfu.reports.models import Notice
from jianfu.reports.notice_selectors import notice_running

JOB_KIND = "notice_generate"
NUMBER_MAX = Notice._meta.get_field("number").max_length
TITLE_MAX = Notice._meta.get_field("title").max_length
PREFACE_MAX = 2000
# A district's name without its level (市中区 → 市中), as 文号 abbreviate it.
LEVEL_SUFFIXES = ("自治县", "自治旗", "区", "县", "市", "旗")


def notice_may_start(*, user: User, district: Region) -> bool:
    """Whether the user is the district's leadership-group office (perm reports.notice)."""
    return district.level == RegionLevel.DISTRICT and user.has_perm("reports.notice", district)


def notice_issuer(district: Region) -> str:
    """The office that issues the notice: the district's leadership-group office."""
    name = (
        Unit.objects.filter(type=UnitType.GROUP_OFFICE, district_code=district.code)
        .order_by("pk")
        .values_list("name", flat=True)
        .first()
    )
    return name or f"{district.name}社区减负工作领导小组办公室"


def district_short_name(district: Region) -> str:
    name = district.name
    for suffix in LEVEL_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name.removesuffix(suffix)
    return name


def notice_defaults(*, district: Region, year: int | None) -> dict:
    """What the form offers: the next 文号 of this calendar year (市中减负办〔2026〕3号), the
    title and an opening paragraph for the year."""
    this_year = timezone.localdate().year
    issued = Notice.objects.filter(district=district, created_at__year=this_year).count()
    year = year or this_year
    return {
        "year": year,
        "number": f"{district_short_name(district)}减负办〔{this_year}〕{issued + 1}号",
        "title": f"关于{year}年度社区减负工作情况的通报",
        "preface": (
            f"为推动工作职责移交和社区工作事项准入制度落地见效，切实减轻社区负担，"
            f"区社区减负工作领导小组办公室对{year}年度全区社区减负工作情况进行了统计核查。"
            f"现将有关情况通报如下。"
        ),
    }


@transaction.atomic
def notice_start(
    *, actor: User, district: Region, year: int, number: str, title: str, preface: str
) -> Notice:
    """Record a notice for the district and year and queue the job that makes it."""
    if not notice_may_start(user=actor, district=district):
        raise Forbidden(_("只有本区社区减负工作领导小组办公室可以生成年度通报。"))
    number, title, preface = number.strip(), title.strip(), preface.strip()
    problems = {}
    if not title:
        problems["title"] = _("请填写通报标题。")
    elif len(title) > TITLE_MAX:
        problems["title"] = _("标题不能超过 %(n)d 个字。") % {"n": TITLE_MAX}
    if len(number) > NUMBER_MAX:
        problems["number"] = _("文号不能超过 %(n)d 个字。") % {"n": NUMBER_MAX}
    if len(preface) > PREFACE_MAX:
        problems["preface"] = _("导语不能超过 %(n)d 个字。") % {"n": PREFACE_MAX}
    if year not in selectors.stats_years() or not selectors.region_stats(
        region=district, year=year
    ):
        problems["year"] = _("%(year)s 年度尚无统计数据，不能生成通报。") % {"year": year}
    if problems:
        raise InvalidInput(" ".join(problems.values()), details=problems)
    if notice_running(district=district, year=year) is not None:
        raise Conflict(
            _("%(year)s 年度的通报正在生成，请等它完成后再试。") % {"year": year},
            code="notice_running",
        )
    notice = Notice.objects.create(
        district=district,
        year=year,
        number=number,
        title=title,
        preface=preface,
        created_by=actor,
    )
    notice.job = job_start(owner=actor, kind=JOB_KIND, options={"notice": notice.pk})
    notice.save(update_fields=["job"])
    audit_record(
        actor=actor,
        action="notice.start",
        target=notice,
        changes={"district": district.code, "year": year, "number": number, "title": title},
    )
    return notice


def notice_figures(*, district: Region, year: int) -> dict:
    """What the notice prints, gathered through the figures' selectors only: the district's
    figures, each street's, each department's, the years before, and when they were computed."""
    stats, streets = selectors.region_and_children_stats(region=district, year=year)
    if stats is None:
        raise InvalidInput(_("%(year)s 年度尚无统计数据，不能生成通报。") % {"year": year})
    as_of = selectors.as_of()
    history = [
        selectors.region_dict(one)
        for one in selectors.region_history(region=district)
        if one.row.year <= year
    ]
    return {
        "district": selectors.region_dict(stats),
        "streets": [selectors.region_dict(one) for one in streets],
        "departments": [
            selectors.department_dict(one)
            for one in selectors.department_stats(region=district, year=year)
        ],
        # Only what the trend chart needs of the years before: the work the communities carry.
        "history": [
            {
                "year": one["year"],
                "tasks": one["burden"].get("tasks", 0),
                "unadmitted": one["burden"].get("unadmitted", 0),
            }
            for one in history
        ],
        "as_of": (as_of or stats.row.computed_at).isoformat(),
        "issuer": notice_issuer(district),
    }
