"""The admission API: the workflow end to end, its refusals, jurisdiction, and the public register."""

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jianfu.admission import services
from jianfu.admission.models import (
    Admission,
    AdmissionScope,
    AdmissionState,
    Application,
    ApplicationState,
    DecisionOutcome,
    Opinion,
    OpinionVerdict,
)
from jianfu.admission.tests.conftest import (
    ALL_CRITERIA,
    CHENGDONG,
    GOOD_VALUES,
    JIANDAOJIE,
    PDF,
    XILIN,
    ZHONGGULOU,
    advance,
    decide,
    make_application,
)
from jianfu.api.services import token_create
from jianfu.catalog import services as catalog_services
from jianfu.catalog.models import ListKind, ListLevel
from jianfu.org.models import Region, Unit
from jianfu.org.roles import Role
from jianfu.org.services import account_create

DISTRICT = "511002000000"
CJK = re.compile(r"[\u4e00-\u9fff]")


def post(client: Client, url: str, body: dict, **extra):
    return client.post(url, body, content_type="application/json", **extra)


def patch(client: Client, url: str, body: dict):
    return client.patch(url, body, content_type="application/json")


def act(client: Client, application_id: int, action: str, **fields):
    return post(
        client, f"/api/v1/applications/{application_id}/transitions", {"action": action, **fields}
    )


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def other_clerk(personas):
    """A clerk of 市中区人社局: the same district, another department."""
    return account_create(
        actor=None,
        username="renshe_clerk",
        display_name="人社局经办人",
        unit=Unit.objects.get(name="市中区人社局"),
        roles=[Role.DEPT_CLERK],
        password="Persona-Pass-2026",
    )


@pytest.fixture
def other_reviewer(personas):
    """The review officer of 徐州市云龙区, another district."""
    return account_create(
        actor=None,
        username="yunlong_reviewer",
        display_name="云龙区初审员",
        unit=Unit.objects.get(name="云龙区委编办（准入办）"),
        roles=[Role.REVIEW_OFFICER],
        password="Persona-Pass-2026",
    )


# ---------------------------------------------------------------------------------------------
# The whole path


def test_an_application_goes_from_draft_to_admission_number_through_the_api(personas, login):
    clerk, head = login(personas.dept_clerk), login(personas.dept_head)
    reviewer, secretary = login(personas.review_officer), login(personas.group_secretary)
    community, street = login(personas.community_officer), login(personas.street_officer)

    response = post(
        clerk,
        "/api/v1/applications",
        {
            **GOOD_VALUES,
            "report_forms": [{"name": "高龄津贴申领登记表", "fields": 12}],
            "scope": [{"region": ZHONGGULOU, "funding_fen": 1_200_000}],
        },
    )
    assert response.status_code == 201
    created = response.json()
    app_id = created["id"]
    assert created["state"] == "draft" and created["state_label"] == "草稿"
    assert created["department"]["name"] == "市中区民政局"
    assert created["scope"] == [
        {"region": ZHONGGULOU, "name": "钟鼓楼社区", "funding_fen": 1_200_000}
    ]
    assert created["report_forms"] == [{"name": "高龄津贴申领登记表", "fields": 12}]
    assert [a["action"] for a in created["allowed_actions"]] == ["send_for_signoff", "withdraw"]
    assert created["may_edit"] is True

    upload = SimpleUploadedFile("工作方案.pdf", PDF, content_type="application/pdf")
    response = clerk.post(
        f"/api/v1/applications/{app_id}/documents", {"file": upload, "kind": "work_plan"}
    )
    assert response.status_code == 201
    document = response.json()
    assert (document["name"], document["size"], document["kind"]) == (
        "工作方案.pdf",
        len(PDF),
        "work_plan",
    )
    assert document["sha256"] == "437ce29b9898285d628e3e3819a45e2bd56472e2ee48290aaf41f04354a7d929"

    assert act(clerk, app_id, "send_for_signoff").json()["state"] == "awaiting_signoff"
    signed = act(head, app_id, "sign_off", comment="同意报送").json()
    assert signed["state"] == "submitted" and signed["stage_due"] and signed["decision_due"]
    assert act(reviewer, app_id, "start_review").json()["state"] == "in_review"
    accepted = act(reviewer, app_id, "accept", criteria=ALL_CRITERIA).json()
    assert accepted["state"] == "awaiting_decision"
    assert accepted["criteria"] == ALL_CRITERIA
    consulting = act(secretary, app_id, "open_consultation").json()
    assert consulting["state"] == "in_consultation"
    invited = [o["region"] for o in consulting["consultations"][0]["opinions"]]
    assert invited == [CHENGDONG, ZHONGGULOU]

    assert community.get(f"/api/v1/applications/{app_id}").json()["may_give_opinion"] is True
    response = post(
        community,
        f"/api/v1/applications/{app_id}/opinions",
        {"verdict": "disagree", "text": "社区仅有 5 名工作者，无力每月集中受理。"},
    )
    assert response.status_code == 201
    disagreeing = response.json()
    assert (disagreeing["region"], disagreeing["verdict"]) == (ZHONGGULOU, "disagree")
    response = post(street, f"/api/v1/applications/{app_id}/opinions", {"verdict": "agree"})
    assert response.status_code == 201

    assert act(secretary, app_id, "close_consultation").json()["state"] == "awaiting_decision"
    response = act(
        secretary,
        app_id,
        "decide",
        outcome="approve_conditions",
        meeting_date=today().isoformat(),
        attendees="区委副书记（组长）、区委编办、区民政局、城东街道",
        minutes="会议审议了区民政局的准入申请。",
        conditions="区民政局每季度派员到社区指导一次。",
        responses={str(disagreeing["id"]): "区民政局另配一名协管员。"},
    )
    assert response.status_code == 200, response.json()
    approved = response.json()
    assert approved["state"] == "approved"
    assert approved["decision"]["outcome"] == "approve_conditions"
    assert approved["decision"]["conditions"] == "区民政局每季度派员到社区指导一次。"
    number = approved["admissions"][0]["number"]
    assert number == f"市中准〔{today().year}〕1号"
    assert approved["admissions"][0]["status"] == "active"
    answered = {o["region"]: o for o in approved["consultations"][0]["opinions"]}
    assert answered[ZHONGGULOU]["response"] == "区民政局另配一名协管员。"
    assert [e["action"] for e in approved["events"]] == [
        "create",
        "send_for_signoff",
        "sign_off",
        "start_review",
        "accept",
        "open_consultation",
        "opinion",
        "opinion",
        "close_consultation",
        "decide",
    ]
    assert approved["allowed_actions"] == []

    public = Client().get(f"/api/v1/admissions/{quote(number)}")
    assert public.status_code == 200
    assert public.json()["status"] == "active"
    assert public.json()["scope"] == [{"code": ZHONGGULOU, "name": "钟鼓楼社区"}]


def test_purchase_of_services_is_decided_through_the_api_and_admits_nothing(personas, login):
    application = advance(
        personas, make_application(personas.dept_clerk), ApplicationState.AWAITING_DECISION
    )
    response = act(
        login(personas.group_secretary),
        application.pk,
        "decide",
        outcome="purchase_services",
        meeting_date=today().isoformat(),
        attendees="领导小组成员",
        minutes="改为政府购买服务。",
        purchase={
            "provider": "内江市乐龄社会工作服务中心",
            "value_fen": 9_600_000,
            "term_from": "2027-01-01",
            "term_until": "2027-12-31",
            "deliverables": "上门受理高龄津贴申请。",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "rejected"
    assert body["decision"]["purchase"]["provider"] == "内江市乐龄社会工作服务中心"
    assert body["decision"]["purchase"]["value_fen"] == 9_600_000
    assert body["admissions"] == []


# ---------------------------------------------------------------------------------------------
# Editing


def test_patch_changes_only_the_fields_sent_and_replaces_the_scope(personas, login, application):
    response = patch(
        login(personas.dept_clerk),
        f"/api/v1/applications/{application.pk}",
        {"title": "高龄津贴申领受理", "scope": [{"region": XILIN, "funding_fen": 500_000}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "高龄津贴申领受理"
    assert body["content"] == GOOD_VALUES["content"]
    assert body["scope"] == [{"region": XILIN, "name": "西林社区", "funding_fen": 500_000}]


def test_patch_without_scope_keeps_the_scope(personas, login, application):
    response = patch(
        login(personas.dept_clerk), f"/api/v1/applications/{application.pk}", {"powers": "入户核查"}
    )
    assert response.status_code == 200
    assert [row["region"] for row in response.json()["scope"]] == [ZHONGGULOU, JIANDAOJIE]


def test_patch_is_refused_outside_draft_or_returned(personas, login, application):
    clerk = login(personas.dept_clerk)
    advance(personas, application, ApplicationState.SUBMITTED)
    response = patch(clerk, f"/api/v1/applications/{application.pk}", {"title": "改名"})
    assert response.status_code == 409
    assert error(response)["code"] == "not_editable"
    assert Application.objects.get(pk=application.pk).title == GOOD_VALUES["title"]
    upload = SimpleUploadedFile("补充.pdf", PDF)
    response = clerk.post(
        f"/api/v1/applications/{application.pk}/documents", {"file": upload, "kind": "other"}
    )
    assert response.status_code == 409


def test_a_returned_application_can_be_patched_again(personas, login, application):
    advance(personas, application, ApplicationState.IN_REVIEW)
    reviewer = login(personas.review_officer)
    assert act(reviewer, application.pk, "return", comment="请补充上级文件。").status_code == 200
    response = patch(
        login(personas.dept_clerk),
        f"/api/v1/applications/{application.pk}",
        {"higher_document_title": "关于做好高龄津贴发放工作的通知"},
    )
    assert response.status_code == 200
    assert response.json()["state"] == "returned"


def test_a_reviewer_who_sees_the_application_may_not_patch_it(personas, login, application):
    advance(personas, application, ApplicationState.SUBMITTED)
    response = patch(
        login(personas.review_officer), f"/api/v1/applications/{application.pk}", {"title": "x"}
    )
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"


# ---------------------------------------------------------------------------------------------
# Bad input: 422, in Chinese, and nothing changes


def test_a_missing_required_field_is_422_in_chinese(personas, login):
    values = {k: v for k, v in GOOD_VALUES.items() if k != "title"}
    response = post(login(personas.dept_clerk), "/api/v1/applications", values)
    assert response.status_code == 422
    body = error(response)
    assert body["code"] == "invalid_input"
    assert body["message"] == "请求参数有误。"
    assert body["details"][0]["location"][-1] == "title"
    assert not Application.objects.exists()


def test_an_unknown_object_kind_is_422(personas, login):
    response = post(
        login(personas.dept_clerk), "/api/v1/applications", {**GOOD_VALUES, "object_kind": "tax"}
    )
    assert response.status_code == 422
    assert error(response)["details"][0]["location"][-1] == "object_kind"


@pytest.mark.parametrize(
    "scope",
    [
        [{"region": CHENGDONG, "funding_fen": 100}],  # a street for community-level work
        [{"region": "320303001001", "funding_fen": 100}],  # a community of another district
        [{"region": ZHONGGULOU, "funding_fen": -1}],
    ],
)
def test_a_bad_scope_is_refused_with_a_chinese_message(personas, login, scope):
    response = post(
        login(personas.dept_clerk), "/api/v1/applications", {**GOOD_VALUES, "scope": scope}
    )
    assert response.status_code == 422
    body = error(response)
    assert body["code"] == "invalid_input"
    assert CJK.search(body["message"])
    assert not Application.objects.exists()


def test_errors_speak_english_when_asked(personas, login):
    values = {k: v for k, v in GOOD_VALUES.items() if k != "content"}
    response = post(
        login(personas.dept_clerk), "/api/v1/applications", values, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert error(response)["message"].isascii()


def test_a_return_without_reasons_is_422(personas, login, application):
    advance(personas, application, ApplicationState.IN_REVIEW)
    response = act(login(personas.review_officer), application.pk, "return")
    assert response.status_code == 422
    assert error(response)["message"] == "请写明需要补正的内容。"


def test_a_field_the_action_does_not_take_is_422_not_a_crash(personas, login, application):
    response = act(
        login(personas.dept_clerk), application.pk, "send_for_signoff", deadline="2030-01-01"
    )
    assert response.status_code == 422
    assert "deadline" in error(response)["message"]
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT


def test_an_unknown_action_is_422(personas, login, application):
    response = act(login(personas.dept_clerk), application.pk, "approve_everything")
    assert response.status_code == 422


def test_a_document_of_the_wrong_type_is_422(personas, login, application):
    upload = SimpleUploadedFile("方案.exe", b"MZ\x90\x00")
    response = login(personas.dept_clerk).post(
        f"/api/v1/applications/{application.pk}/documents", {"file": upload, "kind": "work_plan"}
    )
    assert response.status_code == 422
    assert CJK.search(error(response)["message"])
    assert application.documents.count() == 1


def test_a_pdf_that_is_not_a_pdf_is_422(personas, login, application):
    upload = SimpleUploadedFile("方案.pdf", b"hello")
    response = login(personas.dept_clerk).post(
        f"/api/v1/applications/{application.pk}/documents", {"file": upload, "kind": "work_plan"}
    )
    assert response.status_code == 422


def test_only_department_clerks_create_applications(personas, login):
    response = post(login(personas.street_officer), "/api/v1/applications", GOOD_VALUES)
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"


def test_a_list_outside_the_jurisdiction_cannot_be_referenced(personas, login):
    response = post(
        login(personas.dept_clerk), "/api/v1/applications", {**GOOD_VALUES, "catalog_list": 999_999}
    )
    assert response.status_code == 422
    assert error(response)["details"] == {"field": "catalog_list"}


# ---------------------------------------------------------------------------------------------
# The rules, each refused with its status and code


def test_an_application_meeting_no_criterion_cannot_pass_review(personas, login, application):
    advance(personas, application, ApplicationState.IN_REVIEW)
    response = act(
        login(personas.review_officer),
        application.pk,
        "accept",
        criteria={"legal_basis": False, "higher_requirement": False, "real_need": False},
    )
    assert response.status_code == 409
    assert error(response)["code"] == "no_criterion"
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_REVIEW


def test_an_item_on_a_negative_list_cannot_pass_review_and_the_entry_is_named(personas, login):
    reviewer = personas.review_officer
    negative = catalog_services.list_create(
        actor=reviewer,
        name="市中区社区工作负面清单",
        kind=ListKind.NEGATIVE,
        level=ListLevel.COMMUNITY,
        region=Region.objects.get(code=DISTRICT),
        first_label="2026版",
    )
    draft = negative.versions.get()
    catalog_services.item_add(
        actor=reviewer, version=draft, values={"name": "招商引资"}, reason="梳理"
    )
    catalog_services.version_publish(
        actor=reviewer,
        version=draft,
        document_number="市中委编〔2026〕1号",
        valid_from=dt.date(2026, 1, 1),
    )
    application = make_application(
        personas.dept_clerk, values={"title": "协助开展招商引资项目信息收集"}
    )
    advance(personas, application, ApplicationState.IN_REVIEW)
    response = act(login(reviewer), application.pk, "accept", criteria=ALL_CRITERIA)
    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "negative_list"
    assert "招商引资" in body["message"] and "市中区社区工作负面清单" in body["message"]


def test_assisted_work_without_money_for_every_community_cannot_be_approved(personas, login):
    application = make_application(
        personas.dept_clerk, scope=[(ZHONGGULOU, 1_000_000), (JIANDAOJIE, 0)]
    )
    advance(personas, application, ApplicationState.AWAITING_DECISION)
    response = act(
        login(personas.group_secretary),
        application.pk,
        "decide",
        outcome="approve",
        meeting_date=today().isoformat(),
        attendees="领导小组成员",
        minutes="审议。",
    )
    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "unfunded"
    assert body["details"] == ["箭道街社区"]
    assert not Admission.objects.exists()


def test_every_disagreeing_opinion_must_be_answered_in_the_decision(personas, login, application):
    advance(personas, application, ApplicationState.IN_CONSULTATION)
    response = post(
        login(personas.community_officer),
        f"/api/v1/applications/{application.pk}/opinions",
        {"verdict": "disagree", "text": "人手不足。"},
    )
    assert response.status_code == 201
    Opinion.objects.filter(answered_at__isnull=True).update(
        verdict=OpinionVerdict.AGREE, answered_at=timezone.now()
    )
    secretary = login(personas.group_secretary)
    assert act(secretary, application.pk, "close_consultation").status_code == 200
    decision = {
        "outcome": "approve",
        "meeting_date": today().isoformat(),
        "attendees": "领导小组成员",
        "minutes": "审议。",
    }
    response = act(secretary, application.pk, "decide", **decision)
    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "opinions_unanswered"
    assert body["details"] == ["钟鼓楼社区"]
    opinion_id = response_opinion_id(application, ZHONGGULOU)
    response = act(
        secretary, application.pk, "decide", **decision, responses={opinion_id: "另配协管员。"}
    )
    assert response.status_code == 200
    assert response.json()["state"] == "approved"


def response_opinion_id(application, region: str) -> int:
    return Opinion.objects.get(consultation__application=application, region_id=region).pk


def test_consultation_cannot_close_before_the_deadline_while_opinions_are_missing(
    personas, login, application
):
    advance(personas, application, ApplicationState.IN_CONSULTATION)
    response = act(login(personas.group_secretary), application.pk, "close_consultation")
    assert response.status_code == 409
    assert error(response)["code"] == "consultation_open"


def test_a_department_cannot_review_its_own_application(personas, login, application):
    own_reviewer = account_create(
        actor=None,
        username="minzheng_reviewer",
        display_name="民政局内的初审员",
        unit=personas.dept_clerk.unit,
        roles=[Role.REVIEW_OFFICER],
        password="Persona-Pass-2026",
    )
    advance(personas, application, ApplicationState.SUBMITTED)
    response = act(login(own_reviewer), application.pk, "start_review")
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"


def test_an_action_of_another_role_is_403(personas, login, application):
    advance(personas, application, ApplicationState.AWAITING_SIGNOFF)
    response = act(login(personas.dept_clerk), application.pk, "sign_off")
    assert response.status_code == 403


def test_an_action_in_the_wrong_state_is_409(personas, login, application):
    response = act(login(personas.dept_head), application.pk, "sign_off")
    assert response.status_code == 409
    assert error(response)["code"] == "wrong_state"


def test_an_opinion_is_given_once_and_only_by_the_invited(personas, login, application):
    advance(personas, application, ApplicationState.IN_CONSULTATION)
    url = f"/api/v1/applications/{application.pk}/opinions"
    community = login(personas.community_officer)
    assert post(community, url, {"verdict": "agree"}).status_code == 201
    again = post(community, url, {"verdict": "agree"})
    assert again.status_code == 409
    assert error(again)["code"] == "already_answered"
    # The applying department sees the application but has no opinion to give.
    assert post(login(personas.dept_clerk), url, {"verdict": "agree"}).status_code == 403
    # A community that was not invited does not even see it.
    assert post(login(personas.community_officer2), url, {"verdict": "agree"}).status_code == 404


def test_a_disagreeing_opinion_needs_its_reasons(personas, login, application):
    advance(personas, application, ApplicationState.IN_CONSULTATION)
    response = post(
        login(personas.community_officer),
        f"/api/v1/applications/{application.pk}/opinions",
        {"verdict": "disagree"},
    )
    assert response.status_code == 422
    assert error(response)["message"] == "附条件同意或不同意时须写明意见内容。"


# ---------------------------------------------------------------------------------------------
# Jurisdiction


def test_outsiders_get_404_and_the_list_excludes_what_they_may_not_see(
    personas, login, application, other_clerk, other_reviewer
):
    advance(personas, application, ApplicationState.IN_CONSULTATION)
    detail = f"/api/v1/applications/{application.pk}"
    for outsider in (other_clerk, personas.community_officer2, other_reviewer):
        client = login(outsider)
        assert client.get(detail).status_code == 404, outsider.username
        assert error(client.get(detail))["code"] == "not_found"
        assert client.get("/api/v1/applications").json()["items"] == []
        assert patch(client, detail, {"title": "x"}).status_code == 404
        assert act(client, application.pk, "withdraw").status_code == 404
        upload = SimpleUploadedFile("a.pdf", PDF)
        assert (
            client.post(f"{detail}/documents", {"file": upload, "kind": "other"}).status_code == 404
        )
        assert post(client, f"{detail}/opinions", {"verdict": "agree"}).status_code == 404
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_CONSULTATION
    # The invited community and the district's offices do see it.
    for insider in (personas.community_officer, personas.street_officer, personas.review_officer):
        client = login(insider)
        assert client.get(detail).status_code == 200, insider.username
        assert [a["id"] for a in client.get("/api/v1/applications").json()["items"]] == [
            application.pk
        ]


def test_drafts_stay_inside_the_department(personas, login, application):
    assert (
        login(personas.review_officer).get(f"/api/v1/applications/{application.pk}").status_code
        == 404
    )
    assert (
        login(personas.dept_head).get(f"/api/v1/applications/{application.pk}").status_code == 200
    )


def test_the_list_filters_by_state_and_department(personas, login, application):
    submitted = advance(personas, make_application(personas.dept_clerk), ApplicationState.SUBMITTED)
    client = login(personas.dept_clerk)
    ids = lambda query: [a["id"] for a in client.get("/api/v1/applications", query).json()["items"]]  # noqa: E731
    assert ids({}) == [application.pk, submitted.pk]
    assert ids({"state": "submitted"}) == [submitted.pk]
    assert ids({"department": personas.dept_clerk.unit_id}) == [application.pk, submitted.pk]
    assert ids({"department": personas.dept_clerk.unit_id + 1000}) == []
    assert client.get("/api/v1/applications", {"state": "sleeping"}).status_code == 422


def test_the_caller_sees_only_the_actions_it_may_take(personas, login, application):
    advance(personas, application, ApplicationState.IN_REVIEW)
    as_reviewer = (
        login(personas.review_officer).get(f"/api/v1/applications/{application.pk}").json()
    )
    assert [a["action"] for a in as_reviewer["allowed_actions"]] == ["return", "accept"]
    as_clerk = login(personas.dept_clerk).get(f"/api/v1/applications/{application.pk}").json()
    assert [a["action"] for a in as_clerk["allowed_actions"]] == ["withdraw"]
    assert as_clerk["may_edit"] is False


# ---------------------------------------------------------------------------------------------
# Tokens, query counts, OpenAPI


def test_a_bearer_token_works_for_reading_and_writing(personas):
    issued = token_create(actor=personas.dept_clerk, name="部门业务系统")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    client = Client(enforce_csrf_checks=True)
    response = post(client, "/api/v1/applications", {**GOOD_VALUES, "scope": []}, **auth)
    assert response.status_code == 201
    listed = client.get("/api/v1/applications", **auth).json()["items"]
    assert [a["id"] for a in listed] == [response.json()["id"]]
    assert client.get("/api/v1/applications").status_code == 401


def test_application_list_queries_do_not_grow_with_rows(
    personas, login, django_assert_max_num_queries
):
    client = login(personas.dept_clerk)
    client.get("/api/v1/me")
    for count in (2, 12):
        while Application.objects.count() < count:
            services.application_create(
                actor=personas.dept_clerk, values=GOOD_VALUES, scope=[(ZHONGGULOU, 100)]
            )
        with django_assert_max_num_queries(6):
            body = client.get("/api/v1/applications", {"limit": 500}).json()
        assert len(body["items"]) == count


def test_public_register_queries_do_not_grow_with_rows(db, personas, django_assert_max_num_queries):
    for count in (2, 12):
        while Admission.objects.count() < count:
            admission_row(personas, regions=[ZHONGGULOU, JIANDAOJIE])
        with django_assert_max_num_queries(5):
            body = Client().get("/api/v1/admissions", {"limit": 500}).json()
        assert len(body["items"]) == count
        assert all(len(item["scope"]) == 2 for item in body["items"])


def test_openapi_document_lists_the_admission_endpoints(db):
    schema = Client().get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/applications",
        "/api/v1/applications/{application_id}",
        "/api/v1/applications/{application_id}/transitions",
        "/api/v1/applications/{application_id}/documents",
        "/api/v1/applications/{application_id}/opinions",
        "/api/v1/admissions",
        "/api/v1/admissions/{number}",
    } <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/applications/{application_id}"]) == {"get", "patch"}
    # The public register needs no credentials.
    assert not schema["paths"]["/api/v1/admissions/{number}"]["get"].get("security")


# ---------------------------------------------------------------------------------------------
# The public register and verification, without logging in


def admission_row(
    personas,
    *,
    regions,
    department=None,
    state=AdmissionState.ACTIVE,
    valid_from=None,
    valid_until=None,
) -> Admission:
    """An admission written straight into the register (the issuing path is tested above)."""
    year = (valid_from or today()).year
    sequence = Admission.objects.filter(district_id=DISTRICT, year=year).count() + 1
    admission = Admission.objects.create(
        number=f"市中准〔{year}〕{sequence}号",
        district_id=DISTRICT,
        year=year,
        sequence=sequence,
        department=department or personas.dept_clerk.unit,
        title=f"事项{sequence}",
        object_kind="task",
        target_level="community",
        content="内部工作内容",
        conditions="内部条件",
        valid_from=valid_from or today(),
        valid_until=valid_until or dt.date(year, 12, 31),
        state=state,
        state_reason="内部理由",
    )
    AdmissionScope.objects.bulk_create(
        AdmissionScope(admission=admission, region_id=code, funding_fen=123_456) for code in regions
    )
    return admission


@pytest.fixture
def approved(personas) -> Admission:
    application = advance(
        personas, make_application(personas.dept_clerk), ApplicationState.APPROVED
    )
    return application.admissions.get()


def verify(number: str):
    return Client().get(f"/api/v1/admissions/{quote(number)}")


def test_anyone_can_verify_an_active_admission_without_logging_in(approved):
    response = verify(approved.number)
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == approved.number
    assert (body["status"], body["status_label"]) == ("active", "有效")
    assert body["department"] == "市中区民政局"
    assert body["title"] == GOOD_VALUES["title"]
    assert body["scope"] == [
        {"code": ZHONGGULOU, "name": "钟鼓楼社区"},
        {"code": JIANDAOJIE, "name": "箭道街社区"},
    ]
    assert body["valid_until"] == approved.valid_until.isoformat()
    assert body["provisional"] is False
    assert body["previous_number"] is None and body["renewal_numbers"] == []
    # No money and no internal text reach the public.
    text = response.content.decode()
    assert "funding" not in text and "1000000" not in text
    assert GOOD_VALUES["content"] not in text


def test_an_admission_past_its_term_reads_as_expired(approved):
    Admission.objects.filter(pk=approved.pk).update(
        valid_from=today() - dt.timedelta(days=30), valid_until=today() - dt.timedelta(days=1)
    )
    body = verify(approved.number).json()
    assert (body["status"], body["status_label"]) == ("expired", "已到期")


def test_a_revoked_admission_reads_as_revoked_with_the_public_decision(personas, approved):
    services.admission_change_state(
        actor=personas.group_secretary,
        admission=approved,
        move="revoke",
        reason="年度评议群众满意率不过半数",
        reference="市中委减负〔2026〕3号",
    )
    body = verify(approved.number).json()
    assert body["status"] == "revoked"
    assert body["revocation_reason"] == "年度评议群众满意率不过半数"
    assert body["revocation_reference"] == "市中委减负〔2026〕3号"


def test_a_suspension_reason_stays_internal(personas, approved):
    services.admission_change_state(
        actor=personas.group_secretary, admission=approved, move="suspend", reason="经费未到位"
    )
    response = verify(approved.number)
    assert response.json()["status"] == "suspended"
    assert "经费未到位" not in response.content.decode()


def test_an_unknown_number_is_404_in_the_error_format(db):
    response = verify("市中准〔2026〕999号")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_half_width_brackets_find_the_same_admission(approved):
    response = verify(approved.number.replace("〔", "[").replace("〕", "]"))
    assert response.status_code == 200
    assert response.json()["number"] == approved.number


def test_a_renewal_names_its_previous_admission_and_back(personas, approved):
    renewal = services.admission_renew(
        actor=personas.group_secretary,
        admission=approved,
        valid_until=dt.date(today().year + 1, 12, 31),
        reason="继续实施",
    )
    assert verify(renewal.number).json()["previous_number"] == approved.number
    assert verify(approved.number).json()["renewal_numbers"] == [renewal.number]


def test_the_public_register_filters_by_status_department_region_and_year(personas):
    renshe = Unit.objects.get(name="市中区人社局")
    last_year = today().year - 1
    active = admission_row(personas, regions=[ZHONGGULOU])
    expired = admission_row(
        personas,
        regions=[XILIN],
        department=renshe,
        valid_from=dt.date(last_year, 1, 1),
        valid_until=dt.date(last_year, 12, 31),
    )
    revoked = admission_row(personas, regions=[JIANDAOJIE], state=AdmissionState.REVOKED)
    suspended = admission_row(personas, regions=[XILIN], state=AdmissionState.SUSPENDED)
    client = Client()

    def numbers(**query) -> list[str]:
        response = client.get("/api/v1/admissions", query)
        assert response.status_code == 200, response.json()
        return [item["number"] for item in response.json()["items"]]

    everything = [active.number, expired.number, revoked.number, suspended.number]
    assert sorted(numbers()) == sorted(everything)
    assert numbers(status="active") == [active.number]
    assert numbers(status="expired") == [expired.number]
    assert numbers(status="revoked") == [revoked.number]
    assert numbers(status="suspended") == [suspended.number]
    assert numbers(department=renshe.pk) == [expired.number]
    assert sorted(numbers(region=CHENGDONG)) == sorted([active.number, revoked.number])
    assert sorted(numbers(region=XILIN)) == sorted([expired.number, suspended.number])
    assert sorted(numbers(region=DISTRICT)) == sorted(everything)
    assert numbers(year=last_year) == [expired.number]
    assert numbers(region="320303000000") == []
    assert client.get("/api/v1/admissions", {"status": "forever"}).status_code == 422
    text = client.get("/api/v1/admissions").content.decode()
    assert "123456" not in text and "内部" not in text


def test_the_public_register_pages_with_a_cursor(personas):
    made = [admission_row(personas, regions=[ZHONGGULOU]).number for _n in range(5)]
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = Client().get("/api/v1/admissions", query).json()
        seen += [item["number"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == made


def test_a_decided_rejection_issues_nothing_to_verify(personas):
    application = advance(
        personas, make_application(personas.dept_clerk), ApplicationState.AWAITING_DECISION
    )
    decide(personas, application, DecisionOutcome.REJECT)
    assert Client().get("/api/v1/admissions").json()["items"] == []
