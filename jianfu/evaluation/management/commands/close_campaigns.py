from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_context
from jianfu.evaluation.services import campaigns_close_due


class Command(BaseCommand):
    help = (
        "一年一评议: close every campaign whose voting window has ended, tally it and apply the "
        "outcomes. The worker does this within a minute of the window's end."
    )

    def handle(self, *args, **options):
        with audit_context(ip="", channel="cli"):
            closed = campaigns_close_due()
        self.stdout.write(_("已结束并计票的评议活动：%(count)d 个。") % {"count": closed})
