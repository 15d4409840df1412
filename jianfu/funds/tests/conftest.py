"""Money for the personas: 市中区民政局's budget line funded by the finance office, and the
admission (钟鼓楼社区 10,000 yuan, 箭道街社区 8,000 yuan a year) it pays for."""

import pytest

from jianfu.dispatch.tests.conftest import admission  # noqa: F401  (shared fixture)
from jianfu.funds import services
from jianfu.org.models import Unit

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
