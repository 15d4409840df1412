"""The assessment of dispatched agencies' pages: the list, opening an assessment, the roster,
each assessor's score form, the results and their export, and who may see and do what."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jianfu.core.models import AuditRecord
from jianfu.evaluation import assessment as services
from jianfu.evaluation.models import AgencyAssessment, AgencyScore, AssessmentState, AssessorKind
from jianfu.evaluation.tests import assessment_data
from jianfu.evaluation.tests.assessment_data import (
    CHENGDONG,
    dispatched_agency,
    on_roster,
    score_all,
    unit,
)
from jianfu.funds.tests.conftest import page

pytestmark = pytest.mark.django_db

# The fixtures the tests name: 市中区's 2026 assessment with its roster, and 钟鼓楼警务室.
assessment, police_post = assessment_data.assessment, assessment_data.police_post

DEPARTMENT, STREET, SOCIETY = AssessorKind.DEPARTMENT, AssessorKind.STREET, AssessorKind.SOCIETY


def url(name, assessment=None, *args):
    return reverse(name, args=[assessment.pk, *args] if assessment else list(args))


def score_fields(assessment, name, *points):
    agency = on_roster(assessment, name)
    indicators = assessment.indicators.order_by("position")
    return {
        f"s-{agency.pk}-{ind.pk}": str(value) for ind, value in zip(indicators, points, strict=True)
    }


# The list ------------------------------------------------------------------------------------------


def test_group_office_lists_assessments_with_roster_results_and_society_links(
    personas, login, assessment
):
    text = page(login(personas.group_secretary).get(url("assessment_index")))
    assert 'data-testid="assessment-new"' in text
    assert "市中区2026年度派驻机构双向考核" in text and "30 / 40 / 30" in text
    assert url("assessment_roster", assessment) in text
    assert url("assessment_results", assessment) in text
    # One link per assessor kind, however many agencies the office scores.
    assert text.count(url("assessment_score", assessment, SOCIETY)) == 1
    assert url("assessment_score", assessment, STREET) not in text


def test_street_officer_lists_its_score_form_but_not_the_roster(personas, login, assessment):
    text = page(login(personas.street_officer).get(url("assessment_index")))
    assert url("assessment_score", assessment, STREET) in text
    assert url("assessment_roster", assessment) not in text
    assert url("assessment_results", assessment) not in text
    assert 'data-testid="assessment-new"' not in text


def test_department_lists_its_score_form(personas, login, assessment):
    text = page(login(personas.dept_head).get(url("assessment_index")))
    assert url("assessment_score", assessment, DEPARTMENT) in text


def test_another_districts_group_office_does_not_see_the_assessment(personas, login, assessment):
    from jianfu.funds.tests.conftest import person
    from jianfu.org.roles import Role

    other = person("yl_secretary", "云龙区社区减负工作领导小组办公室", Role.GROUP_SECRETARY)
    client = login(other)
    text = page(client.get(url("assessment_index")))
    assert "市中区2026年度派驻机构双向考核" not in text
    for name in ("assessment_roster", "assessment_results", "assessment_results_export"):
        assert client.get(url(name, assessment)).status_code == 404
    assert client.get(url("assessment_score", assessment, SOCIETY)).status_code == 404


@pytest.mark.parametrize("username", ["community_officer2", "evaluator", "system_admin"])
def test_community_evaluator_and_admin_get_nothing(personas, login, assessment, username):
    client = login(getattr(personas, username))
    assert client.get(url("assessment_index")).status_code == 403
    assert client.get(url("assessment_new")).status_code == 403
    for name in ("assessment_roster", "assessment_results", "assessment_results_export"):
        assert client.get(url(name, assessment)).status_code == 404
    for kind in AssessorKind.values:
        assert client.get(url("assessment_score", assessment, kind)).status_code == 404
    assert client.post(url("assessment_close", assessment)).status_code == 404


def test_list_queries_do_not_grow_with_assessments(
    personas, login, assessment, django_assert_max_num_queries
):
    client = login(personas.group_secretary)
    client.get(url("assessment_index"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        page(client.get(url("assessment_index")))
    for year in (2024, 2025):
        services.assessment_create(
            actor=personas.group_secretary,
            district=assessment.district,
            year=year,
            title=f"{year}年度考核",
        )
    with django_assert_max_num_queries(len(few)):
        text = page(client.get(url("assessment_index")))
    assert text.count('data-testid="assessment-row"') == 3


# Opening an assessment -------------------------------------------------------------------------


def test_group_office_opens_an_assessment_from_the_form(personas, login):
    client = login(personas.group_secretary)
    text = page(client.get(url("assessment_new")))
    assert "工作实绩 40" in text and "遵规守纪 10" in text
    response = client.post(
        url("assessment_new"),
        {
            "title": "市中区2027年度派驻机构考核",
            "year": "2027",
            "weight_department": "30",
            "weight_street": "40",
            "weight_society": "30",
            "adjustment_below": "65",
            "indicators": "工作实绩 40\n服务群众：30\n配合街道工作，20\n遵规守纪 10分\n",
        },
    )
    made = AgencyAssessment.objects.get(year=2027)
    assert response.status_code == 302
    assert response["Location"] == url("assessment_roster", made)
    assert made.adjustment_below == 65
    assert list(made.indicators.values_list("max_score", flat=True)) == [40, 30, 20, 10]


def test_opening_form_shows_the_services_refusal_and_writes_nothing(personas, login):
    response = login(personas.group_secretary).post(
        url("assessment_new"),
        {
            "title": "考核",
            "year": "2027",
            "weight_department": "30",
            "weight_street": "40",
            "weight_society": "30",
            "adjustment_below": "60",
            "indicators": "工作实绩 40\n服务群众 30\n",
        },
    )
    text = page(response)
    assert 'data-testid="form-errors"' in text and "合计应为 100 分" in text
    assert not AgencyAssessment.objects.exists()


def test_opening_form_says_which_indicator_lines_it_cannot_read(personas, login):
    response = login(personas.group_secretary).post(
        url("assessment_new"),
        {
            "title": "考核",
            "year": "2027",
            "weight_department": "30",
            "weight_street": "40",
            "weight_society": "30",
            "adjustment_below": "60",
            "indicators": "工作实绩 40\n服务群众\n配合街道工作 20\n遵规守纪",
        },
    )
    assert "第 2、4 行" in page(response)


@pytest.mark.parametrize("username", ["dept_clerk", "street_officer", "auditor"])
def test_only_the_group_office_opens_assessments(personas, login, username):
    client = login(getattr(personas, username))
    assert client.get(url("assessment_new")).status_code == 403
    assert client.post(url("assessment_new"), {"title": "x"}).status_code == 403


# The roster ----------------------------------------------------------------------------------------


def test_roster_page_picks_departments_and_suggests_one_from_the_agencys_name(personas, login):
    made = services.assessment_create(
        actor=personas.group_secretary,
        district=unit("市中区民政局").region,
        year=2027,
        title="2027年度考核",
    )
    named = dispatched_agency("民政局派驻城东社会救助站", CHENGDONG)
    client = login(personas.group_secretary)
    text = page(client.get(url("assessment_roster", made)))
    assert text.count('data-testid="roster-row"') == 3
    # The suggestion is shown, marked as one, and nothing is on the roster until saved.
    assert text.count('data-testid="department-hint"') == 1
    assert "按名称推荐：市中区民政局" in text
    assert not made.agencies.exists()
    civil = unit("市中区民政局")
    response = client.post(
        url("assessment_roster", made),
        {f"department-{named.pk}": civil.pk, f"department-{unit('城西司法所').pk}": civil.pk},
    )
    assert response.status_code == 302
    assert set(made.agencies.values_list("agency__name", flat=True)) == {
        "民政局派驻城东社会救助站",
        "城西司法所",
    }
    assert AuditRecord.objects.filter(action="evaluation.assessment_roster").exists()


def test_roster_page_shows_why_a_department_cannot_change(personas, login, assessment):
    score_all(personas, assessment, "城东司法所", department=(30, 20, 10, 5))
    client = login(personas.group_secretary)
    response = client.post(
        url("assessment_roster", assessment),
        {
            f"department-{unit('城东司法所').pk}": unit("市中区城管局").pk,
            f"department-{unit('城西司法所').pk}": unit("市中区城管局").pk,
            f"department-{unit('钟鼓楼警务室').pk}": unit("市中区民政局").pk,
        },
        follow=True,
    )
    assert "不能再更换派出部门" in page(response)
    assert on_roster(assessment, "城东司法所").department.name == "市中区民政局"


@pytest.mark.parametrize("username", ["street_officer", "dept_head", "auditor"])
def test_only_the_group_office_sets_the_roster(personas, login, assessment, username):
    client = login(getattr(personas, username))
    assert client.get(url("assessment_roster", assessment)).status_code == 403
    response = client.post(
        url("assessment_roster", assessment), {f"department-{unit('城东司法所').pk}": ""}
    )
    assert response.status_code == 403
    assert assessment.agencies.count() == 3


# Scoring -----------------------------------------------------------------------------------------


def test_street_officer_sees_and_scores_only_its_streets_agencies(personas, login, assessment):
    client = login(personas.street_officer)
    text = page(client.get(url("assessment_score", assessment, STREET)))
    assert text.count('data-testid="score-row"') == 2
    assert "城东司法所" in text and "钟鼓楼警务室" in text and "城西司法所" not in text
    response = client.post(
        url("assessment_score", assessment, STREET),
        score_fields(assessment, "城东司法所", 36, 27, 18, 9),
    )
    assert response.status_code == 302
    saved = AgencyScore.objects.filter(assessor_kind=STREET)
    assert sorted(saved.values_list("score", flat=True)) == [9, 18, 27, 36]
    assert "90" in page(client.get(url("assessment_score", assessment, STREET)))


def test_street_officer_of_chengxi_cannot_score_chengdongs_agency(personas, login, assessment):
    client = login(personas.street_officer2)
    text = page(client.get(url("assessment_score", assessment, STREET)))
    assert "城西司法所" in text and "城东司法所" not in text and "钟鼓楼警务室" not in text
    # Fields naming 城东's agency are not the form's: nothing is written for it.
    client.post(
        url("assessment_score", assessment, STREET),
        score_fields(assessment, "城东司法所", 36, 27, 18, 9),
    )
    assert not AgencyScore.objects.exists()


def test_department_cannot_score_an_agency_of_another_department(personas, login, assessment):
    client = login(personas.dept_clerk)
    text = page(client.get(url("assessment_score", assessment, DEPARTMENT)))
    assert "城东司法所" in text and "城西司法所" not in text
    client.post(
        url("assessment_score", assessment, DEPARTMENT),
        score_fields(assessment, "城西司法所", 36, 27, 18, 9),
    )
    assert not AgencyScore.objects.exists()


@pytest.mark.parametrize(
    ("username", "kind"),
    [
        ("street_officer", SOCIETY),
        ("street_officer", DEPARTMENT),
        ("dept_clerk", STREET),
        ("dept_clerk", SOCIETY),
        ("group_secretary", STREET),
        ("auditor", SOCIETY),
    ],
)
def test_a_score_form_of_another_assessor_kind_is_refused(
    personas, login, assessment, username, kind
):
    client = login(getattr(personas, username))
    assert client.get(url("assessment_score", assessment, kind)).status_code == 403
    assert client.post(url("assessment_score", assessment, kind), {}).status_code == 403


def test_unknown_assessor_kind_is_not_found(personas, login, assessment):
    client = login(personas.group_secretary)
    assert client.get(url("assessment_score", assessment, "residents")).status_code == 404


def test_group_office_enters_society_for_every_agency(personas, login, assessment):
    client = login(personas.group_secretary)
    text = page(client.get(url("assessment_score", assessment, SOCIETY)))
    assert text.count('data-testid="score-row"') == 3
    fields = {
        **score_fields(assessment, "城东司法所", 30, 20, 10, 5),
        **score_fields(assessment, "城西司法所", 40, 30, 20, 10),
    }
    assert client.post(url("assessment_score", assessment, SOCIETY), fields).status_code == 302
    assert AgencyScore.objects.filter(assessor_kind=SOCIETY).count() == 8
    assert AuditRecord.objects.filter(action="evaluation.assessment_score").count() == 1


def test_a_half_filled_row_or_a_score_above_the_points_is_shown_and_nothing_saved(
    personas, login, assessment
):
    fields = score_fields(assessment, "城东司法所", 36, 27, 18, 9)
    first, *_rest, last = fields
    fields[first] = "41"
    fields[last] = ""
    response = login(personas.street_officer).post(
        url("assessment_score", assessment, STREET), fields
    )
    text = page(response)
    assert 'data-testid="form-errors"' in text and "此行已开始打分" in text
    assert not AgencyScore.objects.exists()


def test_unchanged_rows_are_not_written_again(personas, login, assessment):
    client = login(personas.street_officer)
    fields = score_fields(assessment, "城东司法所", 36, 27, 18, 9)
    client.post(url("assessment_score", assessment, STREET), fields)
    client.post(url("assessment_score", assessment, STREET), fields)
    assert AuditRecord.objects.filter(action="evaluation.assessment_score").count() == 1


def test_score_form_is_read_only_once_closed(personas, login, assessment):
    score_all(personas, assessment, "城东司法所", street=(36, 27, 18, 9))
    services.assessment_close(actor=personas.group_secretary, assessment=assessment)
    client = login(personas.street_officer)
    text = page(client.get(url("assessment_score", assessment, STREET)))
    assert 'data-testid="score-save"' not in text and "disabled" in text
    client.post(
        url("assessment_score", assessment, STREET),
        score_fields(assessment, "城东司法所", 10, 10, 10, 10),
    )
    assert sorted(AgencyScore.objects.values_list("score", flat=True)) == [9, 18, 27, 36]


def test_score_form_queries_do_not_grow_with_agencies(
    personas, login, assessment, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.group_secretary)
    client.get(url("assessment_score", assessment, SOCIETY))
    with CaptureQueriesContext(connection) as few:
        page(client.get(url("assessment_score", assessment, SOCIETY)))
    for index in range(5):
        agency = dispatched_agency(f"城东第{index}所", CHENGDONG)
        services.roster_set(
            actor=personas.group_secretary,
            assessment=assessment,
            departments={agency.pk: unit("市中区民政局").pk},
        )
    score_all(personas, assessment, "城东司法所", society=(36, 27, 18, 9))
    with django_assert_max_num_queries(len(few)):
        text = page(client.get(url("assessment_score", assessment, SOCIETY)))
    assert text.count('data-testid="score-row"') == 8


# Results -------------------------------------------------------------------------------------------


@pytest.fixture
def scored(personas, assessment):
    """城东司法所 81 (80/90/70), 城西司法所 56 (street 50, society 63.33…), 钟鼓楼警务室 street
    only (90)."""
    score_all(
        personas,
        assessment,
        "城东司法所",
        department=(32, 24, 16, 8),
        street=(36, 27, 18, 9),
        society=(28, 21, 14, 7),
    )
    score_all(personas, assessment, "城西司法所", street=(20, 15, 10, 5), society=(26, 19, 12, 6))
    score_all(personas, assessment, "钟鼓楼警务室", street=(36, 27, 18, 9))
    return assessment


def test_results_rank_agencies_and_flag_the_low_scorer_in_red(personas, login, scored):
    text = page(login(personas.group_secretary).get(url("assessment_results", scored)))
    assert text.count('data-testid="result-row"') == 3
    # 钟鼓楼 90 (street only), 城东 81, 城西 (40·50 + 30·63) / 70 = 55.57.
    assert text.index("钟鼓楼警务室") < text.index("城东司法所") < text.index("城西司法所")
    assert "81.00" in text and "55.57" in text and "90.00" in text
    assert text.count('class="tag tag-red" data-testid="needs-adjustment"') == 1
    assert "Σ(各方权重 × 该方得分) ÷ Σ(已评分各方的权重)" in text
    assert "未评分：区直部门、社会评价" in text
    assert 'data-testid="assessment-close"' in text


def test_results_page_in_english(personas, login, scored):
    client = login(personas.auditor)
    client.cookies["django_language"] = "en"
    text = page(client.get(url("assessment_results", scored), HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="en">' in text
    assert text.count('data-testid="result-row"') == 3
    # The auditor reads the results but does not close the assessment.
    assert 'data-testid="assessment-close"' not in text


def test_results_export_is_a_workbook_of_the_ranked_rows_and_every_score(personas, login, scored):
    response = login(personas.group_secretary).get(url("assessment_results_export", scored))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    results = list(workbook["考核结果"].iter_rows(min_row=3, values_only=True))
    assert results[0][:4] == (1, "钟鼓楼警务室", "市中区民政局", "城东街道")
    assert results[1][1] == "城东司法所" and results[1][4:8] == (80, 90, 70, 81)
    assert results[2][1] == "城西司法所" and results[2][-1] == "需调整"
    details = list(workbook["评分明细"].iter_rows(min_row=3, values_only=True))
    assert len(details) == 4 * 3 + 4 * 2 + 4


def test_export_writes_names_as_text_never_formulas(personas, login, assessment):
    agency = dispatched_agency('=HYPERLINK("http://x")所', CHENGDONG)
    services.roster_set(
        actor=personas.group_secretary,
        assessment=assessment,
        departments={agency.pk: unit("市中区民政局").pk},
    )
    response = login(personas.group_secretary).get(url("assessment_results_export", assessment))
    sheet = load_workbook(io.BytesIO(response.content))["考核结果"]
    cells = [row[1] for row in sheet.iter_rows(min_row=3) if row[1].value]
    cell = next(c for c in cells if str(c.value).startswith("="))
    assert cell.data_type == "s" and cell.quotePrefix


def test_street_reads_only_its_rows_and_only_once_closed(personas, login, scored):
    client = login(personas.street_officer2)
    assert client.get(url("assessment_results", scored)).status_code == 404
    assert client.get(url("assessment_results_export", scored)).status_code == 404
    services.assessment_close(actor=personas.group_secretary, assessment=scored)
    text = page(client.get(url("assessment_results", scored)))
    assert text.count('data-testid="result-row"') == 1 and "城西司法所" in text
    # Ranked among all the district's agencies: third of three.
    assert '<td class="rank">3</td>' in text
    workbook = load_workbook(
        io.BytesIO(client.get(url("assessment_results_export", scored)).content)
    )
    assert [r[1] for r in workbook["考核结果"].iter_rows(min_row=3, values_only=True) if r[1]][
        :1
    ] == ["城西司法所"]
    details = list(workbook["评分明细"].iter_rows(min_row=3, values_only=True))
    assert {row[0] for row in details} == {"城西司法所"}


def test_department_reads_its_agencies_rows_once_closed(personas, login, scored):
    services.assessment_close(actor=personas.group_secretary, assessment=scored)
    text = page(login(personas.dept_clerk).get(url("assessment_results", scored)))
    assert text.count('data-testid="result-row"') == 2 and "城西司法所" not in text


def test_results_queries_do_not_grow_with_agencies(
    personas, login, scored, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.group_secretary)
    with CaptureQueriesContext(connection) as few:
        page(client.get(url("assessment_results", scored)))
    for index in range(5):
        agency = dispatched_agency(f"城东第{index}所", CHENGDONG)
        services.roster_set(
            actor=personas.group_secretary,
            assessment=scored,
            departments={agency.pk: unit("市中区民政局").pk},
        )
        score_all(personas, scored, agency.name, street=(30, 20, 10, 5))
    with django_assert_max_num_queries(len(few)):
        text = page(client.get(url("assessment_results", scored)))
    assert text.count('data-testid="result-row"') == 8


# Closing ---------------------------------------------------------------------------------------


def test_group_office_closes_from_the_results_page(personas, login, assessment):
    client = login(personas.group_secretary)
    response = client.post(url("assessment_close", assessment), follow=True)
    assert "考核已结束" in page(response)
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.CLOSED


@pytest.mark.parametrize("username", ["street_officer", "dept_head", "auditor"])
def test_others_cannot_close(personas, login, assessment, username):
    assert (
        login(getattr(personas, username)).post(url("assessment_close", assessment)).status_code
        == 403
    )
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.OPEN


def test_close_is_refused_on_get(personas, login, assessment):
    assert (
        login(personas.group_secretary).get(url("assessment_close", assessment)).status_code == 405
    )
