"""The ledger: double entry, earmarks that never go negative, reversals, and who may move money."""

import pytest
from django.db import DatabaseError, connection, transaction

from jianfu.admission.tests.conftest import JIANDAOJIE, XILIN, ZHONGGULOU
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.funds import selectors, services
from jianfu.funds.models import AccountKind, LedgerTransaction, Posting
from jianfu.funds.tests.conftest import YEAR, community, spend, transfer
from jianfu.funds.tests.conftest import community_account as sub_account


@pytest.mark.django_db
def test_every_transaction_balances_to_zero(personas, budget, admission):
    transfer(personas, budget, admission, [(ZHONGGULOU, 250_000), (JIANDAOJIE, 200_000)])
    for entry in LedgerTransaction.objects.all():
        assert sum(p.amount_fen for p in entry.postings.all()) == 0
    assert services.balance(budget) == 5_000_000 - 450_000
    assert services.balance(sub_account(ZHONGGULOU), admission, earmark=True) == 250_000
    # The street's unified account holds each community's sub-account (居财街管).
    assert sub_account(ZHONGGULOU).parent.region_id == "511002001000"


@pytest.mark.django_db
def test_money_goes_only_to_communities_in_the_admissions_scope(personas, budget, admission):
    with pytest.raises(InvalidInput, match=XILIN):
        transfer(personas, budget, admission, [(XILIN, 100_000)])
    assert not Posting.objects.filter(account__kind=AccountKind.COMMUNITY).exists()


@pytest.mark.django_db
def test_a_budget_line_cannot_transfer_more_than_it_holds(personas, budget, admission):
    with pytest.raises(Conflict) as refused:
        transfer(personas, budget, admission, [(ZHONGGULOU, 5_000_001)])
    assert refused.value.code == "insufficient_funds"
    assert LedgerTransaction.objects.count() == 1


@pytest.mark.django_db
def test_spending_is_earmarked_and_never_exceeds_the_earmark(personas, budget, admission, voucher):
    transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    spend = services.ledger_spend(
        actor=personas.street_officer,
        community=community(ZHONGGULOU),
        admission=admission,
        amount_fen=60_000,
        memo="购置入户核对用平板电脑",
        year=YEAR,
        voucher=voucher,
    )
    assert spend.voucher.sha256 and len(spend.voucher.sha256) == 64
    with pytest.raises(Conflict):
        services.ledger_spend(
            actor=personas.street_officer,
            community=community(ZHONGGULOU),
            admission=admission,
            amount_fen=40_001,
            memo="超支",
            year=YEAR,
            voucher=voucher,
        )
    # Base office funds are their own money: none yet, so nothing can be spent from them.
    with pytest.raises(Conflict):
        services.ledger_spend(
            actor=personas.street_officer,
            community=community(ZHONGGULOU),
            amount_fen=1,
            memo="办公用品",
            year=YEAR,
            voucher=voucher,
        )
    [funding] = [
        f for f in selectors.funding_of(admission=admission, year=YEAR) if f.region_id == ZHONGGULOU
    ]
    assert (funding.transferred, funding.spent) == (100_000, 60_000)


@pytest.mark.django_db
def test_a_spend_needs_a_voucher(personas, budget, admission):
    transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    with pytest.raises(InvalidInput):
        services.ledger_spend(
            actor=personas.street_officer,
            community=community(ZHONGGULOU),
            admission=admission,
            amount_fen=1_000,
            memo="无凭证",
            year=YEAR,
        )


@pytest.mark.django_db
def test_corrections_are_reversals_linked_to_the_original(personas, budget, admission):
    original = transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    reversal = services.ledger_reverse(
        actor=personas.dept_clerk, original=original, reason="金额录入错误"
    )
    assert reversal.reverses == original
    assert [p.amount_fen for p in reversal.postings.order_by("id")] == [
        -p.amount_fen for p in original.postings.order_by("id")
    ]
    assert services.balance(sub_account(ZHONGGULOU)) == 0
    with pytest.raises(Conflict):
        services.ledger_reverse(actor=personas.dept_clerk, original=original, reason="再次冲正")
    with pytest.raises(Conflict):
        services.ledger_reverse(actor=personas.dept_clerk, original=reversal, reason="冲正的冲正")


@pytest.mark.django_db
def test_a_transfer_already_spent_cannot_be_reversed(personas, budget, admission, voucher):
    original = transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    services.ledger_spend(
        actor=personas.street_officer,
        community=community(ZHONGGULOU),
        admission=admission,
        amount_fen=100_000,
        memo="全部支出",
        year=YEAR,
        voucher=voucher,
    )
    with pytest.raises(Conflict):
        services.ledger_reverse(actor=personas.dept_clerk, original=original, reason="撤回拨款")


@pytest.mark.django_db
def test_an_idempotent_replay_returns_the_first_transaction_and_writes_nothing(
    personas, budget, admission
):
    first = transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)], idempotency_key="k-1")
    again = transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)], idempotency_key="k-1")
    assert again == first and LedgerTransaction.objects.count() == 2
    # The same key for another kind of business is a client's mistake, not a replay.
    transfer(
        personas,
        budget,
        admission,
        [(ZHONGGULOU, 1)],
        actor=personas.finance_officer,
        idempotency_key="k-2",
    )
    with pytest.raises(Conflict):
        services.ledger_appropriate(
            actor=personas.finance_officer,
            budget=budget,
            amount_fen=1,
            memo="x",
            idempotency_key="k-2",
        )


@pytest.mark.django_db
def test_only_the_right_people_move_money(personas, budget, admission, voucher):
    for outsider in (personas.community_officer, personas.street_officer, personas.auditor):
        with pytest.raises(Forbidden):
            transfer(personas, budget, admission, [(ZHONGGULOU, 1)], actor=outsider)
    with pytest.raises(Forbidden):
        services.ledger_appropriate(
            actor=personas.dept_head, budget=budget, amount_fen=1, memo="自行追加预算"
        )
    transfer(personas, budget, admission, [(ZHONGGULOU, 1_000)], actor=personas.finance_officer)
    # Only 钟鼓楼社区's own street records its spending.
    for outsider in (personas.street_officer2, personas.community_officer, personas.dept_clerk):
        with pytest.raises(Forbidden):
            services.ledger_spend(
                actor=outsider,
                community=community(ZHONGGULOU),
                admission=admission,
                amount_fen=100,
                memo="x",
                year=YEAR,
                voucher=voucher,
            )


@pytest.mark.django_db
def test_a_community_sees_only_its_own_accounts(personas, budget, admission):
    transfer(personas, budget, admission, [(ZHONGGULOU, 1_000), (JIANDAOJIE, 1_000)])
    services.community_accounts(community(XILIN))
    own = selectors.accounts_visible_to(user=personas.community_officer)
    assert {a.region_id for a in own} == {ZHONGGULOU}
    assert (
        not selectors.accounts_visible_to(user=personas.community_officer2)
        .filter(region_id=ZHONGGULOU)
        .exists()
    )
    street = {a.region_id for a in selectors.accounts_visible_to(user=personas.street_officer)}
    assert street == {"511002001000", ZHONGGULOU, JIANDAOJIE}
    assert budget in selectors.accounts_visible_to(user=personas.auditor)
    assert budget not in selectors.accounts_visible_to(user=personas.street_officer)


@pytest.mark.django_db
def test_the_ledger_is_append_only_in_the_database(personas, budget):
    posting = Posting.objects.first()
    for statement in (
        "UPDATE funds_posting SET amount_fen = 1 WHERE id = %s",
        "DELETE FROM funds_posting WHERE id = %s",
        "UPDATE funds_ledgertransaction SET memo = 'x' WHERE id = %s",
        "DELETE FROM funds_ledgertransaction WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                statement, [posting.transaction_id if "transaction" in statement else posting.pk]
            )
    assert Posting.objects.get(pk=posting.pk).amount_fen == posting.amount_fen


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "expected"),
    [
        ("2026-01-01", "2026-12-31", 1_000_000),
        ("2026-07-01", "2026-12-31", 504_110),  # 184 of 365 days
        ("2025-03-01", "2026-03-31", 246_575),  # 90 of 365 days in 2026
        ("2027-01-01", "2027-12-31", 0),
    ],
)
def test_commitments_are_pro_rated_for_partial_years(valid_from, valid_until, expected):
    import datetime as dt

    from jianfu.admission.models import Admission

    admission = Admission(
        valid_from=dt.date.fromisoformat(valid_from), valid_until=dt.date.fromisoformat(valid_until)
    )
    assert selectors.committed_fen(1_000_000, admission, 2026) == expected


@pytest.mark.django_db
def test_ledger_verify_passes_on_a_whole_ledger_and_fails_on_a_broken_one(
    personas, budget, admission, voucher
):
    from django.core.management import call_command

    from jianfu.funds.db_guards import ledger_guard_install, ledger_guard_remove

    original = transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    services.ledger_reverse(actor=personas.dept_clerk, original=original, reason="录入错误")
    call_command("ledger_verify")
    # Someone with database access edits a posting behind the guards' back.
    ledger_guard_remove(connection)
    try:
        Posting.objects.filter(transaction=original).update(amount_fen=7)
    finally:
        ledger_guard_install(connection)
    problems = selectors.ledger_problems()
    assert any("借贷不平衡" in p for p in problems) and any("冲正" in p for p in problems)
    with pytest.raises(SystemExit) as exited:
        call_command("ledger_verify")
    assert exited.value.code == 1


@pytest.mark.django_db
def test_a_spend_costs_a_fixed_handful_of_queries_however_long_the_accounts_history(
    personas, budget, admission, voucher, django_assert_max_num_queries
):
    transfer(personas, budget, admission, [(ZHONGGULOU, 1_000_000)])
    for _ in range(20):
        spend(personas, admission, 100, voucher)
    # The community, its accounts in one query, the lock, the earmark, the transaction, its
    # postings, the audit record (its head, insert, update) and two savepoints: the account's
    # whole history is never summed (benchmarks/README.md, "Funds ledger").
    with django_assert_max_num_queries(13):
        spend(personas, admission, 100, voucher)
