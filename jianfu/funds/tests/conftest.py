"""Money for the personas: 市中区民政局's budget line funded by the finance office, and the
admission (钟鼓楼社区 10,000 yuan, 箭道街社区 8,000 yuan a year) it pays for; and the few steps
every funds test takes (a transfer, a spend, a community's accounts), written once."""

import datetime as dt

import pytest

from jianfu.admission.models import Admission, AdmissionScope
from jianfu.admission.tests.conftest import ZHONGGULOU
from jianfu.dispatch.tests.conftest import admission  # noqa: F401  (shared fixture)
from jianfu.funds import services
from jianfu.funds.models import Account, AccountKind, LedgerTransaction
from jianfu.org.models import Region, Unit, User
from jianfu.org.services import account_create

YEAR = 2026


@pytest.fixture
def budget(personas):
    line = services.budget_line(Unit.objects.get(name="市中区民政局"), "区级财政专项")
    services.ledger_appropriate(
        actor=personas.finance_officer,
        budget=line,
        amount_fen=5_000_000,
        memo="2026年高龄津贴协助经费预算",
        year=YEAR,
    )
    return line


@pytest.fixture
def voucher(personas):
    return services.voucher_store(
        actor=personas.street_officer, name="发票.pdf", content=b"%PDF-1.4 invoice"
    )


def admission_row(personas, *, scope, department=None, title="城西社区协助事项") -> Admission:
    """An admission written straight into the register for the whole of 2026."""
    sequence = Admission.objects.filter(year=YEAR).count() + 100
    written = Admission.objects.create(
        number=f"市中准〔{YEAR}〕{sequence}号",
        district_id="511002000000",
        year=YEAR,
        sequence=sequence,
        department=department or personas.dept_clerk.unit,
        title=title,
        object_kind="task",
        target_level="community",
        valid_from=dt.date(YEAR, 1, 1),
        valid_until=dt.date(YEAR, 12, 31),
    )
    AdmissionScope.objects.bulk_create(
        AdmissionScope(admission=written, region_id=code, funding_fen=fen)
        for code, fen in scope.items()
    )
    return written


def person(username: str, unit: Unit | str, *roles: str) -> User:
    """Someone beside the personas: an account in `unit` (or the unit of that name) holding
    `roles`, with the personas' password."""
    if isinstance(unit, str):
        unit = Unit.objects.get(name=unit)
    return account_create(
        actor=None,
        username=username,
        display_name=username,
        unit=unit,
        roles=list(roles),
        password="Persona-Pass-2026",
        granted_by_command=True,
    )


def community(code: str) -> Region:
    return Region.objects.select_related("parent").get(code=code)


def community_account(code: str, kind: str = AccountKind.COMMUNITY) -> Account:
    """One of the community's accounts (its sub-account unless `kind` says otherwise)."""
    return services.community_accounts(community(code))[kind]


def transfer(
    personas, budget, admitted, allocations, *, actor=None, memo="2026年第一季度经费", **kwargs
) -> LedgerTransaction:
    """The department (its clerk unless `actor` is given) pays `allocations` for the admission."""
    kwargs.setdefault("year", YEAR)
    return services.ledger_transfer(
        actor=actor or personas.dept_clerk,
        budget=budget,
        admission=admitted,
        allocations=allocations,
        memo=memo,
        **kwargs,
    )


def spend(
    personas,
    admitted,
    amount,
    voucher,
    *,
    code=ZHONGGULOU,
    actor=None,
    memo="购置入户核对用平板电脑",
    **kwargs,
) -> LedgerTransaction:
    """The street (城东's officer unless `actor` is given) records a community's spending
    against the admission's earmark."""
    kwargs.setdefault("year", YEAR)
    return services.ledger_spend(
        actor=actor or personas.street_officer,
        community=community(code),
        admission=admitted,
        amount_fen=amount,
        memo=memo,
        voucher=voucher,
        **kwargs,
    )


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()
