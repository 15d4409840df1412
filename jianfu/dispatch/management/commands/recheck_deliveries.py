from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jianfu.dispatch.services import deliveries_recheck_expired


class Command(BaseCommand):
    help = (
        "Re-check the open deliveries of admissions whose term has ended, so their recipients "
        "may refuse them; schedule it daily, just after midnight."
    )

    def handle(self, *args, **options):
        admissions, changed = deliveries_recheck_expired()
        self.stdout.write(
            _("已重新核对 %(admissions)d 项到期准入，%(changed)d 份任务变为未准入。")
            % {"admissions": admissions, "changed": changed}
        )
