"""Concurrent spends against one earmark on PostgreSQL (requirement 3): room for ten spends, a
hundred tried at once, exactly ten written. SQLite admits one writer at a time, so it is skipped.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection

from jianfu.admission.tests.conftest import ZHONGGULOU
from jianfu.core.errors import Conflict
from jianfu.funds import services
from jianfu.funds.models import AccountKind, LedgerTransaction, TransactionKind, Voucher
from jianfu.funds.tests.conftest import YEAR
from jianfu.org.models import Region, User

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL: SQLite admits one writer at a time, so there is no race to test",
)

SPENDS, ROOM, AMOUNT = 100, 10, 10_000
# Fewer connections than spends: the connection pool holds ten, and the test's own is one.
WORKERS = 8


def test_a_hundred_spends_against_room_for_ten_write_exactly_ten(
    live_db, personas, budget, admission, voucher
):
    services.ledger_transfer(
        actor=personas.dept_clerk,
        budget=budget,
        admission=admission,
        allocations=[(ZHONGGULOU, ROOM * AMOUNT)],
        memo="经费拨付",
        year=YEAR,
    )
    barrier = threading.Barrier(WORKERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        try:
            actor = User.objects.select_related("unit__region").get(pk=personas.street_officer.pk)
            community = Region.objects.select_related("parent").get(code=ZHONGGULOU)
            paper = Voucher.objects.get(pk=voucher.pk)
            barrier.wait(timeout=30)
            for n in range(worker, SPENDS, WORKERS):
                try:
                    services.ledger_spend(
                        actor=actor,
                        community=community,
                        admission=admission,
                        amount_fen=AMOUNT,
                        memo=f"第 {n} 笔支出",
                        year=YEAR,
                        voucher=paper,
                    )
                    result = "ok"
                except Conflict as error:
                    result = error.code
                with lock:
                    outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a spender hung"
    assert len(outcomes) == SPENDS
    assert outcomes.count("ok") == ROOM
    assert set(outcomes) == {"ok", "insufficient_funds"}
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SPEND).count() == ROOM
    sub = services.community_accounts(Region.objects.get(code=ZHONGGULOU))[AccountKind.COMMUNITY]
    assert services.balance(sub) == 0


def test_the_same_request_sent_twice_at_once_writes_one_transaction(
    live_db, personas, budget, admission
):
    """Two requests with one Idempotency-Key racing past the replay check: the second to reach
    the unique key returns the first's transaction instead of failing."""
    barrier = threading.Barrier(WORKERS)
    entries: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            actor = User.objects.select_related("unit").get(pk=personas.dept_clerk.pk)
            barrier.wait(timeout=30)
            entry = services.ledger_transfer(
                actor=actor,
                budget=budget,
                admission=admission,
                allocations=[(ZHONGGULOU, AMOUNT)],
                memo="经费拨付",
                year=YEAR,
                idempotency_key="transfer-2026-001",
            )
            with lock:
                entries.append(entry.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(entries) == WORKERS and len(set(entries)) == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.TRANSFER).count() == 1
