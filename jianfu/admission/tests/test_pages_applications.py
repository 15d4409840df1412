"""The application pages: the form, the actions of each party, documents, jurisdiction, home page."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.utils import timezone

from jianfu.admission import services
from jianfu.admission.burden import application_burden
from jianfu.admission.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationState,
    Opinion,
    OpinionVerdict,
)
from jianfu.admission.tests.conftest import (
    CHENGDONG,
    JIANDAOJIE,
    PDF,
    ZHONGGULOU,
    advance,
    make_application,
)
from jianfu.core.models import Notification
from jianfu.org.models import Unit
from jianfu.org.roles import Role
from jianfu.org.services import account_create

FORM = {
    "title": "独居老人定期探访",
    "object_kind": "task",
    "target_level": "community",
    "list_kind": "assist",
    "content": "每月上门探访辖区独居老人，记录健康与居住情况。",
    "service_objects": "辖区独居老人",
    "legal_law": "《中华人民共和国老年人权益保障法》",
    "legal_article": "第十三条",
    "higher_document_number": "川民发〔2025〕30号",
    "need_statement": "独居老人意外无人知晓的情况时有发生。",
    "work_plan": "区民政局制定探访表，社区每月报送一次。",
    "funding_source": "区级财政专项",
    "minutes_per_occurrence": "20",
    "occurrences_per_year": "240",
    "ledger_books": "1",
    "report_forms_text": "独居老人探访登记表,8\n月度汇总表，5",
    "scope": [ZHONGGULOU, JIANDAOJIE],
    f"funding_{ZHONGGULOU}": "10,000.50",
    "funding_all": "8000",
}


def post_action(client, application, action, **fields):
    data = {"action": action, **{f"{action}-{name}": value for name, value in fields.items()}}
    return client.post(f"/admission/{application.pk}/transition/", data)


def state_of(application) -> str:
    application.refresh_from_db()
    return application.state


def test_clerk_creates_an_application_through_the_form_with_yuan_converted_to_fen(personas, login):
    client = login(personas.dept_clerk)
    page = client.get("/admission/new/").content.decode()
    assert "实施范围与经费" in page and "钟鼓楼社区" in page and "城西街道" in page

    response = client.post("/admission/new/", FORM)

    application = Application.objects.get(title="独居老人定期探访")
    assert response.status_code == 302
    assert response["Location"] == f"/admission/{application.pk}/"
    assert application.state == ApplicationState.DRAFT
    assert dict(application.scope.values_list("region_id", "funding_fen")) == {
        ZHONGGULOU: 1_000_050,
        JIANDAOJIE: 800_000,
    }
    assert application.report_forms == [
        {"name": "独居老人探访登记表", "fields": 8},
        {"name": "月度汇总表", "fields": 5},
    ]
    assert application.minutes_per_occurrence == 20
    listing = client.get("/admission/").content.decode()
    assert "独居老人定期探访" in listing and application.reference in listing
    detail = client.get(f"/admission/{application.pk}/").content.decode()
    assert "10,000.50" in detail and "18,000.50" in detail


def test_form_errors_are_shown_next_to_the_fields_and_nothing_is_saved(personas, login):
    client = login(personas.dept_clerk)
    bad = {
        **FORM,
        "title": "",
        "scope": [ZHONGGULOU, CHENGDONG],
        f"funding_{ZHONGGULOU}": "一万元",
        "report_forms_text": "没有字段数的报表",
        "term_from": "2026-06-01",
        "term_until": "2026-01-01",
    }

    response = client.post("/admission/new/", bad)

    page = response.content.decode()
    assert response.status_code == 200
    assert "这个字段是必填项" in page
    assert "承接层级为社区时只能勾选社区：城东街道" in page
    assert "金额“一万元”无效" in page
    assert "第 1 行应写成“名称,字段数”" in page
    assert "拟实施截止日不能早于起始日" in page
    assert not Application.objects.exists()


def test_only_a_department_clerk_may_open_the_form(personas, login):
    assert login(personas.dept_head).get("/admission/new/").status_code == 403
    assert login(personas.review_officer).get("/admission/new/").status_code == 403
    assert login(personas.system_admin).get("/admission/").status_code == 403


def test_clerk_edits_a_draft_but_not_once_it_is_sent_for_signoff(personas, login, application):
    client = login(personas.dept_clerk)
    page = client.get(f"/admission/{application.pk}/edit/").content.decode()
    assert "高龄津贴申领初审" in page and 'value="10000.00"' in page

    data = {**FORM, "title": "高龄津贴申领初审（修订）", "scope": [ZHONGGULOU], "funding_all": ""}
    data[f"funding_{ZHONGGULOU}"] = "12000"
    response = client.post(f"/admission/{application.pk}/edit/", data)

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.title == "高龄津贴申领初审（修订）"
    assert list(application.scope.values_list("region_id", "funding_fen")) == [
        (ZHONGGULOU, 1_200_000)
    ]
    assert login(personas.dept_head).get(f"/admission/{application.pk}/edit/").status_code == 403
    post_action(client, application, "send_for_signoff")
    response = client.get(f"/admission/{application.pk}/edit/", follow=True)
    assert "只有草稿或退回补正的申请可以修改" in response.content.decode()


def test_head_signs_off_through_the_page(personas, login, application):
    post_action(login(personas.dept_clerk), application, "send_for_signoff")
    assert state_of(application) == ApplicationState.AWAITING_SIGNOFF
    head = login(personas.dept_head)
    page = head.get(f"/admission/{application.pk}/").content.decode()
    assert "签批并报送" in page and "退回经办人" in page

    response = post_action(head, application, "sign_off", comment="同意报送")

    assert response.status_code == 302
    assert state_of(application) == ApplicationState.SUBMITTED
    assert application.stage_due is not None
    event = application.events.get(action="sign_off")
    assert event.actor == personas.dept_head and event.comment == "同意报送"


def test_sending_back_without_a_reason_shows_the_field_error(personas, login, application):
    advance(personas, application, ApplicationState.AWAITING_SIGNOFF)
    response = post_action(login(personas.dept_head), application, "send_back", comment="")
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert state_of(application) == ApplicationState.AWAITING_SIGNOFF


def test_review_officer_accepts_with_the_criteria_through_the_page(personas, login, application):
    advance(personas, application, ApplicationState.SUBMITTED)
    reviewer = login(personas.review_officer)
    post_action(reviewer, application, "start_review")
    assert state_of(application) == ApplicationState.IN_REVIEW
    page = reviewer.get(f"/admission/{application.pk}/").content.decode()
    assert "有法律法规依据" in page and "《四川省老年人权益保障条例》" in page

    response = post_action(
        reviewer, application, "accept", legal_basis="on", real_need="on", comment="材料齐全"
    )

    assert response.status_code == 302
    assert state_of(application) == ApplicationState.AWAITING_DECISION
    assert application.criteria == {
        "legal_basis": True,
        "higher_requirement": False,
        "real_need": True,
    }


def test_accepting_without_any_criterion_is_refused_in_chinese_and_changes_nothing(
    personas, login, application
):
    advance(personas, application, ApplicationState.IN_REVIEW)
    events = ApplicationEvent.objects.count()

    response = post_action(login(personas.review_officer), application, "accept")

    assert response.status_code == 200
    page = response.content.decode()
    assert "不能通过初审" in page and "有上级党委政府明文要求" in page
    assert state_of(application) == ApplicationState.IN_REVIEW
    assert application.criteria == {}
    assert ApplicationEvent.objects.count() == events


def test_review_page_warns_of_missing_material_before_accepting(personas, login):
    application = services.application_create(
        actor=personas.dept_clerk,
        values={
            "title": "社区协助核查",
            "object_kind": "task",
            "target_level": "community",
            "content": "协助核查",
        },
        scope=[(ZHONGGULOU, 100)],
    )
    advance(personas, application, ApplicationState.IN_REVIEW)
    page = login(personas.review_officer).get(f"/admission/{application.pk}/").content.decode()
    assert "材料不完整" in page and "未上传申请材料" in page and "未填写工作方案" in page
    assert "申请未提供依据" in page


def test_secretary_opens_the_consultation_with_the_default_deadline_shown(
    personas, login, application
):
    advance(personas, application, ApplicationState.AWAITING_DECISION)
    secretary = login(personas.group_secretary)
    default = services.add_working_days(
        timezone.localdate(), services.settings_for(application.district).consultation_days
    )
    assert (
        f'value="{default.isoformat()}"'
        in secretary.get(f"/admission/{application.pk}/").content.decode()
    )
    deadline = timezone.localdate() + dt.timedelta(days=20)

    post_action(secretary, application, "open_consultation", deadline=deadline.isoformat())

    assert state_of(application) == ApplicationState.IN_CONSULTATION
    assert application.consultations.first().deadline == deadline
    assert application.stage_due == deadline


def test_the_clerk_withdraws_only_after_confirming(personas, login, application):
    client = login(personas.dept_clerk)
    refused = post_action(client, application, "withdraw", comment="不再需要")
    assert refused.status_code == 200 and "这个字段是必填项" in refused.content.decode()
    assert state_of(application) == ApplicationState.DRAFT
    post_action(client, application, "withdraw", confirm="on", comment="不再需要")
    assert state_of(application) == ApplicationState.WITHDRAWN
    assert (
        'id="action-withdraw"' not in client.get(f"/admission/{application.pk}/").content.decode()
    )


def test_a_party_outside_the_transition_table_gets_403(personas, login, application):
    advance(personas, application, ApplicationState.AWAITING_DECISION)
    response = post_action(
        login(personas.review_officer), application, "open_consultation", deadline="2099-01-01"
    )
    assert response.status_code == 403
    assert state_of(application) == ApplicationState.AWAITING_DECISION


def test_street_officer_gives_an_opinion_through_the_page(personas, login, application):
    advance(personas, application, ApplicationState.IN_CONSULTATION)
    street = login(personas.street_officer)
    assert "提交意见" in street.get(f"/admission/{application.pk}/").content.decode()

    refused = street.post(f"/admission/{application.pk}/opinion/", {"opinion-verdict": "disagree"})
    assert "附条件同意或不同意时须写明意见内容" in refused.content.decode()
    response = street.post(
        f"/admission/{application.pk}/opinion/",
        {"opinion-verdict": "disagree", "opinion-text": "街道无专门人员承担。"},
    )

    assert response.status_code == 302
    opinion = Opinion.objects.get(region_id=CHENGDONG)
    assert opinion.verdict == OpinionVerdict.DISAGREE and opinion.author == personas.street_officer
    page = street.get(f"/admission/{application.pk}/").content.decode()
    assert "提交意见" not in page and "街道无专门人员承担。" in page


def test_group_secretary_records_the_decision_and_the_admission_number_appears(
    personas, login, application
):
    advance(personas, application, ApplicationState.IN_CONSULTATION)
    login(personas.street_officer).post(
        f"/admission/{application.pk}/opinion/",
        {"opinion-verdict": "disagree", "opinion-text": "街道无专门人员承担。"},
    )
    Opinion.objects.exclude(region_id=CHENGDONG).update(
        verdict=OpinionVerdict.AGREE, answered_at=timezone.now()
    )
    secretary = login(personas.group_secretary)
    post_action(secretary, application, "close_consultation")
    assert state_of(application) == ApplicationState.AWAITING_DECISION
    disagreeing = Opinion.objects.get(region_id=CHENGDONG)
    decision = {
        "outcome": "approve",
        "meeting_date": timezone.localdate().isoformat(),
        "attendees": "区委副书记、区委编办、区民政局、城东街道",
        "minutes": "会议同意准入。",
    }
    unanswered = post_action(secretary, application, "decide", **decision)
    assert unanswered.status_code == 200 and "对城东街道意见的答复" in unanswered.content.decode()
    assert state_of(application) == ApplicationState.AWAITING_DECISION

    response = post_action(
        secretary,
        application,
        "decide",
        **decision,
        **{f"response_{disagreeing.pk}": "由区民政局派驻专人协助。"},
    )

    assert response.status_code == 302
    assert state_of(application) == ApplicationState.APPROVED
    admission = application.admissions.get()
    page = login(personas.dept_clerk).get(f"/admission/{application.pk}/").content.decode()
    assert admission.number in page and f"/admissions/{admission.pk}/" in page
    assert "由区民政局派驻专人协助。" in page and "同意准入" in page
    # The admission now in force is the application's own: it is not counted twice.
    assert [(row["before"], row["after"]) for row in application_burden(application)] == [
        (0, 60.0),
        (0, 60.0),
    ]


def test_purchase_of_services_is_recorded_with_the_value_in_yuan(personas, login, application):
    advance(personas, application, ApplicationState.AWAITING_DECISION)
    response = post_action(
        login(personas.group_secretary),
        application,
        "decide",
        outcome="purchase_services",
        meeting_date=timezone.localdate().isoformat(),
        attendees="领导小组成员",
        minutes="改为政府购买服务。",
        provider="市中区社会工作服务中心",
        value="120,000",
        term_from="2026-01-01",
        term_until="2026-12-31",
        deliverables="每月探访并报送记录。",
    )
    assert response.status_code == 302
    assert state_of(application) == ApplicationState.REJECTED
    assert application.decision.purchase.value_fen == 12_000_000
    assert not application.admissions.exists()


def test_document_upload_and_download_keep_the_bytes_and_the_chinese_name(
    personas, login, application
):
    client = login(personas.dept_clerk)
    content = b"%PDF-1.7 \xe4\xbe\x9d\xe6\x8d\xae"
    upload = {
        "upload-kind": "legal_basis",
        "upload-file": _file("法律依据 第二十八条.pdf", content),
    }

    response = client.post(f"/admission/{application.pk}/documents/", upload)

    assert response.status_code == 302
    document = application.documents.get(kind="legal_basis")
    assert document.size == len(content) and len(document.sha256) == 64
    download = login(personas.dept_head).get(
        f"/admission/{application.pk}/documents/{document.pk}/"
    )
    assert download.status_code == 200
    assert b"".join(download) == content
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert f"filename*=UTF-8''{quote('法律依据 第二十八条.pdf')}" in download["Content-Disposition"]
    assert document.sha256 in client.get(f"/admission/{application.pk}/").content.decode()

    client.post(f"/admission/{application.pk}/documents/{document.pk}/delete/")
    assert not application.documents.filter(pk=document.pk).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("说明.txt", b"plain text", "只接受"),
        ("伪装.pdf", b"\x89PNG\r\n", "文件内容与扩展名 .pdf 不符"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused(personas, login, application, name, content, message):
    before = ApplicationDocument.objects.count()
    response = login(personas.dept_clerk).post(
        f"/admission/{application.pk}/documents/",
        {"upload-kind": "other", "upload-file": _file(name, content)},
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert ApplicationDocument.objects.count() == before


def test_documents_cannot_change_once_the_application_left_the_department(
    personas, login, application
):
    advance(personas, application, ApplicationState.SUBMITTED)
    client = login(personas.dept_clerk)
    document = application.documents.get()
    response = client.post(
        f"/admission/{application.pk}/documents/",
        {"upload-kind": "other", "upload-file": _file("补充.pdf", PDF)},
        follow=True,
    )
    assert "只有草稿或退回补正的申请可以上传材料" in response.content.decode()
    client.post(f"/admission/{application.pk}/documents/{document.pk}/delete/")
    assert application.documents.count() == 1


def test_streets_and_communities_not_invited_get_404(personas, login, application):
    advance(personas, application, ApplicationState.IN_CONSULTATION)
    document = application.documents.get()
    for outsider in (personas.community_officer2, personas.street_officer2):
        client = login(outsider)
        assert client.get(f"/admission/{application.pk}/").status_code == 404
        assert (
            client.get(f"/admission/{application.pk}/documents/{document.pk}/").status_code == 404
        )
        opinion = {"opinion-verdict": "agree"}
        assert client.post(f"/admission/{application.pk}/opinion/", opinion).status_code == 404
        assert post_action(client, application, "close_consultation").status_code == 404
        assert application.title not in client.get("/admission/").content.decode()
    invited = login(personas.community_officer)
    assert invited.get(f"/admission/{application.pk}/documents/{document.pk}/").status_code == 200
    assert post_action(invited, application, "close_consultation").status_code == 403


def test_another_departments_clerk_and_the_district_offices_get_404_on_a_draft(
    personas, login, application
):
    labour = Unit.objects.get(name="市中区人社局")
    other_clerk = account_create(
        actor=None,
        username="labour_clerk",
        display_name="人社局经办人",
        unit=labour,
        roles=[Role.DEPT_CLERK],
        password="Persona-Pass-2026",
        granted_by_command=True,
    )
    document = application.documents.get()
    for user in (other_clerk, personas.review_officer, personas.group_secretary):
        client = login(user)
        assert client.get(f"/admission/{application.pk}/").status_code == 404
        assert client.get(f"/admission/{application.pk}/edit/").status_code == 404
        assert (
            client.get(f"/admission/{application.pk}/documents/{document.pk}/").status_code == 404
        )
    assert post_action(login(other_clerk), application, "withdraw", confirm="on").status_code == 404
    assert state_of(application) == ApplicationState.DRAFT


def test_review_officer_home_lists_the_submitted_application_as_overdue(
    personas, login, application
):
    advance(personas, application, ApplicationState.SUBMITTED)
    Application.objects.filter(pk=application.pk).update(
        stage_due=timezone.localdate() - dt.timedelta(days=2)
    )

    page = login(personas.review_officer).get("/").content.decode()

    assert "高龄津贴申领初审" in page and application.reference in page
    assert "开始初审" in page and "已逾期" in page and "市中区民政局" in page
    assert f"/admission/{application.pk}/" in page
    clerk_home = login(personas.dept_clerk).get("/").content.decode()
    assert "已逾期" not in clerk_home


def test_invited_community_sees_the_opinion_as_pending_on_its_home_page(
    personas, login, application
):
    advance(personas, application, ApplicationState.IN_CONSULTATION)
    page = login(personas.community_officer).get("/").content.decode()
    assert "高龄津贴申领初审" in page and "回复意见" in page
    assert "高龄津贴申领初审" not in login(personas.community_officer2).get("/").content.decode()


def test_head_is_notified_after_send_for_signoff(
    personas, login, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_action(login(personas.dept_clerk), application, "send_for_signoff")

    head = login(personas.dept_head)
    home = head.get("/").content.decode()
    assert 'class="badge-count"' in home
    page = head.get("/notifications/").content.decode()
    assert "高龄津贴申领初审" in page and "待负责人签批" in page and 'class="unread"' in page
    head.post("/notifications/")
    assert not Notification.objects.filter(recipient=personas.dept_head, read_at=None).exists()
    assert 'class="unread"' not in head.get("/notifications/").content.decode()


def test_navigation_offers_applications_by_role_and_the_register_to_everyone(personas, login):
    clerk_page = login(personas.dept_clerk).get("/").content.decode()
    assert "准入申请" in clerk_page and "准入登记" in clerk_page
    admin_page = login(personas.system_admin).get("/").content.decode()
    assert 'href="/admission/"' not in admin_page and "准入登记" in admin_page


def test_application_list_needs_the_same_queries_for_few_or_many_rows(
    personas, login, django_assert_max_num_queries
):
    client = login(personas.review_officer)
    for index in range(2):
        advance(
            personas,
            make_application(personas.dept_clerk, values={"title": f"甲{index}"}),
            "submitted",
        )
    # Session, user, roles, unit and region, permissions, the unread count, the count and the page.
    with django_assert_max_num_queries(14) as few:
        assert client.get("/admission/").status_code == 200
    for index in range(12):
        advance(
            personas,
            make_application(personas.dept_clerk, values={"title": f"乙{index}"}),
            "submitted",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/admission/").content.decode()
    assert "乙11" in page and "甲0" in page


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
