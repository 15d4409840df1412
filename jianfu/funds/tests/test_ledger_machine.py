"""A hypothesis state machine moves money at random and checks the ledger against a model.

It appropriates to two budget lines, transfers for two admissions to random communities (some
outside the admission's scope, some for more than the line holds), allocates base office funds,
spends from earmarks and base funds (sometimes more than is there, sometimes for a community of
another street), and reverses random transactions (including ones already reversed, and
reversals themselves). A plain Python model predicts, before each step, whether the service must
refuse it (and with which error) and what postings it must write.

After every step: every transaction sums to zero, no account or earmark that must stay positive
is below zero, every balance and earmark equals the model's, `ledger_problems()` finds nothing,
and a refused step wrote nothing at all (no transaction, posting, account or audit record).

Each example runs in a transaction that is rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from jianfu.admission.models import ApplicationState
from jianfu.admission.tests.conftest import (
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    advance,
    make_application,
)
from jianfu.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from jianfu.core.models import AuditRecord
from jianfu.funds import selectors, services
from jianfu.funds.models import (
    NON_NEGATIVE_KINDS,
    Account,
    AccountKind,
    LedgerTransaction,
    Posting,
    TransactionKind,
)
from jianfu.funds.tests.conftest import YEAR
from jianfu.org.models import Region, Unit

COMMUNITIES = [ZHONGGULOU, JIANDAOJIE, XILIN]
# The street officer who keeps each community's account (居财街管).
KEEPER = {ZHONGGULOU: "street_officer", JIANDAOJIE: "street_officer", XILIN: "street_officer2"}
# An amount: mostly a random one, sometimes exactly what is there, one fen more, or nothing.
MODES = st.sampled_from(["random"] * 4 + ["all", "one_more", "zero", "negative"])
RAW = st.integers(min_value=1, max_value=1_500_000)
# Mostly the person whose step it is, so money moves; sometimes someone with no say.
WHO = st.sampled_from(["rightful"] * 4 + ["stranger"])
STRANGERS = st.sampled_from(
    [
        "dept_clerk",
        "dept_head",
        "finance_officer",
        "street_officer",
        "street_officer2",
        "community_officer",
        "auditor",
    ]
)

# (account id, admission id or None, signed amount in fen)
Line = tuple[int, int | None, int]


class LedgerMachine(RuleBasedStateMachine):
    """市中区民政局's budget line and the finance office's office-funds line, two admissions of
    民政局 (one for 钟鼓楼 and 箭道街, one for 钟鼓楼 only), three communities in two streets."""

    people = None
    world = None

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        try:
            w = self.world
            self.accounts = list(Account.objects.all())
            self.kind_of = {a.pk: a.kind for a in self.accounts}
            # The model: every earmark's balance, and every transaction's postings.
            self.expected: dict[tuple[int, int | None], int] = defaultdict(int)
            self.entries: dict[int, list[Line]] = {}
            self.entry_kind: dict[int, str] = {}
            self.reversed: set[int] = set()
            for p in Posting.objects.order_by("pk"):
                self.expected[(p.account_id, p.admission_id)] += p.amount_fen
                self.entries.setdefault(p.transaction_id, []).append(
                    (p.account_id, p.admission_id, p.amount_fen)
                )
            for entry in LedgerTransaction.objects.all():
                self.entry_kind[entry.pk] = entry.kind
                if entry.reverses_id:
                    self.reversed.add(entry.reverses_id)
            self.voucher = services.voucher_store(
                actor=self.people.street_officer, name="发票.pdf", content=b"%PDF-1.4 invoice"
            )
            self.source = w.source
        except BaseException:
            self.teardown()
            raise

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -----------------------------------------------------------------------------------------
    # The model

    def _account_total(self, account_id: int) -> int:
        return sum(v for (a, _adm), v in self.expected.items() if a == account_id)

    def _overdraws(self, lines: list[Line]) -> bool:
        """Whether the postings would take an account that must stay positive, or one of its
        earmarks (a budget line's earmarks excepted), below zero."""
        by_earmark: dict[tuple[int, int | None], int] = defaultdict(int)
        by_account: dict[int, int] = defaultdict(int)
        for account, admission, amount in lines:
            if self.kind_of[account] in NON_NEGATIVE_KINDS:
                by_earmark[(account, admission)] += amount
                by_account[account] += amount
        for (account, admission), delta in by_earmark.items():
            if self.kind_of[account] == AccountKind.BUDGET:
                continue
            if delta < 0 and self.expected[(account, admission)] + delta < 0:
                return True
        return any(
            delta < 0 and self._account_total(account) + delta < 0
            for account, delta in by_account.items()
        )

    def _amount(self, mode: str, raw: int, held: int) -> int:
        return {
            "random": raw,
            "all": max(held, 1),
            "one_more": held + 1,
            "zero": 0,
            "negative": -raw,
        }[mode]

    def _counts(self) -> tuple[int, ...]:
        return (
            LedgerTransaction.objects.count(),
            Posting.objects.count(),
            Account.objects.count(),
            AuditRecord.objects.count(),
        )

    def _attempt(self, expected_error, lines: list[Line], call) -> None:
        """Run the service; a refusal must be the predicted one and write nothing, a success must
        write exactly the predicted postings."""
        before = self._counts()
        try:
            entry = call()
        except DomainError as error:
            assert expected_error is not None, f"refused unexpectedly: {error}"
            assert type(error) is expected_error, (type(error), expected_error, str(error))
            assert self._counts() == before
            return
        assert expected_error is None, f"expected {expected_error.__name__}, got a transaction"
        written = sorted((p.account_id, p.admission_id, p.amount_fen) for p in entry.postings.all())
        assert written == sorted(lines)
        for account, admission, amount in lines:
            self.expected[(account, admission)] += amount
        self.entries[entry.pk] = list(lines)
        self.entry_kind[entry.pk] = entry.kind
        if entry.reverses_id:
            self.reversed.add(entry.reverses_id)

    @staticmethod
    def _predict(*, permitted: bool, valid: bool, overdraws: bool):
        if not permitted:
            return Forbidden
        if not valid:
            return InvalidInput
        return Conflict if overdraws else None

    # -----------------------------------------------------------------------------------------
    # Steps

    @initialize()
    def some_money_to_spend(self):
        """Each example starts with money in earmarks and base funds, so spends can succeed."""
        w = self.world
        for which, pairs in (
            (0, [(ZHONGGULOU, 400_000), (JIANDAOJIE, 300_000)]),
            (1, [(ZHONGGULOU, 200_000)]),
        ):
            admission = w.admissions[which]
            lines = []
            for code, amount in pairs:
                lines += [
                    (w.civil_affairs.pk, admission.pk, -amount),
                    (w.accounts[code][AccountKind.COMMUNITY].pk, admission.pk, amount),
                ]
            self._attempt(
                None,
                lines,
                lambda admission=admission, pairs=pairs: services.ledger_transfer(
                    actor=self.people.dept_clerk,
                    budget=w.civil_affairs,
                    admission=admission,
                    allocations=pairs,
                    memo="第一季度经费",
                    year=YEAR,
                ),
            )
        for code in (ZHONGGULOU, XILIN):
            self._attempt(
                None,
                [
                    (w.office_funds.pk, None, -300_000),
                    (w.accounts[code][AccountKind.BASE].pk, None, 300_000),
                ],
                lambda code=code: services.ledger_allocate_base(
                    actor=self.people.finance_officer,
                    budget=w.office_funds,
                    community=w.regions[code],
                    amount_fen=300_000,
                    memo="社区办公经费",
                    year=YEAR,
                ),
            )

    @rule(
        line=st.sampled_from(["civil_affairs", "office_funds"]),
        who=WHO,
        stranger=STRANGERS,
        mode=MODES,
        raw=RAW,
    )
    def appropriate(self, line, who, stranger, mode, raw):
        budget = getattr(self.world, line)
        actor = "finance_officer" if who == "rightful" else stranger
        amount = self._amount(mode, raw, 0)
        lines = [(self.source.pk, None, -amount), (budget.pk, None, amount)]
        self._attempt(
            self._predict(permitted=actor == "finance_officer", valid=amount > 0, overdraws=False),
            lines,
            lambda: services.ledger_appropriate(
                actor=getattr(self.people, actor),
                budget=budget,
                amount_fen=amount,
                memo="预算下达",
                year=YEAR,
            ),
        )

    @rule(
        which=st.sampled_from([0, 0, 1]),
        # Mostly the communities of the admission's scope; sometimes 西林社区, in neither scope,
        # nobody, or one community twice.
        shape=st.sampled_from(["first"] * 3 + ["scope"] * 2 + ["outside", "nobody", "twice"]),
        amounts=st.lists(st.tuples(MODES, RAW), min_size=3, max_size=3),
        who=WHO,
        stranger=STRANGERS,
    )
    def transfer(self, which, shape, amounts, who, stranger):
        w = self.world
        admission = w.admissions[which]
        actor = "dept_clerk" if who == "rightful" else stranger
        scope = sorted(w.scope[which])
        targets = {
            "first": scope[:1],
            "scope": scope,
            "outside": [*scope, XILIN],
            "nobody": [],
            "twice": [scope[0], scope[0]],
        }[shape]
        held = self._account_total(w.civil_affairs.pk)
        pairs = [
            (code, self._amount(mode, raw, held))
            for code, (mode, raw) in zip(targets, amounts, strict=False)
        ]
        codes = [code for code, _amount in pairs]
        valid = (
            bool(pairs)
            and len(set(codes)) == len(codes)
            and set(codes) <= w.scope[which]
            and all(amount > 0 for _code, amount in pairs)
        )
        lines = []
        for code, amount in pairs:
            lines += [
                (w.civil_affairs.pk, admission.pk, -amount),
                (w.accounts[code][AccountKind.COMMUNITY].pk, admission.pk, amount),
            ]
        expected = self._predict(
            # 民政局's own clerk and head, or the district's finance office.
            permitted=actor in ("dept_clerk", "dept_head", "finance_officer"),
            valid=valid,
            overdraws=valid and self._overdraws(lines),
        )
        self._attempt(
            expected,
            lines,
            lambda: services.ledger_transfer(
                actor=getattr(self.people, actor),
                budget=w.civil_affairs,
                admission=admission,
                allocations=pairs,
                memo="专项经费拨付",
                year=YEAR,
            ),
        )

    @rule(code=st.sampled_from(COMMUNITIES), who=WHO, stranger=STRANGERS, mode=MODES, raw=RAW)
    def allocate_base(self, code, who, stranger, mode, raw):
        w = self.world
        actor = "finance_officer" if who == "rightful" else stranger
        amount = self._amount(mode, raw, self._account_total(w.office_funds.pk))
        lines = [
            (w.office_funds.pk, None, -amount),
            (w.accounts[code][AccountKind.BASE].pk, None, amount),
        ]
        expected = self._predict(
            permitted=actor == "finance_officer",
            valid=amount > 0,
            overdraws=amount > 0 and self._overdraws(lines),
        )
        self._attempt(
            expected,
            lines,
            lambda: services.ledger_allocate_base(
                actor=getattr(self.people, actor),
                budget=w.office_funds,
                community=w.regions[code],
                amount_fen=amount,
                memo="社区办公经费：每人每年3000元",
                year=YEAR,
            ),
        )

    @rule(
        code=st.sampled_from(COMMUNITIES),
        which=st.sampled_from([0, 1, None]),
        who=WHO,
        stranger=STRANGERS,
        mode=MODES,
        raw=RAW,
    )
    def spend(self, code, which, who, stranger, mode, raw):
        w = self.world
        actor = KEEPER[code] if who == "rightful" else stranger
        admission = None if which is None else w.admissions[which]
        admission_id = admission.pk if admission else None
        accounts = w.accounts[code]
        source = accounts[AccountKind.COMMUNITY if admission else AccountKind.BASE]
        held = self.expected[(source.pk, admission_id)]
        # A spend is usually a part of what is there.
        amount = self._amount(mode, raw % (held + 1) or raw, held)
        lines = [
            (source.pk, admission_id, -amount),
            (accounts[AccountKind.EXPENSE].pk, admission_id, amount),
        ]
        expected = self._predict(
            permitted=actor == KEEPER[code],
            valid=amount > 0,
            overdraws=amount > 0 and self._overdraws(lines),
        )
        self._attempt(
            expected,
            lines,
            lambda: services.ledger_spend(
                actor=getattr(self.people, actor),
                community=w.regions[code],
                admission=admission,
                amount_fen=amount,
                memo="购置办公用品",
                year=YEAR,
                voucher=self.voucher,
            ),
        )

    @rule(pick=st.integers(min_value=0, max_value=10_000), who=WHO, stranger=STRANGERS)
    def reverse(self, pick, who, stranger):
        ids = sorted(self.entries)
        original_id = ids[pick % len(ids)]
        original = LedgerTransaction.objects.get(pk=original_id)
        kind = self.entry_kind[original_id]
        lines = [(a, adm, -amount) for a, adm, amount in self.entries[original_id]]
        allowed = self._may_reverse(original_id)
        actor = sorted(allowed)[pick % len(allowed)] if who == "rightful" and allowed else stranger
        if kind == TransactionKind.REVERSAL:
            expected = Conflict
        elif actor not in allowed:
            expected = Forbidden
        elif original_id in self.reversed:
            expected = Conflict
        else:
            expected = Conflict if self._overdraws(lines) else None
        self._attempt(
            expected,
            lines,
            lambda: services.ledger_reverse(
                actor=getattr(self.people, actor), original=original, reason="录入错误"
            ),
        )

    def _may_reverse(self, entry_id: int) -> set[str]:
        """Who may reverse the transaction: whoever may write one of its kind."""
        kind = self.entry_kind[entry_id]
        if kind == TransactionKind.SPEND:
            for account_id, _admission, _amount in self.entries[entry_id]:
                for code, accounts in self.world.accounts.items():
                    if account_id in (
                        accounts[AccountKind.COMMUNITY].pk,
                        accounts[AccountKind.BASE].pk,
                    ):
                        return {KEEPER[code]}
            raise AssertionError("a spend without a community account")
        if kind == TransactionKind.TRANSFER:
            # Only 民政局's line has transfers: its clerk and head, or the finance office.
            return {"dept_clerk", "dept_head", "finance_officer"}
        if kind == TransactionKind.REVERSAL:
            return set()
        # Appropriations, and base allocations from the finance office's own line.
        return {"finance_officer"}

    # -----------------------------------------------------------------------------------------
    # Invariants

    @invariant()
    def every_transaction_sums_to_zero(self):
        unbalanced = (
            Posting.objects.values("transaction_id")
            .annotate(total=Sum("amount_fen"))
            .exclude(total=0)
        )
        assert not unbalanced.exists()

    @invariant()
    def balances_and_earmarks_equal_the_model_and_none_is_negative(self):
        for account in self.accounts:
            held = services.balance(account)
            assert held == self._account_total(account.pk)
            if account.must_stay_positive:
                assert held >= 0
            for admission_id, total in selectors.earmarks(account):
                assert total == self.expected[(account.pk, admission_id)]
                if account.must_stay_positive and account.kind != AccountKind.BUDGET:
                    assert total >= 0
        modelled = {key for key, value in self.expected.items() if value}
        actual = {
            (row["account_id"], row["admission_id"])
            for row in Posting.objects.values("account_id", "admission_id")
            .annotate(total=Sum("amount_fen"))
            .exclude(total=0)
        }
        assert actual == modelled

    @invariant()
    def ledger_verify_finds_nothing(self):
        assert selectors.ledger_problems() == []


@pytest.mark.django_db
def test_random_appropriations_transfers_spends_and_reversals_keep_the_ledger_whole(
    personas, budget, admission
):
    second = advance(
        personas,
        make_application(
            personas.dept_clerk,
            values={"title": "居家养老服务补贴申请受理"},
            scope=[(ZHONGGULOU, 600_000)],
        ),
        ApplicationState.APPROVED,
    ).admissions.get()
    regions = {
        r.code: r for r in Region.objects.select_related("parent").filter(code__in=COMMUNITIES)
    }
    office_funds = services.budget_line(Unit.objects.get(name="市中区财政局"), "社区办公经费")
    services.ledger_appropriate(
        actor=personas.finance_officer,
        budget=office_funds,
        amount_fen=2_000_000,
        memo="社区办公经费预算",
        year=YEAR,
    )
    world = SimpleNamespace(
        civil_affairs=budget,
        office_funds=office_funds,
        source=Account.objects.get(kind=AccountKind.APPROPRIATION),
        admissions=[admission, second],
        scope=[{ZHONGGULOU, JIANDAOJIE}, {ZHONGGULOU}],
        regions=regions,
        # Every account the machine touches exists before the first example, so a refused step
        # that would have created one is seen to create nothing.
        accounts={code: services.community_accounts(regions[code]) for code in COMMUNITIES},
    )
    machine = type("Machine", (LedgerMachine,), {"people": personas, "world": world})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
