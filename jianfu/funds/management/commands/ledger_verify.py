import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_chain_verify
from jianfu.funds.selectors import ledger_problems


class Command(BaseCommand):
    help = (
        "Check every invariant of the funds ledger (balanced transactions, no negative balances "
        "or earmarks, exact reversals) and the audit chain; exits 1 on any violation."
    )

    def handle(self, *args, **options):
        problems = ledger_problems()
        verdict = audit_chain_verify()
        if not verdict.ok:
            problems.append(
                _("审计链已断裂：第 %(id)s 号记录处不一致。") % {"id": verdict.broken_at}
            )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            sys.exit(1)
        self.stdout.write(_("账本完整：所有凭证借贷平衡，无负余额，冲正一一对应；审计链完整。"))
