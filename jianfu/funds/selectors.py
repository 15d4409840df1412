"""Reads in funds, each scoped to the reader's jurisdiction: the accounts and transactions they
may see, balances and earmarks, what each admission committed against what reached each
community (到位率), the funding report, the auditors' export, and the ledger's own check.

"Transferred" means one thing everywhere — the pages, the API, the report, the tripwire and the
admission's page: what reached a community's sub-account (or base office funds), net of
reversals, leaving out spending and the reversal of spending (`ARRIVED`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import NotSupportedError
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from jianfu.admission.models import Admission, AdmissionScope
from jianfu.core.models import AuditRecord
from jianfu.funds.models import (
    NON_NEGATIVE_KINDS,
    Account,
    AccountKind,
    FundingSuspension,
    LedgerTransaction,
    Posting,
    TransactionKind,
    Voucher,
)
from jianfu.org.models import NO_JURISDICTION, PREFIX_LENGTH, Region, RegionLevel, User
from jianfu.org.roles import DISTRICT_ROLES, Role

# ---------------------------------------------------------------------------------------------
# Who reads what

# Who works with the ledger's pages: the district's finance office and auditors, the departments
# that pay, the streets that keep their communities' accounts (居财街管), and the communities.
FUNDS_ROLES = (
    Role.FINANCE_OFFICER,
    Role.AUDITOR,
    Role.DEPT_CLERK,
    Role.DEPT_HEAD,
    Role.STREET_OFFICER,
    Role.COMMUNITY_OFFICER,
)
# Who reads a community's money per admission (each the communities of their jurisdiction).
COMMUNITY_MONEY_ROLES = (
    Role.COMMUNITY_OFFICER,
    Role.STREET_OFFICER,
    Role.FINANCE_OFFICER,
    Role.AUDITOR,
)
# Who reads the funding report (each within their jurisdiction, see _funding_jurisdiction).
REPORT_ROLES = (
    *DISTRICT_ROLES,
    Role.DEPT_CLERK,
    Role.DEPT_HEAD,
    Role.STREET_OFFICER,
    Role.COMMUNITY_OFFICER,
)
# Who exports the whole ledger of their district.
LEDGER_EXPORT_ROLES = (Role.FINANCE_OFFICER, Role.AUDITOR)
# A community's own accounts: its sub-account, its base office funds and its expenses.
COMMUNITY_KINDS = (AccountKind.COMMUNITY, AccountKind.BASE, AccountKind.EXPENSE)


def _reads_nothing(user: User) -> bool:
    return (
        not user.is_authenticated
        or not user.is_active
        or user.unit_id is None
        or not user.unit.is_active
    )


def _district_office(user: User, *roles: str) -> str | None:
    """The code prefix of the district (or wider area) the user oversees as one of its offices
    holding one of `roles`: None for the whole installation, NO_JURISDICTION when the user is no
    such office. A street's or community's staff are not district offices, whatever role they
    hold."""
    prefix = user.jurisdiction_prefix if user.is_authenticated else NO_JURISDICTION
    if prefix == NO_JURISDICTION or not user.has_role(*roles):
        return NO_JURISDICTION
    if prefix is not None and len(prefix) > PREFIX_LENGTH[RegionLevel.DISTRICT]:
        return NO_JURISDICTION
    return prefix


def accounts_visible_to(*, user: User) -> QuerySet[Account]:
    """The district's finance office and auditors read every account of their district; a
    department's clerks and heads its budget lines; a street its unified account and its
    communities'; a community only its own."""
    if _reads_nothing(user):
        return Account.objects.none()
    accounts = Account.objects.select_related("unit", "region")
    office = _district_office(user, Role.FINANCE_OFFICER, Role.AUDITOR)
    if office is None:
        return accounts
    unit = user.unit
    condition = Q(pk__in=[])
    if office != NO_JURISDICTION:
        condition |= Q(district_code__startswith=office)
    if user.has_role(Role.DEPT_CLERK, Role.DEPT_HEAD):
        condition |= Q(unit_id=unit.pk)
    if unit.region_id and user.has_role(Role.STREET_OFFICER):
        condition |= Q(region_id=unit.region_id) | Q(parent__region_id=unit.region_id)
    if unit.region_id and user.has_role(Role.COMMUNITY_OFFICER):
        condition |= Q(region_id=unit.region_id, kind__in=COMMUNITY_KINDS)
    return accounts.filter(condition)


def communities_readable_by(*, user: User) -> QuerySet[Region]:
    """The communities whose money (per admission) the user may read: its own community, a
    street's communities, every community of the district for its finance office and auditors."""
    communities = Region.objects.filter(level=RegionLevel.COMMUNITY).select_related("parent")
    if _reads_nothing(user):
        return communities.none()
    office = _district_office(user, Role.FINANCE_OFFICER, Role.AUDITOR)
    if office is None:
        return communities
    unit = user.unit
    condition = Q(pk__in=[])
    if office != NO_JURISDICTION:
        condition |= Q(code__startswith=office)
    if unit.region_id and user.has_role(Role.STREET_OFFICER):
        condition |= Q(parent_id=unit.region_id)
    if unit.region_id and user.has_role(Role.COMMUNITY_OFFICER):
        condition |= Q(code=unit.region_id)
    return communities.filter(condition)


def _funding_jurisdiction(user: User, *, region: str, department: str) -> Q | None:
    """The funding rows the user reads, as a condition on their community (`region`, a foreign
    key to Region) and their admission's department (`department`, a unit id); None: none.

    The district's offices (finance, audit, review, the group's office) read their district; a
    department its own admissions; a street its communities; a community itself."""
    if _reads_nothing(user):
        return None
    office = _district_office(user, *DISTRICT_ROLES)
    if office is None:
        return Q()
    unit, prefix = user.unit, user.jurisdiction_prefix
    condition = Q(pk__in=[])
    if office != NO_JURISDICTION:
        condition |= Q(**{f"{region}__code__startswith": office})
    if user.has_role(Role.DEPT_CLERK, Role.DEPT_HEAD):
        condition |= Q(**{department: unit.pk})
    # A street officer's unit sits in a street (a 9-digit prefix) or a community below it.
    if (
        prefix
        and len(prefix) >= PREFIX_LENGTH[RegionLevel.STREET]
        and user.has_role(Role.STREET_OFFICER)
    ):
        condition |= Q(**{f"{region}__code__startswith": prefix})
    if unit.region_id and user.has_role(Role.COMMUNITY_OFFICER):
        condition |= Q(**{f"{region}_id": unit.region_id})
    return condition


# ---------------------------------------------------------------------------------------------
# Accounts, balances and earmarks


def accounts_with_balances(*, user: User, year: int | None = None) -> QuerySet[Account]:
    """The accounts the user reads, each with `balance_fen` and (with a year) `year_fen`, the
    net of that year's postings; one query."""
    sums = {"balance_fen": Coalesce(Sum("postings__amount_fen"), Value(0))}
    if year is not None:
        in_year = Q(postings__transaction__year=year)
        sums["year_fen"] = Coalesce(Sum("postings__amount_fen", filter=in_year), Value(0))
    return (
        accounts_visible_to(user=user)
        .select_related("parent")
        .annotate(**sums)
        .order_by("district_code", "kind", "id")
    )


def balances_of(account_ids: Iterable[int]) -> dict[int, int]:
    """Each account's balance in fen, in one aggregate query (accounts without postings: 0)."""
    rows = (
        Posting.objects.filter(account_id__in=list(account_ids))
        .values_list("account_id")
        .annotate(total=Sum("amount_fen"))
        .order_by()
    )
    return dict(rows)


def earmarks(account: Account) -> list[tuple[int | None, int]]:
    """(admission id or None, balance in fen) for each earmark the account holds money under."""
    rows = (
        Posting.objects.filter(account=account)
        .values("admission_id")
        .annotate(total=Sum("amount_fen"))
        # Unearmarked money first on every database (PostgreSQL sorts NULL last by default).
        .order_by(F("admission_id").asc(nulls_first=True))
    )
    return [(row["admission_id"], row["total"]) for row in rows]


def account_earmarks(account: Account) -> list[tuple[Admission | None, int]]:
    """(admission or None for unearmarked money, balance in fen) for each earmark the account
    holds money under, with the admissions read in one query."""
    rows = earmarks(account)
    admissions = Admission.objects.defer("agreement_pdf").in_bulk(
        [admission_id for admission_id, _total in rows if admission_id is not None]
    )
    return [
        (admissions.get(admission_id) if admission_id else None, total)
        for admission_id, total in rows
    ]


# ---------------------------------------------------------------------------------------------
# Transactions, postings and vouchers


def transactions_of(account: Account) -> QuerySet[LedgerTransaction]:
    """The transactions with a posting on the account."""
    touches = Posting.objects.filter(transaction=OuterRef("pk"), account=account)
    return LedgerTransaction.objects.filter(Exists(touches))


def transactions_visible_to(*, user: User) -> QuerySet[LedgerTransaction]:
    """Transactions with at least one posting on an account the user may read."""
    visible = accounts_visible_to(user=user).values("pk")
    touches = Posting.objects.filter(transaction=OuterRef("pk"), account__in=visible)
    return LedgerTransaction.objects.filter(Exists(touches))


def postings_visible_to(*, user: User) -> QuerySet[Posting]:
    """The postings the user reads of the transactions they see: those on accounts they read,
    and every posting of a transaction paid from a budget line they read. So a department
    follows its money to each community, while a community (or street) sees its own share of a
    transfer and not its neighbours'."""
    visible = accounts_visible_to(user=user).values("pk")
    paid_from_visible = Posting.objects.filter(
        transaction=OuterRef("transaction"),
        account__in=visible,
        account__kind__in=[AccountKind.BUDGET, AccountKind.APPROPRIATION],
    )
    return Posting.objects.filter(Q(account__in=visible) | Exists(paid_from_visible))


def transactions_with_postings(
    *, user: User, entries: QuerySet[LedgerTransaction]
) -> QuerySet[LedgerTransaction]:
    """The transactions with what a page or an answer shows of each, for pages and the API
    alike: the postings the user reads (`shown_postings`, see postings_visible_to), how many
    postings they have in all (`posting_count`), who wrote them, their voucher's name and hash
    (not its bytes), and the reversal that undid them (`reversal_id`); two queries."""
    postings = (
        postings_visible_to(user=user)
        .select_related("account", "admission")
        .defer("admission__agreement_pdf")
        .order_by("id")
    )
    count = (
        Posting.objects.filter(transaction=OuterRef("pk"))
        .order_by()
        .values("transaction")
        .annotate(n=Count("pk"))
        .values("n")
    )
    reversal = LedgerTransaction.objects.filter(reverses=OuterRef("pk")).values("pk")[:1]
    return (
        entries.select_related("voucher", "actor__unit")
        .defer("voucher__content")
        .annotate(posting_count=Subquery(count), reversal_id=Subquery(reversal))
        .prefetch_related(Prefetch("postings", queryset=postings, to_attr="shown_postings"))
    )


def voucher_visible_to(*, user: User, voucher_id: int) -> Voucher | None:
    """The voucher, if it belongs to a transaction the user sees; else None."""
    seen = transactions_visible_to(user=user).filter(voucher_id=voucher_id)
    return Voucher.objects.filter(pk=voucher_id, pk__in=seen.values("voucher_id")).first()


def transaction_audit_trail(entry: LedgerTransaction) -> QuerySet[AuditRecord]:
    """The audit records written about one ledger transaction, oldest first."""
    return AuditRecord.objects.filter(
        object_type=LedgerTransaction._meta.label_lower, object_id=str(entry.pk)
    ).order_by("id")


def ledger_export_postings(*, user: User, year: int | None) -> QuerySet:
    """Every posting of every transaction touching an account the user reads (in a year, or
    all), with what the export shows of its transaction, account, admission and voucher; one
    query, read in chunks."""
    visible = Posting.objects.filter(account__in=accounts_visible_to(user=user).values("pk"))
    postings = Posting.objects.filter(transaction_id__in=visible.values("transaction_id"))
    if year is not None:
        postings = postings.filter(transaction__year=year)
    return postings.order_by("transaction_id", "id").values(
        "transaction_id",
        "transaction__created_at",
        "transaction__kind",
        "transaction__year",
        "transaction__memo",
        "transaction__reverses_id",
        "transaction__voucher__name",
        "transaction__voucher__sha256",
        "transaction__actor__username",
        "transaction__actor__display_name",
        "account_id",
        "account__name",
        "admission__number",
        "amount_fen",
    )


# ---------------------------------------------------------------------------------------------
# What reached each community: committed, transferred and spent

# Spending takes money out of a community's sub-account or base funds, and its reversal puts it
# back: neither is money that reached the community.
_SPENDING = Q(transaction__kind=TransactionKind.SPEND) | Q(
    transaction__reverses__kind=TransactionKind.SPEND
)
# Transferred (到位): what reached a community's sub-account or base office funds, net of the
# reversals of those transfers.
ARRIVED = Q(account__kind__in=[AccountKind.COMMUNITY, AccountKind.BASE]) & ~_SPENDING
# Spent: what the community's expense account received, net of reversals.
SPENT = Q(account__kind=AccountKind.EXPENSE)


def _arrived_and_spent(postings: QuerySet[Posting], *keys: str) -> QuerySet:
    """Per value of `keys`: `arrived` (ARRIVED) and `spent` (SPENT) in fen; one query."""
    return (
        postings.filter(account__kind__in=COMMUNITY_KINDS)
        .values(*keys)
        .annotate(
            arrived=Coalesce(Sum("amount_fen", filter=ARRIVED), Value(0)),
            spent=Coalesce(Sum("amount_fen", filter=SPENT), Value(0)),
        )
        .order_by()
    )


def transferred_by_community(admission_ids: Iterable[int], year: int) -> dict[tuple[int, str], int]:
    """(admission id, community code) → what was transferred to the community for the admission
    and year (ARRIVED); one query."""
    postings = Posting.objects.filter(admission_id__in=list(admission_ids), transaction__year=year)
    rows = _arrived_and_spent(postings, "admission_id", "account__region_id")
    return {(row["admission_id"], row["account__region_id"]): row["arrived"] for row in rows}


def arrived_in_scope(
    scope: QuerySet[AdmissionScope], codes: list[str], year: int
) -> dict[str, int]:
    """Community code → what was transferred to it in `year` (ARRIVED) for the admissions of
    the `scope` rows that name that community, summed in the database; one query. Money for an
    admission whose scope row there is not among `scope` (revoked there, say) does not count,
    however it stands next door."""
    covered = scope.filter(
        admission_id=OuterRef("admission_id"), region_id=OuterRef("account__region_id")
    )
    rows = (
        Posting.objects.filter(ARRIVED, Exists(covered), account__region_id__in=codes)
        .filter(transaction__year=year)
        .values("account__region_id")
        .annotate(arrived=Sum("amount_fen"))
        .order_by()
        .values_list("account__region_id", "arrived")
    )
    return dict(rows)


def _days_in(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def _covered_days(
    valid_from: dt.date, valid_until: dt.date, year: int, revoked_on: dt.date | None = None
) -> int:
    """The days of `year` a term covers, up to the day before a revocation."""
    start = max(valid_from, dt.date(year, 1, 1))
    end = min(valid_until, dt.date(year, 12, 31))
    if revoked_on is not None:
        end = min(end, revoked_on - dt.timedelta(days=1))
    return max((end - start).days + 1, 0)


def _prorated(yearly_fen: int, days: int, year: int) -> int:
    """Yearly funding for `days` of the year, to the fen (rounded half up)."""
    return (yearly_fen * days * 2 + _days_in(year)) // (_days_in(year) * 2)


def committed_fen(
    yearly_fen: int, admission: Admission, year: int, revoked_on: dt.date | None = None
) -> int:
    """What an admission commits to one community for `year`: its yearly funding, pro-rated by
    the days of the year its term covers, to the fen (rounded half up). Revoked there, it
    commits nothing from the day of the revocation on."""
    days = _covered_days(admission.valid_from, admission.valid_until, year, revoked_on)
    return _prorated(yearly_fen, days, year)


class CommittedFen(Func):
    """`committed_fen` of each scope row in SQL, for summing in the database: the row's yearly
    funding pro-rated by the days of `year` its admission's term covers, up to the day before
    the row's revocation, rounded half up to the fen row by row. Date arithmetic is spelt per
    database (`date - date` on PostgreSQL, `julianday` on SQLite), so this and `committed_fen`
    agree to the fen (a test holds them equal)."""

    output_field = BigIntegerField()

    # The days of the year a row covers (0 or fewer: none), per database.
    DAYS = {
        "postgresql": (
            "(LEAST({until}, DATE {dec31}, COALESCE({revoked} - 1, DATE {dec31})) "
            "- GREATEST({start}, DATE {jan1}) + 1)"
        ),
        "sqlite": (
            "(CAST(julianday(min({until}, {dec31}, COALESCE(date({revoked}, '-1 day'), {dec31}))) "
            "- julianday(max({start}, {jan1})) AS INTEGER) + 1)"
        ),
    }

    def __init__(self, year: int) -> None:
        super().__init__(
            F("funding_fen"),
            F("admission__valid_from"),
            F("admission__valid_until"),
            F("revoked_on"),
        )
        self.year = int(year)

    def as_sql(self, compiler, connection, **extra):
        if connection.vendor not in self.DAYS:
            raise NotSupportedError(f"CommittedFen has no SQL for {connection.vendor}")
        columns = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            # Plain columns, which have no parameters: the days are written out twice.
            assert not params, params
            columns.append(sql)
        funding, start, until, revoked = columns
        days = self.DAYS[connection.vendor].format(
            start=start,
            until=until,
            revoked=revoked,
            jan1=f"'{self.year}-01-01'",
            dec31=f"'{self.year}-12-31'",
        )
        per_year = _days_in(self.year)
        sql = (
            f"CASE WHEN {days} > 0 THEN ({funding} * {days} * 2 + {per_year}) / {2 * per_year} "
            "ELSE 0 END"
        )
        return sql, []


class _Figures:
    """What follows from committed, transferred and spent money (in fen)."""

    committed: int
    transferred: int
    spent: int

    @property
    def delivery_rate(self) -> float | None:
        """到位率: transferred ÷ committed (None when nothing was committed)."""
        return self.transferred / self.committed if self.committed else None

    @property
    def delivery_percent(self) -> float | None:
        rate = self.delivery_rate
        return None if rate is None else rate * 100

    @property
    def left(self) -> int:
        """What was transferred and not spent yet (结余)."""
        return self.transferred - self.spent

    @property
    def owed(self) -> int:
        """Committed and not transferred yet."""
        return max(self.committed - self.transferred, 0)


@dataclass(frozen=True)
class Funding(_Figures):
    """One community's money for one admission and year: committed, transferred, spent."""

    region_id: str
    committed: int
    transferred: int
    spent: int


def funding_of(*, admission: Admission, year: int) -> list[Funding]:
    """Per community of the admission's scope: what it committed for the year, what was
    transferred and what was spent; two queries."""
    postings = Posting.objects.filter(admission=admission, transaction__year=year)
    money = {
        row["account__region_id"]: row for row in _arrived_and_spent(postings, "account__region_id")
    }
    empty = {"arrived": 0, "spent": 0}
    return [
        Funding(
            region_id=row.region_id,
            committed=committed_fen(row.funding_fen, admission, year, row.revoked_on),
            transferred=money.get(row.region_id, empty)["arrived"],
            spent=money.get(row.region_id, empty)["spent"],
        )
        for row in admission.scope.all()
    ]


@dataclass(frozen=True)
class CommunityMoney(_Figures):
    """What came to a community for one admission (None: its base office funds) in a year,
    what it spent, and what is left of it."""

    admission: Admission | None
    committed: int
    transferred: int
    spent: int
    # The day the money was due, when the admission is suspended here because it never came.
    overdue_since: dt.date | None = None


def _community_money(
    region_id: str, year: int, admission_id: int | None = None
) -> dict[int | None, tuple[int, int]]:
    """{admission id or None for base funds: (transferred, spent)} for one community and year;
    one query."""
    postings = Posting.objects.filter(account__region_id=region_id, transaction__year=year)
    if admission_id is not None:
        postings = postings.filter(admission_id=admission_id)
    rows = _arrived_and_spent(postings, "admission_id")
    return {row["admission_id"]: (row["arrived"], row["spent"]) for row in rows}


def community_money(*, region_id: str, year: int) -> list[CommunityMoney]:
    """Per admission covering the community in `year` (and any other it holds money for): the
    committed, transferred and spent amounts and whether the tripwire has suspended it here, then
    its base office funds; four queries."""
    money = _community_money(region_id, year)
    scope = {
        row.admission_id: row
        for row in AdmissionScope.objects.filter(
            region_id=region_id,
            admission__valid_from__lte=dt.date(year, 12, 31),
            admission__valid_until__gte=dt.date(year, 1, 1),
        )
        .select_related("admission__department")
        .defer("admission__agreement_pdf")
    }
    others = (
        Admission.objects.select_related("department")
        .defer("agreement_pdf")
        .in_bulk([pk for pk in money if pk is not None and pk not in scope])
    )
    admissions = {pk: row.admission for pk, row in scope.items()} | others
    overdue = dict(
        FundingSuspension.objects.filter(region_id=region_id, resumed_at__isnull=True).values_list(
            "admission_id", "due_on"
        )
    )
    rows = [
        CommunityMoney(
            admission=admission,
            committed=(
                committed_fen(scope[pk].funding_fen, admission, year, scope[pk].revoked_on)
                if pk in scope
                else 0
            ),
            transferred=money.get(pk, (0, 0))[0],
            spent=money.get(pk, (0, 0))[1],
            overdue_since=overdue.get(pk),
        )
        for pk, admission in sorted(admissions.items(), key=lambda item: item[1].number)
    ]
    base = money.get(None, (0, 0))
    rows.append(CommunityMoney(admission=None, committed=0, transferred=base[0], spent=base[1]))
    return rows


def money_for_community(*, admission_id: int, region_id: str, year: int) -> CommunityMoney:
    """One admission's money for one community and year (随事经费, on a task's page); two
    queries, three when the community is outside the admission's scope."""
    transferred, spent = _community_money(region_id, year, admission_id).get(admission_id, (0, 0))
    scope = (
        AdmissionScope.objects.filter(admission_id=admission_id, region_id=region_id)
        .select_related("admission")
        .defer("admission__agreement_pdf")
        .first()
    )
    if scope is None:
        admission = Admission.objects.defer("agreement_pdf").get(pk=admission_id)
        committed = 0
    else:
        admission = scope.admission
        committed = committed_fen(scope.funding_fen, admission, year, scope.revoked_on)
    return CommunityMoney(
        admission=admission, committed=committed, transferred=transferred, spent=spent
    )


@dataclass(frozen=True)
class SpendingSource:
    """Money a community holds and may spend: an admission's earmark, or (no admission) its
    base office funds."""

    region_id: str
    admission: Admission | None
    balance: int


def spending_sources(*, street_id: str) -> list[tuple[Region, list[SpendingSource]]]:
    """For each community of the street (居财街管), the earmarks and base funds with money left;
    three queries."""
    communities = list(
        Region.objects.filter(level=RegionLevel.COMMUNITY, parent_id=street_id).order_by("code")
    )
    rows = (
        Posting.objects.filter(
            account__parent__region_id=street_id,
            account__kind__in=[AccountKind.COMMUNITY, AccountKind.BASE],
        )
        .values("account__region_id", "account__kind", "admission_id")
        .annotate(total=Sum("amount_fen"))
        .filter(total__gt=0)
        .order_by()
    )
    # ledger_spend takes an earmark from the sub-account and unearmarked money from the base
    # funds; anything else cannot be spent from here.
    rows = [
        row
        for row in rows
        if (row["account__kind"] == AccountKind.BASE) == (row["admission_id"] is None)
    ]
    admissions = Admission.objects.defer("agreement_pdf").in_bulk(
        {row["admission_id"] for row in rows if row["admission_id"]}
    )
    by_region: dict[str, list[SpendingSource]] = {}
    for row in rows:
        admission = admissions.get(row["admission_id"]) if row["admission_id"] else None
        by_region.setdefault(row["account__region_id"], []).append(
            SpendingSource(row["account__region_id"], admission, row["total"])
        )
    for sources in by_region.values():
        # Base funds last, admissions by number.
        sources.sort(key=lambda s: (s.admission is None, s.admission.number if s.admission else ""))
    return [(region, by_region[region.code]) for region in communities if region.code in by_region]


# ---------------------------------------------------------------------------------------------
# The funding report: committed, transferred and spent by department, admission, street,
# community or year

REPORT_GROUPINGS = ("admission", "department", "street", "community", "year")


@dataclass
class ReportRow(_Figures):
    """One line of the funding report, money in fen: one group's, or the total's."""

    key: str
    name: str
    # The admission's title, or the community's street.
    detail: str = ""
    department: str = ""
    admission_id: int | None = None
    committed: int = 0
    transferred: int = 0
    spent: int = 0
    sort_key: tuple = ()


def funding_admission_visible_to(*, user: User, admission_id: int) -> Admission | None:
    """The admission, if the funding report shows the user any community of it; else None."""
    condition = _funding_jurisdiction(user, region="region", department="admission__department_id")
    if condition is None:
        return None
    covered = AdmissionScope.objects.filter(condition, admission_id=admission_id)
    return (
        Admission.objects.select_related("department")
        .defer("agreement_pdf")
        .filter(pk=admission_id, pk__in=covered.values("admission_id"))
        .first()
    )


@dataclass(frozen=True)
class _Place:
    name: str
    street_code: str
    street_name: str


def _place(code: str, name: str, level: str, parent_code: str | None, parent_name: str | None):
    # Work placed on a street itself counts under that street.
    if level == RegionLevel.COMMUNITY:
        return _Place(name=name, street_code=parent_code or "", street_name=parent_name or "")
    return _Place(name=name, street_code=code, street_name=name)


# What the report needs of an admission: its field → name in the admission's dict.
_ADMISSION_FIELDS = {
    "number": "number",
    "title": "title",
    "year": "year",
    "sequence": "sequence",
    "valid_from": "valid_from",
    "valid_until": "valid_until",
    "department_id": "department_id",
    "department__name": "department",
    "department__sort_key": "department_sort_key",
}
# What a grouping's money is summed by, in the database and in Python: the posting's field, and
# the position of the same key in (admission id, community code, year).
_GROUPED_BY = {
    "admission": ("admission_id", 0),
    "department": ("admission_id", 0),
    "street": ("account__region_id", 1),
    "community": ("account__region_id", 1),
    "year": ("transaction__year", 2),
}


def _report_sums(
    *, user: User, year: int | None, by: str, admission_id: int | None
) -> tuple[dict[int | str, list[int]], dict[int, dict], dict[str, _Place]]:
    """[committed, transferred, spent] in fen per admission id (by admission or department),
    community code (by street or community) or year, over what the user may read, with what the
    rows need to know of each admission and community; three queries, four by street or
    community.

    The postings are summed by that one key, so the database groups a few hundred keys in a
    hash rather than sorting the year's postings by (admission, community, year). The scope rows
    are read bare and pro-rated with each admission's days of the year, counted once."""
    scope_condition = _funding_jurisdiction(
        user, region="region", department="admission__department_id"
    )
    posting_condition = _funding_jurisdiction(
        user, region="account__region", department="admission__department_id"
    )
    if scope_condition is None or posting_condition is None:
        return {}, {}, {}
    scope = AdmissionScope.objects.filter(scope_condition)
    postings = Posting.objects.filter(posting_condition, admission__isnull=False)
    if admission_id is not None:
        scope = scope.filter(admission_id=admission_id)
        postings = postings.filter(admission_id=admission_id)
    elif year is not None:
        scope = scope.filter(
            admission__valid_from__lte=dt.date(year, 12, 31),
            admission__valid_until__gte=dt.date(year, 1, 1),
        )
    if year is not None:
        postings = postings.filter(transaction__year=year)
    field, position = _GROUPED_BY[by]
    scope_rows = list(
        scope.values_list("admission_id", "region_id", "funding_fen", "revoked_on").order_by()
    )
    sums: dict[int | str, list[int]] = {
        row[field]: [0, row["arrived"], row["spent"]] for row in _arrived_and_spent(postings, field)
    }
    # Money moved for an admission or a community that no scope row names (which should never
    # happen) still shows, committed 0.
    admission_ids = {row[0] for row in scope_rows}
    if position == 0:
        admission_ids |= set(sums)
    admissions = {
        row["pk"]: {short: row[name] for name, short in _ADMISSION_FIELDS.items()}
        for row in Admission.objects.filter(pk__in=admission_ids).values("pk", *_ADMISSION_FIELDS)
    }
    places: dict[str, _Place] = {}
    if position == 1:
        codes = {row[1] for row in scope_rows} | set(sums)
        rows = Region.objects.filter(pk__in=codes).values_list(
            "code", "name", "level", "parent_id", "parent__name"
        )
        places = {row[0]: _place(*row) for row in rows}
    # (admission id, year) → the days of the year its term covers, counted once per admission.
    covered: dict[tuple[int, int], int] = {}
    for admission_pk, code, funding_fen, revoked_on in scope_rows:
        admission = admissions[admission_pk]
        first, last = admission["valid_from"].year, admission["valid_until"].year
        for each in [year] if year is not None else range(first, last + 1):
            if revoked_on is None:
                days = covered.get((admission_pk, each))
                if days is None:
                    days = covered[(admission_pk, each)] = _covered_days(
                        admission["valid_from"], admission["valid_until"], each
                    )
            else:
                days = _covered_days(
                    admission["valid_from"], admission["valid_until"], each, revoked_on
                )
            key = (admission_pk, code, each)[position]
            sums.setdefault(key, [0, 0, 0])[0] += _prorated(funding_fen, days, each)
    return sums, admissions, places


def _report_row(
    by: str, key: int | str, admissions: dict[int, dict], places: dict[str, _Place]
) -> ReportRow:
    """An empty row of the group that `key` (see _GROUPED_BY) falls in."""
    if by == "admission":
        admission = admissions[key]
        return ReportRow(
            key=str(key),
            name=admission["number"],
            detail=admission["title"],
            department=admission["department"],
            admission_id=key,
            sort_key=(admission["year"], admission["sequence"]),
        )
    if by == "department":
        admission = admissions[key]
        return ReportRow(
            key=str(admission["department_id"]),
            name=admission["department"],
            sort_key=(admission["department_sort_key"], admission["department_id"]),
        )
    if by == "street":
        place = places[key]
        return ReportRow(
            key=place.street_code, name=place.street_name, sort_key=(place.street_code,)
        )
    if by == "community":
        place = places[key]
        return ReportRow(key=key, name=place.name, detail=place.street_name, sort_key=(key,))
    return ReportRow(key=str(key), name=str(key), sort_key=(key,))


def funding_report(
    *, user: User, year: int | None, by: str, admission_id: int | None = None
) -> list[ReportRow]:
    """Committed, transferred and spent money in fen grouped `by` admission, department,
    street, community or year, for one year (None: every year) and optionally one admission,
    as far as the user's jurisdiction reaches; summed in the database, in three queries (four by
    street or community)."""
    if by not in REPORT_GROUPINGS:
        raise ValueError(by)
    sums, admissions, places = _report_sums(user=user, year=year, by=by, admission_id=admission_id)
    rows: dict[str, ReportRow] = {}
    for key, (committed, transferred, spent) in sums.items():
        empty = _report_row(by, key, admissions, places)
        row = rows.setdefault(empty.key, empty)
        row.committed += committed
        row.transferred += transferred
        row.spent += spent
    return sorted(rows.values(), key=lambda row: row.sort_key)


def funding_report_total(rows: Iterable[ReportRow]) -> ReportRow:
    """The sum of the report's rows."""
    total = ReportRow(key="total", name="")
    for row in rows:
        total.committed += row.committed
        total.transferred += row.transferred
        total.spent += row.spent
    return total


# ---------------------------------------------------------------------------------------------
# The ledger's own check (jianfu ledger-verify)


def ledger_problems() -> list[str]:
    """Every broken invariant of the ledger, as sentences (empty when the ledger is whole):
    unbalanced transactions, balances or earmarks below zero where they must not be, reversals
    that do not exactly undo what they point to. A handful of queries, read in the database."""
    problems = []
    unbalanced = (
        Posting.objects.values("transaction_id").annotate(total=Sum("amount_fen")).exclude(total=0)
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


# ---------------------------------------------------------------------------------------------
# The departments' funding delivery (the scorecards)


def funding_by_department(*, prefix: str, year: int) -> dict[int, tuple[int, int]]:
    """Department id → (committed, transferred) in fen for the year, over the communities whose
    code starts with `prefix`: what each department's admissions promised them, pro-rated by
    term, and what arrived; two queries."""
    scope = AdmissionScope.objects.filter(
        region__code__startswith=prefix,
        admission__valid_from__lte=dt.date(year, 12, 31),
        admission__valid_until__gte=dt.date(year, 1, 1),
    ).values_list(
        "admission__department_id",
        "funding_fen",
        "revoked_on",
        "admission__valid_from",
        "admission__valid_until",
    )
    money: dict[int, list[int]] = {}
    # One term per admission (committed_fen reads only the term), not one per scope row.
    terms: dict[tuple[dt.date, dt.date], Admission] = {}
    for department_id, funding, revoked_on, valid_from, valid_until in scope:
        term = terms.get((valid_from, valid_until))
        if term is None:
            term = terms[(valid_from, valid_until)] = Admission(
                valid_from=valid_from, valid_until=valid_until
            )
        cell = money.setdefault(department_id, [0, 0])
        cell[0] += committed_fen(funding, term, year, revoked_on)
    postings = Posting.objects.filter(
        account__region__code__startswith=prefix,
        admission__isnull=False,
        transaction__year=year,
    )
    for row in _arrived_and_spent(postings, "admission__department_id"):
        money.setdefault(row["admission__department_id"], [0, 0])[1] += row["arrived"]
    return {department_id: (cell[0], cell[1]) for department_id, cell in money.items()}
