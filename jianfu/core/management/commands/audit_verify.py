import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_chain_verify
from jianfu.core.console import ProgressBar
from jianfu.core.models import AuditRecord


class Command(BaseCommand):
    help = "Verify the SM3 hash chain of the audit trail; exits 1 at the first broken link."

    def handle(self, *args, **options):
        total = AuditRecord.objects.count()
        bar = ProgressBar("audit")

        def progress(checked: int) -> None:
            if checked % 1000 == 0 or checked == total:
                bar(checked, total)

        verdict = audit_chain_verify(progress=progress)
        if verdict.ok:
            self.stdout.write(_("审计链完整：已校验 %(n)d 条记录。") % {"n": verdict.checked})
            return
        reasons = {
            "link": _("与上一条记录的链接断开（之前的记录被删除或修改）"),
            "content": _("记录内容被修改"),
            "tail": _("链尾记录被删除"),
        }
        self.stderr.write(
            _("审计链已断裂：第 %(id)s 号记录处，%(reason)s。此前 %(n)d 条完好。")
            % {"id": verdict.broken_at, "reason": reasons[verdict.reason], "n": verdict.checked}
        )
        sys.exit(1)
