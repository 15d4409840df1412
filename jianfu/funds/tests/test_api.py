"""The funds API: accounts and their earmarks, transfers, spending with vouchers, reversals, the
ledger's transactions, commitments against delivery (到位率), idempotent replays, and who may
see whose money."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jianfu.admission.models import ApplicationState
from jianfu.admission.tests.conftest import (
    CHENGDONG,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    advance,
    make_application,
)
from jianfu.api.services import token_create
from jianfu.core.money import format_fen
from jianfu.dispatch.tests.conftest import GUIHUJIE
from jianfu.funds import selectors, services
from jianfu.funds.models import AccountKind, LedgerTransaction, Posting, Voucher
from jianfu.funds.tests.conftest import YEAR, community, transfer
from jianfu.funds.tests.conftest import spend as spend_earmark

PDF = b"%PDF-1.4 invoice for tablets"


def post(client: Client, url: str, body: dict | None = None, **extra):
    return client.post(url, body or {}, content_type="application/json", **extra)


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def accounts_of(code: str) -> dict:
    return services.community_accounts(community(code))


def ledger_size() -> tuple[int, int, int]:
    return LedgerTransaction.objects.count(), Posting.objects.count(), Voucher.objects.count()


def transfer_body(budget, admission, allocations=((ZHONGGULOU, 250_000),), **overrides) -> dict:
    return {
        "budget": budget.pk,
        "admission": admission.pk,
        "allocations": [{"community": code, "amount_fen": amount} for code, amount in allocations],
        "memo": "2026年第一季度高龄津贴协助经费",
        "year": YEAR,
        **overrides,
    }


def spend_form(admission=None, *, code=ZHONGGULOU, amount_fen=60_000, file=True, **overrides):
    form = {"community": code, "amount_fen": amount_fen, "memo": "购置入户核对用平板电脑"}
    form["year"] = YEAR
    if admission is not None:
        form["admission"] = admission.pk
    if file:
        form["file"] = SimpleUploadedFile("发票.pdf", PDF, content_type="application/pdf")
    return {**form, **overrides}


def spend(client: Client, admission=None, **kwargs):
    headers = {k: kwargs.pop(k) for k in list(kwargs) if k.startswith("HTTP_")}
    return client.post("/api/v1/ledger/spends", spend_form(admission, **kwargs), **headers)


@pytest.fixture
def transferred(personas, budget, admission):
    """民政局 has transferred 2,500 yuan to 钟鼓楼社区 and 2,000 yuan to 箭道街社区 (城东街道)."""
    return transfer(personas, budget, admission, [(ZHONGGULOU, 250_000), (JIANDAOJIE, 200_000)])


@pytest.fixture
def spent(personas, transferred, admission, voucher):
    """城东街道 recorded 600 yuan of 钟鼓楼社区's spending against the earmark."""
    return spend_earmark(personas, admission, 60_000, voucher)


# ---------------------------------------------------------------------------------------------
# Accounts


def test_finance_officer_lists_the_districts_accounts_with_balances(
    personas, login, budget, transferred
):
    response = login(personas.finance_officer).get("/api/v1/accounts")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    by_id = {row["id"]: row for row in body["items"]}
    line = by_id[budget.pk]
    assert line == {
        "id": budget.pk,
        "kind": "budget",
        "kind_label": "部门预算指标",
        "name": "市中区民政局 · 区级财政专项",
        "unit": {"id": personas.dept_clerk.unit_id, "name": "市中区民政局"},
        "region": None,
        "parent": None,
        "fund_source": "区级财政专项",
        "district": "511002000000",
        "balance_fen": 4_550_000,
        "balance_yuan": "45,500.00",
    }
    sub = by_id[accounts_of(ZHONGGULOU)[AccountKind.COMMUNITY].pk]
    assert sub["kind"] == "community" and sub["region"] == {
        "code": ZHONGGULOU,
        "name": "钟鼓楼社区",
    }
    assert sub["parent"] == accounts_of(ZHONGGULOU)[AccountKind.UNIFIED].pk
    assert (sub["balance_fen"], sub["balance_yuan"]) == (250_000, "2,500.00")


def test_accounts_filter_by_kind_and_region(personas, login, budget, transferred):
    client = login(personas.finance_officer)
    kinds = {row["kind"] for row in client.get("/api/v1/accounts?kind=community").json()["items"]}
    assert kinds == {"community"}
    in_zhonggulou = client.get(f"/api/v1/accounts?region={ZHONGGULOU}").json()["items"]
    assert {row["kind"] for row in in_zhonggulou} == {"community", "base", "expense"}
    # A street's code reaches its unified account and every account of its communities.
    in_chengdong = client.get(f"/api/v1/accounts?region={CHENGDONG}").json()["items"]
    assert {row["region"]["code"] for row in in_chengdong} == {CHENGDONG, ZHONGGULOU, JIANDAOJIE}
    unknown = client.get("/api/v1/accounts?region=999999999999")
    assert unknown.status_code == 422 and error(unknown)["code"] == "invalid_input"
    assert client.get("/api/v1/accounts?kind=piggy_bank").status_code == 422


def test_accounts_page_by_cursor(personas, login, budget, transferred):
    client = login(personas.finance_officer)
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/accounts", params).json()
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert len(seen) == selectors.accounts_visible_to(user=personas.finance_officer).count()


def test_account_list_queries_do_not_grow_with_accounts(
    personas, login, budget, admission, django_assert_max_num_queries
):
    client = login(personas.finance_officer)
    client.get("/api/v1/me")
    for codes in ([ZHONGGULOU], [ZHONGGULOU, JIANDAOJIE]):
        for code in codes:
            transfer(personas, budget, admission, [(code, 1_000)])
        with django_assert_max_num_queries(6):
            body = client.get("/api/v1/accounts", {"limit": 500}).json()
        assert len(body["items"]) == 2 + 1 + 3 * len(codes)  # budget, source, unified, 3 each


def test_account_detail_shows_balance_and_earmarks(personas, login, budget, admission, spent):
    sub = accounts_of(ZHONGGULOU)[AccountKind.COMMUNITY]
    response = login(personas.community_officer).get(f"/api/v1/accounts/{sub.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["balance_fen"], body["balance_yuan"]) == (190_000, "1,900.00")
    assert body["earmarks"] == [
        {
            "admission": {"id": admission.pk, "number": admission.number, "title": admission.title},
            "balance_fen": 190_000,
            "balance_yuan": "1,900.00",
        }
    ]
    # A budget line holds unearmarked money, and what it transferred for each admission.
    line = login(personas.dept_clerk).get(f"/api/v1/accounts/{budget.pk}").json()
    assert [
        (e["admission"] and e["admission"]["id"], e["balance_fen"]) for e in line["earmarks"]
    ] == [
        (None, 5_000_000),
        (admission.pk, -450_000),
    ]


def test_a_community_reads_only_its_own_accounts(personas, login, budget, transferred):
    own = {
        row["id"]
        for row in login(personas.community_officer).get("/api/v1/accounts").json()["items"]
    }
    assert own == {
        accounts_of(ZHONGGULOU)[kind].pk
        for kind in (AccountKind.COMMUNITY, AccountKind.BASE, AccountKind.EXPENSE)
    }


@pytest.mark.parametrize("persona", ["community_officer2", "street_officer2"])
def test_another_street_or_community_gets_nothing_of_chengdongs_accounts(
    personas, login, budget, transferred, persona
):
    client = login(getattr(personas, persona))
    chengdong = {a.pk for kind, a in accounts_of(ZHONGGULOU).items()} | {
        a.pk for a in accounts_of(JIANDAOJIE).values()
    }
    listed = {row["id"] for row in client.get("/api/v1/accounts").json()["items"]}
    assert not listed & chengdong and budget.pk not in listed
    for pk in [*chengdong, budget.pk]:
        response = client.get(f"/api/v1/accounts/{pk}")
        assert response.status_code == 404 and error(response)["code"] == "not_found"


def test_the_funds_api_needs_authentication(db):
    for url in ("/api/v1/accounts", "/api/v1/ledger/transactions"):
        response = Client().get(url)
        assert response.status_code == 401 and error(response)["code"] == "unauthenticated"
    assert post(Client(), "/api/v1/ledger/transfers", {}).status_code == 401


# ---------------------------------------------------------------------------------------------
# Transfers


def test_department_transfers_to_named_communities_earmarked_to_the_admission(
    personas, login, budget, admission
):
    body = transfer_body(budget, admission, [(ZHONGGULOU, 250_000), (JIANDAOJIE, 200_000)])
    response = post(login(personas.dept_clerk), "/api/v1/ledger/transfers", body)
    assert response.status_code == 201, response.json()
    entry = response.json()
    stored = LedgerTransaction.objects.get(pk=entry["id"])
    assert entry["kind"] == "transfer" and entry["kind_label"] == "拨付"
    assert (entry["year"], entry["memo"]) == (YEAR, "2026年第一季度高龄津贴协助经费")
    assert entry["actor"] == personas.dept_clerk.display_name
    assert entry["reverses"] is None and entry["voucher"] is None
    # The department follows its money to each community.
    assert sorted(
        (p["account"]["kind"], p["admission"]["number"], p["amount_fen"]) for p in entry["postings"]
    ) == [
        ("budget", admission.number, -250_000),
        ("budget", admission.number, -200_000),
        ("community", admission.number, 200_000),
        ("community", admission.number, 250_000),
    ]
    assert sum(p.amount_fen for p in stored.postings.all()) == 0
    sub = accounts_of(ZHONGGULOU)[AccountKind.COMMUNITY]
    assert services.balance(sub, admission, earmark=True) == 250_000


def test_a_transfer_may_name_the_admission_by_its_number(personas, login, budget, admission):
    body = {**transfer_body(budget, admission), "admission": admission.number}
    response = post(login(personas.dept_clerk), "/api/v1/ledger/transfers", body)
    assert response.status_code == 201, response.json()
    body["admission"] = "市中准〔2026〕999号"
    unknown = post(login(personas.dept_clerk), "/api/v1/ledger/transfers", body)
    assert unknown.status_code == 404


def test_a_transfer_replayed_with_its_idempotency_key_returns_the_first_response_and_writes_nothing(
    personas, login, budget, admission
):
    client = login(personas.dept_clerk)
    key = {"HTTP_IDEMPOTENCY_KEY": "transfer-2026-q1-0001"}
    first = post(client, "/api/v1/ledger/transfers", transfer_body(budget, admission), **key)
    assert first.status_code == 201
    before = ledger_size()
    replay = post(client, "/api/v1/ledger/transfers", transfer_body(budget, admission), **key)
    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert ledger_size() == before
    # Even after the transfer is reversed, a replay answers exactly as the first time.
    services.ledger_reverse(
        actor=personas.dept_clerk,
        original=LedgerTransaction.objects.get(pk=first.json()["id"]),
        reason="金额有误",
    )
    again = post(client, "/api/v1/ledger/transfers", transfer_body(budget, admission), **key)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    # Without the key, the same body is a second transfer.
    assert (
        post(client, "/api/v1/ledger/transfers", transfer_body(budget, admission)).json()["id"]
        != first.json()["id"]
    )


def test_an_idempotency_key_longer_than_100_characters_is_refused(
    personas, login, budget, admission
):
    before = ledger_size()
    response = post(
        login(personas.dept_clerk),
        "/api/v1/ledger/transfers",
        transfer_body(budget, admission),
        HTTP_IDEMPOTENCY_KEY="k" * 101,
    )
    assert response.status_code == 422
    assert error(response)["code"] == "invalid_idempotency_key"
    assert "100" in error(response)["message"]
    assert ledger_size() == before


def test_an_idempotency_key_used_for_another_kind_of_entry_is_a_conflict(
    personas, login, admission, transferred
):
    key = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    client = login(personas.street_officer)
    first = spend(client, admission, **key)
    assert first.status_code == 201
    before = ledger_size()
    body = {"original": first.json()["id"], "reason": "录入错误"}
    reversal = post(client, "/api/v1/ledger/reversals", body, **key)
    assert reversal.status_code == 409
    assert error(reversal)["code"] == "idempotency_key_reused"
    assert ledger_size() == before


def test_a_transfer_beyond_the_budget_is_409_and_changes_nothing(
    personas, login, budget, admission
):
    before = ledger_size()
    response = post(
        login(personas.dept_clerk),
        "/api/v1/ledger/transfers",
        transfer_body(budget, admission, [(ZHONGGULOU, 5_000_001)]),
    )
    assert response.status_code == 409
    assert error(response)["code"] == "insufficient_funds"
    assert "余额不足" in error(response)["message"]
    assert ledger_size() == before


def test_a_transfer_outside_the_admissions_scope_is_refused(personas, login, budget, admission):
    before = ledger_size()
    response = post(
        login(personas.dept_clerk),
        "/api/v1/ledger/transfers",
        transfer_body(budget, admission, [(XILIN, 1_000)]),
    )
    assert response.status_code == 422 and XILIN in error(response)["message"]
    bad_amount = post(
        login(personas.dept_clerk),
        "/api/v1/ledger/transfers",
        transfer_body(budget, admission, [(ZHONGGULOU, -5)]),
    )
    assert bad_amount.status_code == 422 and "大于 0" in error(bad_amount)["message"]
    assert ledger_size() == before


def test_only_the_department_or_finance_office_transfers_from_a_budget_line(
    personas, login, budget, admission
):
    body = transfer_body(budget, admission)
    # The auditor reads the budget line but may not move its money.
    assert post(login(personas.auditor), "/api/v1/ledger/transfers", body).status_code == 403
    # A street does not even see it.
    response = post(login(personas.street_officer), "/api/v1/ledger/transfers", body)
    assert response.status_code == 404
    assert (
        post(login(personas.finance_officer), "/api/v1/ledger/transfers", body).status_code == 201
    )


# ---------------------------------------------------------------------------------------------
# Spending


def test_street_records_a_communitys_spending_with_its_voucher(
    personas, login, admission, transferred
):
    response = spend(login(personas.street_officer), admission)
    assert response.status_code == 201, response.json()
    entry = response.json()
    assert entry["kind"] == "spend" and entry["kind_label"] == "支出"
    voucher = entry["voucher"]
    assert voucher["name"] == "发票.pdf"
    assert voucher["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert voucher["download_url"] == f"/api/v1/ledger/vouchers/{voucher['id']}"
    assert sorted((p["account"]["kind"], p["amount_fen"]) for p in entry["postings"]) == [
        ("community", -60_000),
        ("expense", 60_000),
    ]
    sub = accounts_of(ZHONGGULOU)[AccountKind.COMMUNITY]
    assert services.balance(sub, admission, earmark=True) == 190_000
    download = login(personas.community_officer).get(voucher["download_url"])
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")


def test_spending_without_an_admission_comes_from_base_funds(personas, login, budget):
    services.ledger_allocate_base(
        actor=personas.dept_clerk,
        budget=budget,
        community=community(ZHONGGULOU),
        amount_fen=2_100_000,
        memo="2026年办公经费（7人 × 3,000元）",
        year=YEAR,
    )
    response = spend(login(personas.street_officer), amount_fen=50_000, memo="购置办公用品")
    assert response.status_code == 201, response.json()
    assert {p["account"]["kind"] for p in response.json()["postings"]} == {"base", "expense"}
    assert all(p["admission"] is None for p in response.json()["postings"])
    assert services.balance(accounts_of(ZHONGGULOU)[AccountKind.BASE]) == 2_050_000


def test_spending_needs_a_voucher(personas, login, admission, transferred):
    before = ledger_size()
    response = spend(login(personas.street_officer), admission, file=False)
    assert response.status_code == 422 and error(response)["message"] == "支出须附凭证。"
    assert ledger_size() == before


def test_spending_beyond_the_earmark_is_409_and_stores_nothing(
    personas, login, admission, transferred
):
    before = ledger_size()
    response = spend(login(personas.street_officer), admission, amount_fen=250_001)
    assert response.status_code == 409 and error(response)["code"] == "insufficient_funds"
    # Not even the voucher stays behind.
    assert ledger_size() == before


def test_a_replayed_spend_stores_no_second_voucher(personas, login, admission, transferred):
    client = login(personas.street_officer)
    key = {"HTTP_IDEMPOTENCY_KEY": "e3f1c2d4-spend"}
    first = spend(client, admission, **key)
    assert first.status_code == 201
    before = ledger_size()
    replay = spend(client, admission, **key)
    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert ledger_size() == before


def test_only_the_communitys_street_records_its_spending(personas, login, admission, transferred):
    before = ledger_size()
    # Another street does not see 钟鼓楼社区 at all; its community officer may not spend.
    response = spend(login(personas.street_officer2), admission)
    assert response.status_code == 404
    assert spend(login(personas.community_officer), admission).status_code == 403
    assert spend(login(personas.finance_officer), admission).status_code == 403
    unknown = spend(login(personas.street_officer), admission, code="511002001999")
    assert unknown.status_code == 404
    assert ledger_size() == before


# ---------------------------------------------------------------------------------------------
# Reversals


def test_a_reversal_undoes_the_original_and_points_to_it(personas, login, admission, spent):
    client = login(personas.street_officer)
    key = {"HTTP_IDEMPOTENCY_KEY": "reverse-1"}
    body = {"original": spent.pk, "reason": "发票金额录入错误"}
    response = post(client, "/api/v1/ledger/reversals", body, **key)
    assert response.status_code == 201, response.json()
    entry = response.json()
    assert entry["kind"] == "reversal" and entry["reverses"] == spent.pk
    assert "发票金额录入错误" in entry["memo"]
    sub = accounts_of(ZHONGGULOU)[AccountKind.COMMUNITY]
    assert services.balance(sub, admission, earmark=True) == 250_000
    before = ledger_size()
    replay = post(client, "/api/v1/ledger/reversals", body, **key)
    assert (replay.status_code, replay.json()) == (201, entry)
    assert ledger_size() == before
    again = post(client, "/api/v1/ledger/reversals", body)
    assert again.status_code == 409 and error(again)["code"] == "already_reversed"
    listed = client.get("/api/v1/ledger/transactions", {"kind": "spend"}).json()["items"]
    assert [(t["id"], t["reversed_by"]) for t in listed] == [(spent.pk, entry["id"])]


def test_a_reversal_needs_a_reason_and_a_visible_original(personas, login, spent):
    client = login(personas.street_officer)
    blank = post(client, "/api/v1/ledger/reversals", {"original": spent.pk, "reason": " "})
    assert blank.status_code == 422 and error(blank)["message"] == "请写明冲正理由。"
    other = login(personas.street_officer2)
    hidden = post(other, "/api/v1/ledger/reversals", {"original": spent.pk, "reason": "错"})
    assert hidden.status_code == 404
    assert LedgerTransaction.objects.filter(reverses=spent).count() == 0


# ---------------------------------------------------------------------------------------------
# Transactions


def test_transactions_show_postings_voucher_and_who_wrote_them(personas, login, spent):
    response = login(personas.auditor).get("/api/v1/ledger/transactions")
    assert response.status_code == 200
    items = response.json()["items"]
    # Newest first: the spend, the transfer, the appropriation.
    assert [t["kind"] for t in items] == ["spend", "transfer", "appropriation"]
    first = items[0]
    assert first["id"] == spent.pk and first["reversed_by"] is None
    assert first["actor"] == personas.street_officer.display_name
    assert first["created_at"]
    assert first["voucher"]["sha256"] == spent.voucher.sha256
    posting = next(p for p in first["postings"] if p["amount_fen"] < 0)
    assert posting["amount_yuan"] == format_fen(-60_000) == "-600.00"
    assert posting["account"]["name"] == "钟鼓楼社区子账户"


def test_transactions_filter_by_account_admission_year_and_kind(
    personas, login, budget, admission, spent
):
    client = login(personas.finance_officer)

    def ids(**params):
        return [t["id"] for t in client.get("/api/v1/ledger/transactions", params).json()["items"]]

    expense = accounts_of(ZHONGGULOU)[AccountKind.EXPENSE]
    assert ids(account=expense.pk) == [spent.pk]
    assert ids(admission=admission.pk) == [spent.pk, spent.pk - 1]
    assert ids(kind="appropriation") == [spent.pk - 2]
    assert ids(year=YEAR + 1) == []
    assert len(ids(year=YEAR)) == 3


def test_a_community_sees_only_transactions_on_its_accounts_and_only_its_own_share(
    personas, login, transferred, spent
):
    items = login(personas.community_officer).get("/api/v1/ledger/transactions").json()["items"]
    assert [t["id"] for t in items] == [spent.pk, transferred.pk]
    transfer = items[1]
    # 箭道街社区's share of the same transfer, and the department's side, stay hidden.
    assert [(p["account"]["kind"], p["amount_fen"]) for p in transfer["postings"]] == [
        ("community", 250_000)
    ]


@pytest.mark.parametrize("persona", ["community_officer2", "street_officer2"])
def test_another_street_or_community_sees_none_of_chengdongs_transactions(
    personas, login, spent, persona
):
    client = login(getattr(personas, persona))
    assert client.get("/api/v1/ledger/transactions").json()["items"] == []
    response = client.get(f"/api/v1/ledger/vouchers/{spent.voucher_id}")
    assert response.status_code == 404


def test_a_voucher_not_attached_to_any_transaction_cannot_be_downloaded(personas, login, voucher):
    assert login(personas.auditor).get(f"/api/v1/ledger/vouchers/{voucher.pk}").status_code == 404


def test_transaction_list_queries_do_not_grow_with_rows(
    personas, login, budget, admission, voucher, django_assert_max_num_queries
):
    client = login(personas.street_officer)
    client.get("/api/v1/me")
    for count in (2, 8):
        while LedgerTransaction.objects.filter(kind="transfer").count() < count:
            transfer(personas, budget, admission, [(ZHONGGULOU, 10_000), (JIANDAOJIE, 10_000)])
            spending = spend_earmark(personas, admission, 1_000, voucher)
            services.ledger_reverse(actor=personas.street_officer, original=spending, reason="错")
        # The session, the user, their unit, its region and roles; a page; its postings.
        with django_assert_max_num_queries(7):
            body = client.get("/api/v1/ledger/transactions", {"limit": 500}).json()
        assert len(body["items"]) == 3 * count


# ---------------------------------------------------------------------------------------------
# Commitments and delivery (到位率)


def commitments(client: Client, admission, year=YEAR):
    return client.get("/api/v1/funding/commitments", {"admission": admission.pk, "year": year})


def test_finance_officer_reads_commitments_transfers_spending_and_delivery_rate(
    personas, login, admission, spent
):
    response = commitments(login(personas.finance_officer), admission)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["admission"] == {
        "id": admission.pk,
        "number": admission.number,
        "title": admission.title,
    }
    assert body["year"] == YEAR
    committed = {
        f.region_id: f.committed for f in selectors.funding_of(admission=admission, year=YEAR)
    }
    rows = {row["region"]: row for row in body["items"]}
    assert rows[ZHONGGULOU] == {
        "region": ZHONGGULOU,
        "region_name": "钟鼓楼社区",
        "committed_fen": committed[ZHONGGULOU],
        "transferred_fen": 250_000,
        "spent_fen": 60_000,
        "delivery_rate": pytest.approx(250_000 / committed[ZHONGGULOU]),
    }
    assert rows[JIANDAOJIE]["transferred_fen"] == 200_000
    assert body["totals"]["transferred_fen"] == 450_000
    assert body["totals"]["committed_fen"] == sum(committed.values())
    by_number = login(personas.auditor).get(
        "/api/v1/funding/commitments", {"admission": admission.number, "year": YEAR}
    )
    assert by_number.json() == body
    assert commitments(login(personas.dept_head), admission).json() == body


def test_a_street_reads_its_communities_rows_and_a_community_its_own(
    personas, login, admission, spent
):
    street = commitments(login(personas.street_officer), admission).json()["items"]
    assert {row["region"] for row in street} == {ZHONGGULOU, JIANDAOJIE}
    own = commitments(login(personas.community_officer), admission).json()
    assert [row["region"] for row in own["items"]] == [ZHONGGULOU]
    assert own["totals"]["transferred_fen"] == 250_000


def test_the_district_offices_read_commitments_as_the_funding_report_shows_them(
    personas, login, admission, spent
):
    finance = commitments(login(personas.finance_officer), admission).json()
    for persona in ("review_officer", "group_secretary"):
        assert commitments(login(getattr(personas, persona)), admission).json() == finance


@pytest.mark.parametrize("persona", ["community_officer2", "street_officer2", "evaluator"])
def test_nobody_else_reads_an_admissions_commitments(personas, login, admission, spent, persona):
    response = commitments(login(getattr(personas, persona)), admission)
    assert response.status_code == 404 and error(response)["code"] == "not_found"


def test_commitments_need_a_known_admission_and_a_sensible_year(personas, login, admission):
    client = login(personas.finance_officer)
    missing = client.get("/api/v1/funding/commitments", {"admission": "市中准〔2026〕999号"})
    assert missing.status_code == 404
    assert commitments(client, admission, year=1800).status_code == 422
    assert client.get("/api/v1/funding/commitments").status_code == 422


def test_commitment_queries_do_not_grow_with_the_scope(
    personas, login, admission, transferred, django_assert_max_num_queries
):
    everywhere = advance(
        personas,
        make_application(
            personas.dept_clerk,
            scope=[(code, 500_000) for code in (ZHONGGULOU, JIANDAOJIE, XILIN, GUIHUJIE)],
        ),
        ApplicationState.APPROVED,
    ).admissions.get()
    client = login(personas.finance_officer)
    client.get("/api/v1/me")
    for approved, size in ((admission, 2), (everywhere, 4)):
        # The funding report by community reads in four (see funding_report).
        with django_assert_max_num_queries(11):
            body = commitments(client, approved).json()
        assert len(body["items"]) == size


# ---------------------------------------------------------------------------------------------
# Bearer tokens


def test_an_integration_transfers_with_a_bearer_token(personas, budget, admission):
    token = token_create(actor=personas.dept_clerk, name="财务系统").secret
    response = post(
        Client(),
        "/api/v1/ledger/transfers",
        transfer_body(budget, admission),
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY="erp-20260301-17",
    )
    assert response.status_code == 201, response.json()
    assert LedgerTransaction.objects.get(pk=response.json()["id"]).idempotency_key == (
        "erp-20260301-17"
    )
