"""The ledger's pages: accounts and their transactions, one transaction with its voucher and audit
trail, the forms that move money (预算下达, 拨付, 办公经费, 支出, 冲正), and a community's money
per admission. Reads go through funds.selectors, writes through funds.services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jianfu.admission import selectors as admission_selectors
from jianfu.admission.models import Admission, AdmissionState
from jianfu.core.errors import DomainError, Forbidden
from jianfu.core.money import format_fen
from jianfu.core.paging import keyset_page
from jianfu.core.views import form_error
from jianfu.dispatch import selectors as dispatch_selectors
from jianfu.funds import selectors, services
from jianfu.funds.downloads import voucher_response
from jianfu.funds.forms import (
    BASE,
    AppropriateForm,
    BaseAllocationForm,
    ReversalForm,
    SpendForm,
    TransferForm,
    TransferPickForm,
    budget_choices,
)
from jianfu.funds.models import (
    Account,
    AccountKind,
    LedgerTransaction,
    TransactionKind,
    Voucher,
)
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.org.roles import Role

PAGE_SIZE = 50
YEARS_OFFERED = 5
# Who pays from budget lines (for an admission, or a community's base office funds).
TRANSFER_ROLES = (Role.DEPT_CLERK, Role.DEPT_HEAD, Role.FINANCE_OFFICER)


# Helpers ----------------------------------------------------------------------------------------


def _require_roles(user: User, *roles: str) -> None:
    if not user.has_role(*roles):
        raise PermissionDenied


def _account_or_404(request: HttpRequest, account_id: int) -> Account:
    account = (
        selectors.accounts_visible_to(user=request.user)
        .select_related("parent")
        .filter(pk=account_id)
        .first()
    )
    if account is None:
        raise Http404
    return account


def _years(chosen: int) -> list[int]:
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - YEARS_OFFERED, -1))
    if chosen not in years:
        years.append(chosen)
    return sorted(years, reverse=True)


def _year_from(value: str | None) -> int:
    try:
        year = int(value or "")
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _voucher_of(form: Any, user: User) -> Voucher | None:
    upload = form.cleaned_data.get("voucher")
    if not upload:
        return None
    return services.voucher_store(actor=user, name=upload.name, content=upload.read())


# One write of the ledger: the form's cleaned data and its stored voucher (or None) in, the
# transaction written out.
Write = Callable[[dict[str, Any], Voucher | None], LedgerTransaction]


def _recorded(request: HttpRequest, form: Any, write: Write) -> HttpResponse | None:
    """On a valid POST, store the form's voucher and run the write in one transaction (a refused
    write keeps no voucher either) and go to the transaction written. A refusal is shown on the
    form and nothing is written: None, to render the form again."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        with transaction.atomic():
            entry = write(form.cleaned_data, _voucher_of(form, request.user))
    except Forbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except DomainError as error:
        form_error(form, error)
        return None
    if entry.kind == TransactionKind.REVERSAL:
        done = _("已冲正第 %(original)d 号凭证，冲正凭证为第 %(id)d 号。") % {
            "original": entry.reverses_id,
            "id": entry.pk,
        }
    else:
        done = _("已记账：第 %(id)d 号凭证（%(kind)s）。") % {
            "id": entry.pk,
            "kind": entry.get_kind_display(),
        }
    messages.success(request, done)
    return redirect("funds_transaction", transaction_id=entry.pk)


def _transferable_lines(user: User) -> list[Account]:
    """The budget lines the user may transfer from (its department's; the district's for the
    finance office)."""
    lines = selectors.accounts_visible_to(user=user).filter(kind=AccountKind.BUDGET)
    return [
        line
        for line in lines.order_by("unit__sort_key", "fund_source")
        if user.has_perm("funds.transfer", line)
    ]


def _budget_options(lines: list[Account]) -> list[tuple[str, str]]:
    held = selectors.balances_of(line.pk for line in lines)
    return budget_choices([(line, held.get(line.pk, 0)) for line in lines])


# The accounts -----------------------------------------------------------------------------------


def _grouped(accounts: list[Account]) -> dict[str, Any]:
    """Budget lines by department; each street's unified account with a row per community
    (its sub-account, base office funds and expenses)."""
    sources, budgets = [], []
    streets: dict[int, dict[str, Any]] = {}

    def street_of(unified: Account) -> dict[str, Any]:
        return streets.setdefault(
            unified.pk,
            {"unified": None, "name": unified.name, "region_id": unified.region_id, "rows": {}},
        )

    for account in accounts:
        if account.kind == AccountKind.APPROPRIATION:
            # The treasury's side: what it has handed out shows as a negative balance.
            account.issued_fen = -account.balance_fen
            sources.append(account)
        elif account.kind == AccountKind.BUDGET:
            budgets.append(account)
        elif account.kind == AccountKind.UNIFIED:
            street_of(account)["unified"] = account
        elif account.parent is not None:
            row = street_of(account.parent)["rows"].setdefault(
                account.region_id, {"region": account.region}
            )
            row[account.kind] = account
    groups = []
    for street in sorted(streets.values(), key=lambda s: s["region_id"]):
        rows = [street["rows"][code] for code in sorted(street["rows"])]
        totals = {
            kind: sum(row[kind].balance_fen for row in rows if kind in row)
            for kind in (AccountKind.COMMUNITY, AccountKind.BASE, AccountKind.EXPENSE)
        }
        groups.append({**street, "rows": rows, "totals": totals})
    budgets.sort(key=lambda a: (a.unit.sort_key if a.unit else "", a.fund_source))
    return {"sources": sources, "budgets": budgets, "streets": groups}


@login_required
def account_index(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    _require_roles(user, *selectors.FUNDS_ROLES)
    accounts = list(selectors.accounts_with_balances(user=user))
    context = {
        **_grouped(accounts),
        "can_appropriate": user.has_role(Role.FINANCE_OFFICER),
        "can_transfer": user.has_role(*TRANSFER_ROLES),
        "can_spend": user.has_role(Role.STREET_OFFICER),
        "community_page": user.has_role(*selectors.COMMUNITY_MONEY_ROLES),
    }
    return render(request, "funds/account_index.html", context)


@login_required
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    user: User = request.user
    account = _account_or_404(request, account_id)
    entries = selectors.transactions_with_postings(
        user=user, entries=selectors.transactions_of(account)
    ).order_by("-id")
    page = keyset_page(request, entries, ordering=("-id",), size=PAGE_SIZE, count=True)
    rows = list(page.object_list)
    for entry in rows:
        entry.here_fen = sum(
            p.amount_fen for p in entry.shown_postings if p.account_id == account.pk
        )
    page.object_list = rows
    earmarked = selectors.account_earmarks(account)
    context = {
        "account": account,
        "balance": sum(total for _admission, total in earmarked),
        "earmarks": earmarked,
        "page": page,
        "query": request.GET.copy(),
        "can_transfer": account.kind == AccountKind.BUDGET
        and user.has_perm("funds.transfer", account),
        "can_spend": account.kind in (AccountKind.COMMUNITY, AccountKind.BASE)
        and user.has_perm("funds.spend", account),
    }
    return render(request, "funds/account_detail.html", context)


# One transaction --------------------------------------------------------------------------------


def _transaction_or_404(request: HttpRequest, transaction_id: int) -> LedgerTransaction:
    entries = selectors.transactions_visible_to(user=request.user).filter(pk=transaction_id)
    entry = (
        selectors.transactions_with_postings(user=request.user, entries=entries)
        .select_related("reverses", "reversed_by")
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def _reversal_of(entry: LedgerTransaction) -> LedgerTransaction | None:
    try:
        return entry.reversed_by
    except LedgerTransaction.DoesNotExist:
        return None


def _may_reverse(user: User, entry: LedgerTransaction) -> bool:
    """The reversal button: once, never of a reversal, for those permitted."""
    if entry.kind == TransactionKind.REVERSAL or _reversal_of(entry) is not None:
        return False
    return user.has_perm("funds.reverse", entry)


def _audit_label(action: str) -> str:
    kind = action.removeprefix("ledger.")
    if kind in TransactionKind.values:
        return _("记账：%(kind)s") % {"kind": TransactionKind(kind).label}
    return action


def _render_transaction(
    request: HttpRequest, entry: LedgerTransaction, reversal_form: ReversalForm | None = None
) -> HttpResponse:
    user: User = request.user
    shown = entry.shown_postings
    for posting in shown:
        posting.out_fen = -posting.amount_fen
    may_reverse = _may_reverse(user, entry)
    context = {
        "entry": entry,
        "postings": shown,
        "hidden": entry.posting_count - len(shown),
        "incoming": sum(p.amount_fen for p in shown if p.amount_fen > 0),
        "outgoing": -sum(p.amount_fen for p in shown if p.amount_fen < 0),
        "reversal": _reversal_of(entry),
        "audit_trail": [
            (record, _audit_label(record.action))
            for record in selectors.transaction_audit_trail(entry)
        ],
        "reversal_form": (reversal_form or ReversalForm()) if may_reverse else None,
    }
    return render(request, "funds/transaction_detail.html", context)


@login_required
def transaction_detail(request: HttpRequest, transaction_id: int) -> HttpResponse:
    return _render_transaction(request, _transaction_or_404(request, transaction_id))


@login_required
@require_POST
def transaction_reverse(request: HttpRequest, transaction_id: int) -> HttpResponse:
    entry = _transaction_or_404(request, transaction_id)
    if not request.user.has_perm("funds.reverse", entry):
        raise PermissionDenied
    form = ReversalForm(request.POST)
    done = _recorded(
        request,
        form,
        lambda data, _voucher: services.ledger_reverse(
            actor=request.user, original=entry, reason=data["reason"]
        ),
    )
    if done:
        return done
    for error in form.non_field_errors():
        messages.error(request, error)
    return _render_transaction(request, _transaction_or_404(request, transaction_id), form)


@login_required
def voucher_download(request: HttpRequest, voucher_id: int) -> HttpResponse:
    """The voucher's file, for whoever reads a transaction it belongs to."""
    voucher = selectors.voucher_visible_to(user=request.user, voucher_id=voucher_id)
    if voucher is None:
        raise Http404
    return voucher_response(voucher)


# Funding a budget line (预算下达) ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def appropriate(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    _require_roles(user, Role.FINANCE_OFFICER)
    district = user.unit.district_code if user.unit else ""
    departments = list(
        Unit.objects.filter(type=UnitType.DEPARTMENT, is_active=True, district_code=district)
        .exclude(district_code="")
        .values_list("pk", "name")
    )
    form = AppropriateForm(request.POST or None, request.FILES or None, departments=departments)

    def write(data: dict[str, Any], voucher: Voucher | None) -> LedgerTransaction:
        return services.ledger_appropriate(
            actor=user,
            budget=services.budget_line(
                Unit.objects.get(pk=data["department"]), data["fund_source"]
            ),
            amount_fen=data["amount"],
            memo=data["memo"],
            year=data["year"],
            voucher=voucher,
        )

    if done := _recorded(request, form, write):
        return done
    context = {
        "form": form,
        "title": _("预算下达"),
        "intro": _(
            "财政局向部门下达预算指标：同一部门同一资金来源为一个预算指标账户，首次下达时自动开设。"
        ),
        "submit": _("下达"),
    }
    return render(request, "funds/posting_form.html", context)


# Transfers for an admission (拨付) --------------------------------------------------------------


def _transfer_admissions(user: User) -> list[Admission]:
    """The admissions in force the user may pay for: its department's; the district's for the
    finance office."""
    admissions = (
        admission_selectors.admissions_visible_to(user=user)
        .filter(state=AdmissionState.ACTIVE, valid_until__gte=timezone.localdate())
        .defer("agreement_pdf")
        .order_by("-year", "-sequence")
    )
    if not user.has_role(Role.FINANCE_OFFICER):
        admissions = admissions.filter(department_id=user.unit_id)
    return list(admissions)


def _transfer_rows(admission: Admission, year: int) -> list[dict[str, Any]]:
    """Each community of the admission's scope with what was committed and transferred for the
    year, and what is still owed."""
    funding = {row.region_id: row for row in selectors.funding_of(admission=admission, year=year)}
    communities = Region.objects.filter(code__in=funding, level=RegionLevel.COMMUNITY).order_by(
        "code"
    )
    return [
        {
            "region": region,
            "funding": funding[region.code],
            "owed": funding[region.code].owed,
        }
        for region in communities
    ]


@login_required
@require_http_methods(["GET", "POST"])
def transfer(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    _require_roles(user, *TRANSFER_ROLES)
    admissions = _transfer_admissions(user)
    by_pk = {str(a.pk): a for a in admissions}
    source = request.POST if request.method == "POST" else request.GET
    pick = TransferPickForm(
        source if "admission" in source else None,
        admissions=[(a.pk, f"{a.number} {a.title}") for a in admissions],
    )
    context: dict[str, Any] = {"pick": pick, "admissions": admissions}
    if pick.is_valid():
        admission = by_pk[pick.cleaned_data["admission"]]
        year = pick.cleaned_data["year"]
        lines = [
            line for line in _transferable_lines(user) if line.unit_id == admission.department_id
        ]
        rows = _transfer_rows(admission, year)
        form = TransferForm(
            request.POST if request.method == "POST" else None,
            request.FILES or None,
            budgets=_budget_options(lines),
            communities=[(row["region"].code, row["region"].name, row["owed"]) for row in rows],
        )

        def write(data: dict[str, Any], voucher: Voucher | None) -> LedgerTransaction:
            return services.ledger_transfer(
                actor=user,
                budget=next(line for line in lines if str(line.pk) == data["budget"]),
                admission=admission,
                allocations=form.allocations(),
                memo=data["memo"],
                year=year,
                voucher=voucher,
            )

        if done := _recorded(request, form, write):
            return done
        for row, field in zip(rows, form.amount_fields(), strict=True):
            row["field"] = field
        context.update(admission=admission, year=year, rows=rows, form=form, lines=lines)
    elif request.method == "POST":
        messages.error(request, _("请先选择准入事项和年度。"))
    return render(request, "funds/transfer_form.html", context)


# Base office funds (办公经费) ---------------------------------------------------------------------


def _district_communities(user: User) -> list[tuple[str, list[tuple[str, str]]]]:
    """The communities of the user's district, grouped by street, for a select."""
    district = (user.unit.district_code or user.unit.region_id or "") if user.unit else ""
    if not district:
        return []
    communities = (
        Region.objects.filter(level=RegionLevel.COMMUNITY, code__startswith=district[:6])
        .select_related("parent")
        .order_by("code")
    )
    groups: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for region in communities:
        street = region.parent.name if region.parent else ""
        groups.setdefault(street, (street, []))[1].append((region.code, region.name))
    return list(groups.values())


@login_required
@require_http_methods(["GET", "POST"])
def allocate_base(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    _require_roles(user, *TRANSFER_ROLES)
    lines = _transferable_lines(user)
    form = BaseAllocationForm(
        request.POST or None,
        request.FILES or None,
        budgets=_budget_options(lines),
        communities=_district_communities(user),
    )

    def write(data: dict[str, Any], voucher: Voucher | None) -> LedgerTransaction:
        return services.ledger_allocate_base(
            actor=user,
            budget=next(line for line in lines if str(line.pk) == data["budget"]),
            community=Region.objects.select_related("parent").get(code=data["community"]),
            amount_fen=data["amount"],
            memo=data["memo"],
            year=data["year"],
            voucher=voucher,
        )

    if done := _recorded(request, form, write):
        return done
    context = {
        "form": form,
        "title": _("拨付办公经费"),
        "intro": _(
            "向社区拨付办公经费（基本经费），记入街道统一账户下该社区的办公经费账户，不指定准入事项。"
        ),
        "submit": _("拨付"),
        "no_budget": not lines,
    }
    return render(request, "funds/posting_form.html", context)


# A community's spending (支出) ---------------------------------------------------------------------


def _source_choices(groups) -> list[tuple[str, list[tuple[str, str]]]]:
    choices = []
    for region, sources in groups:
        options = []
        for source in sources:
            if source.admission is None:
                value, label = f"{region.code}:{BASE}", _("办公经费")
            else:
                value = f"{region.code}:{source.admission.pk}"
                label = f"{source.admission.number} {source.admission.title}"
            options.append(
                (
                    value,
                    _("%(label)s（余额 %(amount)s 元）")
                    % {"label": label, "amount": format_fen(source.balance)},
                )
            )
        choices.append((region.name, options))
    return choices


@login_required
@require_http_methods(["GET", "POST"])
def spend(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    _require_roles(user, Role.STREET_OFFICER)
    street_id = user.unit.region_id if user.unit else None
    groups = selectors.spending_sources(street_id=street_id) if street_id else []
    form = SpendForm(
        request.POST or None,
        request.FILES or None,
        sources=_source_choices(groups),
        initial={"source": request.GET.get("source", "")},
    )

    def write(data: dict[str, Any], voucher: Voucher | None) -> LedgerTransaction:
        code, admission_id = form.picked()
        return services.ledger_spend(
            actor=user,
            community=Region.objects.select_related("parent").get(code=code),
            admission=Admission.objects.defer("agreement_pdf").get(pk=admission_id)
            if admission_id
            else None,
            amount_fen=data["amount"],
            memo=data["memo"],
            year=data["year"],
            voucher=voucher,
        )

    if done := _recorded(request, form, write):
        return done
    context = {
        "form": form,
        "title": _("记录社区支出"),
        "intro": _(
            "街道代管社区账户（居财街管），按凭证记录社区的每一笔支出：随事经费只能用于对应的准入事项（专款专用），"
            "办公经费用于社区日常办公。支出不能超过余额，且须上传凭证。"
        ),
        "submit": _("记录支出"),
        "no_sources": not groups,
    }
    return render(request, "funds/posting_form.html", context)


# A community's money per admission ---------------------------------------------------------------


@login_required
def community(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if not user.has_role(*selectors.COMMUNITY_MONEY_ROLES):
        raise PermissionDenied
    readable = selectors.communities_readable_by(user=user).order_by("code")
    wanted = request.GET.get("region")
    # Without a choice: a community's own page, else the first community the user reads (the
    # picker shows that one selected, so the page must show it too).
    region = readable.filter(code=wanted).first() if wanted else readable.first()
    if wanted and region is None:
        raise Http404
    year = _year_from(request.GET.get("year"))
    rows, tasks = [], {}
    if region is not None:
        rows = selectors.community_money(region_id=region.code, year=year)
        admission_ids = [row.admission.pk for row in rows if row.admission is not None]
        deliveries = (
            dispatch_selectors.deliveries_visible_to(user=user)
            .filter(region_id=region.code, task__admission_id__in=admission_ids)
            .filter(task__created_at__year=year)
            .order_by("-task_id")
        )
        for delivery in deliveries:
            tasks.setdefault(delivery.task.admission_id, []).append(delivery)
    earmarked = [row for row in rows if row.admission is not None]
    context = {
        "region": region,
        "year": year,
        "years": _years(year),
        "rows": [(row, tasks.get(row.admission.pk if row.admission else None, [])) for row in rows],
        # The cards add up the money that came with admitted work; the base office funds,
        # which no admission committed, have their own row.
        "totals": {
            "committed": sum(row.committed for row in earmarked),
            "transferred": sum(row.transferred for row in earmarked),
            "spent": sum(row.spent for row in earmarked),
            "left": sum(row.left for row in earmarked),
        },
        # A street or the district picks which of its communities to read.
        "choices": list(readable[:500]) if not user.has_role(Role.COMMUNITY_OFFICER) else [],
        "can_spend": region is not None
        and user.has_role(Role.STREET_OFFICER)
        and region.parent_id == getattr(user.unit, "region_id", None),
    }
    return render(request, "funds/community.html", context)
