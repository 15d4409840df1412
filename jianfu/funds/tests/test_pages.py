"""The ledger's pages: accounts, transactions and vouchers, the forms that move money (预算下达,
拨付, 办公经费, 支出, 冲正), a community's money per admission, and who may see and do what."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jianfu.admission.tests.conftest import JIANDAOJIE, XILIN, ZHONGGULOU
from jianfu.dispatch.tests.conftest import GUIHUJIE, dispatch
from jianfu.funds import selectors, services
from jianfu.funds.models import AccountKind, LedgerTransaction, TransactionKind, Voucher
from jianfu.funds.tests.conftest import (
    YEAR,
    admission_row,
    community,
    community_account,
    page,
    person,
    spend,
    transfer,
)
from jianfu.org.models import Unit
from jianfu.org.roles import Role

pytestmark = pytest.mark.django_db


def upload(name="发票.pdf", content=b"%PDF-1.4 invoice"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.fixture
def funded(personas, budget, admission, voucher):
    """3,000 yuan for 钟鼓楼 and 2,000 for 箭道街 in one transfer; 钟鼓楼 spent 1,200 of it."""
    entry = transfer(personas, budget, admission, [(ZHONGGULOU, 300_000), (JIANDAOJIE, 200_000)])
    spent = spend(personas, admission, 120_000, voucher)
    return entry, spent


# The accounts -----------------------------------------------------------------------------------


def test_accounts_page_groups_budget_lines_and_each_streets_communities(personas, login, funded):
    text = page(login(personas.finance_officer).get(reverse("funds_accounts")))
    assert "部门预算指标" in text and "市中区民政局" in text and "区级财政专项" in text
    assert "45,000.00" in text  # 50,000 appropriated, 5,000 transferred
    assert "市中区本级财政" in text and "50,000.00" in text
    assert "城东街道统一账户" in text
    assert text.count('data-testid="community-row"') == 2
    assert "钟鼓楼社区" in text and "1,800.00" in text and "1,200.00" in text
    assert "箭道街社区" in text and "2,000.00" in text
    # The finance office funds budget lines and transfers; it records no spending.
    assert 'data-testid="appropriate"' in text and 'data-testid="transfer"' in text
    assert 'data-testid="spend"' not in text


def test_accounts_page_queries_do_not_grow_with_accounts(
    personas, login, budget, admission, django_assert_max_num_queries
):
    transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    client = login(personas.finance_officer)
    few = queries(client, reverse("funds_accounts"))
    transfer(personas, budget, admission, [(JIANDAOJIE, 100_000)])
    for code in (XILIN, GUIHUJIE):
        services.ledger_allocate_base(
            actor=personas.dept_clerk,
            budget=budget,
            community=community(code),
            amount_fen=80_000,
            memo="社区办公经费",
            year=YEAR,
        )
    services.ledger_appropriate(
        actor=personas.finance_officer,
        budget=services.budget_line(Unit.objects.get(name="市中区民政局"), "上级转移支付"),
        amount_fen=100_000,
        memo="上级补助",
        year=YEAR,
    )
    with django_assert_max_num_queries(few):
        text = page(client.get(reverse("funds_accounts")))
    assert text.count('data-testid="community-row"') == 4
    assert text.count('data-testid="budget-row"') == 2


def test_account_page_shows_balance_earmarks_and_transactions(personas, login, funded, admission):
    entry, spent = funded
    sub_account = community_account(ZHONGGULOU)
    text = page(login(personas.street_officer).get(reverse("funds_account", args=[sub_account.pk])))
    assert 'data-testid="balance">1,800.00' in text
    assert admission.number in text and admission.title in text
    assert text.count('data-testid="transaction-row"') == 2
    assert reverse("funds_transaction", args=[entry.pk]) in text
    assert reverse("funds_voucher", args=[spent.voucher_id]) in text
    assert "-1,200.00" in text and "3,000.00" in text
    # The street keeps the account (居财街管) and records its spending.
    assert reverse("funds_spend") in text


def test_account_page_queries_do_not_grow_with_transactions(
    personas, login, budget, admission, voucher, django_assert_max_num_queries
):
    transfer(personas, budget, admission, [(ZHONGGULOU, 300_000)])
    spend(personas, admission, 10_000, voucher)
    client = login(personas.auditor)
    url = reverse("funds_account", args=[community_account(ZHONGGULOU).pk])
    few = queries(client, url)
    for _n in range(5):
        transfer(personas, budget, admission, [(ZHONGGULOU, 10_000), (JIANDAOJIE, 10_000)])
        spend(personas, admission, 10_000, voucher)
    with django_assert_max_num_queries(few):
        text = page(client.get(url))
    assert text.count('data-testid="transaction-row"') == 12


# One transaction --------------------------------------------------------------------------------


def test_transaction_page_shows_postings_voucher_and_audit_trail(personas, login, funded):
    _entry, spent = funded
    text = page(login(personas.auditor).get(reverse("funds_transaction", args=[spent.pk])))
    assert f"第 {spent.pk} 号记账凭证" in text
    assert text.count('data-testid="posting-row"') == 2
    assert "钟鼓楼社区子账户" in text and "钟鼓楼社区支出" in text
    assert "购置入户核对用平板电脑" in text
    assert "发票.pdf" in text and spent.voucher.sha256 in text
    assert 'data-testid="audit-row"' in text and "记账：支出" in text and "street_officer" in text
    # Balanced: what leaves one account arrives in the other.
    assert "合计（借贷平衡）" in text


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("发票.pdf", "application/pdf"),
        ("收据.jpg", "image/jpeg"),
        # A kind of file the site does not serve as itself is a plain download, never a page.
        ("凭证.html", "application/octet-stream"),
        ("凭证.svg", "application/octet-stream"),
        ("凭证", "application/octet-stream"),
        ("凭证.tar.gz", "application/octet-stream"),
    ],
)
def test_a_voucher_downloads_as_an_attachment_alike_from_the_page_and_the_api(
    personas, login, budget, admission, name, content_type
):
    transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    voucher = services.voucher_store(actor=personas.street_officer, name=name, content=b"<b>x</b>")
    spend(personas, admission, 10_000, voucher)
    client = login(personas.community_officer)
    response = client.get(reverse("funds_voucher", args=[voucher.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == b"<b>x</b>"
    from_api = client.get(f"/api/v1/ledger/vouchers/{voucher.pk}")
    headers = ("Content-Type", "Content-Disposition", "X-Content-Type-Options", "Cache-Control")
    assert [from_api[h] for h in headers] == [response[h] for h in headers]
    assert from_api.content == response.content


def test_a_voucher_no_transaction_uses_is_found_by_nobody(personas, login):
    voucher = services.voucher_store(actor=personas.street_officer, name="a.pdf", content=b"x")
    response = login(personas.finance_officer).get(reverse("funds_voucher", args=[voucher.pk]))
    assert response.status_code == 404


# Funding a budget line ----------------------------------------------------------------------------


def appropriation_form(**overrides):
    values = {
        "department": Unit.objects.get(name="市中区民政局").pk,
        "fund_source": "区级财政专项",
        "amount": "12,345.67",
        "year": YEAR,
        "memo": "2026年社区减负专项预算",
    }
    values.update(overrides)
    return values


def test_the_finance_office_funds_a_budget_line(personas, login):
    client = login(personas.finance_officer)
    assert "市中区民政局" in page(client.get(reverse("funds_appropriate")))
    response = client.post(
        reverse("funds_appropriate"), {**appropriation_form(), "voucher": upload("指标文件.pdf")}
    )
    entry = LedgerTransaction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("funds_transaction", args=[entry.pk])
    assert entry.kind == TransactionKind.APPROPRIATION and entry.year == YEAR
    assert entry.voucher.name == "指标文件.pdf"
    budget = services.budget_line(Unit.objects.get(name="市中区民政局"), "区级财政专项")
    assert services.balance(budget) == 1_234_567
    assert f"已记账：第 {entry.pk} 号凭证（预算下达）" in page(client.get(response["Location"]))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "abc"}, "金额“abc”无效"),
        ({"amount": "12.345"}, "最多两位小数"),
        ({"amount": "0"}, "金额须大于 0"),
        ({"amount": ""}, "这个字段是必填项"),
        ({"memo": ""}, "这个字段是必填项"),
        ({"year": "1999"}, "2000"),
        ({"department": "999999"}, "选择一个有效的选项"),
    ],
)
def test_a_bad_appropriation_writes_nothing(personas, login, overrides, message):
    client = login(personas.finance_officer)
    response = client.post(reverse("funds_appropriate"), appropriation_form(**overrides))
    assert response.status_code == 200
    text = page(response)
    assert 'data-testid="form-errors"' in text and message in text
    assert not LedgerTransaction.objects.exists()
    assert not Voucher.objects.exists()


# Transfers ----------------------------------------------------------------------------------------


def test_a_transfer_is_prefilled_with_what_is_still_owed(personas, login, budget, admission):
    funding = {row.region_id: row for row in selectors.funding_of(admission=admission, year=YEAR)}
    transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    client = login(personas.dept_clerk)
    text = page(client.get(reverse("funds_transfer")))
    assert admission.number in text
    text = page(client.get(reverse("funds_transfer"), {"admission": admission.pk, "year": YEAR}))
    assert text.count('data-testid="allocation-row"') == 2
    owed = funding[ZHONGGULOU].committed - 100_000
    assert f'value="{owed // 100}.{owed % 100:02d}"' in text
    committed = funding[JIANDAOJIE].committed
    assert f'value="{committed // 100}.{committed % 100:02d}"' in text
    assert "市中区民政局 · 区级财政专项（可用 49,000.00 元）" in text


def test_a_department_transfers_money_for_its_admission(personas, login, budget, admission):
    client = login(personas.dept_head)
    response = client.post(
        reverse("funds_transfer"),
        {
            "admission": admission.pk,
            "year": YEAR,
            "budget": budget.pk,
            f"amount_{ZHONGGULOU}": "2,500",
            f"amount_{JIANDAOJIE}": "",
            "memo": "2026年第一季度",
            "voucher": upload("拨款单.pdf"),
        },
    )
    entry = LedgerTransaction.objects.get(kind=TransactionKind.TRANSFER)
    assert response["Location"] == reverse("funds_transaction", args=[entry.pk])
    assert services.balance(community_account(ZHONGGULOU), admission, earmark=True) == 250_000
    assert entry.postings.count() == 2 and entry.voucher.name == "拨款单.pdf"


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        ({ZHONGGULOU: "", JIANDAOJIE: ""}, "请至少为一个社区填写拨付金额"),
        ({ZHONGGULOU: "-5"}, "金额“-5”无效"),
        ({ZHONGGULOU: "50,000.01"}, "余额不足"),
    ],
)
def test_a_bad_transfer_writes_nothing(personas, login, budget, admission, amounts, message):
    client = login(personas.dept_clerk)
    before = LedgerTransaction.objects.count()
    response = client.post(
        reverse("funds_transfer"),
        {
            "admission": admission.pk,
            "year": YEAR,
            "budget": budget.pk,
            "memo": "超额拨付",
            "voucher": upload(),
            **{f"amount_{code}": value for code, value in amounts.items()},
        },
    )
    assert response.status_code == 200
    assert message in page(response)
    assert LedgerTransaction.objects.count() == before
    # The voucher of a refused transfer is not kept either.
    assert not Voucher.objects.exists()


def test_a_department_pays_a_communitys_base_office_funds(personas, login, budget):
    client = login(personas.dept_clerk)
    text = page(client.get(reverse("funds_base")))
    assert "城西街道" in text and "西林社区" in text
    response = client.post(
        reverse("funds_base"),
        {
            "budget": budget.pk,
            "community": XILIN,
            "amount": "3000",
            "year": YEAR,
            "memo": "2026年社区办公经费（每名社区工作者3000元）",
        },
    )
    entry = LedgerTransaction.objects.get(kind=TransactionKind.BASE_ALLOCATION)
    assert response["Location"] == reverse("funds_transaction", args=[entry.pk])
    assert services.balance(community_account(XILIN, AccountKind.BASE)) == 300_000


# Spending -----------------------------------------------------------------------------------------


def test_the_street_records_a_communitys_spending_against_an_earmark(
    personas, login, budget, admission
):
    transfer(personas, budget, admission, [(ZHONGGULOU, 300_000)])
    client = login(personas.street_officer)
    text = page(client.get(reverse("funds_spend")))
    assert f"{admission.number} {admission.title}（余额 3,000.00 元）" in text
    # Only its own street's communities are offered.
    assert "西林社区" not in text
    response = client.post(
        reverse("funds_spend"),
        {
            "source": f"{ZHONGGULOU}:{admission.pk}",
            "amount": "1,200.50",
            "year": YEAR,
            "memo": "入户核对交通补贴",
            "voucher": upload("交通补贴发放表.pdf"),
        },
    )
    entry = LedgerTransaction.objects.get(kind=TransactionKind.SPEND)
    assert response["Location"] == reverse("funds_transaction", args=[entry.pk])
    assert entry.voucher.name == "交通补贴发放表.pdf"
    assert (
        services.balance(community_account(ZHONGGULOU), admission, earmark=True)
        == 300_000 - 120_050
    )
    assert services.balance(community_account(ZHONGGULOU, AccountKind.EXPENSE)) == 120_050


def test_the_street_spends_base_office_funds(personas, login, budget):
    services.ledger_allocate_base(
        actor=personas.dept_clerk,
        budget=budget,
        community=community(ZHONGGULOU),
        amount_fen=800_000,
        memo="办公经费",
        year=YEAR,
    )
    client = login(personas.street_officer)
    assert "办公经费（余额 8,000.00 元）" in page(client.get(reverse("funds_spend")))
    client.post(
        reverse("funds_spend"),
        {
            "source": f"{ZHONGGULOU}:base",
            "amount": "800",
            "year": YEAR,
            "memo": "打印纸",
            "voucher": upload(),
        },
    )
    assert services.balance(community_account(ZHONGGULOU, AccountKind.BASE)) == 720_000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"voucher": None}, "这个字段是必填项"),
        ({"amount": "3,000.01"}, "余额不足"),
        ({"source": f"{XILIN}:base"}, "选择一个有效的选项"),
        ({"memo": "   "}, "这个字段是必填项"),
    ],
)
def test_bad_spending_writes_nothing(personas, login, budget, admission, overrides, message):
    transfer(personas, budget, admission, [(ZHONGGULOU, 300_000)])
    before = LedgerTransaction.objects.count()
    values = {
        "source": f"{ZHONGGULOU}:{admission.pk}",
        "amount": "100",
        "year": YEAR,
        "memo": "入户核对交通补贴",
        "voucher": upload(),
        **overrides,
    }
    response = login(personas.street_officer).post(
        reverse("funds_spend"), {k: v for k, v in values.items() if v is not None}
    )
    assert response.status_code == 200
    assert message in page(response)
    assert LedgerTransaction.objects.count() == before
    assert not Voucher.objects.exists()


# Reversals ----------------------------------------------------------------------------------------


def test_a_department_reverses_its_transfer_and_the_pages_link_both_ways(
    personas, login, budget, admission
):
    entry = transfer(personas, budget, admission, [(ZHONGGULOU, 300_000)])
    client = login(personas.dept_clerk)
    assert 'data-testid="reverse-form"' in page(
        client.get(reverse("funds_transaction", args=[entry.pk]))
    )
    response = client.post(reverse("funds_reverse", args=[entry.pk]), {"reason": "金额录入错误"})
    reversal = LedgerTransaction.objects.get(kind=TransactionKind.REVERSAL)
    assert reversal.reverses == entry
    assert response["Location"] == reverse("funds_transaction", args=[reversal.pk])
    text = page(client.get(response["Location"]))
    assert f"已冲正第 {entry.pk} 号凭证" in text and 'data-testid="reverses"' in text
    assert "金额录入错误" in text
    assert 'data-testid="reverse-form"' not in text  # a reversal is not reversed again
    text = page(client.get(reverse("funds_transaction", args=[entry.pk])))
    assert 'data-testid="reversed-by"' in text and 'data-testid="reverse-form"' not in text
    assert services.balance(community_account(ZHONGGULOU)) == 0
    # A second reversal is refused and writes nothing.
    response = client.post(reverse("funds_reverse", args=[entry.pk]), {"reason": "再冲一次"})
    assert "该凭证已冲正" in page(response)
    assert LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).count() == 1


def test_a_reversal_needs_a_reason(personas, login, funded):
    _entry, spent = funded
    response = login(personas.street_officer).post(
        reverse("funds_reverse", args=[spent.pk]), {"reason": ""}
    )
    assert response.status_code == 200
    assert "这个字段是必填项" in page(response)
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()


def test_the_street_reverses_a_spend(personas, login, funded, admission):
    _entry, spent = funded
    client = login(personas.street_officer)
    client.post(reverse("funds_reverse", args=[spent.pk]), {"reason": "发票作废"})
    assert services.balance(community_account(ZHONGGULOU), admission, earmark=True) == 300_000


# Who may do what ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "name"),
    [
        ("dept_clerk", "funds_spend"),
        ("finance_officer", "funds_spend"),
        ("auditor", "funds_spend"),
        ("street_officer", "funds_transfer"),
        ("street_officer", "funds_base"),
        ("community_officer", "funds_transfer"),
        ("auditor", "funds_transfer"),
        ("dept_clerk", "funds_appropriate"),
        ("auditor", "funds_appropriate"),
        ("community_officer", "funds_spend"),
    ],
)
def test_each_form_is_refused_to_roles_that_do_not_move_that_money(
    personas, login, budget, admission, persona, name
):
    client = login(getattr(personas, persona))
    before = LedgerTransaction.objects.count()
    assert client.get(reverse(name)).status_code == 403
    response = client.post(
        reverse(name),
        {
            "admission": admission.pk,
            "year": YEAR,
            "budget": budget.pk,
            f"amount_{ZHONGGULOU}": "100",
            "amount": "100",
            "memo": "越权",
            "source": f"{ZHONGGULOU}:base",
            "community": ZHONGGULOU,
            **appropriation_form(),
        },
    )
    assert response.status_code == 403
    assert LedgerTransaction.objects.count() == before


def test_the_auditor_reads_every_account_and_transaction_but_has_no_buttons(
    personas, login, funded
):
    entry, spent = funded
    client = login(personas.auditor)
    text = page(client.get(reverse("funds_accounts")))
    assert "市中区民政局" in text and "钟鼓楼社区" in text and "箭道街社区" in text
    for testid in ("appropriate", "transfer", "allocate-base", "spend"):
        assert f'data-testid="{testid}"' not in text
    for pk in (entry.pk, spent.pk):
        text = page(client.get(reverse("funds_transaction", args=[pk])))
        assert 'data-testid="reverse-form"' not in text
        assert 'data-testid="hidden-postings"' not in text
        response = client.post(reverse("funds_reverse", args=[pk]), {"reason": "审计"})
        assert response.status_code == 403
    assert client.get(reverse("funds_voucher", args=[spent.voucher_id])).status_code == 200
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()


def test_another_street_gets_nothing_of_chengdongs_money(personas, login, funded):
    entry, spent = funded
    client = login(personas.street_officer2)
    text = page(client.get(reverse("funds_accounts")))
    assert "钟鼓楼" not in text and "城东街道" not in text
    for kind in (AccountKind.COMMUNITY, AccountKind.EXPENSE, AccountKind.UNIFIED):
        target = community_account(ZHONGGULOU, kind)
        assert client.get(reverse("funds_account", args=[target.pk])).status_code == 404
    for pk in (entry.pk, spent.pk):
        assert client.get(reverse("funds_transaction", args=[pk])).status_code == 404
        assert client.post(reverse("funds_reverse", args=[pk]), {"reason": "x"}).status_code == 404
    assert client.get(reverse("funds_voucher", args=[spent.voucher_id])).status_code == 404
    assert client.get(reverse("funds_community"), {"region": ZHONGGULOU}).status_code == 404


def test_another_community_sees_nothing_of_zhonggulou(personas, login, funded):
    entry, spent = funded
    client = login(personas.community_officer2)
    assert "钟鼓楼" not in page(client.get(reverse("funds_accounts")))
    assert (
        client.get(reverse("funds_account", args=[community_account(ZHONGGULOU).pk])).status_code
        == 404
    )
    for pk in (entry.pk, spent.pk):
        assert client.get(reverse("funds_transaction", args=[pk])).status_code == 404
    assert client.get(reverse("funds_voucher", args=[spent.voucher_id])).status_code == 404
    assert client.get(reverse("funds_community"), {"region": ZHONGGULOU}).status_code == 404
    assert "钟鼓楼" not in page(client.get(reverse("funds_community")))


def test_a_department_user_without_a_funds_role_reads_none_of_its_money(personas, login, funded):
    entry, _spent = funded
    evaluator = person("minzheng_evaluator", "市中区民政局", Role.EVALUATOR)
    client = login(evaluator)
    budget = services.budget_line(Unit.objects.get(name="市中区民政局"), "区级财政专项")
    assert client.get(reverse("funds_accounts")).status_code == 403
    assert client.get(reverse("funds_account", args=[budget.pk])).status_code == 404
    assert client.get(reverse("funds_transaction", args=[entry.pk])).status_code == 404
    assert client.get("/api/v1/accounts").json()["items"] == []
    assert client.get(f"/api/v1/accounts/{budget.pk}").status_code == 404
    assert client.get("/api/v1/ledger/transactions").json()["items"] == []


def test_a_street_office_holding_the_finance_role_is_not_the_districts_finance_office(
    personas, login, funded, budget
):
    """Only a district's own offices read the whole district's money; a street's staff read
    their street's, whatever role they hold."""
    street_finance = person(
        "chengdong_finance", personas.street_officer.unit, Role.STREET_OFFICER, Role.FINANCE_OFFICER
    )
    client = login(street_finance)
    xilin = community_account(XILIN)
    assert client.get(reverse("funds_account", args=[xilin.pk])).status_code == 404
    assert client.get(reverse("funds_account", args=[budget.pk])).status_code == 404
    assert client.get(reverse("funds_community"), {"region": XILIN}).status_code == 404
    listed = {row["id"] for row in client.get("/api/v1/accounts").json()["items"]}
    assert community_account(ZHONGGULOU).pk in listed
    assert xilin.pk not in listed and budget.pk not in listed


def test_a_department_follows_its_transfer_to_every_community(personas, login, funded):
    entry, _spent = funded
    text = page(login(personas.dept_clerk).get(reverse("funds_transaction", args=[entry.pk])))
    assert text.count('data-testid="posting-row"') == 4
    assert "钟鼓楼社区子账户" in text and "箭道街社区子账户" in text
    assert 'data-testid="hidden-postings"' not in text


def test_a_community_sees_its_own_accounts_and_only_its_own_share_of_a_transfer(
    personas, login, funded
):
    entry, _spent = funded
    client = login(personas.community_officer)
    text = page(client.get(reverse("funds_accounts")))
    assert "钟鼓楼社区" in text and "箭道街社区" not in text and "民政局" not in text
    assert (
        client.get(reverse("funds_account", args=[community_account(JIANDAOJIE).pk])).status_code
        == 404
    )
    text = page(client.get(reverse("funds_transaction", args=[entry.pk])))
    assert "钟鼓楼社区子账户" in text and "箭道街" not in text
    assert 'data-testid="hidden-postings"' in text and "另有 3 条分录" in text
    assert 'data-testid="reverse-form"' not in text


# A community's money per admission ----------------------------------------------------------------


def test_a_community_sees_per_admission_what_came_what_was_spent_and_what_is_left(
    personas, login, funded, admission, budget
):
    services.ledger_allocate_base(
        actor=personas.dept_clerk,
        budget=budget,
        community=community(ZHONGGULOU),
        amount_fen=915_000,
        memo="基本工作经费",
        year=YEAR,
    )
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    client = login(personas.community_officer)
    text = page(client.get(reverse("funds_community"), {"year": YEAR}))
    assert "钟鼓楼社区随事经费" in text
    assert admission.number in text and "市中区民政局" in text
    assert 'data-testid="total-transferred">3,000.00' in text
    assert 'data-testid="total-spent">1,200.00' in text
    assert 'data-testid="total-left">1,800.00' in text
    # The base office funds no admission committed have their own row.
    assert 'data-testid="base-row"' in text and "9,150.00" in text
    delivery = task.deliveries.get()
    assert reverse("delivery_detail", args=[delivery.pk]) in text
    # The street reads each of its communities.
    text = page(
        login(personas.street_officer).get(
            reverse("funds_community"), {"region": JIANDAOJIE, "year": YEAR}
        )
    )
    assert "箭道街社区随事经费" in text and 'data-testid="total-transferred">2,000.00' in text


def test_a_street_opening_the_community_page_reads_its_first_community(personas, login, funded):
    text = page(login(personas.street_officer).get(reverse("funds_community"), {"year": YEAR}))
    assert "钟鼓楼社区随事经费" in text
    assert 'data-testid="total-transferred">3,000.00' in text
    assert login(personas.dept_clerk).get(reverse("funds_community")).status_code == 403


def test_the_community_page_queries_do_not_grow_with_admissions(
    personas, login, budget, admission, funded, django_assert_max_num_queries
):
    dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    client = login(personas.community_officer)
    url = reverse("funds_community") + f"?year={YEAR}"
    few = queries(client, url)
    for n in range(3):
        more = admission_row(personas, scope={ZHONGGULOU: 100_000}, title=f"协助事项{n}")
        transfer(personas, budget, more, [(ZHONGGULOU, 10_000)])
        dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=more.number)
    with django_assert_max_num_queries(few):
        text = page(client.get(url))
    assert text.count('data-testid="money-row"') == 5  # four admissions and the base funds


def test_the_task_page_shows_the_money_that_came_with_it(personas, login, funded, admission):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    delivery = task.deliveries.get()
    text = page(
        login(personas.community_officer).get(reverse("delivery_detail", args=[delivery.pk]))
    )
    assert 'data-testid="task-money"' in text and "随事经费" in text
    money = selectors.money_for_community(
        admission_id=admission.pk, region_id=ZHONGGULOU, year=YEAR
    )
    assert (money.transferred, money.spent, money.left) == (300_000, 120_000, 180_000)
    assert "3,000.00" in text and "1,200.00" in text and "1,800.00" in text


def test_a_task_without_an_admission_shows_no_money(personas, login):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    delivery = task.deliveries.get()
    text = page(
        login(personas.community_officer).get(reverse("delivery_detail", args=[delivery.pk]))
    )
    assert 'data-testid="task-money"' not in text


def test_navigation_offers_the_ledger_to_those_who_work_with_money(personas, login):
    def links(persona):
        return page(login(getattr(personas, persona)).get(reverse("home")))

    for persona in ("finance_officer", "auditor", "dept_clerk", "street_officer"):
        assert reverse("funds_accounts") in links(persona)
    assert reverse("funds_community") in links("community_officer")
    assert reverse("funds_accounts") not in links("system_admin")
    assert login(personas.system_admin).get(reverse("funds_accounts")).status_code == 403
