"""Reads in funds: accounts scoped to the reader, balances and earmarks, and what each admission
committed against what reached each community (到位率)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from jianfu.admission.models import Admission
from jianfu.funds.models import Account, AccountKind, Posting, TransactionKind
from jianfu.org.models import NO_JURISDICTION, User
from jianfu.org.roles import Role


def accounts_visible_to(*, user: User) -> QuerySet[Account]:
    """The district's finance office and auditors read every account of their district; a
    department its budget lines; a street its unified account and its communities'; a community
    only its own."""
    if not user.is_authenticated or user.unit_id is None or not user.unit.is_active:
        return Account.objects.none()
    unit = user.unit
    prefix = user.jurisdiction_prefix
    condition = Q(unit_id=unit.pk)
    if user.has_role(Role.FINANCE_OFFICER, Role.AUDITOR) and prefix != NO_JURISDICTION:
        if prefix is None:
            return Account.objects.select_related("unit", "region")
        condition |= Q(district_code__startswith=prefix[:6])
    if unit.region_id and user.has_role(Role.STREET_OFFICER):
        condition |= Q(region_id=unit.region_id) | Q(parent__region_id=unit.region_id)
    if unit.region_id and user.has_role(Role.COMMUNITY_OFFICER):
        condition |= Q(region_id=unit.region_id, kind__in=COMMUNITY_KINDS)
    return Account.objects.filter(condition).select_related("unit", "region")


COMMUNITY_KINDS = (AccountKind.COMMUNITY, AccountKind.BASE, AccountKind.EXPENSE)


def earmarks(account: Account) -> list[tuple[int | None, int]]:
    """(admission id or None, balance in fen) for each earmark the account holds money under."""
    rows = (
        Posting.objects.filter(account=account)
        .values("admission_id")
        .annotate(total=Sum("amount_fen"))
        .order_by("admission_id")
    )
    return [(row["admission_id"], row["total"]) for row in rows]


def _days_in(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def committed_fen(yearly_fen: int, admission: Admission, year: int) -> int:
    """What an admission commits to one community for `year`: its yearly funding, pro-rated by
    the days of the year its term covers, to the fen (rounded half up)."""
    start = max(admission.valid_from, dt.date(year, 1, 1))
    end = min(admission.valid_until, dt.date(year, 12, 31))
    if end < start:
        return 0
    days = (end - start).days + 1
    return (yearly_fen * days * 2 + _days_in(year)) // (_days_in(year) * 2)


@dataclass(frozen=True)
class Funding:
    """One community's money for one admission and year: committed, transferred, spent."""

    region_id: str
    committed: int
    transferred: int
    spent: int

    @property
    def delivery_rate(self) -> float | None:
        """到位率: transferred ÷ committed."""
        return self.transferred / self.committed if self.committed else None


def funding_of(*, admission: Admission, year: int) -> list[Funding]:
    """Per community of the admission's scope: what it committed for the year, what was
    transferred (net of reversals) and what was spent; three queries."""
    postings = Posting.objects.filter(admission=admission, transaction__year=year)
    transferred = dict(
        postings.filter(account__kind=AccountKind.COMMUNITY)
        .exclude(transaction__kind=TransactionKind.SPEND)
        .exclude(transaction__reverses__kind=TransactionKind.SPEND)
        .values_list("account__region_id")
        .annotate(total=Sum("amount_fen"))
    )
    spent = dict(
        postings.filter(account__kind=AccountKind.EXPENSE)
        .values_list("account__region_id")
        .annotate(total=Sum("amount_fen"))
    )
    return [
        Funding(
            region_id=row.region_id,
            committed=committed_fen(row.funding_fen, admission, year),
            transferred=transferred.get(row.region_id, 0),
            spent=spent.get(row.region_id, 0),
        )
        for row in admission.scope.all()
    ]


def ledger_problems() -> list[str]:
    """Every broken invariant of the ledger, as sentences (empty when the ledger is whole):
    unbalanced transactions, balances or earmarks below zero where they must not be, reversals
    that do not exactly undo what they point to. A handful of queries, read in the database."""
    from django.db.models import Count
    from django.utils.translation import gettext as _

    from jianfu.funds.models import NON_NEGATIVE_KINDS, LedgerTransaction

    problems = []
    unbalanced = (
        Posting.objects.values("transaction_id")
        .annotate(total=Sum("amount_fen"), n=Count("pk"))
        .exclude(total=0)
    )
    problems += [
        _("第 %(id)d 号凭证借贷不平衡（差额 %(total)d 分）。")
        % {"id": row["transaction_id"], "total": row["total"]}
        for row in unbalanced
    ]
    empty = LedgerTransaction.objects.filter(postings__isnull=True)
    problems += [
        _("第 %(id)d 号凭证没有分录。") % {"id": pk} for pk in empty.values_list("pk", flat=True)
    ]
    guarded = Posting.objects.filter(account__kind__in=NON_NEGATIVE_KINDS)
    for row in guarded.values("account_id", "account__name").annotate(total=Sum("amount_fen")):
        if row["total"] < 0:
            problems.append(
                _("账户“%(name)s”余额为负（%(total)d 分）。")
                % {"name": row["account__name"], "total": row["total"]}
            )
    earmarked = guarded.exclude(account__kind=AccountKind.BUDGET).values(
        "account_id", "account__name", "admission_id"
    )
    for row in earmarked.annotate(total=Sum("amount_fen")):
        if row["total"] < 0:
            problems.append(
                _("账户“%(name)s”中准入 %(admission)s 的专款余额为负（%(total)d 分）。")
                % {
                    "name": row["account__name"],
                    "admission": row["admission_id"],
                    "total": row["total"],
                }
            )
    reversals = LedgerTransaction.objects.filter(reverses__isnull=False).prefetch_related(
        "postings", "reverses__postings"
    )
    for reversal in reversals:
        undone = sorted(
            (p.account_id, p.admission_id, -p.amount_fen) for p in reversal.postings.all()
        )
        original = sorted(
            (p.account_id, p.admission_id, p.amount_fen) for p in reversal.reverses.postings.all()
        )
        if undone != original:
            problems.append(
                _("第 %(id)d 号冲正凭证与其冲正的第 %(original)d 号凭证不符。")
                % {"id": reversal.pk, "original": reversal.reverses_id}
            )
    return problems
