"""The results page and its export: the formula in words, each target's counts per group,
weighted rate with its interval, dimension rates and outcome; filters; the confirmation of a
proposed revocation; both languages; and who may read results when."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from openpyxl import load_workbook

from jianfu.admission.tests.conftest import JIANDAOJIE, ZHONGGULOU
from jianfu.evaluation import services
from jianfu.evaluation.models import Campaign, GroupKind, Outcome, Target
from jianfu.evaluation.result_exports import percent_text
from jianfu.evaluation.tests.conftest import AFTER, ballots, target_of
from jianfu.funds.tests.conftest import admission_row, page, person
from jianfu.org.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def tallied(personas, campaign, admissions, time_machine):
    """高龄津贴协助 in 钟鼓楼 revoked at 15/35 (42.9 %), 低保入户核查 there kept, 高龄津贴协助
    in 箭道街 below the quorum; closed, not yet published."""
    care, check = admissions
    ballots(target_of(campaign, care, ZHONGGULOU), satisfied=10, fairly=5, no=20)
    ballots(target_of(campaign, check, ZHONGGULOU), satisfied=20, fairly=5, no=5)
    ballots(target_of(campaign, check, ZHONGGULOU), GroupKind.PARTY_MEMBERS, satisfied=2, fairly=1)
    ballots(target_of(campaign, care, JIANDAOJIE), satisfied=3)
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def results_url(campaign, **query) -> str:
    url = reverse("evaluation_results", args=[campaign.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_results_page_explains_the_formula_and_every_rate(personas, login, tallied, admissions):
    care, check = admissions
    text = page(login(personas.group_secretary).get(results_url(tallied)))
    assert 'data-testid="formula"' in text
    assert "满意率 = Σ 权重 ×（满意票 + 基本满意票）÷ Σ 权重 × 有效票" in text
    assert "Wilson" in text and "≤ 50%" in text and "30 张" in text
    assert "居民代表 40" in text
    assert text.count('data-testid="result-row"') == 3
    # 钟鼓楼's 高龄津贴协助: 10 满意, 5 基本满意, 20 不满意 from residents: 15/35.
    assert "10 / 5 / 20" in text and "42.9%" in text
    assert "600 / 1400" in text  # Σ weight × satisfied / Σ weight × valid
    # The dimension rate: every ballot rated the first dimension like the overall verdict.
    assert "作用 42.9%" in text
    assert 'class="tag tag-red" data-testid="outcome">不过半数，已撤销' in text
    assert "有效票不足，不作结论" in text and ">保留<" in text
    assert care.number in text and check.number in text and "市中区民政局" in text
    assert "城东街道" in text and "箭道街社区" in text


def test_results_filter_by_place_and_outcome(personas, login, tallied):
    client = login(personas.group_secretary)
    text = page(client.get(results_url(tallied, region=JIANDAOJIE)))
    assert text.count('data-testid="result-row"') == 1
    text = page(client.get(results_url(tallied, region="511002001000")))  # 城东街道
    assert text.count('data-testid="result-row"') == 3
    text = page(client.get(results_url(tallied, outcome=Outcome.REVOKED)))
    assert text.count('data-testid="result-row"') == 1 and "42.9%" in text
    # An unknown filter value shows everything rather than an error.
    text = page(client.get(results_url(tallied, outcome="nonsense", region="999")))
    assert text.count('data-testid="result-row"') == 3


def test_results_export_has_the_pages_rows_in_chinese(personas, login, tallied):
    client = login(personas.group_secretary)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get(reverse("evaluation_results_export", args=[tallied.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["评议结果"]
    header = [c.value for c in sheet[2]]
    assert header[:6] == ["街道", "社区", "主管部门", "准入编号", "评议对象", "有效票"]
    assert "居民代表（权重 40）满意" in header and "满意率" in header and "结论" in header
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 3
    revoked = next(r for r in rows if r[-1] == "不过半数，已撤销")
    assert revoked[5] == 35
    rate = revoked[header.index("满意率")]
    assert rate == pytest.approx(15 / 35)
    assert (
        sheet.cell(row=3 + rows.index(revoked), column=header.index("满意率") + 1).number_format
        == "0.0%"
    )
    assert "满意率 =" in workbook["计算方法"]["A1"].value
    filtered = client.get(
        reverse("evaluation_results_export", args=[tallied.pk]) + f"?region={JIANDAOJIE}"
    )
    assert load_workbook(io.BytesIO(filtered.content))["评议结果"].max_row == 3


def test_results_export_writes_titles_as_text_never_formulas(
    personas, login, campaign, time_machine
):
    # An admission written after the campaign opened: its target is added by hand.
    admitted = admission_row(personas, scope={ZHONGGULOU: 100}, title='=HYPERLINK("http://x")')
    Target.objects.create(
        campaign=campaign,
        admission=admitted,
        region_id=ZHONGGULOU,
        department=admitted.department,
        title=admitted.title,
    )
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    response = login(personas.group_secretary).get(
        reverse("evaluation_results_export", args=[campaign.pk])
    )
    sheet = load_workbook(io.BytesIO(response.content))["评议结果"]
    cell = next(
        c
        for row in sheet.iter_rows(min_row=3)
        for c in row
        if c.value and str(c.value).startswith("=")
    )
    assert cell.data_type == "s"


def test_results_page_reads_in_english(personas, login, tallied):
    client = login(personas.group_secretary)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get(results_url(tallied))
    text = page(response)
    assert '<html lang="en">' in text
    with translation.override("en"):
        for words in ("评议结果", "计算方法", "有效票", "不过半数，已撤销"):
            assert gettext(words) != words and escape(gettext(words)) in text
        assert escape(str(GroupKind.RESIDENTS.label)) in text
    # The page's own words are English; what stays Chinese is data (titles, names, dimensions).
    for words in ("评议结果", "计算方法", "不过半数，已撤销"):
        assert words not in text
    assert text.count('data-testid="result-row"') == 3


def test_results_page_reads_in_chinese_by_default(personas, login, tallied):
    text = page(login(personas.group_secretary).get(results_url(tallied)))
    assert '<html lang="zh-hans">' in text and "评议结果" in text


def test_evaluator_and_street_read_results_only_once_published(
    personas, login, tallied, django_capture_on_commit_callbacks
):
    for user in (personas.evaluator, personas.street_officer, personas.dept_clerk):
        assert login(user).get(results_url(tallied)).status_code == 404
        assert (
            login(user).get(reverse("evaluation_results_export", args=[tallied.pk])).status_code
            == 404
        )
    # The district's offices read them as soon as the tally has run.
    for user in (personas.group_secretary, personas.review_officer, personas.auditor):
        assert login(user).get(results_url(tallied)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_publish(actor=personas.group_secretary, campaign=tallied)
    for user in (personas.evaluator, personas.street_officer, personas.dept_clerk):
        assert login(user).get(results_url(tallied)).status_code == 200


def test_open_campaign_has_no_results_yet(personas, login, campaign):
    assert login(personas.group_secretary).get(results_url(campaign)).status_code == 404


def test_another_districts_office_gets_no_results(personas, login, tallied):
    stranger = person("yunlong_secretary", "云龙区社区减负工作领导小组办公室", Role.GROUP_SECRETARY)
    client = login(stranger)
    assert client.get(results_url(tallied)).status_code == 404
    assert client.get(reverse("evaluation_results_export", args=[tallied.pk])).status_code == 404


def test_group_office_confirms_a_proposed_revocation(
    personas, login, campaign, admissions, time_machine
):
    care, _check = admissions
    Campaign.objects.filter(pk=campaign.pk).update(automatic_revocation=False)
    target = target_of(campaign, care, ZHONGGULOU)
    ballots(target, satisfied=10, no=25)
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    client = login(personas.group_secretary)
    text = page(client.get(results_url(campaign)))
    assert "待确认撤销" in text
    confirm = reverse("evaluation_target_confirm", args=[target.pk])
    assert confirm in text and 'data-testid="confirm-revocation"' in text
    # Readers of the results who do not run the campaign see no button and may not post.
    auditor = login(personas.auditor)
    assert confirm not in page(auditor.get(results_url(campaign)))
    assert auditor.post(confirm).status_code == 403
    assert login(personas.street_officer).post(confirm).status_code in (403, 404)
    target.refresh_from_db()
    assert target.outcome == Outcome.TO_REVOKE
    response = client.post(confirm)
    assert response["Location"] == results_url(campaign)
    target.refresh_from_db()
    assert target.outcome == Outcome.REVOKED
    assert 'class="tag tag-red" data-testid="outcome">不过半数，已撤销' in page(
        client.get(results_url(campaign))
    )
    # Confirming twice is refused with a message, not an error page.
    assert client.post(confirm).status_code == 302


def test_target_confirm_is_a_post(personas, login, tallied, admissions):
    care, _check = admissions
    target = target_of(tallied, care, ZHONGGULOU)
    url = reverse("evaluation_target_confirm", args=[target.pk])
    assert login(personas.group_secretary).get(url).status_code == 405


def test_results_page_queries_do_not_grow_with_targets(
    personas, login, campaign, admissions, time_machine, django_assert_max_num_queries
):
    care, _check = admissions
    ballots(target_of(campaign, care, ZHONGGULOU), satisfied=3, no=1)
    for n in range(6):
        admitted = admission_row(
            personas, scope={ZHONGGULOU: 100, JIANDAOJIE: 100}, title=f"事项{n}"
        )
        for code in (ZHONGGULOU, JIANDAOJIE):
            Target.objects.create(
                campaign=campaign,
                admission=admitted,
                region_id=code,
                department=admitted.department,
                title=admitted.title,
            )
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    client = login(personas.group_secretary)
    url = results_url(campaign, region=ZHONGGULOU)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(len(few)):
        text = page(client.get(results_url(campaign)))
    assert text.count('data-testid="result-row"') == 15


def test_rates_next_to_the_threshold_show_two_decimals():
    assert percent_text(0.5004, 5000) == "50.04%"
    assert percent_text(0.5, 5000) == "50.0%"
    assert percent_text(0.505, 5000) == "50.5%"
    assert percent_text(None, 5000) == "—"
