"""Fees follow tasks (费随事转): an append-only, double-entry ledger in integer fen (DESIGN.md §3.5).

Money flows from a department's budget line to the community sub-accounts of a street's unified
account (街道大账户, 居财街管), earmarked to the admission it pays for (专款专用), and is spent from
there against vouchers. Every `LedgerTransaction` has postings that sum to zero; nothing is ever
updated or deleted (database triggers refuse it); a mistake is corrected by a reversal that
points to the original.

A posting's amount is signed from the account's point of view: positive is money coming in,
negative is money going out. An account's balance is the sum of its postings; an earmark's is
the sum of its postings with that admission.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jianfu.admission.models import Admission
from jianfu.core.fields import YearOfField
from jianfu.org.models import Region, Unit


class AccountKind(models.TextChoices):
    # Where appropriated money comes from (本级财政): the other side of a budget line's funding.
    APPROPRIATION = "appropriation", _("财政拨款来源")
    BUDGET = "budget", _("部门预算指标")
    UNIFIED = "unified", _("街道统一账户")
    COMMUNITY = "community", _("社区子账户")
    BASE = "base", _("社区办公经费")
    EXPENSE = "expense", _("社区支出")


# Accounts whose balance (and every earmark's) must never go below zero.
NON_NEGATIVE_KINDS = frozenset(
    {AccountKind.BUDGET, AccountKind.COMMUNITY, AccountKind.BASE, AccountKind.UNIFIED}
)


class Account(models.Model):
    kind = models.CharField(_("账户类别"), max_length=14, choices=AccountKind.choices)
    name = models.CharField(_("账户名称"), max_length=200)
    # A budget line belongs to a department; the others to a region (street or community),
    # and an appropriation source to a district.
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    # A community's sub-account (and its base funds and expenses) sits in its street's unified
    # account.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    fund_source = models.CharField(_("资金来源"), max_length=100, blank=True)
    district_code = models.CharField(max_length=12, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["district_code", "kind", "id"]
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AccountKind.values), name="account_kind_known"
            ),
            models.UniqueConstraint(
                fields=["kind", "region"],
                condition=Q(kind__in=["unified", "community", "base", "expense", "appropriation"]),
                name="account_one_per_region_and_kind",
            ),
            models.UniqueConstraint(
                fields=["unit", "fund_source"],
                condition=Q(kind="budget"),
                name="account_one_budget_line_per_source",
            ),
            models.CheckConstraint(
                condition=Q(kind="budget", unit__isnull=False)
                | (~Q(kind="budget") & Q(region__isnull=False)),
                name="account_owner_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def must_stay_positive(self) -> bool:
        return self.kind in NON_NEGATIVE_KINDS


class TransactionKind(models.TextChoices):
    APPROPRIATION = "appropriation", _("预算下达")
    TRANSFER = "transfer", _("拨付")
    SPEND = "spend", _("支出")
    BASE_ALLOCATION = "base_allocation", _("办公经费拨付")
    REVERSAL = "reversal", _("冲正")


class Voucher(models.Model):
    """A scanned voucher (凭证): stored in the database with its SHA-256, never changed."""

    name = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("凭证")
        verbose_name_plural = _("凭证")

    def __str__(self) -> str:
        return self.name


class LedgerTransaction(models.Model):
    kind = models.CharField(_("类别"), max_length=16, choices=TransactionKind.choices)
    # The budget year the money belongs to.
    year = models.PositiveSmallIntegerField(_("年度"))
    memo = models.TextField(_("摘要"))
    voucher = models.ForeignKey(
        Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    # A reversal points to the transaction it undoes; a transaction is reversed at most once.
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # A client's Idempotency-Key: a replay of the same request writes nothing new.
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TransactionKind.values), name="ledger_transaction_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="ledger_reversal_points_to_original",
            ),
            models.UniqueConstraint(
                fields=["actor", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="ledger_idempotency_key_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class Posting(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    # The admission the money is earmarked to (专款专用); none for base funds and budget money
    # not yet earmarked.
    admission = models.ForeignKey(
        Admission, null=True, blank=True, on_delete=models.PROTECT, related_name="postings"
    )
    amount_fen = models.BigIntegerField(_("金额（分）"))
    # The transaction's budget year (the partition key on PostgreSQL, see
    # docs/partitioning.md).
    year = YearOfField(of="transaction")

    class Meta:
        ordering = ["transaction_id", "id"]
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        indexes = [models.Index(fields=["account", "admission"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_fen=0), name="posting_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_fen}"


class FundingSuspension(models.Model):
    """费随事转's tripwire: an admission suspended for one community because its money for the
    year had not reached the community's sub-account by `due_on`. It ends (`resumed_at`) when
    the money arrives; its tasks there are refusable meanwhile."""

    admission = models.ForeignKey(
        Admission, on_delete=models.PROTECT, related_name="funding_suspensions"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    due_on = models.DateField(_("经费应到位日期"))
    suspended_at = models.DateTimeField(_("暂停时间"))
    resumed_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)

    class Meta:
        ordering = ["-suspended_at", "-id"]
        verbose_name = _("经费未到位暂停")
        verbose_name_plural = _("经费未到位暂停")
        constraints = [
            models.UniqueConstraint(
                fields=["admission", "region"],
                condition=Q(resumed_at__isnull=True),
                name="funding_suspension_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.admission_id} {self.region_id} {self.year}"
