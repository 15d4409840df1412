"""The funds ledger (费随事转) as the funds app records it: accounts, and balanced double-entry
transactions in integer fen that keep every invariant `jianfu ledger-verify` checks.

Accounts: each district's treasury source (本级财政), each department's budget line for its
special funds (区级财政专项) and one department's line for the communities' base office funds
(社区办公经费), each street's unified account (街道统一账户) and, inside it, each community's
sub-account, base office funds and expenses (居财街管).

Transactions, each year the ledger covers: the treasury's appropriations to the budget lines
(enough for the year's transfers and a little over), the departments' transfers for their
admissions (费随事转: one transaction per admission paying its communities on time, and a
transfer of its own for each community paid late; most communities get their commitment, some
get part of it, a few nothing), each community's base office funds, the communities' spending
against their earmarks and base funds (never more than arrived), a few spends reversed, and a
few mistaken transfers reversed the next day. For the current year, the funding tripwire's
suspensions are written as its daily run would have left them: open where the money is overdue,
resumed on the day late money arrived.

The ledger covers the most recent years the scale's postings (a million at province scale) can
hold: the current year always, earlier years only if they fit whole, with the share of the
current year's communities paid cut to fit when even that year does not. With the admission
step's mostly narrow scopes the current year fits whole at every scale and earlier years do not.
Spending fills what is left, so the postings number exactly the scale's figure (rounded down to
even: every transaction the app writes has its postings in pairs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.utils.translation import gettext as _

from jianfu.admission.models import AdmissionScope, AdmissionSettings, AdmissionState
from jianfu.catalog.models import ListKind
from jianfu.funds.models import (
    Account,
    AccountKind,
    FundingSuspension,
    LedgerTransaction,
    Posting,
    TransactionKind,
    Voucher,
)
from jianfu.funds.selectors import committed_fen
from jianfu.funds.tripwire import GRACE_DAYS_DEFAULT
from jianfu.gendata.context import CHUNK, Context, analyze_admissions

STEP = "funds"
# Earlier years the ledger may cover, if they fit whole.
PAST_YEARS = 2
SPECIAL_FUNDS = "区级财政专项"
BASE_FUNDS = "社区办公经费"
# Seed 002: base office funds of 3,000 yuan per community worker a year.
BASE_PER_WORKER = 300_000
WORKERS = (6, 12)
# How a community's money for an admission and year goes: paid on time, paid late, part paid
# (60 % to 90 %), not paid; in that order, shares summing to 1.
PAYMENT_SHARES = (0.82, 0.07, 0.06, 0.05)
# Spending and its reversals keep at least this share of the postings.
SPENDING_SHARE = 0.3
REVERSED_SPENDS = 200  # one spend in this many is reversed
MISTAKES = 2_000  # one mistaken (and reversed) transfer per this many communities paid
MARGIN = (1.02, 1.08)  # appropriations exceed the year's transfers by this much
SPEND_MEMOS = (
    "购置入户走访登记用品",
    "印制宣传资料",
    "志愿者误餐补助",
    "活动场地布置",
    "信息采集设备维护",
    "工作人员交通补贴",
)
BASE_MEMOS = ("办公用品购置", "水电费", "网络通讯费", "会议室维护")


@dataclass
class _Pair:
    """One community's money for one admission in one year."""

    admission: int
    region: str
    committed: int
    due_on: dt.date
    revoked: bool = False
    paid: int = 0
    paid_on: dt.date | None = None
    late: bool = False


@dataclass
class _Entry:
    """A transaction before it has its id: (account, admission, amount) lines."""

    moment: dt.datetime
    kind: str
    year: int
    memo: str
    lines: list[tuple[int, int | None, int]]
    voucher: int | None = None
    actor: int | None = None
    reverses: _Entry | None = None
    id: int = 0


@dataclass
class _Ledger:
    accounts: list[dict] = field(default_factory=list)
    source: dict[str, int] = field(default_factory=dict)  # district → treasury account
    budget: dict[int, int] = field(default_factory=dict)  # department → special funds line
    base_line: dict[str, int] = field(default_factory=dict)  # district → base funds line
    own: dict[tuple[str, str], int] = field(default_factory=dict)  # (community, kind) → account
    entries: list[_Entry] = field(default_factory=list)


def _accounts(ctx: Context, departments_used: set[int]) -> _Ledger:
    ledger = _Ledger()
    names = {d.code: d.name for d in ctx.districts}
    street_names = {s.code: s.name for s in ctx.streets}
    departments = [d for d in ctx.departments if d.district_code]
    base_department = {}
    for unit in departments:
        base_department.setdefault(unit.district_code, unit)
    wanted = [d for d in departments if d.id in departments_used]
    count = (
        len(ctx.districts)
        + len(wanted)
        + len(base_department)
        + len(ctx.streets)
        + 3 * len(ctx.communities)
    )
    ids = iter(ctx.ids(Account, count))
    rows = ledger.accounts
    for district in ctx.districts:
        ledger.source[district.code] = pk = next(ids)
        rows.append(
            {
                "id": pk,
                "kind": AccountKind.APPROPRIATION,
                "name": _("%(district)s本级财政") % {"district": names[district.code]},
                "region_id": district.code,
                "district_code": district.code,
            }
        )
    for unit, source, target in [(d, SPECIAL_FUNDS, ledger.budget) for d in wanted] + [
        (d, BASE_FUNDS, ledger.base_line) for d in base_department.values()
    ]:
        pk = next(ids)
        target[unit.id if source == SPECIAL_FUNDS else unit.district_code] = pk
        rows.append(
            {
                "id": pk,
                "kind": AccountKind.BUDGET,
                "name": f"{unit.name} · {source}",
                "unit_id": unit.id,
                "fund_source": source,
                "district_code": unit.district_code,
            }
        )
    unified = {}
    for street in ctx.streets:
        unified[street.code] = pk = next(ids)
        rows.append(
            {
                "id": pk,
                "kind": AccountKind.UNIFIED,
                "name": _("%(street)s统一账户") % {"street": street_names[street.code]},
                "region_id": street.code,
                "district_code": street.district_code,
            }
        )
    labels = {
        AccountKind.COMMUNITY: _("%(community)s子账户"),
        AccountKind.BASE: _("%(community)s办公经费"),
        AccountKind.EXPENSE: _("%(community)s支出"),
    }
    for community in ctx.communities:
        for kind, label in labels.items():
            ledger.own[community.code, kind] = pk = next(ids)
            rows.append(
                {
                    "id": pk,
                    "kind": kind,
                    "name": label % {"community": community.name},
                    "region_id": community.code,
                    "parent_id": unified[community.parent_code],
                    "district_code": community.district_code,
                }
            )
    return ledger


def _scope(ctx: Context):
    """Every funded community of every admission (after the evaluation's revocations); one
    query, read in chunks."""
    return (
        AdmissionScope.objects.filter(
            admission__district_id__in=[d.code for d in ctx.districts],
            region__level="community",
            funding_fen__gt=0,
        )
        .order_by("admission_id", "region_id")
        .values_list(
            "admission_id",
            "admission__department_id",
            "admission__number",
            "admission__title",
            "admission__valid_from",
            "admission__valid_until",
            "admission__state",
            "admission__provisional",
            "admission__list_kind",
            "admission__district_id",
            "region_id",
            "funding_fen",
            "revoked_on",
        )
        .iterator(chunk_size=CHUNK)
    )


@dataclass
class _Admission:
    id: int
    department: int
    district: str
    number: str
    title: str
    valid_from: dt.date
    valid_until: dt.date
    tripwire: bool  # whether the funding tripwire watches it (active, not provisional, not duty)
    pairs: dict[int, list[_Pair]] = field(default_factory=dict)  # year → its communities


def _admissions(ctx: Context, years: list[int]) -> list[_Admission]:
    """The admissions with money, and each year's commitment to each of their communities."""
    grace = dict(
        AdmissionSettings.objects.filter(
            district_id__in=[d.code for d in ctx.districts]
        ).values_list("district_id", "funding_grace_days")
    )
    found: dict[int, _Admission] = {}
    for row in _scope(ctx):
        pk, department, number, title, valid_from, valid_until, state = row[:7]
        provisional, list_kind, district, region, fen, revoked_on = row[7:]
        admission = found.get(pk)
        if admission is None:
            admission = found[pk] = _Admission(
                pk,
                department,
                district,
                number,
                title,
                valid_from,
                valid_until,
                state == AdmissionState.ACTIVE and not provisional and list_kind != ListKind.DUTY,
            )
        if state == AdmissionState.REVOKED:
            continue
        term = SimpleNamespace(valid_from=valid_from, valid_until=valid_until)
        for year in years:
            committed = committed_fen(fen, term, year, revoked_on)
            if committed > 0:
                due_on = max(valid_from, dt.date(year, 1, 1)) + dt.timedelta(
                    days=grace.get(district, GRACE_DAYS_DEFAULT)
                )
                admission.pairs.setdefault(year, []).append(
                    _Pair(pk, region, committed, due_on, revoked_on is not None)
                )
    return list(found.values())


def _cover(ctx: Context, admissions: list[_Admission]) -> tuple[list[int], float]:
    """The years the ledger covers (newest first) and the share of the current year's
    communities it can pay, so that structure leaves SPENDING_SHARE of the postings."""
    lines = ctx.scale.postings // 2
    room = lines - int(lines * SPENDING_SHARE)
    budgets = len({a.department for a in admissions}) + len(ctx.districts)
    covered, share = [], 1.0
    for year in range(ctx.year, ctx.year - PAST_YEARS - 1, -1):
        pairs = sum(len(a.pairs.get(year, ())) for a in admissions)
        fixed = budgets + len(ctx.communities)
        paid = pairs * (1 - PAYMENT_SHARES[3]) * (1 + 2 / MISTAKES)
        if fixed + paid <= room:
            covered.append(year)
            room -= int(fixed + paid) + 1
            continue
        if not covered:
            covered.append(year)
            share = min(1.0, max(0.0, (room - fixed) / paid)) if paid else 0.0
        break
    return covered, share


def _pay(
    ctx: Context, rng, admissions: list[_Admission], year: int, share: float, ledger: _Ledger
) -> dict[int, int]:
    """The year's transfers (and which communities' money came late, short or not at all);
    returns what each budget line paid out."""
    latest = ctx.today - dt.timedelta(days=1)
    on_time, late, short = PAYMENT_SHARES[0], PAYMENT_SHARES[1], PAYMENT_SHARES[2]
    needs: dict[int, int] = defaultdict(int)
    for admission in admissions:
        pairs = admission.pairs.get(year, ())
        if not pairs:
            continue
        start = max(admission.valid_from, dt.date(year, 1, 1))
        # On time: a few days before the due day at the latest.
        grace = (pairs[0].due_on - start).days
        day = start + dt.timedelta(days=rng.randint(0, max(0, grace - 5)))
        budget = ledger.budget[admission.department]
        lines = []
        for pair in pairs:
            # Within the share the ledger can pay: on time, part paid, late; the rest unpaid.
            draw = rng.random() / share if share else 1.0
            if draw < on_time:
                paid_on, amount = day, pair.committed
            elif draw < on_time + short:
                paid_on, amount = day, pair.committed * rng.randint(6, 9) // 10
            elif draw < on_time + short + late:
                paid_on = pair.due_on + dt.timedelta(days=rng.randint(5, 120))
                amount, pair.late = pair.committed, True
            else:
                continue
            if paid_on > latest or amount <= 0:
                pair.late = False
                continue
            pair.paid, pair.paid_on = amount, paid_on
            needs[budget] += amount
            community = ledger.own[pair.region, AccountKind.COMMUNITY]
            if paid_on == day:
                lines += [(budget, admission.id, -amount), (community, admission.id, amount)]
            else:
                ledger.entries.append(
                    _Entry(
                        ctx.at(paid_on, rng.randint(540, 1020)),
                        TransactionKind.TRANSFER,
                        year,
                        f"{year}年{admission.title}工作经费（费随事转，准入 {admission.number}，补拨）",
                        [(budget, admission.id, -amount), (community, admission.id, amount)],
                    )
                )
        if lines:
            ledger.entries.append(
                _Entry(
                    ctx.at(day, rng.randint(540, 1020)),
                    TransactionKind.TRANSFER,
                    year,
                    f"{year}年{admission.title}工作经费（费随事转，准入 {admission.number}）",
                    lines,
                )
            )
    return needs


def generate(ctx: Context) -> None:
    """Accounts, vouchers, transactions with their postings, and the tripwire's suspensions."""
    rng = ctx.rng(STEP)
    years = list(range(ctx.year - PAST_YEARS, ctx.year + 1))
    analyze_admissions()
    admissions = _admissions(ctx, years)
    covered, share = _cover(ctx, admissions)
    ledger = _accounts(ctx, {a.department for a in admissions})
    ctx.insert(Account, ledger.accounts)
    latest = ctx.today - dt.timedelta(days=1)
    districts = {d.code for d in ctx.districts}
    district_of = {a["id"]: a["district_code"] for a in ledger.accounts}
    vouchers: dict[tuple[str, int], int] = {}
    voucher_rows = []
    voucher_ids = iter(ctx.ids(Voucher, len(ctx.communities) * len(covered)))
    for year in sorted(covered):
        for community in ctx.communities:
            content = f"%PDF-1.4\n% {community.name} {year}年支出凭证汇总\n".encode()
            vouchers[community.code, year] = pk = next(voucher_ids)
            voucher_rows.append(
                {
                    "id": pk,
                    "name": f"{community.name}{year}年支出凭证.pdf",
                    "content": content,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "uploaded_by_id": ctx.officers.get(community.parent_code),
                    "uploaded_at": ctx.at(dt.date(year, 1, 2)),
                }
            )
    ctx.insert(Voucher, voucher_rows)
    # (pair, year, admission, budget line) of each community's money that arrived.
    earmarks: list[tuple[_Pair, int, int, int]] = []
    bases: list[tuple[str, int, int, dt.date]] = []
    for year in sorted(covered):
        needs = _pay(ctx, rng, admissions, year, share if year == ctx.year else 1.0, ledger)
        for admission in admissions:
            line = ledger.budget.get(admission.department)
            earmarks += [
                (p, year, admission.id, line) for p in admission.pairs.get(year, ()) if p.paid
            ]
        # Base office funds, from each district's base funds line.
        for community in ctx.communities:
            if community.district_code not in districts:
                continue
            day = min(dt.date(year, 1, rng.randint(15, 25)), latest)
            amount = BASE_PER_WORKER * rng.randint(*WORKERS)
            line = ledger.base_line.get(community.district_code)
            if line is None:
                continue
            needs[line] += amount
            bases.append((community.code, year, amount, day))
            ledger.entries.append(
                _Entry(
                    ctx.at(day, 600),
                    TransactionKind.BASE_ALLOCATION,
                    year,
                    f"{year}年社区办公经费",
                    [
                        (line, None, -amount),
                        (ledger.own[community.code, AccountKind.BASE], None, amount),
                    ],
                )
            )
        # Appropriations: enough for the year's transfers and base funds, and a little over.
        for line, amount in sorted(needs.items()):
            total = int(amount * rng.uniform(*MARGIN)) + 100_000
            district = district_of[line]
            ledger.entries.append(
                _Entry(
                    ctx.at(min(dt.date(year, 1, rng.randint(5, 12)), latest), 570),
                    TransactionKind.APPROPRIATION,
                    year,
                    f"{year}年预算下达",
                    [(ledger.source[district], None, -total), (line, None, total)],
                )
            )
    _mistakes(ctx, rng, ledger, earmarks)
    _spend(ctx, rng, ledger, earmarks, bases, vouchers)
    _write(ctx, ledger)
    if ctx.year in covered:
        _suspensions(ctx, admissions)


def _mistakes(ctx: Context, rng, ledger: _Ledger, earmarks) -> None:
    """A few transfers of 10 yuan to a community by mistake, each reversed the next day."""
    latest = ctx.today - dt.timedelta(days=1)
    for _mistake in range(len(earmarks) // MISTAKES):
        pair, year, admission, budget = earmarks[rng.randrange(len(earmarks))]
        if pair.paid_on >= latest:
            continue
        community = ledger.own[pair.region, AccountKind.COMMUNITY]
        wrong = _Entry(
            ctx.at(pair.paid_on, 1000),
            TransactionKind.TRANSFER,
            year,
            f"{year}年工作经费（误拨）",
            [(budget, admission, -1_000), (community, admission, 1_000)],
        )
        ledger.entries.append(wrong)
        ledger.entries.append(_reversal(ctx, wrong, pair.paid_on + dt.timedelta(days=1), "误拨"))


def _reversal(ctx: Context, original: _Entry, day: dt.date, why: str) -> _Entry:
    """The exact opposite of `original`, after it (its memo is completed once ids are known)."""
    return _Entry(
        max(ctx.at(day, 660), original.moment + dt.timedelta(hours=1)),
        TransactionKind.REVERSAL,
        original.year,
        why,
        [(account, admission, -amount) for account, admission, amount in original.lines],
        reverses=original,
    )


def _spend(ctx: Context, rng, ledger: _Ledger, earmarks, bases, vouchers) -> None:
    """Spending fills the postings left: against earmarks and base funds in proportion to what
    arrived, each never more than arrived; one spend in REVERSED_SPENDS reversed."""
    used = sum(len(e.lines) for e in ledger.entries)
    units = max(0, (ctx.scale.postings - used) // 2)
    reversals = units // (REVERSED_SPENDS + 1)
    spends = units - reversals
    pots = [(p.region, y, a, p.paid, p.paid_on) for p, y, a, _line in earmarks]
    pots += [(region, year, None, amount, day) for region, year, amount, day in bases]
    weights = [amount for *_rest, amount, _day in pots]
    counts = _split(spends, weights)
    latest = ctx.today - dt.timedelta(days=1)
    made: list[_Entry] = []
    for (region, year, admission, amount, day), count in zip(pots, counts, strict=True):
        if not count:
            continue
        source = ledger.own[region, AccountKind.COMMUNITY if admission else AccountKind.BASE]
        expense = ledger.own[region, AccountKind.EXPENSE]
        spent = int(amount * rng.uniform(0.3, 0.95))
        last = min(dt.date(year, 12, 31), latest)
        parts = _split(spent, [rng.random() + 0.2 for _ in range(count)])
        for part in parts:
            part = max(part, 1)
            when = day + dt.timedelta(days=rng.randint(1, max(1, (last - day).days)))
            memo = rng.choice(SPEND_MEMOS if admission else BASE_MEMOS)
            entry = _Entry(
                ctx.at(min(when, latest), rng.randint(540, 1020)),
                TransactionKind.SPEND,
                year,
                memo,
                [(source, admission, -part), (expense, admission, part)],
                voucher=vouchers.get((region, year)),
                actor=ctx.officers.get(region[:9] + "000"),
            )
            made.append(entry)
    ledger.entries += made
    for index in range(reversals):
        original = made[(index * REVERSED_SPENDS) % len(made)] if made else None
        if original is None:
            break
        day = min(original.moment.date() + dt.timedelta(days=rng.randint(1, 10)), latest)
        ledger.entries.append(_reversal(ctx, original, day, "金额有误"))


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` in proportion to `weights`, by largest remainder (exact sum)."""
    whole = sum(weights)
    if not whole or total <= 0:
        return [0] * len(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for index in order[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _write(ctx: Context, ledger: _Ledger) -> None:
    """Transactions in the order they happened (so are their ids), then their postings."""
    # A stable sort: an entry and its reversal an hour later keep their order.
    entries = sorted(ledger.entries, key=lambda e: e.moment)
    for entry, pk in zip(entries, ctx.ids(LedgerTransaction, len(entries)), strict=True):
        entry.id = pk
    # A reversal's memo names the original as ledger_reverse writes it.
    for entry in entries:
        if entry.reverses is not None:
            entry.memo = _("冲正第 %(id)d 号凭证：%(reason)s") % {
                "id": entry.reverses.id,
                "reason": entry.memo,
            }
    ctx.insert(
        LedgerTransaction,
        (
            {
                "id": e.id,
                "kind": e.kind,
                "year": e.year,
                "memo": e.memo,
                "voucher_id": e.voucher,
                "reverses_id": e.reverses.id if e.reverses else None,
                "actor_id": e.actor,
                "created_at": e.moment,
            }
            for e in entries
        ),
        label=_("记账凭证"),
        total=len(entries),
    )
    ctx.copy(
        Posting,
        ("transaction_id", "account_id", "admission_id", "amount_fen", "year"),
        (
            (e.id, account, admission, amount, e.year)
            for e in entries
            for account, admission, amount in e.lines
        ),
        label=_("分录"),
        total=sum(len(e.lines) for e in entries),
    )


def _suspensions(ctx: Context, admissions: list[_Admission]) -> None:
    """The current year's suspensions as the daily tripwire leaves them: open for each watched
    community still without money past its due day, resumed when late money arrived."""
    today, rows = ctx.today, []
    for admission in admissions:
        if not admission.tripwire:
            continue
        in_force = admission.valid_from <= today <= admission.valid_until
        for pair in admission.pairs.get(ctx.year, ()):
            if today <= pair.due_on or pair.revoked:
                continue
            row = {
                "admission_id": admission.id,
                "region_id": pair.region,
                "year": ctx.year,
                "due_on": pair.due_on,
                "suspended_at": ctx.at(pair.due_on + dt.timedelta(days=1), 120),
            }
            if pair.paid and pair.paid_on > pair.due_on:
                rows.append({**row, "resumed_at": ctx.at(pair.paid_on, 1080)})
            elif not pair.paid and in_force:
                rows.append({**row, "resumed_at": None})
    ctx.insert(FundingSuspension, rows)
