"""The demo money: `jianfu demo` leaves seed 000's figures and seed 002's office-funds rule in the
ledger, moved by the people whose job it is, with a delivery gap and an unfunded community."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from jianfu.admission.models import Admission, CommunityCapacity
from jianfu.core.models import AuditRecord
from jianfu.dispatch.models import OPEN_STATUSES, Delivery, Reason
from jianfu.funds import selectors
from jianfu.funds.demo import funds_demo_load
from jianfu.funds.models import (
    Account,
    AccountKind,
    FundingSuspension,
    LedgerTransaction,
    Posting,
    TransactionKind,
    Voucher,
)
from jianfu.org.models import Region, Unit, User

PASSWORD = "Demo-Pass-2026x"
# Seed 000 §四: 费随事转 money received, in fen.
TASK_MONEY = {
    ("钟鼓楼社区", 2018): 3_500_000,
    ("钟鼓楼社区", 2019): 19_900_000,
    ("箭道街社区", 2018): 11_500_000,
    ("箭道街社区", 2019): 14_350_000,
}
BASE_WORK_FUNDS = 9_150_000  # 9.15万元 a year for each community


@pytest.fixture
def demo(db, settings, tmp_path):
    """The database after `jianfu demo`; the logins file goes to a scratch folder."""
    settings.DATA_DIR = tmp_path
    call_command("demo", password=PASSWORD, stdout=io.StringIO())
    return {u.username: u for u in User.objects.select_related("unit__region")}


def total(postings) -> int:
    return postings.aggregate(total=Sum("amount_fen"))["total"] or 0


def received_for_tasks(community: str, year: int) -> int:
    """What reached the community's sub-account in transfers for admissions, net of reversals."""
    return total(
        Posting.objects.filter(
            account__kind=AccountKind.COMMUNITY,
            account__region__name=community,
            transaction__year=year,
        )
        .exclude(transaction__kind=TransactionKind.SPEND)
        .exclude(transaction__reverses__kind=TransactionKind.SPEND)
    )


def base_from(community: str, year: int, fund_source: str) -> int:
    """What the community's base funds received in `year` from the finance office's line."""
    return total(
        Posting.objects.filter(
            account__kind=AccountKind.BASE,
            account__region__name=community,
            transaction__year=year,
            transaction__postings__account__fund_source=fund_source,
        )
    )


def spent(community: str, year: int) -> int:
    return total(
        Posting.objects.filter(
            account__kind=AccountKind.EXPENSE,
            account__region__name=community,
            transaction__year=year,
        )
    )


@pytest.mark.django_db
def test_demo_ledger_holds_seed_000s_figures_fully_spent(demo):
    for (community, year), money in TASK_MONEY.items():
        assert received_for_tasks(community, year) == money, (community, year)
        assert base_from(community, year, "社区工作经费") == BASE_WORK_FUNDS
        # "均全额使用": everything that came in that year went out against vouchers.
        assert spent(community, year) == money + BASE_WORK_FUNDS
    this_year = timezone.localdate().year
    for community in ("钟鼓楼社区", "箭道街社区"):
        assert base_from(community, this_year, "社区工作经费") == BASE_WORK_FUNDS
    # The task money came from the departments whose work it paid for, under their admissions,
    # and met what those admissions committed, to the fen.
    departments = set(
        Posting.objects.filter(
            transaction__kind=TransactionKind.TRANSFER,
            transaction__year__in=[2018, 2019],
            account__kind=AccountKind.BUDGET,
        ).values_list("account__unit__name", flat=True)
    )
    assert departments == {"市中区委政法委", "市中区卫健局"}
    for admission in Admission.objects.filter(year__in=[2018, 2019]):
        for year in (2018, 2019):
            for funding in selectors.funding_of(admission=admission, year=year):
                assert funding.transferred == funding.committed == funding.spent
    # 城东街道 keeps both communities' money in one unified account (大账户).
    unified = Account.objects.get(kind=AccountKind.UNIFIED, region__name="城东街道")
    assert set(unified.children.values_list("region__name", flat=True)) == {
        "钟鼓楼社区",
        "箭道街社区",
    }


@pytest.mark.django_db
def test_demo_office_funds_follow_seed_002s_rule_of_3000_yuan_per_worker(demo):
    this_year = timezone.localdate().year
    shizhong = Region.objects.filter(level="community", code__startswith="511002")
    assert shizhong.count() == 4
    for community in shizhong:
        workers = CommunityCapacity.objects.get(community=community).workers
        assert base_from(community.name, this_year, "社区办公经费") == workers * 300_000
    memo = LedgerTransaction.objects.filter(
        kind=TransactionKind.BASE_ALLOCATION, memo__contains="每人每年3000元"
    )
    assert memo.count() == 4 and all("8000元" in entry.memo for entry in memo)


@pytest.mark.django_db
def test_demo_this_year_shows_a_delivery_gap_and_a_community_with_no_money(demo):
    this_year = timezone.localdate().year
    elderly = Admission.objects.get(title="高龄津贴申领初审")
    rates = {
        f.region_id: f.delivery_rate
        for f in selectors.funding_of(admission=elderly, year=this_year)
    }
    assert rates["511002001001"] == 1 and 0 < rates["511002001002"] < 1
    disability = Admission.objects.get(title="残疾人两项补贴申请受理")
    funding = {f.region_id: f for f in selectors.funding_of(admission=disability, year=this_year)}
    # 西林社区 has had nothing: the tripwire's case.
    assert funding["511002002001"].committed > 0 and funding["511002002001"].transferred == 0
    assert all(
        f.transferred == f.committed for code, f in funding.items() if code != "511002002001"
    )
    # A mis-keyed transfer was corrected by a reversal pointing to it.
    assert LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).count() == 1


@pytest.mark.django_db
def test_demo_suspends_the_admission_for_the_community_whose_money_is_overdue(
    db, settings, tmp_path, time_machine
):
    time_machine.move_to(dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC))
    settings.DATA_DIR = tmp_path
    call_command("demo", password=PASSWORD, stdout=io.StringIO())
    disability = Admission.objects.get(title="残疾人两项补贴申请受理")
    assert disability.valid_from == dt.date(2026, 10, 13)
    assert set(
        FundingSuspension.objects.filter(resumed_at__isnull=True).values_list(
            "admission__title", "region__name"
        )
    ) == {("残疾人两项补贴申请受理", "西林社区")}
    # The dispatch demo's tasks there under it can now be refused.
    copies = Delivery.objects.filter(task__admission=disability, region__name="西林社区")
    assert copies.exists()
    assert all(Reason.FUNDS_OVERDUE in d.reasons for d in copies if d.status in OPEN_STATUSES)


@pytest.mark.django_db
def test_demo_ledger_is_whole_and_moved_by_the_right_people(demo):
    assert selectors.ledger_problems() == []
    actors = {
        kind: set(
            LedgerTransaction.objects.filter(kind=kind).values_list("actor__username", flat=True)
        )
        for kind in TransactionKind.values
    }
    assert actors[TransactionKind.APPROPRIATION] == {"finance_officer"}
    assert actors[TransactionKind.BASE_ALLOCATION] == {"finance_officer"}
    assert actors[TransactionKind.TRANSFER] == {"dept_clerk", "szq_zfw_clerk", "szq_wj_clerk"}
    assert actors[TransactionKind.SPEND] == {"street_officer", "street_officer2"}
    # Every spend has its voucher, every transaction its audit record.
    assert not LedgerTransaction.objects.filter(kind="spend", voucher__isnull=True).exists()
    assert all(len(v.sha256) == 64 for v in Voucher.objects.all())
    assert AuditRecord.objects.filter(action__startswith="ledger.").count() == (
        LedgerTransaction.objects.count()
    )
    assert Unit.objects.filter(name="市中区委政法委", type="department").count() == 1


@pytest.mark.django_db
def test_demo_loaded_again_adds_no_money(demo):
    counts = (
        LedgerTransaction.objects.count(),
        Posting.objects.count(),
        Voucher.objects.count(),
        Admission.objects.count(),
    )
    call_command("demo", password=PASSWORD, stdout=io.StringIO())
    assert funds_demo_load(password=PASSWORD) == []
    assert counts == (
        LedgerTransaction.objects.count(),
        Posting.objects.count(),
        Voucher.objects.count(),
        Admission.objects.count(),
    )
    assert User.objects.filter(username="szq_zfw_clerk").count() == 1
