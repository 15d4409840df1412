"""Benchmark: the funds ledger's spending, funding report and ledger-verify against raw SQL.

    .venv/bin/python benchmarks/funds_ledger.py [--database sqlite|postgres|both] [--repeat 3]
                                                [--spends 2000] [--profile] [--json PATH]

Every measurement runs in its own child process, on a fresh copy of a freshly migrated database
that already holds one district's ledger: 5 streets × 10 communities, 20 departments with their
budget lines, 200 admissions each covering all 50 communities, and about 100,000 postings of
appropriations, transfers, base funds, spending and reversals over two years (the machinery is
in harness.py). See benchmarks/README.md for what is compared. This is a measurement, not a
test: it prints a table and exits 0 whatever the ratios are.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import json
import pstats
import time
from pathlib import Path

import harness

# Run again with --child for each measurement.
SCRIPT = Path(__file__)
# The PostgreSQL scratch database; its template is this name with "_template".
POSTGRES_NAME = "jianfu_bench_funds"

YEAR = 2026
PROVINCE, CITY, DISTRICT = "510000000000", "519000000000", "519001000000"
# The district's codes run from here up to (not including) the next district's.
DISTRICT_PREFIX, NEXT_DISTRICT_PREFIX = "519001", "519002"
STREETS, COMMUNITIES_PER_STREET = 5, 10
DEPARTMENTS, ADMISSIONS = 20, 200
# The first 150 admissions run from 1 January of last year to the end of this one; the other
# 50 from 1 April of this year to 31 March of the next, so this year's commitment is pro-rated.
FULL_TERM_ADMISSIONS = 150
FUND_SOURCE = "区级财政专项"
FINANCE, STREET_CLERK = "bench_finance", "bench_street"
SPEND_MEMO = "购置入户走访登记用品"
# A ratio above this is looked into (with --profile); not a goal the project has agreed.
LOOK_RATIO = 3.0
# The goal for reports and dashboards holds for the funding report; spending and ledger-verify
# have none.
GOALS = {"report_admission": 2.0, "report_community": 2.0}
INNER_RUNS = 3


# The data -----------------------------------------------------------------------------------------


def _street_codes() -> list[str]:
    return [f"{DISTRICT_PREFIX}{s:03d}000" for s in range(1, STREETS + 1)]


def _community_codes(street: str) -> list[str]:
    return [f"{street[:9]}{k:03d}" for k in range(1, COMMUNITIES_PER_STREET + 1)]


def _communities() -> list[str]:
    return [code for street in _street_codes() for code in _community_codes(street)]


def _term(a: int) -> tuple[dt.date, dt.date]:
    if a < FULL_TERM_ADMISSIONS:
        return dt.date(YEAR - 1, 1, 1), dt.date(YEAR, 12, 31)
    return dt.date(YEAR, 4, 1), dt.date(YEAR + 1, 3, 31)


def _yearly_fen(a: int, c: int) -> int:
    """The money admission a agreed per year for community c (5,000 to 9,900 yuan)."""
    return 500_000 + ((a * 7 + c * 13) % 50) * 10_000


def _prorated(yearly_fen: int, valid_from: dt.date, valid_until: dt.date, year: int) -> int:
    """committed_fen's arithmetic, for the floors and the generated transfers."""
    start, end = max(valid_from, dt.date(year, 1, 1)), min(valid_until, dt.date(year, 12, 31))
    if end < start:
        return 0
    days_in_year = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    return (yearly_fen * ((end - start).days + 1) * 2 + days_in_year) // (days_in_year * 2)


def _funded(a: int, c: int) -> bool:
    """One admission-community pair in nine never got its money, so delivery rates vary."""
    return (a + c) % 9 != 0


def _transferred(a: int, c: int, year: int) -> int:
    """What admission a transferred to community c for `year`: 60 % to 100 % of the
    commitment, nothing for an unfunded pair."""
    if not _funded(a, c):
        return 0
    committed = _prorated(_yearly_fen(a, c), *_term(a), year)
    return committed * (6 + (a * 3 + c) % 5) // 10


def _setup() -> None:
    """The district, its offices, accounts, admissions and ledger (not timed), written in bulk.

    The ledger's triggers refuse only UPDATE and DELETE, so the rows are inserted directly; the
    per-row work of the services (locks, checks, audit records) is what the timed runs measure.
    """
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from jianfu.admission.models import Admission, AdmissionScope
    from jianfu.core.audit import GENESIS_HASH
    from jianfu.core.models import AuditChainHead
    from jianfu.funds.models import Account, LedgerTransaction, Posting, Voucher
    from jianfu.org.models import Region, Unit, User, UserRole
    from jianfu.org.roles import Role

    streets = _street_codes()
    communities = _communities()
    with transaction.atomic():
        Region.objects.bulk_create(
            [
                Region(code=PROVINCE, name="四川省", level="province"),
                Region(code=CITY, name="测试市", level="city", parent_id=PROVINCE),
                Region(code=DISTRICT, name="测试区", level="district", parent_id=CITY),
            ]
            + [
                Region(code=s, name=f"第{s[6:9]}街道", level="street", parent_id=DISTRICT)
                for s in streets
            ]
            + [
                Region(
                    code=c,
                    name=f"第{c[6:9]}-{c[9:]}社区",
                    level="community",
                    parent_id=c[:9] + "000",
                )
                for c in communities
            ]
        )

        def unit(name: str, kind: str, region: str) -> Unit:
            return Unit(
                name=name, type=kind, region_id=region, district_code=DISTRICT, sort_key=name
            )

        finance_office = unit("测试区财政局", "department", DISTRICT)
        departments = [
            unit(f"测试区第{d + 1:02d}局", "department", DISTRICT) for d in range(DEPARTMENTS)
        ]
        drill = unit("测试区账务演练组", "department", DISTRICT)
        street_office = unit("第001街道办事处", "street_office", streets[0])
        Unit.objects.bulk_create([finance_office, *departments, drill, street_office])
        unusable = make_password(None)
        finance = User.objects.create(username=FINANCE, unit=finance_office, password=unusable)
        clerk = User.objects.create(username=STREET_CLERK, unit=street_office, password=unusable)
        UserRole.objects.bulk_create(
            [
                UserRole(user=finance, role=Role.FINANCE_OFFICER),
                UserRole(user=clerk, role=Role.STREET_OFFICER),
            ]
        )

        # Accounts: the treasury's source, a budget line per department, a unified account per
        # street, and each community's sub-account, base office funds and expenses.
        source = Account(
            kind="appropriation", name="测试区本级财政", region_id=DISTRICT, district_code=DISTRICT
        )
        budgets = [
            Account(
                kind="budget",
                name=f"{d.name} · {FUND_SOURCE}",
                unit=d,
                fund_source=FUND_SOURCE,
                district_code=DISTRICT,
            )
            for d in [*departments, drill]
        ]
        unified = [
            Account(
                kind="unified", name=f"第{s[6:9]}街道统一账户", region_id=s, district_code=DISTRICT
            )
            for s in streets
        ]
        Account.objects.bulk_create([source, *budgets, *unified])
        unified_of = {account.region_id: account.pk for account in unified}
        own = Account.objects.bulk_create(
            [
                Account(
                    kind=kind,
                    name=f"{c}{label}",
                    region_id=c,
                    parent_id=unified_of[c[:9] + "000"],
                    district_code=DISTRICT,
                )
                for c in communities
                for kind, label in (
                    ("community", "子账户"),
                    ("base", "办公经费"),
                    ("expense", "支出"),
                )
            ]
        )
        account = {(a.region_id, a.kind): a.pk for a in own}

        admissions = []
        sequence = {YEAR - 1: 0, YEAR: 0}
        for a in range(ADMISSIONS):
            valid_from, valid_until = _term(a)
            issued = valid_from.year
            sequence[issued] += 1
            admissions.append(
                Admission(
                    number=f"测准〔{issued}〕{sequence[issued]}号",
                    district_id=DISTRICT,
                    year=issued,
                    sequence=sequence[issued],
                    department=departments[a % DEPARTMENTS],
                    title=f"协助事项{a + 1:03d}",
                    object_kind="task",
                    target_level="community",
                    valid_from=valid_from,
                    valid_until=valid_until,
                )
            )
        Admission.objects.bulk_create(admissions)
        AdmissionScope.objects.bulk_create(
            [
                AdmissionScope(admission=admission, region_id=code, funding_fen=_yearly_fen(a, c))
                for a, admission in enumerate(admissions)
                for c, code in enumerate(communities)
            ],
            batch_size=5000,
        )
        voucher = Voucher.objects.create(
            name="发票.pdf", content=b"%PDF-1.4 bench", sha256="0" * 64
        )
        AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH)

        # The ledger, as (transaction fields, [(account id, admission id, amount)]).
        entries: list[tuple[dict, list[tuple[int, int | None, int]]]] = []

        def entry(kind: str, year: int, memo: str, lines, **fields) -> int:
            entries.append(({"kind": kind, "year": year, "memo": memo, **fields}, lines))
            return len(entries) - 1

        needs = dict.fromkeys(range(DEPARTMENTS), 0)
        for year in (YEAR - 1, YEAR):
            for a, admission in enumerate(admissions):
                budget = budgets[a % DEPARTMENTS].pk
                lines = []
                for c, code in enumerate(communities):
                    amount = _transferred(a, c, year)
                    if amount:
                        lines += [
                            (budget, admission.pk, -amount),
                            (account[code, "community"], admission.pk, amount),
                        ]
                        needs[a % DEPARTMENTS] += amount
                if lines:
                    entry("transfer", year, f"{admission.number} {year}年经费拨付", lines)
            # Base office funds (seed 002), paid from the first department's line.
            for code in communities:
                amount = 9 * 300_000
                entry(
                    "base_allocation",
                    year,
                    "社区办公经费",
                    [(budgets[0].pk, None, -amount), (account[code, "base"], None, amount)],
                )
                needs[0] += amount
        # Spending: two or three payments against each earmark that received money.
        spends = []
        for year in (YEAR - 1, YEAR):
            for a, admission in enumerate(admissions):
                for c, code in enumerate(communities):
                    amount = _transferred(a, c, year)
                    parts = (amount // 4, amount // 5, amount // 6)[: 3 if (a + c) % 3 == 0 else 2]
                    for part in parts if amount else ():
                        lines = [
                            (account[code, "community"], admission.pk, -part),
                            (account[code, "expense"], admission.pk, part),
                        ]
                        spends.append(entry("spend", year, SPEND_MEMO, lines, voucher=voucher))
        # Mistaken transfers of ten admissions to five communities, each reversed.
        mistakes = [
            entry(
                "transfer",
                YEAR,
                "误拨",
                [
                    line
                    for code in communities[:5]
                    for line in (
                        (budgets[a % DEPARTMENTS].pk, admissions[a].pk, -1_000),
                        (account[code, "community"], admissions[a].pk, 1_000),
                    )
                ],
            )
            for a in range(10)
        ]
        for d, amount in needs.items():
            for year in (YEAR - 1, YEAR):
                # Enough each year for both years' transfers, with some left over.
                entry(
                    "appropriation",
                    year,
                    "预算下达",
                    [(source.pk, None, -amount), (budgets[d].pk, None, amount)],
                )
        # One spend in 97 was a mistake and is reversed, as are the mistaken transfers.
        reversals = [(index, "冲正：金额有误") for index in spends[::97]] + [
            (index, "冲正：误拨") for index in mistakes
        ]

        # Four planted problems for ledger-verify to find (year before last, base funds only,
        # so no report and no earmark the spending runs against sees them): a budget line
        # below zero, a reversal that does not undo its original, an unbalanced transaction
        # and one without postings.
        c1, drill_line = communities[-1], budgets[-1].pk
        entry(
            "base_allocation",
            YEAR - 2,
            "演练：超额拨付",
            [(drill_line, None, -1_000), (account[c1, "base"], None, 1_000)],
        )
        wrong = entry(
            "spend",
            YEAR - 2,
            "演练：支出",
            [(account[c1, "base"], None, -300), (account[c1, "expense"], None, 300)],
            voucher=voucher,
        )
        entry(
            "spend", YEAR - 2, "演练：不平衡", [(account[c1, "expense"], None, 1)], voucher=voucher
        )
        entry("spend", YEAR - 2, "演练：无分录", [], voucher=voucher)

        created = LedgerTransaction.objects.bulk_create(
            [LedgerTransaction(**fields) for fields, _lines in entries], batch_size=5000
        )
        reversal_rows = [
            LedgerTransaction(
                kind="reversal",
                year=entries[i][0]["year"],
                memo=f"冲正第 {created[i].pk} 号凭证：{why}",
                reverses=created[i],
            )
            for i, why in reversals
        ]
        reversal_rows.append(
            LedgerTransaction(
                kind="reversal", year=YEAR - 2, memo="演练：冲正金额不符", reverses=created[wrong]
            )
        )
        reversed_ = LedgerTransaction.objects.bulk_create(reversal_rows)
        postings = [
            Posting(transaction=created[i], account_id=acc, admission_id=adm, amount_fen=amount)
            for i, (_fields, lines) in enumerate(entries)
            for acc, adm, amount in lines
        ]
        for (i, _why), reversal in zip(reversals, reversed_, strict=False):
            postings += [
                Posting(transaction=reversal, account_id=acc, admission_id=adm, amount_fen=-amount)
                for acc, adm, amount in entries[i][1]
            ]
        postings += [
            Posting(transaction=reversed_[-1], account_id=account[c1, "base"], amount_fen=200),
            Posting(transaction=reversed_[-1], account_id=account[c1, "expense"], amount_fen=-200),
        ]
        Posting.objects.bulk_create(postings, batch_size=5000)


# Reading the data back --------------------------------------------------------------------------


def _user(username: str):
    from jianfu.org.models import User

    user = User.objects.select_related("unit__region").get(username=username)
    # Read the roles now, as a request's first permission check does.
    assert user.role_set
    return user


def _spend_plan(count: int) -> list[tuple[str, int, int]]:
    """(community code, admission index, amount in fen) of each spend, in order: the first
    street's ten communities in turn, against admissions that sent them money this year."""
    communities = _communities()
    plan = []
    i = 0
    while len(plan) < count:
        c = i % COMMUNITIES_PER_STREET
        a = (i * 37) % ADMISSIONS
        if _transferred(a, c, YEAR):
            plan.append((communities[c], a, 100 + len(plan) % 100))
        i += 1
    return plan


def _ledger_size() -> dict:
    from jianfu.funds.models import LedgerTransaction, Posting

    return {
        "transactions": LedgerTransaction.objects.count(),
        "postings": Posting.objects.count(),
        "last_transaction": LedgerTransaction.objects.order_by("-pk")
        .values_list("pk", flat=True)
        .first(),
    }


def _verify_spends(first_new: int, plan, *, audited: bool) -> None:
    from django.db.models import Sum

    from jianfu.core.models import AuditRecord
    from jianfu.funds.models import LedgerTransaction, Posting

    new = LedgerTransaction.objects.filter(pk__gte=first_new)
    assert new.count() == len(plan), new.count()
    assert not new.exclude(kind="spend").exists()
    postings = Posting.objects.filter(transaction_id__gte=first_new)
    assert postings.count() == 2 * len(plan)
    spent = postings.filter(account__kind="expense").aggregate(total=Sum("amount_fen"))["total"]
    assert spent == sum(amount for _c, _a, amount in plan), spent
    assert postings.aggregate(total=Sum("amount_fen"))["total"] == 0
    assert AuditRecord.objects.filter(action="ledger.spend").count() == (
        len(plan) if audited else 0
    )


def _query_counter(connection):
    """A cheap statement counter (CaptureQueriesContext formats every statement, which would
    cost more than some of the statements themselves)."""
    counted = {"queries": 0}

    def count(execute, sql, params, many, context):
        counted["queries"] += 1
        return execute(sql, params, many, context)

    return counted, connection.execute_wrapper(count)


def _profiled(run) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    return text.getvalue()


def _warm_up() -> None:
    """Load what a running web process has loaded long before: the URL configuration and the
    translation catalogues (the first gettext() reads every .mo file)."""
    from django.urls import reverse
    from django.utils.translation import gettext

    reverse("inbox")
    gettext("余额不足：%(accounts)s")


# Raw SQL for the floors ---------------------------------------------------------------------------


def _sql(connection, text: str) -> str:
    """DB-API parameter marks: psycopg takes %s, sqlite3 takes ?."""
    return text.replace("%s", "?") if connection.vendor == "sqlite" else text


def _stamp(connection):
    from django.utils import timezone

    now = timezone.now()
    # Django keeps naive UTC text on SQLite.
    return now.replace(tzinfo=None).isoformat(sep=" ") if connection.vendor == "sqlite" else now


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _floor_spends(connection, rows, *, actor, voucher_id: int, audit: bool) -> int:
    """Per spend, in a transaction of its own: lock the two accounts, read the earmark, write
    the transaction and its two postings (and with `audit`, the audit record and the chain's
    head). Returns the number of statements sent."""
    from jianfu.core.crypto import sm3_hex

    sqlite = connection.vendor == "sqlite"
    raw = connection.connection
    cursor = raw.cursor()
    statements = 0
    # SQLite (3.35+) returns the new id as lastrowid; PostgreSQL is asked for it.
    returning = "" if sqlite else " RETURNING id"
    earmark_sql = _sql(
        connection,
        "SELECT COALESCE(SUM(amount_fen), 0) FROM funds_posting WHERE account_id = %s AND admission_id = %s",
    )
    transaction_sql = _sql(
        connection,
        "INSERT INTO funds_ledgertransaction (kind, year, memo, voucher_id, reverses_id, actor_id, idempotency_key, created_at) "
        "VALUES ('spend', %s, %s, %s, NULL, %s, '', %s)" + returning,
    )
    postings_sql = _sql(
        connection,
        "INSERT INTO funds_posting (transaction_id, account_id, admission_id, amount_fen, year) VALUES (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s)",
    )
    head_sql = "SELECT last_hash FROM core_auditchainhead WHERE id = 1"
    if not sqlite:
        head_sql += " FOR UPDATE"
    record_sql = _sql(
        connection,
        "INSERT INTO core_auditrecord (created_at, actor_id, actor_username, roles, unit_id, unit_name, ip, channel, action, "  # noqa: S608
        "object_type, object_id, changes, result, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, '', 'cli', 'ledger.spend', "
        "'funds.ledgertransaction', %s, %s, 'success', %s, %s)" + returning,
    )
    head_update_sql = _sql(
        connection,
        "UPDATE core_auditchainhead SET last_record_id = %s, last_hash = %s, count = count + 1 WHERE id = 1",
    )
    for source, expense, admission, amount in rows:
        stamp = _stamp(connection)
        cursor.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN")
        # SQLite's BEGIN IMMEDIATE already holds the database's write lock.
        if not sqlite:
            cursor.execute(
                "SELECT id FROM funds_account WHERE id IN (%s, %s) ORDER BY id FOR UPDATE",
                sorted((source, expense)),
            )
            cursor.fetchall()
            statements += 1
        cursor.execute(earmark_sql, (source, admission))
        if cursor.fetchone()[0] < amount:
            cursor.execute("ROLLBACK")
            raise AssertionError("earmark short")
        cursor.execute(transaction_sql, (YEAR, SPEND_MEMO, voucher_id, actor.pk, stamp))
        entry_id = cursor.lastrowid if sqlite else cursor.fetchone()[0]
        cursor.execute(
            postings_sql,
            (
                entry_id,
                source,
                admission,
                -amount,
                YEAR,
                entry_id,
                expense,
                admission,
                amount,
                YEAR,
            ),
        )
        statements += 5
        if audit:
            cursor.execute(head_sql)
            prev_hash = cursor.fetchone()[0]
            changes = {
                "year": YEAR,
                "memo": SPEND_MEMO,
                "reverses": None,
                "postings": [[source, admission, -amount], [expense, admission, amount]],
            }
            content = {
                "created_at": stamp if sqlite else stamp.isoformat(), "actor_id": actor.pk, "actor_username": actor.username,
                "roles": ",".join(sorted(actor.role_set)), "unit_id": actor.unit_id, "unit_name": actor.unit.name, "ip": "",
                "channel": "cli", "action": "ledger.spend", "object_type": "funds.ledgertransaction",
                "object_id": str(entry_id), "changes": changes, "result": "success", "prev_hash": prev_hash,
            }  # fmt: skip
            digest = sm3_hex(
                json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            )
            cursor.execute(
                record_sql,
                (stamp, actor.pk, actor.username, content["roles"], actor.unit_id, actor.unit.name, str(entry_id),
                 json.dumps(changes, ensure_ascii=False), prev_hash, digest),
            )  # fmt: skip
            record_id = cursor.lastrowid if sqlite else cursor.fetchone()[0]
            cursor.execute(head_update_sql, (record_id, digest))
            statements += 3
        cursor.execute("COMMIT")
    cursor.close()
    return statements


def _floor_report(connection, *, by: str) -> list[tuple]:
    """The funding report for the finance office of the district, in two statements: the scope
    (committed, pro-rated in Python per row) and one GROUP BY of the year's postings."""
    group = "s.admission_id" if by == "admission" else "s.region_id"
    cursor = connection.connection.cursor()
    cursor.execute(
        _sql(
            connection,
            f"SELECT {group}, s.funding_fen, a.valid_from, a.valid_until, a.year, a.sequence "  # noqa: S608
            "FROM admission_admissionscope s JOIN admission_admission a ON a.id = s.admission_id "
            "WHERE s.region_id >= %s AND s.region_id < %s AND a.valid_from <= %s AND a.valid_until >= %s",
        ),
        (DISTRICT_PREFIX, NEXT_DISTRICT_PREFIX, f"{YEAR}-12-31", f"{YEAR}-01-01"),
    )
    rows: dict = {}
    order: dict = {}
    for key, funding, valid_from, valid_until, year, sequence in cursor.fetchall():
        cell = rows.setdefault(key, [0, 0, 0])
        cell[0] += _prorated(funding, _date(valid_from), _date(valid_until), YEAR)
        order[key] = (year, sequence) if by == "admission" else (key,)
    money_group = "p.admission_id" if by == "admission" else "acc.region_id"
    cursor.execute(
        _sql(
            connection,
            f"SELECT {money_group}, "  # noqa: S608
            "SUM(CASE WHEN acc.kind IN ('community', 'base') AND t.kind <> 'spend' "
            "AND (o.kind IS NULL OR o.kind <> 'spend') THEN p.amount_fen ELSE 0 END), "
            "SUM(CASE WHEN acc.kind = 'expense' THEN p.amount_fen ELSE 0 END) "
            "FROM funds_posting p JOIN funds_account acc ON acc.id = p.account_id "
            "JOIN funds_ledgertransaction t ON t.id = p.transaction_id "
            "LEFT JOIN funds_ledgertransaction o ON o.id = t.reverses_id "
            "WHERE p.admission_id IS NOT NULL AND acc.kind IN ('community', 'base', 'expense') "
            "AND acc.region_id >= %s AND acc.region_id < %s AND t.year = %s "
            f"GROUP BY {money_group}",
        ),
        (DISTRICT_PREFIX, NEXT_DISTRICT_PREFIX, YEAR),
    )
    for key, transferred, spent in cursor.fetchall():
        cell = rows.setdefault(key, [0, 0, 0])
        cell[1] += transferred
        cell[2] += spent
    cursor.close()
    return [(str(key), *rows[key]) for key in sorted(rows, key=lambda k: order[k])]


GUARDED = "('budget', 'community', 'base', 'unified')"


def _floor_verify(connection) -> list[tuple]:
    """ledger_problems' checks in five statements, each answered in the database."""
    cursor = connection.connection.cursor()
    problems = []
    cursor.execute(
        "SELECT transaction_id, SUM(amount_fen) FROM funds_posting GROUP BY transaction_id HAVING SUM(amount_fen) <> 0"
    )
    problems += [("unbalanced", row[0]) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT t.id FROM funds_ledgertransaction t "
        "WHERE NOT EXISTS (SELECT 1 FROM funds_posting p WHERE p.transaction_id = t.id)"
    )
    problems += [("empty", row[0]) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT acc.id, acc.name, b.total FROM (SELECT account_id, SUM(amount_fen) AS total FROM funds_posting "  # noqa: S608
        f"GROUP BY account_id) b JOIN funds_account acc ON acc.id = b.account_id WHERE b.total < 0 AND acc.kind IN {GUARDED}"
    )
    problems += [("negative", row[0]) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT acc.id, acc.name, b.admission_id, b.total FROM (SELECT account_id, admission_id, SUM(amount_fen) AS total "  # noqa: S608
        "FROM funds_posting GROUP BY account_id, admission_id) b JOIN funds_account acc ON acc.id = b.account_id "
        f"WHERE b.total < 0 AND acc.kind IN {GUARDED} AND acc.kind <> 'budget'"
    )
    problems += [("earmark", row[0], row[2]) for row in cursor.fetchall()]
    # A reversal's postings, negated, must be exactly its original's, as a multiset.
    cursor.execute(
        "WITH pairs AS (SELECT id AS rid, reverses_id AS oid FROM funds_ledgertransaction WHERE reverses_id IS NOT NULL), "
        "undone AS (SELECT pairs.rid, p.account_id, p.admission_id, -p.amount_fen AS amount, COUNT(*) AS n "
        "FROM pairs JOIN funds_posting p ON p.transaction_id = pairs.rid GROUP BY pairs.rid, p.account_id, p.admission_id, p.amount_fen), "
        "done AS (SELECT pairs.rid, p.account_id, p.admission_id, p.amount_fen AS amount, COUNT(*) AS n "
        "FROM pairs JOIN funds_posting p ON p.transaction_id = pairs.oid GROUP BY pairs.rid, p.account_id, p.admission_id, p.amount_fen) "
        "SELECT DISTINCT rid FROM (SELECT * FROM (SELECT * FROM undone EXCEPT SELECT * FROM done) x "
        "UNION ALL SELECT * FROM (SELECT * FROM done EXCEPT SELECT * FROM undone) y) z"
    )
    problems += [("reversal", row[0]) for row in cursor.fetchall()]
    cursor.close()
    return problems


# Child processes ----------------------------------------------------------------------------------


def child_prepare(spec: dict) -> dict:
    """The template: migrated and filled, with the planner's statistics gathered."""
    info = harness.template_prepare(_setup, analyze=True)
    connection = harness.django_setup()
    info.update(_ledger_size())
    harness.connections_close(connection)
    return info


def _spend_rows(plan) -> list[tuple[int, int, int, int]]:
    """The floor's rows: (sub-account id, expense account id, admission id, amount)."""
    from jianfu.admission.models import Admission
    from jianfu.funds.models import Account

    ids = {
        (a.region_id, a.kind): a.pk
        for a in Account.objects.filter(kind__in=["community", "expense"])
    }
    admissions = list(Admission.objects.order_by("pk").values_list("pk", flat=True))
    return [
        (ids[code, "community"], ids[code, "expense"], admissions[a], amount)
        for code, a, amount in plan
    ]


# The parts of ledger_spend timed on their own: finding the community's accounts, the
# permission check, the overdraft check (of which the account's whole balance), the audit record.
SPEND_PHASES = ("accounts", "permission", "overdraft", "account total", "audit")


def _spend_phase_timers() -> dict[str, float]:
    """Time the parts of ledger_spend by wrapping the functions that do them in the services
    module (a few calls per spend; the wrappers cost about a microsecond each)."""
    from jianfu.funds import services

    spent = dict.fromkeys(SPEND_PHASES, 0.0)

    def timed(function, phase):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - started

        return wrapper

    for name, phase in (
        ("community_accounts", "accounts"),
        ("require", "permission"),
        ("_check_no_overdraft", "overdraft"),
        ("balance", "account total"),
        ("audit_record", "audit"),
    ):
        setattr(services, name, timed(getattr(services, name), phase))
    return spent


def child_spend(spec: dict) -> dict:
    """Ours: `ledger_spend` once per payment, each its own transaction, by the street's clerk,
    with one voucher uploaded before and shared."""
    connection = harness.django_setup()
    from jianfu.admission.models import Admission
    from jianfu.funds import services
    from jianfu.org.models import Region

    _warm_up()
    clerk = _user(STREET_CLERK)
    plan = _spend_plan(spec["spends"])
    regions = Region.objects.select_related("parent").in_bulk({code for code, _a, _m in plan})
    admissions = list(Admission.objects.defer("agreement_pdf").order_by("pk"))
    voucher = services.voucher_store(actor=clerk, name="发票.pdf", content=b"%PDF-1.4 invoice")
    calls = [(regions[code], admissions[a], amount) for code, a, amount in plan]
    first_new = _ledger_size()["last_transaction"] + 1

    def run():
        for community, admission, amount in calls:
            services.ledger_spend(
                actor=clerk,
                community=community,
                admission=admission,
                amount_fen=amount,
                memo=SPEND_MEMO,
                year=YEAR,
                voucher=voucher,
            )

    if spec.get("profile"):
        return {"profile": _profiled(run)}
    phases = _spend_phase_timers()
    counted, wrapper = _query_counter(connection)
    with wrapper, harness.measure() as result:
        run()
    result.update(queries=counted["queries"], phases=phases)
    _verify_spends(first_new, plan, audited=True)
    harness.connections_close(connection)
    return result


def child_floor_spend(spec: dict) -> dict:
    """The floor: the same payments in raw SQL, one transaction each, with or without the
    audit record (spec["audit"])."""
    connection = harness.django_setup()
    from jianfu.funds.models import Voucher

    clerk = _user(STREET_CLERK)
    plan = _spend_plan(spec["spends"])
    rows = _spend_rows(plan)
    voucher = Voucher.objects.create(name="发票.pdf", content=b"%PDF-1.4 invoice", sha256="1" * 64)
    first_new = _ledger_size()["last_transaction"] + 1
    connection.ensure_connection()
    with harness.measure() as result:
        statements = _floor_spends(
            connection, rows, actor=clerk, voucher_id=voucher.pk, audit=spec["audit"]
        )
    result["queries"] = statements
    _verify_spends(first_new, plan, audited=spec["audit"])
    harness.connections_close(connection)
    return result


def _ours_report(by: str):
    from jianfu.funds import selectors

    finance = _user(FINANCE)
    return lambda: [
        (row.key, row.committed, row.transferred, row.spent)
        for row in selectors.funding_report(user=finance, year=YEAR, by=by)
    ]


def _ours_verify():
    from jianfu.funds import selectors

    return selectors.ledger_problems


def _reads(run, connection, *, profile: bool) -> tuple[dict, object]:
    """Run a read INNER_RUNS times in this process: the fastest run counts, the first (cold)
    is kept too; statements counted on the first run."""
    if profile:
        return {"profile": _profiled(run)}, None
    runs, values = [], []
    for _ in range(INNER_RUNS):
        counted, wrapper = _query_counter(connection)
        with wrapper, harness.measure() as result:
            values.append(run())
        result["queries"] = counted["queries"]
        runs.append(result)
    assert all(value == values[0] for value in values), "a read gave two answers"
    value = values[0]
    best = min(runs, key=lambda r: r["seconds"])
    best["first_seconds"] = runs[0]["seconds"]
    best["queries"] = runs[0]["queries"]
    return best, value


def child_read(spec: dict) -> dict:
    """Ours or the floor for the report (by admission or community) or ledger-verify, with the
    answer checked against the other side's."""
    connection = harness.django_setup()
    _warm_up()
    operation, floor = spec["operation"], spec.get("floor", False)
    by = {"report_admission": "admission", "report_community": "community"}.get(operation)
    connection.ensure_connection()
    if floor:
        run = (
            (lambda: _floor_report(connection, by=by))
            if by
            else (lambda: _floor_verify(connection))
        )
    else:
        run = _ours_report(by) if by else _ours_verify()
    result, value = _reads(run, connection, profile=spec.get("profile", False))
    if floor:
        # The floors run on the raw cursor, which the statement counter does not see.
        result["queries"] = 2 if by else 5
    if value is not None:
        if by:
            # Both sides must give the same numbers; compare with the other side, untimed.
            other = _floor_report(connection, by=by) if not floor else _ours_report(by)()
            assert value == other, "the floor's report differs from ours"
            result["rows"] = len(value)
        else:
            ours = value if not floor else _ours_verify()()
            floors = value if floor else _floor_verify(connection)
            assert len(ours) == len(floors) == 4, (ours, floors)
            assert sorted(kind for kind, *_rest in floors) == [
                "empty",
                "negative",
                "reversal",
                "unbalanced",
            ]
            result["rows"] = len(value)
    harness.connections_close(connection)
    return result


CHILDREN = {
    "prepare": child_prepare,
    "spend": child_spend,
    "floor_spend": child_floor_spend,
    "read": child_read,
}


# The parent ---------------------------------------------------------------------------------------


# operation → (what it is, its size, its floor(s)).
OPERATIONS = {
    "spend": "ledger_spend × {spends:,} (one transaction each)",
    "report_admission": 'funding_report(by="admission", year)',
    "report_community": 'funding_report(by="community", year)',
    "verify": "ledger_problems() (ledger-verify)",
}
FLOORS = {
    "spend": ("ledger rows", "ledger rows + audit record"),
    "report_admission": ("2 statements",),
    "report_community": ("2 statements",),
    "verify": ("5 statements",),
}


def _spec(step: str, args, *, floor: int | None = None, profile: bool = False) -> dict:
    if step == "spend":
        if floor is None:
            return {"mode": "spend", "spends": args.spends, "profile": profile}
        return {"mode": "floor_spend", "spends": args.spends, "audit": floor == 1}
    return {"mode": "read", "operation": step, "floor": floor is not None, "profile": profile}


def _plan(operations: list[str], repeat: int) -> list[tuple[str, int | None]]:
    """Per operation: each floor, then ours and each floor again per repeat; floors at least
    harness.FLOOR_RUNS times."""
    plan: list[tuple[str, int | None]] = []
    for step in operations:
        floors = range(len(FLOORS[step]))
        plan += [(step, f) for f in floors]
        for _ in range(repeat):
            plan.append((step, None))
            plan += [(step, f) for f in floors]
        plan += [(step, f) for f in floors] * max(0, harness.FLOOR_RUNS - 1 - repeat)
    return plan


def print_table(results: list[dict], spends: int) -> None:
    header = (
        "database",
        "operation",
        "floor",
        "ours s",
        "cpu s",
        "queries",
        "floor s",
        "floor stmts",
        "ratio",
        f"≤ {LOOK_RATIO:g}×",
        "goal",
        "time",
        "peak RSS MB",
    )
    rows = [
        (
            r["database"],
            OPERATIONS[r["operation"]].format(spends=spends),
            FLOORS[r["operation"]][r["floor_index"]],
            f"{r['seconds']:.3f}",
            f"{r['cpu_seconds']:.3f}",
            f"{r['queries']:,}",
            f"{r['floor']:.3f}",
            f"{r['floor_queries']:,}",
            f"{r['ratio']:.2f}×",
            "yes" if r["ratio"] <= LOOK_RATIO else "NO",
            f"≤ {GOALS[r['operation']]:g}×" if r["operation"] in GOALS else "—",
            ("PASS" if r["ratio"] <= GOALS[r["operation"]] else "FAIL")
            if r["operation"] in GOALS
            else "—",
            f"{r['peak_mb']:.0f}",
        )
        for r in results
    ]
    harness.print_table(header, rows, left=3)


def main() -> None:
    parser = harness.argument_parser(__doc__)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each operation; the fastest counts"
    )
    parser.add_argument("--spends", type=int, default=2000, help="payments in the spending run")
    parser.add_argument(
        "--only",
        choices=list(OPERATIONS),
        action="append",
        help="measure only this operation (repeatable)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run each operation once more under cProfile and print where the time goes",
    )
    args = parser.parse_args()
    if args.child:
        harness.child_main(CHILDREN, args.child)
        return

    operations = args.only or list(OPERATIONS)
    results, servers, notes, profiles, sizes = [], [], [], [], []
    with harness.scratch_folder("jianfu-bench-funds-") as work:
        for database in harness.databases_chosen(args.database):
            with harness.scratch_database(database, work, postgres_name=POSTGRES_NAME) as target:
                print(
                    f"[{database}] migrating a fresh database and generating the district's ledger …",
                    flush=True,
                )
                prepared = harness.run_child(SCRIPT, {"mode": "prepare"}, target.template_env())
                servers.append(prepared["server"])
                sizes.append(
                    f"{database}: {prepared['transactions']:,} transactions, {prepared['postings']:,} postings"
                )
                print(
                    f"[{database}]   set up in {prepared['setup_seconds']:.1f} s: "
                    f"{prepared['transactions']:,} transactions, {prepared['postings']:,} postings",
                    flush=True,
                )
                ours: dict[str, list[dict]] = {step: [] for step in operations}
                floors: dict[tuple[str, int], list[dict]] = {}
                for step, floor in _plan(operations, args.repeat):
                    result = harness.run_child(
                        SCRIPT, _spec(step, args, floor=floor), target.fresh_env()
                    )
                    if floor is None:
                        ours[step].append(result)
                        label = "ours"
                    else:
                        floors.setdefault((step, floor), []).append(result)
                        label = f"floor ({FLOORS[step][floor]})"
                    print(
                        f"[{database}] {step} {label}: {result['seconds']:.3f} s, "
                        f"{result['queries']:,} statements",
                        flush=True,
                    )
                if args.profile:
                    for step in operations:
                        profiled = harness.run_child(
                            SCRIPT, _spec(step, args, profile=True), target.fresh_env()
                        )
                        profiles.append((database, step, profiled["profile"]))
                for step, runs in ours.items():
                    best = min(runs, key=lambda r: r["seconds"])
                    for index in range(len(FLOORS[step])):
                        floor_runs = floors[step, index]
                        fastest = min(floor_runs, key=lambda r: r["seconds"])
                        results.append(
                            {
                                "database": database,
                                "operation": step,
                                "floor_index": index,
                                "seconds": best["seconds"],
                                "cpu_seconds": best["cpu_seconds"],
                                "queries": best["queries"],
                                "floor": fastest["seconds"],
                                "floor_queries": fastest["queries"],
                                "ratio": best["seconds"] / fastest["seconds"],
                                "peak_mb": max(r["after"]["hwm_kb"] for r in runs) / 1024,
                            }
                        )
                        notes.append(
                            f"{database} {step} floor ({FLOORS[step][index]}) runs (s): "
                            + ", ".join(f"{r['seconds']:.3f}" for r in floor_runs)
                        )
                    line = f"{database} {step} ours runs (s): " + ", ".join(
                        f"{r['seconds']:.3f}" for r in runs
                    )
                    if "first_seconds" in best:
                        line += (
                            f"; each child's best of {INNER_RUNS}, its first (cold) run "
                            f"{best['first_seconds']:.3f} s; {best.get('rows', 0)} rows"
                        )
                    if "phases" in best:
                        ms = {name: t * 1000 / args.spends for name, t in best["phases"].items()}
                        total = best["seconds"] * 1000 / args.spends
                        rest = total - sum(ms.values()) + ms["account total"]
                        line += (
                            f"; per spend (ms): accounts {ms['accounts']:.2f}, permission "
                            f"{ms['permission']:.2f}, overdraft check {ms['overdraft']:.2f} (of which "
                            f"the account's whole balance {ms['account total']:.2f}), audit record "
                            f"{ms['audit']:.2f}, the rest {rest:.2f}, in all {total:.2f}"
                        )
                    notes.append(line)

    for database, step, text in profiles:
        print()
        print(f"===== cProfile: {database} {OPERATIONS[step].format(spends=args.spends)} =====")
        print(text)
    machine = harness.machine_description(servers)
    print()
    print("Machine: " + machine)
    print(
        f"Data: one district, {STREETS} streets × {COMMUNITIES_PER_STREET} communities, "
        f"{DEPARTMENTS} departments, {ADMISSIONS} admissions each covering all "
        f"{STREETS * COMMUNITIES_PER_STREET} communities, {YEAR - 1}–{YEAR}; "
        + "; ".join(sizes)
        + "."
    )
    print(
        "ours = wall time of the operation (reads: best of "
        f"{INNER_RUNS} in one process); cpu = its process CPU time; queries = statements it ran; "
        "floor = the same work in raw SQL on the DB-API cursor (fastest run); peak RSS = VmHWM."
    )
    print()
    print_table(results, args.spends)
    print()
    for note in notes:
        print("  " + note)
    harness.write_results(
        args.json,
        benchmark="funds_ledger",
        machine=machine,
        rows=[
            harness.result_row(
                operation=OPERATIONS[r["operation"]].format(spends=args.spends)
                + f" vs {FLOORS[r['operation']][r['floor_index']]}",
                database=r["database"],
                ours=r["seconds"],
                floor=r["floor"],
                goal=GOALS.get(r["operation"]),
                note=f"{r['queries']:,} statements, floor {r['floor_queries']:,}; "
                f"peak RSS {r['peak_mb']:.0f} MB",
            )
            for r in results
        ],
    )


if __name__ == "__main__":
    main()
