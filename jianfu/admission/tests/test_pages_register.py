"""The admissions register pages, public verification, admission settings and the work calendar."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jianfu.admission import services
from jianfu.admission.models import (
    Admission,
    AdmissionSettings,
    AdmissionState,
    ApplicationState,
    CommunityCapacity,
)
from jianfu.admission.tests.conftest import (
    CHENGDONG,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    advance,
    days_ago,
    make_application,
)
from jianfu.core import calendar
from jianfu.core.errors import Forbidden, InvalidInput
from jianfu.core.models import AuditRecord, CalendarDay
from jianfu.core.workdays import add_working_days
from jianfu.org.models import Region, Unit
from jianfu.org.roles import Role
from jianfu.org.services import account_create

SHIZHONG = "511002000000"
YUNLONG = "320303000000"


@pytest.fixture
def admission(personas) -> Admission:
    """市中区民政局's 高龄津贴申领初审, approved for 钟鼓楼社区 and 箭道街社区 with funding."""
    application = advance(
        personas, make_application(personas.dept_clerk), ApplicationState.APPROVED
    )
    return application.admissions.get()


@pytest.fixture
def other_secretary(personas):
    """The group secretary of 徐州市云龙区, another district."""
    return account_create(
        actor=None,
        username="yunlong_secretary",
        display_name="云龙区领导小组办公室",
        unit=Unit.objects.get(name="云龙区社区减负工作领导小组办公室"),
        roles=[Role.GROUP_SECRETARY],
        password="Persona-Pass-2026",
    )


def provisional(personas, title="防汛应急巡查", regions=(XILIN,), days=30) -> Admission:
    return services.admission_issue_provisional(
        actor=personas.group_secretary,
        department=Unit.objects.get(name="市中区应急局"),
        title=title,
        content="汛期每日巡查低洼地带并报告险情。",
        target_level="community",
        regions=list(regions),
        reason="沱江超警戒水位",
        days=days,
    )


def verify_url(number: str) -> str:
    return reverse("verify_admission", args=[number])


def page(response) -> str:
    return response.content.decode()


def main(response) -> str:
    """The page's own content, without the header that names the signed-in user."""
    text = page(response)
    return text[text.index("<main>") : text.index("</main>")]


# Public verification ------------------------------------------------------------------------------


def test_verify_link_percent_encodes_the_chinese_brackets(admission):
    url = verify_url(admission.number)
    assert url == "/verify/admission/" + quote(admission.number)
    assert "%E3%80%94" in url and "%E3%80%95" in url  # 〔 and 〕


@pytest.mark.parametrize("logged_in", [False, True])
def test_anyone_sees_an_active_admission_is_valid(personas, admission, login, logged_in):
    client = login(personas.community_officer2) if logged_in else Client()
    response = client.get(verify_url(admission.number))
    assert response.status_code == 200
    text = page(response)
    assert 'verify-verdict-active" data-testid="verdict">\n  <span class="word">有效</span>' in text
    assert admission.number in text
    assert "高龄津贴申领初审" in text and "市中区民政局" in text
    assert "钟鼓楼社区" in text and "箭道街社区" in text
    assert admission.valid_until.strftime("%Y-%m-%d") in text


@pytest.mark.parametrize("logged_in", [False, True])
def test_verification_shows_no_internal_data(personas, admission, login, logged_in):
    client = login(personas.group_secretary) if logged_in else Client()
    text = main(client.get(verify_url(admission.number)))
    # Funding (10,000.00 and 8,000.00 yuan), the issuer, the minutes and the application stay inside.
    for internal in ("10,000.00", "8,000.00", "经费", str(personas.group_secretary), "会议", "SQ"):
        assert internal not in text, internal


@pytest.mark.parametrize("logged_in", [False, True])
def test_an_admission_past_its_term_is_shown_expired(personas, admission, login, logged_in):
    Admission.objects.filter(pk=admission.pk).update(
        valid_from=days_ago(400), valid_until=days_ago(1)
    )
    client = login(personas.street_officer) if logged_in else Client()
    response = client.get(verify_url(admission.number))
    assert response.status_code == 200
    text = page(response)
    assert '<span class="word">已到期</span>' in text
    assert '<span class="word">有效</span>' not in text
    assert "有效期已于" in text


@pytest.mark.parametrize(
    ("language", "written"), [("zh-hans", "2024年12月31日"), ("en", "Dec. 31, 2024")]
)
def test_verification_writes_dates_in_the_readers_language(admission, settings, language, written):
    Admission.objects.filter(pk=admission.pk).update(
        valid_from=dt.date(2024, 1, 1), valid_until=dt.date(2024, 12, 31)
    )
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    text = page(client.get(verify_url(admission.number)))
    assert written in text
    assert ("2024年12月31日" in text) == (language == "zh-hans")


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_revoked_admission_shows_reason_and_decision(personas, admission, login, logged_in):
    services.admission_change_state(
        actor=personas.group_secretary,
        admission=admission,
        move="revoke",
        reason="年度评议满意率不过半数",
        reference="市中减负〔2026〕3号",
    )
    client = login(personas.community_officer) if logged_in else Client()
    response = client.get(verify_url(admission.number))
    assert response.status_code == 200
    text = page(response)
    assert '<span class="word">已撤销</span>' in text
    assert "年度评议满意率不过半数" in text and "市中减负〔2026〕3号" in text


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_suspended_admission_is_shown_suspended(personas, admission, login, logged_in):
    services.admission_change_state(
        actor=personas.group_secretary, admission=admission, move="suspend", reason="经费未到位"
    )
    client = login(personas.dept_clerk) if logged_in else Client()
    response = client.get(verify_url(admission.number))
    assert response.status_code == 200
    assert '<span class="word">已暂停</span>' in page(response)


@pytest.mark.parametrize("logged_in", [False, True])
def test_an_unknown_number_is_not_found(personas, db, login, logged_in):
    client = login(personas.dept_clerk) if logged_in else Client()
    response = client.get(verify_url("市中准〔2026〕999号"))
    assert response.status_code == 404
    text = page(response)
    assert "查无此准入编号" in text and '<span class="word">查无此号</span>' in text
    typed = client.get(reverse("verify_admission_form"), {"number": "不存在的编号"})
    assert typed.status_code == 404 and "查无此准入编号" in page(typed)


def test_a_number_typed_with_square_brackets_and_spaces_is_found(admission):
    client = Client()
    typed = admission.number.replace("〔", "[").replace("〕", "] ")
    response = client.get(reverse("verify_admission_form"), {"number": f" {typed} "})
    assert response.status_code == 302 and response["Location"] == verify_url(admission.number)
    response = client.get("/verify/admission/" + quote(typed))
    assert response.status_code == 302 and response["Location"] == verify_url(admission.number)
    assert client.get(response["Location"]).status_code == 200


def test_the_form_without_a_number_asks_for_one(db):
    response = Client().get(reverse("verify_admission_form"))
    assert response.status_code == 200
    assert 'name="number"' in page(response) and "查无" not in page(response)


def test_verification_of_a_renewed_admission_links_to_the_renewal(personas, admission):
    renewal = services.admission_renew(
        actor=personas.group_secretary,
        admission=admission,
        valid_until=dt.date(admission.valid_until.year + 1, 12, 31),
        reason="继续实施",
    )
    text = page(Client().get(verify_url(admission.number)))
    assert f'href="{verify_url(renewal.number)}"' in text
    assert f'href="{verify_url(admission.number)}"' in page(
        Client().get(verify_url(renewal.number))
    )


def test_verification_runs_three_statements_whatever_the_scope_and_renewals(personas, admission):
    """The admission with its department, district and predecessor, its scope's names, its
    renewals: the public page answers thousands of checks, so nothing is read row by row."""
    client = Client()
    client.get(verify_url(admission.number))
    with CaptureQueriesContext(connection) as before:
        text = page(client.get(verify_url(admission.number)))
    renewal = services.admission_renew(
        actor=personas.group_secretary,
        admission=admission,
        valid_until=dt.date(admission.valid_until.year + 1, 12, 31),
        reason="继续实施",
    )
    with CaptureQueriesContext(connection) as after:
        renewed = page(client.get(verify_url(admission.number)))
    assert len(before) == len(after) == 3
    assert admission.scope.count() >= 2
    for scope in admission.scope.select_related("region"):
        assert f'<span class="tag">{scope.region.name}</span>' in text
    assert renewal.number not in text and f'href="{verify_url(renewal.number)}"' in renewed
    # The renewal itself names its predecessor from the same three statements.
    with CaptureQueriesContext(connection) as of_renewal:
        client.get(verify_url(renewal.number))
    assert len(of_renewal) == 3


def test_a_provisional_admission_is_marked_provisional(personas, db):
    emergency = provisional(personas)
    text = page(Client().get(verify_url(emergency.number)))
    assert "临时准入" in text and "西林社区" in text and '<span class="word">有效</span>' in text
    # The emergency reason is the group's working note, not public.
    assert "沱江超警戒水位" not in text


# The public register -----------------------------------------------------------------------------


def test_public_register_lists_every_district_and_links_to_verification(personas, admission):
    response = Client().get(reverse("public_admissions"))
    assert response.status_code == 200
    text = page(response)
    assert f'href="{verify_url(admission.number)}"' in text
    assert "高龄津贴申领初审" in text and "市中区民政局" in text and "2 个社区" in text
    for internal in ("10,000.00", "8,000.00", "经费（元）", str(personas.group_secretary)):
        assert internal not in text, internal


def test_public_register_filters_by_district_status_department_and_year(personas, admission):
    emergency = provisional(personas)
    services.admission_change_state(
        actor=personas.group_secretary, admission=emergency, move="suspend", reason="经费未到位"
    )
    client = Client()
    url = reverse("public_admissions")

    def numbers(**params) -> set[str]:
        text = page(client.get(url, params))
        return {n for n in (admission.number, emergency.number) if n in text}

    assert numbers() == {admission.number, emergency.number}
    assert numbers(district=SHIZHONG) == {admission.number, emergency.number}
    assert numbers(district=YUNLONG) == set()
    assert numbers(status="active") == {admission.number}
    assert numbers(status="suspended") == {emergency.number}
    assert numbers(department=emergency.department_id) == {emergency.number}
    assert numbers(year=admission.year) == {admission.number, emergency.number}
    assert numbers(year=admission.year - 5) == set()
    # A value that does not parse is ignored rather than failing the page.
    assert numbers(year="abc", status="active") == {admission.number}


def test_public_register_query_count_does_not_grow_with_rows(personas, admission):
    client = Client()
    url = reverse("public_admissions")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3):
        provisional(personas, title=f"应急事项{n}", regions=(XILIN, ZHONGGULOU))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert page(response).count("/verify/admission/") >= 4
    assert len(many) == len(few)


# The staff register ------------------------------------------------------------------------------


def test_register_shows_status_as_of_today_with_scope_and_term(personas, admission, login):
    Admission.objects.filter(pk=admission.pk).update(
        valid_from=days_ago(400), valid_until=days_ago(1)
    )
    emergency = provisional(personas)
    text = page(login(personas.review_officer).get(reverse("admission_index")))
    assert admission.number in text and emergency.number in text
    assert '<span class="status status-expired">已到期</span>' in text
    assert '<span class="status status-active">有效</span>' in text
    assert "临时准入" in text and "2 个社区" in text and "1 个社区" in text
    assert days_ago(1).isoformat() in text


def test_register_filters_by_status_department_region_and_year(personas, admission, login):
    emergency = provisional(personas, regions=(XILIN,))
    client = login(personas.group_secretary)
    url = reverse("admission_index")

    def numbers(**params) -> set[str]:
        text = page(client.get(url, params))
        return {n for n in (admission.number, emergency.number) if n in text}

    assert numbers() == {admission.number, emergency.number}
    assert numbers(region=CHENGDONG) == {admission.number}
    assert numbers(region=XILIN) == {emergency.number}
    assert numbers(department=admission.department_id) == {admission.number}
    assert numbers(status="expired") == set()
    assert numbers(status="active") == {admission.number, emergency.number}
    assert numbers(year=admission.year + 1) == set()


def test_register_shows_each_user_only_their_district(personas, admission, login, other_secretary):
    emergency = provisional(personas, regions=(XILIN,))
    text = page(login(personas.auditor).get(reverse("admission_index")))
    assert admission.number in text and emergency.number in text
    # A street or community sees the admissions that place work on it, not its neighbours'.
    text = page(login(personas.street_officer).get(reverse("admission_index")))
    assert admission.number in text and emergency.number not in text
    text = page(login(personas.community_officer2).get(reverse("admission_index")))
    assert admission.number not in text and emergency.number in text
    elsewhere = page(login(other_secretary).get(reverse("admission_index")))
    assert admission.number not in elsewhere and emergency.number not in elsewhere


def test_register_needs_a_login(db):
    response = Client().get(reverse("admission_index"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_group_secretary_sees_the_management_buttons_others_do_not(personas, db, login):
    secretary = page(login(personas.group_secretary).get(reverse("admission_index")))
    assert "签发临时准入" in secretary and "准入设置" in secretary
    clerk = page(login(personas.dept_clerk).get(reverse("admission_index")))
    assert "签发临时准入" not in clerk and "准入设置" not in clerk


def test_register_query_count_does_not_grow_with_rows(personas, admission, login):
    client = login(personas.group_secretary)
    url = reverse("admission_index")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3):
        provisional(personas, title=f"应急事项{n}", regions=(XILIN, JIANDAOJIE))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert page(response).count('href="/admissions/') >= 4
    assert len(many) == len(few)


# The admission page ------------------------------------------------------------------------------


def test_admission_page_shows_scope_funding_term_and_application(personas, admission, login):
    text = page(
        login(personas.group_secretary).get(reverse("admission_detail", args=[admission.pk]))
    )
    assert "钟鼓楼社区" in text and "10,000.00" in text and "8,000.00" in text
    assert "18,000.00" in text  # the total
    assert admission.valid_until.isoformat() in text
    assert reverse("application_detail", args=[admission.application_id]) in text
    assert reverse("admission_agreement", args=[admission.pk]) in text
    for label in ("撤销准入", "暂停准入", "续期"):
        assert label in text


def test_a_community_officer_sees_the_admission_but_no_management_forms(personas, admission, login):
    response = login(personas.community_officer).get(
        reverse("admission_detail", args=[admission.pk])
    )
    assert response.status_code == 200
    text = page(response)
    assert "钟鼓楼社区" in text and "撤销准入" not in text and 'name="move"' not in text
    # 西林社区 is not in the admission's scope: its funding and agreement are not its to read.
    outsider = login(personas.community_officer2)
    assert outsider.get(reverse("admission_detail", args=[admission.pk])).status_code == 404
    assert outsider.get(reverse("admission_agreement", args=[admission.pk])).status_code == 404


def test_another_districts_secretary_gets_404(personas, admission, other_secretary, login):
    url = reverse("admission_detail", args=[admission.pk])
    assert login(other_secretary).get(url).status_code == 404
    pdf = reverse("admission_agreement", args=[admission.pk])
    assert login(other_secretary).get(pdf).status_code == 404


def test_agreement_pdf_downloads_inline_with_the_number_in_its_name(personas, admission, login):
    response = login(personas.dept_clerk).get(reverse("admission_agreement", args=[admission.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert f"filename*=UTF-8''{quote('协助管理协议书-' + admission.number + '.pdf')}" in disposition


def _state_post(client, admission, move, **fields):
    data = {"move": move, **{f"{move}-{name}": value for name, value in fields.items()}}
    return client.post(reverse("admission_state", args=[admission.pk]), data)


def _audited(admission, action) -> bool:
    return AuditRecord.objects.filter(action=action, object_id=str(admission.pk)).exists()


def test_group_secretary_suspends_resumes_and_revokes_through_the_page(personas, admission, login):
    client = login(personas.group_secretary)
    response = _state_post(client, admission, "suspend", reason="经费未按期拨付")
    assert response.status_code == 302
    admission.refresh_from_db()
    assert (
        admission.state == AdmissionState.SUSPENDED and admission.state_reason == "经费未按期拨付"
    )
    assert _audited(admission, "admission.suspended")

    _state_post(client, admission, "resume", reason="经费已到位")
    admission.refresh_from_db()
    assert admission.state == AdmissionState.ACTIVE and _audited(admission, "admission.active")

    response = _state_post(client, admission, "revoke", reason="评议不过半数", reference="")
    assert response.status_code == 200 and "这个字段是必填项" in page(response)
    admission.refresh_from_db()
    assert admission.state == AdmissionState.ACTIVE

    _state_post(client, admission, "revoke", reason="评议不过半数", reference="市中减负〔2026〕5号")
    admission.refresh_from_db()
    assert admission.state == AdmissionState.REVOKED
    assert admission.state_reference == "市中减负〔2026〕5号"
    assert _audited(admission, "admission.revoked")
    text = page(client.get(reverse("admission_detail", args=[admission.pk])))
    assert "评议不过半数" in text
    assert 'data-testid="revoke"' not in text and 'data-testid="renew"' not in text


def test_a_move_the_state_does_not_allow_is_refused_with_a_message(personas, admission, login):
    response = _state_post(login(personas.group_secretary), admission, "resume", reason="恢复")
    assert response.status_code == 200 and "不能执行此操作" in page(response)
    admission.refresh_from_db()
    assert admission.state == AdmissionState.ACTIVE


def test_group_secretary_renews_through_the_page(personas, admission, login):
    client = login(personas.group_secretary)
    until = dt.date(admission.valid_until.year + 1, 12, 31)
    response = client.post(
        reverse("admission_renew", args=[admission.pk]),
        {"renew-valid_until": until.isoformat(), "renew-reason": "继续实施一年"},
    )
    renewal = admission.renewals.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admission_detail", args=[renewal.pk])
    assert renewal.valid_until == until and renewal.scope.count() == 2
    assert AuditRecord.objects.filter(action="admission.renew", object_id=str(renewal.pk)).exists()
    text = page(client.get(response["Location"]))
    assert admission.number in text and renewal.number in text
    earlier = page(client.get(reverse("admission_detail", args=[admission.pk])))
    assert renewal.number in earlier and 'data-testid="renew"' not in earlier


def test_renewal_ending_before_the_current_term_is_refused(personas, admission, login):
    response = login(personas.group_secretary).post(
        reverse("admission_renew", args=[admission.pk]),
        {"renew-valid_until": days_ago(10).isoformat(), "renew-reason": "继续"},
    )
    assert response.status_code == 200 and "续期后的有效期须晚于" in page(response)
    assert not admission.renewals.exists()


@pytest.mark.parametrize("persona", ["street_officer", "dept_clerk", "review_officer"])
def test_others_posting_the_management_forms_get_403_and_nothing_changes(
    personas, admission, login, persona
):
    client = login(getattr(personas, persona))
    audit_count = AuditRecord.objects.count()
    for move, fields in (
        ("revoke", {"reason": "x", "reference": "y"}),
        ("suspend", {"reason": "x"}),
    ):
        assert _state_post(client, admission, move, **fields).status_code == 403
    response = client.post(
        reverse("admission_renew", args=[admission.pk]),
        {"renew-valid_until": "2099-12-31", "renew-reason": "x"},
    )
    assert response.status_code == 403
    admission.refresh_from_db()
    assert admission.state == AdmissionState.ACTIVE and not admission.renewals.exists()
    assert AuditRecord.objects.count() == audit_count


def test_another_districts_secretary_gets_404_on_actions(
    personas, admission, other_secretary, login
):
    client = login(other_secretary)
    assert _state_post(client, admission, "suspend", reason="x").status_code == 404
    response = client.post(
        reverse("admission_renew", args=[admission.pk]),
        {"renew-valid_until": "2099-12-31", "renew-reason": "x"},
    )
    assert response.status_code == 404
    admission.refresh_from_db()
    assert admission.state == AdmissionState.ACTIVE and not admission.renewals.exists()


# Provisional admissions --------------------------------------------------------------------------


def _provisional_form(**overrides):
    return {
        "department": Unit.objects.get(name="市中区应急局").pk,
        "title": "防汛应急巡查",
        "content": "汛期每日巡查低洼地带。",
        "target_level": "community",
        "regions": [XILIN, ZHONGGULOU],
        "reason": "沱江超警戒水位",
        "days": 30,
        **overrides,
    }


def test_group_secretary_issues_a_provisional_admission_through_the_page(personas, db, login):
    client = login(personas.group_secretary)
    form = page(client.get(reverse("admission_provisional")))
    assert "城东街道" in form and "钟鼓楼社区" in form and 'value="90"' in form
    assert "云龙区" not in form
    response = client.post(reverse("admission_provisional"), _provisional_form())
    emergency = Admission.objects.get(title="防汛应急巡查")
    assert response.status_code == 302
    assert response["Location"] == reverse("admission_detail", args=[emergency.pk])
    assert emergency.provisional and emergency.department.name == "市中区应急局"
    assert emergency.valid_until == timezone.localdate() + dt.timedelta(days=29)
    assert set(emergency.scope.values_list("region_id", flat=True)) == {XILIN, ZHONGGULOU}


def test_provisional_days_above_the_maximum_are_refused_in_chinese(personas, db, login):
    client = login(personas.group_secretary)
    response = client.post(reverse("admission_provisional"), _provisional_form(days=91))
    assert response.status_code == 200 and "临时准入最长 90 天" in page(response)
    assert not Admission.objects.exists()


def test_provisional_scope_must_match_the_target_level(personas, db, login):
    response = login(personas.group_secretary).post(
        reverse("admission_provisional"), _provisional_form(regions=[CHENGDONG])
    )
    assert response.status_code == 200 and "不是本区县的社区" in page(response)
    assert not Admission.objects.exists()


@pytest.mark.parametrize("persona", ["dept_clerk", "review_officer", "street_officer"])
def test_only_the_group_secretary_issues_provisional_admissions(personas, db, login, persona):
    client = login(getattr(personas, persona))
    assert client.get(reverse("admission_provisional")).status_code == 403
    assert client.post(reverse("admission_provisional"), _provisional_form()).status_code == 403
    assert not Admission.objects.exists()


# Settings ----------------------------------------------------------------------------------------


def _settings_form(**overrides):
    values = {
        "number_prefix": "市中",
        "review_days": 5,
        "consultation_days": 10,
        "decision_days": 15,
        "provisional_days": 90,
        "hours_per_worker": 300,
        "funding_grace_days": 30,
        f"workers-{ZHONGGULOU}": 8,
        f"hours-{ZHONGGULOU}": "",
        f"workers-{JIANDAOJIE}": 6,
        f"hours-{JIANDAOJIE}": 1500,
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def test_group_secretary_edits_settings_and_community_capacity(personas, db, login):
    client = login(personas.group_secretary)
    text = page(client.get(reverse("admission_settings")))
    assert "市中准〔" in text and "钟鼓楼社区" in text and "西林社区" in text
    response = client.post(
        reverse("admission_settings"),
        _settings_form(
            number_prefix="市中区", provisional_days=60, capacity_blocks="on", funding_grace_days=45
        ),
    )
    assert response.status_code == 302
    settings = AdmissionSettings.objects.get(district_id=SHIZHONG)
    assert settings.number_prefix == "市中区" and settings.provisional_days == 60
    assert settings.funding_grace_days == 45
    assert settings.capacity_blocks
    assert CommunityCapacity.objects.get(community_id=ZHONGGULOU).workers == 8
    assert CommunityCapacity.objects.get(community_id=JIANDAOJIE).hours_per_year == 1500
    assert AuditRecord.objects.filter(action="admission.settings_update").exists()
    assert AuditRecord.objects.filter(action="admission.capacity_update").exists()
    text = page(client.get(reverse("admission_settings")))
    assert "市中区准〔" in text and "2400" in text  # 8 workers × 300 hours
    # The provisional form now offers at most 60 days.
    assert 'value="60"' in page(client.get(reverse("admission_provisional")))


def test_settings_page_shows_a_live_example_of_the_number(personas, db, login):
    client = login(personas.group_secretary)
    provisional(personas)
    response = client.get(
        reverse("admission_settings"), {"number_prefix": "中区"}, headers={"HX-Request": "true"}
    )
    year = timezone.localdate().year
    assert response.status_code == 200
    assert f"中区准〔{year}〕2号" in page(response) and "<form" not in page(response)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("number_prefix", "一二三四五六七八九十一", "10"),
        ("review_days", 0, "1"),
        (f"workers-{ZHONGGULOU}", "八", "钟鼓楼社区：请填写整数"),
        (f"hours-{JIANDAOJIE}", 0, "箭道街社区 的年度负担预算须为正整数"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(personas, db, login, field, value, message):
    client = login(personas.group_secretary)
    audit_count = AuditRecord.objects.count()
    response = client.post(reverse("admission_settings"), _settings_form(**{field: value}))
    assert response.status_code == 200 and message in page(response)
    assert not CommunityCapacity.objects.exists()
    assert AuditRecord.objects.count() == audit_count


def test_a_prefix_another_district_uses_is_refused(personas, db, other_secretary):
    services.admission_settings_update(
        actor=other_secretary,
        district=Region.objects.get(code=YUNLONG),
        values={"number_prefix": "云龙"},
    )
    with pytest.raises(InvalidInput, match="云龙区"):
        services.admission_settings_update(
            actor=personas.group_secretary,
            district=Region.objects.get(code=SHIZHONG),
            values={"number_prefix": "云龙"},
        )


@pytest.mark.parametrize("persona", ["review_officer", "dept_clerk", "community_officer"])
def test_others_cannot_edit_settings(personas, db, login, persona):
    client = login(getattr(personas, persona))
    assert client.get(reverse("admission_settings")).status_code == 403
    assert client.post(reverse("admission_settings"), _settings_form()).status_code == 403
    assert not CommunityCapacity.objects.exists()
    with pytest.raises(Forbidden):
        services.admission_settings_update(
            actor=getattr(personas, persona),
            district=Region.objects.get(code=SHIZHONG),
            values={"review_days": 3},
        )
    with pytest.raises(Forbidden):
        services.community_capacity_update(
            actor=getattr(personas, persona),
            rows=[{"community": ZHONGGULOU, "workers": 3, "hours_per_year": None}],
        )


def test_another_districts_secretary_edits_only_their_own_district(
    personas, db, other_secretary, login
):
    client = login(other_secretary)
    text = page(client.get(reverse("admission_settings"), {"district": SHIZHONG}))
    assert "云龙区" in text and "钟鼓楼社区" not in text
    response = client.post(
        reverse("admission_settings"), {**_settings_form(review_days=2), "district": SHIZHONG}
    )
    # The 市中区 communities are not in this district's table, so they are never written.
    assert response.status_code == 302
    assert not CommunityCapacity.objects.filter(community_id=ZHONGGULOU).exists()
    assert services.settings_for(Region.objects.get(code=SHIZHONG)).review_days == 5
    assert services.settings_for(Region.objects.get(code=YUNLONG)).review_days == 2
    with pytest.raises(Forbidden):
        services.community_capacity_update(
            actor=other_secretary,
            rows=[{"community": ZHONGGULOU, "workers": 3, "hours_per_year": None}],
        )


# The working-day calendar ------------------------------------------------------------------------


def test_system_admin_adds_a_holiday_and_a_make_up_workday(personas, login):
    client = login(personas.system_admin)
    url = reverse("calendar_edit")
    # 2026-10-01 is a Thursday; 2026-10-10 a Saturday.
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 1)
    for day, kind, name in (
        ("2026-10-01", "0", "国庆节"),
        ("2026-10-02", "0", "国庆节"),
        ("2026-10-10", "1", "国庆调休"),
    ):
        response = client.post(
            url, {"action": "add", "add-date": day, "add-is_workday": kind, "add-name": name}
        )
        assert response.status_code == 302
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 5)
    assert add_working_days(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)
    text = page(client.get(url, {"year": 2026}))
    assert "国庆节" in text and "国庆调休" in text
    assert AuditRecord.objects.filter(action="core.calendar_day_set").count() == 3

    client.post(url, {"action": "delete", "date": "2026-10-10"})
    assert not CalendarDay.objects.filter(date=dt.date(2026, 10, 10)).exists()
    assert AuditRecord.objects.filter(action="core.calendar_day_delete").exists()


def test_calendar_import_writes_every_line(personas, login):
    client = login(personas.system_admin)
    text = "2026-10-01,休,国庆节\n2026-10-02，休，国庆节\n\n2026-09-28,班,国庆调休\n"
    response = client.post(
        reverse("calendar_edit"), {"action": "import", "year": 2026, "import-text": text}
    )
    assert response.status_code == 302
    assert dict(CalendarDay.objects.values_list("date", "is_workday")) == {
        dt.date(2026, 10, 1): False,
        dt.date(2026, 10, 2): False,
        dt.date(2026, 9, 28): True,
    }
    assert AuditRecord.objects.filter(action="core.calendar_import").exists()


def test_a_bad_import_line_is_reported_and_nothing_is_written(personas, login):
    client = login(personas.system_admin)
    text = "2026-10-01,休,国庆节\n2026-13-01,休,不存在\n2026-10-03,放,国庆节\n2025-10-04,休,上一年"
    response = client.post(
        reverse("calendar_edit"), {"action": "import", "year": 2026, "import-text": text}
    )
    assert response.status_code == 200
    body = page(response)
    assert "有 3 行无法导入" in body
    assert "第 2 行" in body and "第 3 行" in body and "第 4 行" in body and "第 1 行" not in body
    assert not CalendarDay.objects.exists()


def test_calendar_import_can_replace_a_whole_year(personas, db):
    admin = personas.system_admin
    calendar.calendar_day_set(
        actor=admin, date=dt.date(2026, 5, 1), is_workday=False, name="劳动节"
    )
    calendar.calendar_day_set(actor=admin, date=dt.date(2027, 1, 1), is_workday=False, name="元旦")
    result = calendar.calendar_import(
        actor=admin, text="2026-10-01,休,国庆节\n2026-05-01,休,劳动节", year=2026, replace=True
    )
    assert (result.created, result.changed, result.unchanged, result.removed) == (1, 0, 1, 0)
    result = calendar.calendar_import(
        actor=admin, text="2026-10-01,休,国庆", year=2026, replace=True
    )
    assert (result.changed, result.removed) == (1, 1)
    assert set(CalendarDay.objects.values_list("date", flat=True)) == {
        dt.date(2026, 10, 1),
        dt.date(2027, 1, 1),
    }


@pytest.mark.parametrize("persona", ["group_secretary", "security_admin", "audit_admin"])
def test_only_the_system_admin_edits_the_calendar(personas, login, persona):
    client = login(getattr(personas, persona))
    assert client.get(reverse("calendar_edit")).status_code == 403
    response = client.post(
        reverse("calendar_edit"),
        {"action": "add", "add-date": "2026-10-01", "add-is_workday": "0", "add-name": "国庆节"},
    )
    assert response.status_code == 403
    assert not CalendarDay.objects.exists()
    with pytest.raises(Forbidden):
        calendar.calendar_day_set(
            actor=getattr(personas, persona), date=dt.date(2026, 10, 1), is_workday=False
        )
    with pytest.raises(Forbidden):
        calendar.calendar_import(actor=getattr(personas, persona), text="2026-10-01,休,国庆节")


def test_deleting_a_day_that_is_not_set_is_refused(personas, db):
    from jianfu.core.errors import NotFound

    with pytest.raises(NotFound):
        calendar.calendar_day_delete(actor=personas.system_admin, date=dt.date(2026, 10, 1))


def test_only_the_system_administrator_is_shown_the_calendar_in_the_menu(personas, login):
    assert 'href="/manage/calendar/"' in login(personas.system_admin).get("/").content.decode()
    assert (
        'href="/manage/calendar/"' not in login(personas.group_secretary).get("/").content.decode()
    )
