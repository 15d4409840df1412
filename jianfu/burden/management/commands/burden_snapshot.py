import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jianfu.burden.services import burden_snapshot_take
from jianfu.core.audit import audit_context
from jianfu.core.errors import DomainError
from jianfu.org.models import Region


class Command(BaseCommand):
    help = (
        "Freeze the burden figures of every community of a district, street or community "
        "(`jianfu burden-snapshot --region 511002000000 --label 2026年减负前普查 --baseline`). "
        "The worker takes each district's snapshot on the 1st of every month."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="the region code (12 digits)")
        parser.add_argument("--label", required=True, help="the snapshot's name")
        parser.add_argument(
            "--baseline",
            action="store_true",
            help="make it each community's baseline (replacing the previous one)",
        )
        parser.add_argument("--date", help="the day to count, YYYY-MM-DD (default: today)")

    def handle(self, *args, region: str, label: str, baseline: bool, date: str | None, **options):
        found = Region.objects.filter(code=region.strip()).first()
        if found is None:
            raise CommandError(_("区划代码“%(code)s”不存在。") % {"code": region})
        try:
            day = dt.date.fromisoformat(date) if date else None
        except ValueError as error:
            raise CommandError(
                _("日期“%(value)s”无效，格式为 YYYY-MM-DD。") % {"value": date}
            ) from error
        try:
            with audit_context(ip="", channel="cli"):
                taken = burden_snapshot_take(
                    actor=None, region=found, label=label, baseline=baseline, on=day
                )
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            _("已为%(region)s的 %(count)d 个社区生成快照“%(label)s”%(baseline)s。")
            % {
                "region": found.name,
                "count": len(taken),
                "label": label.strip(),
                "baseline": _("（基线）") if baseline else "",
            }
        )
