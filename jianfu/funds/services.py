"""Writes in funds: accounts, and the ledger's transactions, each balanced and append-only.

Every transaction goes through `_post`, which refuses postings that do not sum to zero, locks
every account it touches (in id order, so two transactions never wait for each other in a
circle), and refuses any result that would take an account that must stay positive, or one of
its earmarks, below zero. The row locks serialise concurrent spends against one earmark, so a
hundred spends against room for ten leave exactly ten.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jianfu.admission.models import Admission, AdmissionScope
from jianfu.core.audit import audit_record
from jianfu.core.errors import Conflict, InvalidInput
from jianfu.core.money import format_fen
from jianfu.core.permissions import require
from jianfu.funds.models import (
    Account,
    AccountKind,
    LedgerTransaction,
    Posting,
    TransactionKind,
    Voucher,
)
from jianfu.funds.tripwire import funding_tripwire
from jianfu.org.models import Region, RegionLevel, Unit, User

VOUCHER_MAX_BYTES = 20 * 1024 * 1024
# A posting: (account, admission or None, signed amount in fen).
Line = tuple[Account, Admission | None, int]

# ---------------------------------------------------------------------------------------------
# Accounts


def _district_code(region: Region) -> str:
    return region.district_code or region.code


def appropriation_source(district: Region) -> Account:
    """The district treasury's side of every budget line's funding, created on first use."""
    account, _created = Account.objects.get_or_create(
        kind=AccountKind.APPROPRIATION,
        region=district,
        defaults={
            "name": _("%(district)s本级财政") % {"district": district.name},
            "district_code": district.code,
        },
    )
    return account


def budget_line(department: Unit, fund_source: str) -> Account:
    """A department's budget line for one fund source (e.g. 区级财政专项), created on first use."""
    fund_source = fund_source.strip()
    if not fund_source:
        raise InvalidInput(_("请写明资金来源。"))
    if not department.district_code:
        raise InvalidInput(_("该单位不属于任何区县，不能设立预算指标。"))
    account, _created = Account.objects.get_or_create(
        kind=AccountKind.BUDGET,
        unit=department,
        fund_source=fund_source,
        defaults={
            "name": f"{department.name} · {fund_source}",
            "district_code": department.district_code,
        },
    )
    return account


COMMUNITY_ACCOUNT_NAMES = {
    AccountKind.COMMUNITY: gettext_lazy("%(community)s子账户"),
    AccountKind.BASE: gettext_lazy("%(community)s办公经费"),
    AccountKind.EXPENSE: gettext_lazy("%(community)s支出"),
}


def community_accounts(community: Region) -> dict[str, Account]:
    """The community's sub-account, base office funds and expenses, inside its street's unified
    account (居财街管), created on first use."""
    if community.level != RegionLevel.COMMUNITY or community.parent is None:
        raise InvalidInput(_("%(name)s不是社区。") % {"name": community.name})
    street = community.parent
    # Usually all four exist: read them (with the parent the permission check needs) at once.
    found = {
        account.kind: account
        for account in Account.objects.filter(
            Q(region=community, kind__in=COMMUNITY_ACCOUNT_NAMES)
            | Q(region=street, kind=AccountKind.UNIFIED)
        ).select_related("parent__region")
    }
    if len(found) == len(COMMUNITY_ACCOUNT_NAMES) + 1:
        return found
    district = _district_code(street)
    unified, _created = Account.objects.get_or_create(
        kind=AccountKind.UNIFIED,
        region=street,
        defaults={
            "name": _("%(street)s统一账户") % {"street": street.name},
            "district_code": district,
        },
    )
    accounts = {AccountKind.UNIFIED: unified}
    for kind, name in COMMUNITY_ACCOUNT_NAMES.items():
        accounts[kind], _created = Account.objects.get_or_create(
            kind=kind,
            region=community,
            defaults={
                "name": name % {"community": community.name},
                "parent": unified,
                "district_code": district,
            },
        )
    return accounts


# ---------------------------------------------------------------------------------------------
# Balances


def balance(account: Account, admission: Admission | None = None, *, earmark: bool = False) -> int:
    """The account's balance in fen; with `earmark`, that of its postings for `admission` only."""
    postings = Posting.objects.filter(account=account)
    if earmark:
        postings = postings.filter(admission=admission)
    return postings.aggregate(total=Sum("amount_fen"))["total"] or 0


# ---------------------------------------------------------------------------------------------
# Posting


def voucher_store(*, actor: User | None, name: str, content: bytes) -> Voucher:
    """Keep a voucher's bytes with their SHA-256; it is never changed afterwards."""
    name = name.strip()[:200]
    if not name or not content:
        raise InvalidInput(_("请上传凭证文件。"))
    if len(content) > VOUCHER_MAX_BYTES:
        raise InvalidInput(_("凭证文件不能超过 20 MB。"))
    return Voucher.objects.create(
        name=name,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
    )


def _replayed(actor: User | None, idempotency_key: str, kind: str) -> LedgerTransaction | None:
    """The transaction an earlier request with the same Idempotency-Key wrote, if any."""
    if not idempotency_key or actor is None:
        return None
    found = LedgerTransaction.objects.filter(actor=actor, idempotency_key=idempotency_key).first()
    if found is not None and found.kind != kind:
        raise Conflict(_("该幂等键已用于另一笔业务。"), code="idempotency_key_reused")
    return found


def _post(
    *,
    actor: User | None,
    kind: str,
    year: int,
    memo: str,
    lines: Sequence[Line],
    voucher: Voucher | None = None,
    reverses: LedgerTransaction | None = None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    memo = memo.strip()
    if not memo:
        raise InvalidInput(_("请填写摘要。"))
    if not 2000 <= year <= 2100:
        raise InvalidInput(_("年度无效。"))
    if any(amount == 0 for _account, _admission, amount in lines):
        raise InvalidInput(_("金额不能为零。"))
    # Double entry: what leaves one account arrives in another, to the fen.
    if sum(amount for _account, _admission, amount in lines) != 0:
        raise InvalidInput(_("借贷不平衡。"))
    accounts = {account.pk: account for account, _admission, _amount in lines}
    # Locked in id order, so two transactions never wait for each other in a circle.
    locked = list(
        Account.objects.select_for_update().filter(pk__in=sorted(accounts)).order_by("pk")
    )
    _check_no_overdraft(locked, lines)
    entry = LedgerTransaction(
        kind=kind,
        year=year,
        memo=memo,
        voucher=voucher,
        reverses=reverses,
        actor=actor,
        idempotency_key=idempotency_key,
    )
    if not idempotency_key:
        entry.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
        except IntegrityError:
            # The same request twice at once: the first to commit wrote it; this one replays it.
            if replayed := _replayed(actor, idempotency_key, kind):
                return replayed
            raise
    Posting.objects.bulk_create(
        Posting(transaction=entry, account=account, admission=admission, amount_fen=amount)
        for account, admission, amount in lines
    )
    audit_record(
        actor=actor,
        action=f"ledger.{kind}",
        target=entry,
        changes={
            "year": year,
            "memo": memo,
            "reverses": reverses.pk if reverses else None,
            "postings": [
                [account.pk, admission.pk if admission else None, amount]
                for account, admission, amount in lines
            ],
        },
    )
    return entry


def _check_no_overdraft(accounts: list[Account], lines: Sequence[Line]) -> None:
    """Refuse a result that takes an account that must stay positive, or one of its earmarks,
    below zero; read after the accounts are locked, so the balances cannot change meanwhile."""
    guarded = {account.pk: account for account in accounts if account.must_stay_positive}
    totals: dict[int, int] = defaultdict(int)
    earmarks: dict[tuple[int, int | None], int] = defaultdict(int)
    numbers = {}
    for account, admission, amount in lines:
        if account.pk in guarded:
            totals[account.pk] += amount
            earmarks[(account.pk, admission.pk if admission else None)] += amount
            if admission is not None:
                numbers[admission.pk] = admission.number
    # account id → what it lacks, in words: an earmark short, else the account's whole balance.
    short: dict[int, str] = {}
    for (account_id, admission_id), delta in earmarks.items():
        if delta >= 0:
            continue
        account = guarded[account_id]
        # A budget line's money is not earmarked until it is transferred: only its total counts.
        if account.kind == AccountKind.BUDGET:
            continue
        held = (
            Posting.objects.filter(account_id=account_id, admission_id=admission_id).aggregate(
                total=Sum("amount_fen")
            )["total"]
            or 0
        )
        if held + delta < 0 and admission_id is not None:
            short.setdefault(
                account_id,
                _("%(name)s中准入 %(number)s 的专款可用 %(amount)s 元")
                % {
                    "name": account.name,
                    "number": numbers[admission_id],
                    "amount": format_fen(held),
                },
            )
        elif held + delta < 0:
            short.setdefault(
                account_id,
                _("%(name)s 可用 %(amount)s 元")
                % {"name": account.name, "amount": format_fen(held)},
            )
    for account_id, delta in totals.items():
        # Elsewhere every posting is under an earmark (base funds under none), each kept at zero
        # or above: the whole balance cannot go below zero, and is not summed again.
        if delta >= 0 or guarded[account_id].kind != AccountKind.BUDGET:
            continue
        held = balance(guarded[account_id])
        if held + delta < 0:
            short.setdefault(
                account_id,
                _("%(name)s 可用 %(amount)s 元")
                % {"name": guarded[account_id].name, "amount": format_fen(held)},
            )
    if short:
        raise Conflict(
            _("余额不足：%(accounts)s") % {"accounts": "；".join(short.values())},
            code="insufficient_funds",
        )


def _positive(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(_("金额须为大于 0 的整数（单位：分）。"))
    return amount


def _year(year: int | None) -> int:
    return year or timezone.localdate().year


@transaction.atomic
def ledger_appropriate(
    *,
    actor: User | None,
    budget: Account,
    amount_fen: int,
    memo: str,
    year: int | None = None,
    voucher: Voucher | None = None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Fund a department's budget line from the district treasury (预算下达)."""
    require(actor, "funds.appropriate", budget)
    if replayed := _replayed(actor, idempotency_key, TransactionKind.APPROPRIATION):
        return replayed
    if budget.kind != AccountKind.BUDGET:
        raise InvalidInput(_("只能向部门预算指标下达预算。"))
    amount = _positive(amount_fen)
    source = appropriation_source(Region.objects.get(code=budget.district_code))
    return _post(
        actor=actor,
        kind=TransactionKind.APPROPRIATION,
        year=_year(year),
        memo=memo,
        lines=[(source, None, -amount), (budget, None, amount)],
        voucher=voucher,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def ledger_transfer(
    *,
    actor: User | None,
    budget: Account,
    admission: Admission,
    allocations: Sequence[tuple[str, int]],
    memo: str,
    year: int | None = None,
    voucher: Voucher | None = None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Transfer money for an admission from the department's budget line to the street's unified
    account, earmarked for named communities in the admission's scope (费随事转, 专款专用)."""
    require(actor, "funds.transfer", budget)
    if replayed := _replayed(actor, idempotency_key, TransactionKind.TRANSFER):
        return replayed
    if budget.kind != AccountKind.BUDGET:
        raise InvalidInput(_("只能从部门预算指标拨付。"))
    if admission.department_id != budget.unit_id:
        raise InvalidInput(_("只能为本部门的准入事项拨付经费。"))
    codes = [code for code, _amount in allocations]
    if not codes:
        raise InvalidInput(_("请写明拨付到哪些社区。"))
    if len(set(codes)) != len(codes):
        raise InvalidInput(_("拨付对象中有重复的社区。"))
    in_scope = set(
        AdmissionScope.objects.filter(admission=admission, region_id__in=codes).values_list(
            "region_id", flat=True
        )
    )
    outside = [code for code in codes if code not in in_scope]
    if outside:
        raise InvalidInput(
            _("以下社区不在该准入事项的实施范围内：%(codes)s") % {"codes": "、".join(outside)}
        )
    regions = Region.objects.select_related("parent").in_bulk(codes)
    lines: list[Line] = []
    for code, amount in allocations:
        amount = _positive(amount)
        community = community_accounts(regions[code])[AccountKind.COMMUNITY]
        lines += [(budget, admission, -amount), (community, admission, amount)]
    entry = _post(
        actor=actor,
        kind=TransactionKind.TRANSFER,
        year=_year(year),
        memo=memo,
        lines=lines,
        voucher=voucher,
        idempotency_key=idempotency_key,
    )
    # The money has arrived: an admission suspended for these communities resumes at once.
    funding_tripwire(admissions=[admission.pk])
    return entry


@transaction.atomic
def ledger_allocate_base(
    *,
    actor: User | None,
    budget: Account,
    community: Region,
    amount_fen: int,
    memo: str,
    year: int | None = None,
    voucher: Voucher | None = None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Pay a community's base office funds (办公经费, seed 002: 3,000 yuan per worker)."""
    require(actor, "funds.transfer", budget)
    if replayed := _replayed(actor, idempotency_key, TransactionKind.BASE_ALLOCATION):
        return replayed
    if budget.kind != AccountKind.BUDGET:
        raise InvalidInput(_("只能从部门预算指标拨付。"))
    if not community.code.startswith(budget.district_code[:6]):
        raise InvalidInput(_("只能向本区县的社区拨付。"))
    amount = _positive(amount_fen)
    base = community_accounts(community)[AccountKind.BASE]
    return _post(
        actor=actor,
        kind=TransactionKind.BASE_ALLOCATION,
        year=_year(year),
        memo=memo,
        lines=[(budget, None, -amount), (base, None, amount)],
        voucher=voucher,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def ledger_spend(
    *,
    actor: User | None,
    community: Region,
    amount_fen: int,
    memo: str,
    admission: Admission | None = None,
    year: int | None = None,
    voucher: Voucher | None = None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Record a community's spending, by the street that keeps its account: against an
    admission's earmark, or (no admission) from its base office funds."""
    accounts = community_accounts(community)
    source = accounts[AccountKind.COMMUNITY] if admission else accounts[AccountKind.BASE]
    require(actor, "funds.spend", source)
    if replayed := _replayed(actor, idempotency_key, TransactionKind.SPEND):
        return replayed
    if voucher is None:
        raise InvalidInput(_("支出须附凭证。"))
    amount = _positive(amount_fen)
    return _post(
        actor=actor,
        kind=TransactionKind.SPEND,
        year=_year(year),
        memo=memo,
        lines=[(source, admission, -amount), (accounts[AccountKind.EXPENSE], admission, amount)],
        voucher=voucher,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def ledger_reverse(
    *,
    actor: User | None,
    original: LedgerTransaction,
    reason: str,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Undo a transaction by its exact opposite, linked to it; the original stays as it was."""
    if original.kind == TransactionKind.REVERSAL:
        raise Conflict(_("冲正凭证不能再冲正，请重新记账。"), code="reversal_of_reversal")
    require(actor, "funds.reverse", original)
    postings = list(original.postings.select_related("account", "admission"))
    if replayed := _replayed(actor, idempotency_key, TransactionKind.REVERSAL):
        return replayed
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("请写明冲正理由。"))
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise Conflict(_("该凭证已冲正。"), code="already_reversed")
    try:
        with transaction.atomic():
            entry = _post(
                actor=actor,
                kind=TransactionKind.REVERSAL,
                year=original.year,
                memo=_("冲正第 %(id)d 号凭证：%(reason)s") % {"id": original.pk, "reason": reason},
                lines=[(p.account, p.admission, -p.amount_fen) for p in postings],
                reverses=original,
                idempotency_key=idempotency_key,
            )
    except IntegrityError as error:
        # Two reversals of one transaction at once: the one-to-one link lets only one in.
        raise Conflict(_("该凭证已冲正。"), code="already_reversed") from error
    if original.kind == TransactionKind.TRANSFER:
        # Money taken back may leave a community without it past its due day.
        funding_tripwire(admissions={p.admission_id for p in postings if p.admission_id})
    return entry
