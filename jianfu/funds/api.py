"""Funds over the REST API (费随事转): accounts with their balances and earmarks, transfers,
spending with vouchers, reversals, the ledger's transactions, and each admission's commitments
against what reached each community (到位率).

Every creating POST takes an `Idempotency-Key` header: a client that repeats a request with the
same key (after a timeout, say) gets the first answer again and nothing is written twice.
"""

import datetime as dt
from typing import Annotated

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from jianfu.admission.models import Admission
from jianfu.api.pagination import DEFAULT_LIMIT, PageMeta, cursor_page
from jianfu.core.errors import InvalidInput, NotFound
from jianfu.core.money import format_fen
from jianfu.funds import selectors, services
from jianfu.funds.downloads import voucher_response
from jianfu.funds.models import Account, AccountKind, LedgerTransaction, TransactionKind
from jianfu.org.models import Region, RegionLevel

router = Router(tags=["funds"])

IDEMPOTENCY_KEY_MAX = LedgerTransaction._meta.get_field("idempotency_key").max_length
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="幂等键：以同一键重发的请求返回首次的应答，不重复记账（最长 100 个字符）· "
        "a replay with the same key answers as the first request did and writes nothing",
    ),
]
VOUCHER_HELP = "凭证文件，必填，最大 20 MB · the voucher (required, up to 20 MB)"


# ---------------------------------------------------------------------------------------------
# Output


class UnitBrief(Schema):
    id: int
    name: str


class RegionBrief(Schema):
    code: str
    name: str


class AdmissionBrief(Schema):
    id: int
    number: str
    title: str


class AccountOut(Schema):
    id: int
    kind: AccountKind
    kind_label: str
    name: str
    unit: UnitBrief | None = Field(description="预算指标所属部门 · a budget line's department")
    region: RegionBrief | None = Field(description="账户所属区划 · the street or community")
    parent: int | None = Field(description="社区账户所在的街道统一账户 · the unified account")
    fund_source: str
    district: str
    balance_fen: int
    balance_yuan: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(AccountKind(obj.kind).label)

    @staticmethod
    def resolve_parent(obj) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_district(obj) -> str:
        return obj.district_code

    @staticmethod
    def resolve_balance_yuan(obj) -> str:
        return format_fen(obj.balance_fen)


class AccountPage(PageMeta):
    items: list[AccountOut]


class EarmarkOut(Schema):
    admission: AdmissionBrief | None = Field(description="null：未指定用途的资金（办公经费等）")
    balance_fen: int
    balance_yuan: str


class AccountDetailOut(AccountOut):
    earmarks: list[EarmarkOut] = Field(
        description="按准入事项的专款余额；预算指标上为负数的是已为该事项拨出的金额 · per "
        "admission; on a budget line a negative amount is what it transferred for the admission"
    )

    @staticmethod
    def resolve_earmarks(obj) -> list[dict]:
        return [
            {"admission": admission, "balance_fen": total, "balance_yuan": format_fen(total)}
            for admission, total in selectors.account_earmarks(obj)
        ]


class PostingAccountOut(Schema):
    id: int
    name: str
    kind: AccountKind


class PostingAdmissionOut(Schema):
    id: int
    number: str


class PostingOut(Schema):
    account: PostingAccountOut
    admission: PostingAdmissionOut | None
    amount_fen: int = Field(description="对该账户而言：正数转入，负数转出 · signed for the account")
    amount_yuan: str

    @staticmethod
    def resolve_amount_yuan(obj) -> str:
        return format_fen(obj.amount_fen)


class VoucherOut(Schema):
    id: int
    name: str
    sha256: str
    download_url: str

    @staticmethod
    def resolve_download_url(obj) -> str:
        return reverse("api:ledger_voucher", kwargs={"voucher_id": obj.pk})


class TransactionOut(Schema):
    """A ledger transaction as it was written; nothing of it ever changes."""

    id: int
    kind: TransactionKind
    kind_label: str
    year: int
    memo: str
    voucher: VoucherOut | None
    reverses: int | None = Field(description="冲正的原凭证 · the transaction this one undoes")
    actor: str
    created_at: dt.datetime
    postings: list[PostingOut] = Field(
        description="您可见的分录 · the postings you may see (a community: its own share)"
    )

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(TransactionKind(obj.kind).label)

    @staticmethod
    def resolve_reverses(obj) -> int | None:
        return obj.reverses_id

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor.display_name if obj.actor_id else ""

    @staticmethod
    def resolve_postings(obj) -> list:
        return obj.shown_postings


class TransactionRow(TransactionOut):
    reversed_by: int | None = Field(description="冲正它的凭证 · the reversal that undid it")

    @staticmethod
    def resolve_reversed_by(obj) -> int | None:
        return obj.reversal_id


class TransactionPage(PageMeta):
    items: list[TransactionRow]


class CommitmentOut(Schema):
    region: str
    region_name: str
    committed_fen: int = Field(description="应拨（按有效期折算）· committed, pro-rated")
    transferred_fen: int = Field(description="已拨付到社区子账户（扣除冲正）· transferred")
    spent_fen: int
    delivery_rate: float | None = Field(description="到位率 = 已拨付 ÷ 应拨")


class CommitmentsOut(Schema):
    admission: AdmissionBrief
    year: int
    items: list[CommitmentOut]
    totals: CommitmentOut


def _commitment(row: selectors.ReportRow) -> dict:
    return {
        "region": row.key,
        "region_name": row.name,
        "committed_fen": row.committed,
        "transferred_fen": row.transferred,
        "spent_fen": row.spent,
        "delivery_rate": row.delivery_rate,
    }


# ---------------------------------------------------------------------------------------------
# Lookups


def _idempotency_key(value: str | None) -> str:
    key = (value or "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(
            _("幂等键（Idempotency-Key）不能超过 %(max)d 个字符。") % {"max": IDEMPOTENCY_KEY_MAX},
            code="invalid_idempotency_key",
        )
    return key


def _admission(reference: int | str) -> Admission:
    """An admission by its id or its number (the register is public, so anyone may name one)."""
    reference = str(reference).strip()
    found = Admission.objects.defer("agreement_pdf")
    if reference.isdigit():
        found = found.filter(pk=int(reference))
    else:
        found = found.filter(number=reference.replace("[", "〔").replace("]", "〕"))
    admission = found.first()
    if admission is None:
        raise NotFound(_("未找到准入事项“%(reference)s”。") % {"reference": reference})
    return admission


def _transactions(request: HttpRequest) -> QuerySet[LedgerTransaction]:
    """The transactions the caller sees, with what the answer shows of each; two queries a page."""
    user = request.auth
    return selectors.transactions_with_postings(
        user=user, entries=selectors.transactions_visible_to(user=user)
    )


def _transaction(request: HttpRequest, transaction_id: int) -> LedgerTransaction:
    found = _transactions(request).filter(pk=transaction_id).first()
    if found is None:
        raise NotFound()
    return found


def _account(request: HttpRequest, account_id: int) -> Account:
    """An account the caller reads, with its balance; else 404."""
    found = selectors.accounts_with_balances(user=request.auth).filter(pk=account_id).first()
    if found is None:
        raise NotFound(_("未找到该账户，或您无权查看。"))
    return found


def _created(request: HttpRequest, entry: LedgerTransaction) -> Status:
    """201 with the transaction as the caller sees it (a replay answers the same)."""
    return Status(201, _transaction(request, entry.pk))


# ---------------------------------------------------------------------------------------------
# Accounts


class AccountFilters(Schema):
    kind: AccountKind | None = None
    region: str | None = Field(None, description="区划代码：该区划及其下级的账户")
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get("/accounts", response=AccountPage, summary="账户 · Accounts you may read, by id")
def account_list(request: HttpRequest, filters: Query[AccountFilters]) -> dict:
    accounts = selectors.accounts_with_balances(user=request.auth)
    if filters.kind:
        accounts = accounts.filter(kind=filters.kind)
    if filters.region:
        region = Region.objects.filter(code=filters.region.strip()).first()
        if region is None:
            raise InvalidInput(_("区划代码“%(code)s”不存在。") % {"code": filters.region})
        accounts = accounts.filter(region__code__startswith=region.prefix)
    return cursor_page(accounts, key="id", cursor=filters.cursor, limit=filters.limit)


@router.get(
    "/accounts/{account_id}",
    response=AccountDetailOut,
    summary="账户 · One account: its balance and its money per admission (专款)",
)
def account_detail(request: HttpRequest, account_id: int):
    return _account(request, account_id)


# ---------------------------------------------------------------------------------------------
# Writing the ledger


class AllocationIn(Schema):
    community: str = Field(description="社区区划代码 · the community's division code")
    amount_fen: int


class TransferIn(Schema):
    budget: int = Field(description="预算指标账户的 id · the budget line's account id")
    admission: int | str = Field(description="准入事项的 id 或准入编号 · id or number")
    allocations: list[AllocationIn]
    memo: str
    year: int | None = Field(None, description="预算年度，默认今年 · default: this year")


@router.post(
    "/ledger/transfers",
    response={201: TransactionOut},
    summary="拨付 · Transfer money for an admission to named communities (费随事转)",
)
def transfer_create(
    request: HttpRequest,
    body: TransferIn,
    idempotency_key: IdempotencyKey = None,
):
    key = _idempotency_key(idempotency_key)
    budget = selectors.accounts_visible_to(user=request.auth).filter(pk=body.budget).first()
    if budget is None:
        raise NotFound(_("未找到该预算指标，或您无权查看。"))
    entry = services.ledger_transfer(
        actor=request.auth,
        budget=budget,
        admission=_admission(body.admission),
        allocations=[(a.community.strip(), a.amount_fen) for a in body.allocations],
        memo=body.memo,
        year=body.year,
        idempotency_key=key,
    )
    return _created(request, entry)


class SpendIn(Schema):
    model_config = ConfigDict(str_strip_whitespace=True)

    community: str = Field(description="社区区划代码 · the community's division code")
    amount_fen: int
    memo: str
    admission: str | None = Field(
        None, description="准入事项的 id 或编号；不填则从社区办公经费支出 · absent: base funds"
    )
    year: int | None = Field(None, description="预算年度，默认今年 · default: this year")


@router.post(
    "/ledger/spends",
    response={201: TransactionOut},
    summary="记录社区支出 · Record a community's spending with its voucher "
    "(multipart: file and the fields)",
)
def spend_create(
    request: HttpRequest,
    form: Form[SpendIn],
    file: Annotated[UploadedFile | None, File(description=VOUCHER_HELP)] = None,
    idempotency_key: IdempotencyKey = None,
):
    key = _idempotency_key(idempotency_key)
    community = (
        Region.objects.within(request.auth.jurisdiction_prefix)
        .filter(code=form.community, level=RegionLevel.COMMUNITY)
        .select_related("parent")
        .first()
    )
    if community is None:
        raise NotFound(_("未找到社区“%(code)s”，或它不在您的辖区内。") % {"code": form.community})
    admission = _admission(form.admission) if form.admission else None
    with transaction.atomic():
        voucher = None
        if file is not None:
            voucher = services.voucher_store(
                actor=request.auth,
                name=file.name or "",
                # One byte more than allowed is enough for the service to refuse a large file.
                content=file.read(services.VOUCHER_MAX_BYTES + 1),
            )
        entry = services.ledger_spend(
            actor=request.auth,
            community=community,
            admission=admission,
            amount_fen=form.amount_fen,
            memo=form.memo,
            year=form.year,
            voucher=voucher,
            idempotency_key=key,
        )
        if voucher is not None and entry.voucher_id != voucher.pk:
            # A replay: the first request's voucher is the one on record, so this copy of the
            # file is not kept.
            transaction.set_rollback(True)
    return _created(request, entry)


class ReversalIn(Schema):
    original: int = Field(description="要冲正的凭证 id · the transaction to undo")
    reason: str


@router.post(
    "/ledger/reversals",
    response={201: TransactionOut},
    summary="冲正 · Undo a transaction by its exact opposite, linked to it",
)
def reversal_create(
    request: HttpRequest,
    body: ReversalIn,
    idempotency_key: IdempotencyKey = None,
):
    key = _idempotency_key(idempotency_key)
    original = selectors.transactions_visible_to(user=request.auth).filter(pk=body.original)
    found = original.first()
    if found is None:
        raise NotFound(_("未找到该凭证，或您无权查看。"))
    entry = services.ledger_reverse(
        actor=request.auth, original=found, reason=body.reason, idempotency_key=key
    )
    return _created(request, entry)


# ---------------------------------------------------------------------------------------------
# Reading the ledger


class TransactionFilters(Schema):
    account: int | None = Field(None, description="只看涉及该账户的凭证 · touching this account")
    admission: str | None = Field(None, description="准入事项的 id 或编号 · id or number")
    year: int | None = None
    kind: TransactionKind | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get(
    "/ledger/transactions",
    response=TransactionPage,
    summary="记账凭证 · Transactions on accounts you may read, newest first, with postings",
)
def transaction_list(request: HttpRequest, filters: Query[TransactionFilters]) -> dict:
    entries = _transactions(request)
    postings = selectors.postings_visible_to(user=request.auth)
    if filters.account is not None:
        entries = entries.filter(
            pk__in=postings.filter(account_id=filters.account).values("transaction_id")
        )
    if filters.admission:
        admission = _admission(filters.admission)
        entries = entries.filter(
            pk__in=postings.filter(admission=admission).values("transaction_id")
        )
    if filters.year is not None:
        entries = entries.filter(year=filters.year)
    if filters.kind:
        entries = entries.filter(kind=filters.kind)
    return cursor_page(
        entries, key="id", cursor=filters.cursor, limit=filters.limit, descending=True
    )


@router.get(
    "/ledger/vouchers/{voucher_id}",
    url_name="ledger_voucher",
    summary="下载凭证 · Download the voucher of a transaction you may see",
    openapi_extra={"responses": {200: {"description": "the file as uploaded"}}},
)
def voucher_download(request: HttpRequest, voucher_id: int) -> HttpResponse:
    voucher = selectors.voucher_visible_to(user=request.auth, voucher_id=voucher_id)
    if voucher is None:
        raise NotFound()
    return voucher_response(voucher)


# ---------------------------------------------------------------------------------------------
# Commitments and delivery


class CommitmentFilters(Schema):
    admission: str = Field(description="准入事项的 id 或编号 · id or number")
    year: int = Field(
        default_factory=lambda: timezone.localdate().year, ge=2000, le=2100, description="年度"
    )


@router.get(
    "/funding/commitments",
    response=CommitmentsOut,
    summary="经费到位 · Per community of an admission: committed, transferred, spent, 到位率",
)
def commitments(request: HttpRequest, filters: Query[CommitmentFilters]) -> dict:
    admission = _admission(filters.admission)
    visible = selectors.funding_admission_visible_to(user=request.auth, admission_id=admission.pk)
    if visible is None:
        raise NotFound()
    rows = selectors.funding_report(
        user=request.auth, year=filters.year, by="community", admission_id=admission.pk
    )
    total = selectors.funding_report_total(rows)
    return {
        "admission": admission,
        "year": filters.year,
        "items": [_commitment(row) for row in rows],
        "totals": {**_commitment(total), "region": "", "region_name": _("合计")},
    }
