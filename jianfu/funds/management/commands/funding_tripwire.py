import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_context
from jianfu.funds.tripwire import funding_tripwire


class Command(BaseCommand):
    help = (
        "费随事转's tripwire: suspend admissions for the communities their money has not reached "
        "in time, and resume those whose money has arrived. The worker runs it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to judge, YYYY-MM-DD (default: today)")

    def handle(self, *args, date: str | None, **options):
        try:
            day = dt.date.fromisoformat(date) if date else None
        except ValueError as error:
            raise CommandError(
                _("日期“%(value)s”无效，格式为 YYYY-MM-DD。") % {"value": date}
            ) from error
        with audit_context(ip="", channel="cli"):
            result = funding_tripwire(day=day)
        self.stdout.write(
            _("经费到位检查：%(suspended)d 项准入对社区暂停，%(resumed)d 项恢复。")
            % {"suspended": len(result.suspended), "resumed": len(result.resumed)}
        )
