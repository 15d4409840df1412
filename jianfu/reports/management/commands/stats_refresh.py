import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_context
from jianfu.core.console import ProgressBar
from jianfu.org.models import Region, RegionLevel
from jianfu.reports.models import RegionFigures
from jianfu.reports.selectors import RegionStats
from jianfu.reports.services import districts_with_communities, stats_refresh


class Command(BaseCommand):
    help = (
        "Recompute the figures the dashboards, the API, the public portal and the annual notice "
        "show (`jianfu stats-refresh --year 2026 --district 511002000000`); by default every "
        "year with records and every district. The worker runs it every night."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            dest="years",
            help="a year to count (repeat for more; default: every year with records)",
        )
        parser.add_argument(
            "--district",
            action="append",
            dest="districts",
            help="a district's code, 12 digits (repeat for more; default: every district)",
        )

    def handle(self, *args, years: list[int] | None, districts: list[str] | None, **options):
        this_year = timezone.localdate().year
        for year in years or ():
            if year > this_year:
                raise CommandError(_("%(year)d 年尚未到来，无法统计。") % {"year": year})
        chosen = self._districts(districts) if districts else districts_with_communities()
        if not chosen:
            raise CommandError(_("没有可统计的区（尚无社区）。"))
        started = time.perf_counter()
        with audit_context(ip="", channel="cli"):
            run = stats_refresh(
                actor=None, years=years, districts=chosen, progress=ProgressBar(_("统计"))
            )
        self._report(run, chosen, time.perf_counter() - started)

    def _districts(self, codes: list[str]) -> list[Region]:
        wanted = [code.strip() for code in codes]
        found = Region.objects.in_bulk(wanted)
        for code in wanted:
            region = found.get(code)
            if region is None:
                raise CommandError(_("区划代码“%(code)s”不存在。") % {"code": code})
            if region.level != RegionLevel.DISTRICT:
                raise CommandError(
                    _("“%(name)s”（%(code)s）不是区（县）：请给出区的代码。")
                    % {"name": region.name, "code": code}
                )
        return [found[code] for code in dict.fromkeys(wanted)]

    def _report(self, run, districts: list[Region], seconds: float) -> None:
        if not run.years:
            self.stdout.write(_("没有可统计的年度。"))
            return
        latest = run.years[-1]
        rows = {
            row.region_id: row
            for row in RegionFigures.objects.filter(
                region__in=districts, year=latest
            ).select_related("region")
        }
        for district in districts:
            row = rows.get(district.code)
            if row is None:
                continue
            stats = RegionStats(row)
            reduction = stats.reductions.get("tasks")
            self.stdout.write(
                _(
                    "%(name)s（%(code)s）%(year)d 年：%(communities)d 个社区（%(baseline)d 个有基线），"
                    "工作事项 %(tasks)d 项%(reduction)s，收到任务 %(deliveries)d 件，"
                    "其中未经准入 %(unadmitted)d 件。"
                )
                % {
                    "name": district.name,
                    "code": district.code,
                    "year": latest,
                    "communities": row.communities,
                    "baseline": row.with_baseline,
                    "tasks": stats.figures.tasks,
                    "reduction": (
                        _("，较基线减少 %(percent).1f%%") % {"percent": reduction}
                        if reduction is not None
                        else ""
                    ),
                    "deliveries": row.deliveries,
                    "unadmitted": row.unadmitted_deliveries,
                }
            )
        self.stdout.write(
            _(
                "已统计 %(years)s 年度、%(districts)d 个区：区域统计 %(regions)d 行，"
                "部门统计 %(departments)d 行，用时 %(seconds).1f 秒。"
            )
            % {
                "years": "、".join(str(year) for year in run.years),
                "districts": len(districts),
                "regions": run.regions,
                "departments": run.departments,
                "seconds": seconds,
            }
        )
