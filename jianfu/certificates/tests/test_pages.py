"""The certificate pages: a community's requests and the lists' verdict as the officer types, taking
a request, a request's page with its decisions and the one-time reveal of an ID number, the
seal-use log, the district's types and banned list, the refusals report, and who sees what."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jianfu.certificates import services
from jianfu.certificates.models import (
    Certificate,
    CertificateRequest,
    RefusalGround,
    RequestState,
    SealUse,
    SealUseKind,
)
from jianfu.certificates.tests.conftest import (
    ALLOWED_NAME,
    ID_NUMBER,
    OTHER_ID_NUMBER,
    request_make,
)
from jianfu.core.id_numbers import id_number_mask
from jianfu.core.models import AuditRecord
from jianfu.funds.tests.conftest import page

pytestmark = pytest.mark.django_db

MASKED = id_number_mask(ID_NUMBER)
MATERIALS = ["居民身份证", "户口簿", "被继承人死亡证明"]
TEMPLATE = (
    "兹证明{name}（公民身份号码：{id_number}）系{community}居民，因{purpose}需向{asking_body}提供。"
)


def url(name, *args) -> str:
    return reverse(name, args=list(args))


@pytest.fixture
def configured(personas, catalog, community, allowed_item):
    """The group office has set the allowed type's use, materials and template."""
    return services.certificate_type_update(
        actor=personas.group_secretary,
        district=community.parent.parent,
        item_key=allowed_item.key,
        use="办理继承不动产登记",
        materials=MATERIALS,
        template=TEMPLATE,
        valid_days=60,
    )


@pytest.fixture
def banned_request(personas, catalog, community) -> CertificateRequest:
    """A resident asked for 无犯罪记录证明 for 某某人力资源公司: refused on the spot."""
    return request_make(
        personas.community_officer,
        community,
        type_name="无犯罪记录证明",
        asking_body="某某人力资源公司",
        id_number="",
    )


@pytest.fixture
def other_request(personas, catalog, other_community) -> CertificateRequest:
    """西林社区's own refused request (another street's community)."""
    return request_make(
        personas.community_officer2,
        other_community,
        type_name="居民养犬证明",
        resident_name="西林居民",
        asking_body="西林物业公司",
        id_number=OTHER_ID_NUMBER,
    )


def new_request_post(item=None, **overrides) -> dict:
    data = {
        "type_key": str(item.key) if item is not None else "",
        "type_name": "",
        "resident_name": "王秀英",
        "id_number": ID_NUMBER,
        "resident_phone": "0832-2012345",
        "asking_body": "市中区不动产登记中心",
        "asking_clause": "《不动产登记暂行条例实施细则》第十四条",
        "asking_clause_text": "因继承取得不动产申请登记的，应当提交相关材料。",
        "purpose": "办理继承不动产转移登记",
        "materials": MATERIALS,
        "pledged": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# The list ----------------------------------------------------------------------------------------


def test_community_officer_sees_the_take_button_and_its_communitys_requests(
    personas, login, complete_request, banned_request, other_request
):
    text = page(login(personas.community_officer).get(url("certificates_index")))
    assert 'data-testid="take-request"' in text
    assert text.count('data-testid="request-row"') == 2
    assert ALLOWED_NAME in text and "无犯罪记录证明" in text
    assert "居民养犬证明" not in text
    # The ID number is shown masked only; no community column or counts for a community.
    assert MASKED in text and ID_NUMBER not in text
    assert 'data-testid="counts"' not in text


def test_street_officer_sees_its_communities_with_a_community_column_and_counts(
    personas, login, issued, banned_request, other_request
):
    text = page(login(personas.street_officer).get(url("certificates_index")))
    assert 'data-testid="take-request"' not in text
    assert text.count('data-testid="request-row"') == 2
    assert "<th>社区</th>" in text and "钟鼓楼社区" in text
    assert 'data-testid="count-issued">1<' in text
    assert 'data-testid="count-refused">1<' in text
    assert f"{RefusalGround.BANNED.label}：1" in text
    assert "居民养犬证明" not in text


def test_district_office_sees_every_community_of_the_district(
    personas, login, complete_request, other_request
):
    text = page(login(personas.group_secretary).get(url("certificates_index")))
    assert text.count('data-testid="request-row"') == 2
    assert "钟鼓楼社区" in text and "西林社区" in text


@pytest.mark.parametrize("username", ["community_officer2", "street_officer2"])
def test_another_street_gets_nothing_of_zhonggulou(
    personas, login, complete_request, banned_request, username
):
    text = page(login(getattr(personas, username)).get(url("certificates_index")))
    assert 'data-testid="request-row"' not in text
    assert ALLOWED_NAME not in text


@pytest.mark.parametrize("username", ["dept_clerk", "evaluator", "system_admin"])
def test_users_without_a_certificate_role_are_refused_every_page(personas, login, username):
    client = login(getattr(personas, username))
    for name in (
        "certificates_index",
        "certificates_new",
        "certificates_check",
        "certificates_seal",
        "certificates_seal_export",
        "certificates_export",
        "certificates_types",
        "certificates_refusals",
    ):
        assert client.get(url(name)).status_code == 403, name


def test_the_list_filters_by_state_type_year_and_text(
    personas, login, complete_request, banned_request
):
    client = login(personas.community_officer)
    index = url("certificates_index")
    refused = page(client.get(index, {"state": RequestState.REFUSED}))
    assert refused.count('data-testid="request-row"') == 1 and "无犯罪记录证明" in refused
    by_type = page(client.get(index, {"type_name": ALLOWED_NAME}))
    assert by_type.count('data-testid="request-row"') == 1
    by_text = page(client.get(index, {"q": "人力资源"}))
    assert by_text.count('data-testid="request-row"') == 1 and "无犯罪记录证明" in by_text
    last_year = page(client.get(index, {"year": timezone.localdate().year - 1}))
    assert 'data-testid="request-row"' not in last_year


def test_id_number_search_finds_by_the_index_and_never_echoes_the_number(
    personas, login, complete_request, banned_request
):
    client = login(personas.community_officer)
    response = client.post(url("certificates_find"), {"id_number": ID_NUMBER.lower()})
    assert response.status_code == 302
    assert ID_NUMBER not in response["Location"] and "idx=" in response["Location"]
    text = page(client.get(response["Location"]))
    assert text.count('data-testid="request-row"') == 1
    assert 'data-testid="id-filter"' in text
    assert ID_NUMBER not in text and MASKED in text


def test_a_bad_id_number_search_says_why_in_chinese_without_repeating_it(
    personas, login, complete_request
):
    wrong = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    response = login(personas.community_officer).post(
        url("certificates_find"), {"id_number": wrong}
    )
    text = page(response)
    assert "校验码" in text and wrong not in text
    assert response["Cache-Control"] == "private, no-store"


def test_list_queries_do_not_grow_with_requests(
    personas, login, catalog, community, allowed_item, django_assert_max_num_queries
):
    for user in (personas.community_officer, personas.street_officer, personas.group_secretary):
        client = login(user)
        request_make(personas.community_officer, community, allowed_item)
        with CaptureQueriesContext(connection) as few:
            page(client.get(url("certificates_index")))
        for number in range(5):
            request_make(
                personas.community_officer,
                community,
                type_name=f"居住证明{number}",
                asking_body=f"单位{number}",
            )
        with django_assert_max_num_queries(len(few)):
            text = page(client.get(url("certificates_index")))
        assert 'data-testid="request-row"' in text


# The quick check -------------------------------------------------------------------------------


def test_quick_check_shows_an_allowed_types_basis_materials_and_template(
    personas, login, configured, allowed_item
):
    text = page(
        login(personas.community_officer).get(
            url("certificates_check"), {"type_key": str(allowed_item.key)}
        )
    )
    assert 'data-testid="verdict-allowed"' in text
    assert "《不动产登记暂行条例实施细则》第十四条" in text
    assert "办理继承不动产登记" in text and "{asking_body}" in text
    for material in MATERIALS:
        assert f'value="{material}"' in text


def test_quick_check_finds_an_allowed_type_typed_by_its_name(personas, login, configured):
    text = page(
        login(personas.community_officer).get(
            url("certificates_check"), {"type_name": ALLOWED_NAME}
        )
    )
    assert 'data-testid="verdict-allowed"' in text and 'value="户口簿"' in text


def test_quick_check_shows_the_standard_explanation_for_a_banned_type_and_writes_nothing(
    personas, login, catalog
):
    requests, records = CertificateRequest.objects.count(), AuditRecord.objects.count()
    text = page(
        login(personas.community_officer).get(
            url("certificates_check"), {"type_name": "婚姻状况证明（未婚）"}
        )
    )
    assert 'data-testid="verdict-banned"' in text
    assert "民发〔2020〕20号" in text and "不应由社区（居委会、村委会）出具" in text
    assert CertificateRequest.objects.count() == requests
    assert AuditRecord.objects.count() == records


def test_quick_check_explains_a_type_on_no_list(personas, login, catalog):
    text = page(
        login(personas.community_officer).get(
            url("certificates_check"), {"type_name": "宠物健康证明"}
        )
    )
    assert 'data-testid="verdict-unlisted"' in text
    assert "市中区社区可出具证明事项清单" in text and "具体条款" in text


@pytest.mark.parametrize("username", ["street_officer", "group_secretary", "auditor"])
def test_only_a_communitys_officer_checks_and_takes_requests(personas, login, catalog, username):
    client = login(getattr(personas, username))
    assert client.get(url("certificates_check"), {"type_name": "居住证明"}).status_code == 403
    assert client.get(url("certificates_new")).status_code == 403
    assert (
        client.post(url("certificates_new"), new_request_post(type_name="居住证明")).status_code
        == 403
    )
    assert not CertificateRequest.objects.exists()


# Taking a request ------------------------------------------------------------------------------


def test_the_new_request_page_offers_the_communitys_allowed_types_and_the_pledge(
    personas, login, configured, allowed_item
):
    text = page(login(personas.community_officer).get(url("certificates_new")))
    assert f'<option value="{allowed_item.key}">{ALLOWED_NAME}</option>' in text
    assert "申请人承诺" in text and 'name="pledged"' in text
    assert 'hx-get="/certificates/check/"' in text
    # The check never sends the ID number along.
    assert 'hx-include="closest form"' not in text


def test_taking_an_allowed_request_lands_on_its_page(personas, login, configured, allowed_item):
    client = login(personas.community_officer)
    response = client.post(url("certificates_new"), new_request_post(allowed_item))
    made = CertificateRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("certificates_request", made.pk)
    assert made.state == RequestState.RECEIVED and made.id_masked == MASKED
    assert made.materials_checked == MATERIALS and made.pledged
    text = page(client.get(response["Location"]))
    assert MASKED in text and ID_NUMBER not in text
    assert 'data-testid="issue-form"' in text


def test_a_banned_request_is_refused_with_the_explanation_and_a_notice_to_print(
    personas, login, configured
):
    client = login(personas.community_officer)
    response = client.post(
        url("certificates_new"),
        new_request_post(type_name="无犯罪记录证明", id_number="", asking_body="某公司"),
    )
    made = CertificateRequest.objects.get()
    assert made.state == RequestState.REFUSED and made.refusal_ground == RefusalGround.BANNED
    text = page(client.get(response["Location"]))
    assert 'data-testid="explanation"' in text and "民发〔2020〕20号" in text
    assert url("certificates_notice_pdf", made.pk) in text
    assert 'data-testid="issue-form"' not in text
    notice = client.get(url("certificates_notice_pdf", made.pk))
    assert notice.status_code == 200 and notice["Content-Type"] == "application/pdf"
    assert notice.content.startswith(b"%PDF")


def test_an_unlisted_request_is_refused_as_on_no_list(personas, login, catalog):
    client = login(personas.community_officer)
    response = client.post(
        url("certificates_new"), new_request_post(type_name="宠物健康证明", id_number="")
    )
    made = CertificateRequest.objects.get()
    assert made.refusal_ground == RefusalGround.UNLISTED
    assert "不在" in page(client.get(response["Location"]))


def test_a_bad_id_number_is_a_chinese_field_error_and_nothing_is_saved(
    personas, login, configured, allowed_item
):
    wrong = "511002198013321234"
    response = login(personas.community_officer).post(
        url("certificates_new"), new_request_post(allowed_item, id_number=wrong)
    )
    text = page(response)
    assert "出生日期" in text and 'data-testid="form-errors"' in text
    assert wrong not in text
    assert not CertificateRequest.objects.exists()


def test_a_request_without_a_type_is_refused_by_the_form(personas, login, catalog):
    text = page(login(personas.community_officer).post(url("certificates_new"), new_request_post()))
    assert "请选择或填写申请出具的证明事项" in text
    assert not CertificateRequest.objects.exists()


def test_an_allowed_request_needs_the_id_number(personas, login, configured, allowed_item):
    text = page(
        login(personas.community_officer).post(
            url("certificates_new"), new_request_post(allowed_item, id_number="")
        )
    )
    assert "请填写申请人的公民身份号码" in text
    assert not CertificateRequest.objects.exists()


# A request's page ----------------------------------------------------------------------------------


def test_the_request_page_shows_the_masked_number_and_the_reveal_to_its_officer(
    personas, login, complete_request
):
    text = page(
        login(personas.community_officer).get(url("certificates_request", complete_request.pk))
    )
    assert MASKED in text and ID_NUMBER not in text
    assert 'data-testid="reveal-form"' in text
    assert 'data-testid="refuse-form"' in text and 'data-testid="edit-form"' in text


def test_the_street_reads_a_request_but_neither_decides_nor_reveals(
    personas, login, complete_request
):
    client = login(personas.street_officer)
    text = page(client.get(url("certificates_request", complete_request.pk)))
    assert MASKED in text
    for form in ("issue-form", "refuse-form", "edit-form", "reveal-form"):
        assert f'data-testid="{form}"' not in text
    pk = complete_request.pk
    assert client.post(url("certificates_reveal", pk), {"reason": "核对号码"}).status_code == 403
    assert (
        client.post(url("certificates_refuse", pk), {"refuse-ground": "other"}).status_code == 403
    )
    assert client.post(url("certificates_issue", pk), {}).status_code == 403
    assert client.post(url("certificates_request_edit", pk), {}).status_code == 403
    complete_request.refresh_from_db()
    assert complete_request.state == RequestState.RECEIVED


@pytest.mark.parametrize("username", ["community_officer2", "street_officer2"])
def test_another_street_gets_404_for_every_page_of_a_request(personas, login, issued, username):
    certificate, _code = issued
    client = login(getattr(personas, username))
    pk = certificate.request_id
    assert client.get(url("certificates_request", pk)).status_code == 404
    assert client.post(url("certificates_reveal", pk), {"reason": "核对号码"}).status_code == 404
    assert client.post(url("certificates_refuse", pk), {}).status_code == 404
    assert client.post(url("certificates_issue", pk), {}).status_code == 404
    assert client.post(url("certificates_request_edit", pk), {}).status_code == 404
    assert client.get(url("certificates_notice_pdf", pk)).status_code == 404
    assert client.get(url("certificates_pdf", certificate.pk)).status_code == 404
    assert client.post(url("certificates_revoke", certificate.pk), {}).status_code == 404
    assert not AuditRecord.objects.filter(action="certificates.pdf_download").exists()


def test_the_reveal_shows_the_number_once_and_audits_the_reason(personas, login, complete_request):
    client = login(personas.community_officer)
    response = client.post(
        url("certificates_reveal", complete_request.pk),
        {"reason": "申请人补办材料，核对号码"},
        headers={"HX-Request": "true"},
    )
    text = page(response)
    assert ID_NUMBER in text and 'data-testid="revealed-number"' in text
    assert "<html" not in text  # the partial only
    assert response["Cache-Control"] == "private, no-store"
    record = AuditRecord.objects.get(action="certificates.id_number_reveal")
    assert record.changes["reason"] == "申请人补办材料，核对号码"
    assert ID_NUMBER not in str(record.changes)
    # Nowhere else: not the request's page afterwards, not the list, not a message.
    assert ID_NUMBER not in page(client.get(url("certificates_request", complete_request.pk)))
    assert ID_NUMBER not in page(client.get(url("certificates_index")))


def test_the_reveal_without_htmx_is_a_page_of_its_own(personas, login, complete_request):
    response = login(personas.community_officer).post(
        url("certificates_reveal", complete_request.pk), {"reason": "核对身份信息"}
    )
    text = page(response)
    assert ID_NUMBER in text and "<html" in text
    assert response["Cache-Control"] == "private, no-store"


def test_the_district_auditor_may_reveal_for_a_reason(personas, login, complete_request):
    client = login(personas.auditor)
    text = page(client.get(url("certificates_request", complete_request.pk)))
    assert 'data-testid="reveal-form"' in text and 'data-testid="issue-form"' not in text
    revealed = page(
        client.post(url("certificates_reveal", complete_request.pk), {"reason": "审计抽查核对"})
    )
    assert ID_NUMBER in revealed


def test_a_reveal_without_a_reason_shows_nothing_and_audits_nothing(
    personas, login, complete_request
):
    text = page(
        login(personas.community_officer).post(
            url("certificates_reveal", complete_request.pk),
            {"reason": "看"},
            headers={"HX-Request": "true"},
        )
    )
    assert ID_NUMBER not in text and "请写明查看完整公民身份号码的理由" in text
    assert not AuditRecord.objects.filter(action="certificates.id_number_reveal").exists()


def test_the_issue_form_fills_the_template_and_offers_the_other_officers_as_approver(
    personas, login, configured, complete_request
):
    text = page(
        login(personas.community_officer).get(url("certificates_request", complete_request.pk))
    )
    assert (
        f"兹证明王秀英（公民身份号码：{MASKED}）系钟鼓楼社区居民，"
        "因办理继承不动产转移登记需向市中区不动产登记中心提供。"
    ) in text
    assert f'value="{personas.community_head.pk}"' in text
    assert f'<option value="{personas.community_officer.pk}"' not in text
    # 被继承人死亡证明 is required by the settings but was not checked when the request was taken.
    assert 'data-testid="missing"' in text and "被继承人死亡证明" in text


def test_issuing_through_the_pages_end_to_end(personas, login, configured, allowed_item):
    client = login(personas.community_officer)
    taken = client.post(url("certificates_new"), new_request_post(allowed_item))
    made = CertificateRequest.objects.get()
    detail = page(client.get(taken["Location"]))
    assert 'data-testid="issue-form"' in detail
    response = client.post(
        url("certificates_issue", made.pk),
        {
            "issue-statement": "兹证明王秀英系被继承人王德明之女。",
            "issue-approver": personas.community_head.pk,
            "issue-copies": 2,
        },
    )
    text = page(response)
    certificate = Certificate.objects.get()
    assert response["Cache-Control"] == "private, no-store"
    assert certificate.serial in text
    code = text.split('data-testid="code">', 1)[1].split("<", 1)[0]
    assert services.certificate_verify(serial=certificate.serial, code=code) == certificate
    assert ID_NUMBER not in text
    use = SealUse.objects.get()
    assert use.kind == SealUseKind.CERTIFICATE and use.copies == 2
    assert use.approver == personas.community_head
    # The code is not shown again.
    again = page(client.get(url("certificates_request", made.pk)))
    assert certificate.serial in again and code not in again
    pdf = client.get(url("certificates_pdf", certificate.pk))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Cache-Control"] == "private, no-store"
    record = AuditRecord.objects.get(action="certificates.pdf_download")
    assert record.changes["serial"] == certificate.serial
    assert record.actor == personas.community_officer


def test_issuing_with_oneself_as_approver_is_refused_and_nothing_is_issued(
    personas, login, configured, complete_request
):
    services.certificate_request_update(
        actor=personas.community_officer,
        request=complete_request,
        materials_checked=MATERIALS,
    )
    text = page(
        login(personas.community_officer).post(
            url("certificates_issue", complete_request.pk),
            {
                "issue-statement": "兹证明。",
                "issue-approver": personas.community_officer.pk,
                "issue-copies": 1,
            },
        )
    )
    assert 'data-testid="form-errors"' in text
    assert not Certificate.objects.exists() and not SealUse.objects.exists()


def test_issuing_with_materials_missing_names_them(personas, login, configured, complete_request):
    text = page(
        login(personas.community_officer).post(
            url("certificates_issue", complete_request.pk),
            {
                "issue-statement": "兹证明。",
                "issue-approver": personas.community_head.pk,
                "issue-copies": 1,
            },
        )
    )
    assert "出具前还缺" in text and "被继承人死亡证明" in text
    assert not Certificate.objects.exists()


def test_the_edit_form_completes_a_waiting_request(personas, login, configured, complete_request):
    client = login(personas.community_officer)
    response = client.post(
        url("certificates_request_edit", complete_request.pk),
        {
            "edit-resident_name": "王秀英",
            "edit-resident_phone": "13800000000",
            "edit-asking_body": "市中区不动产登记中心",
            "edit-asking_clause": "《不动产登记暂行条例实施细则》第十四条",
            "edit-purpose": "办理继承不动产转移登记",
            "edit-materials": MATERIALS,
            "edit-pledged": "on",
        },
    )
    assert response.status_code == 302
    complete_request.refresh_from_db()
    assert complete_request.resident_phone == "13800000000"
    assert complete_request.materials_checked == MATERIALS
    assert complete_request.id_masked == MASKED


def test_the_edit_form_refuses_a_bad_id_number_without_repeating_it(
    personas, login, complete_request
):
    wrong = "991002198001011239"
    text = page(
        login(personas.community_officer).post(
            url("certificates_request_edit", complete_request.pk),
            {"edit-resident_name": "王秀英", "edit-id_number": wrong},
        )
    )
    assert "省级行政区划代码" in text and wrong not in text
    complete_request.refresh_from_db()
    assert complete_request.id_masked == MASKED


def test_refusing_a_taken_request_through_the_page(personas, login, complete_request):
    client = login(personas.community_officer)
    response = client.post(
        url("certificates_refuse", complete_request.pk),
        {"refuse-ground": RefusalGround.ASKERS_OWN_DUTY, "refuse-note": ""},
    )
    assert response.status_code == 302
    complete_request.refresh_from_db()
    assert complete_request.state == RequestState.REFUSED
    text = page(client.get(url("certificates_request", complete_request.pk)))
    assert "索要单位自身职责" in text and 'data-testid="notice-link"' in text


def test_refusing_for_another_reason_needs_a_note(personas, login, complete_request):
    text = page(
        login(personas.community_officer).post(
            url("certificates_refuse", complete_request.pk), {"refuse-ground": "other"}
        )
    )
    assert "选择“其他”时请写明理由" in text
    complete_request.refresh_from_db()
    assert complete_request.state == RequestState.RECEIVED


def test_a_waiting_request_has_no_notice(personas, login, complete_request):
    response = login(personas.community_officer).get(
        url("certificates_notice_pdf", complete_request.pk)
    )
    assert response.status_code == 404


def test_revoking_a_certificate_through_the_page(personas, login, issued):
    certificate, _code = issued
    client = login(personas.community_officer)
    text = page(client.get(url("certificates_request", certificate.request_id)))
    assert 'data-testid="revoke-form"' in text
    empty = page(client.post(url("certificates_revoke", certificate.pk), {"revoke-reason": ""}))
    assert 'data-testid="form-errors"' in empty
    response = client.post(
        url("certificates_revoke", certificate.pk), {"revoke-reason": "申请人提供的材料不实"}
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.revoked_reason == "申请人提供的材料不实"
    assert "已撤销" in page(client.get(url("certificates_request", certificate.request_id)))
    assert 'data-testid="revoked"' in page(client.get(url("certificates_index")))


def test_the_street_downloads_a_certificate_but_cannot_revoke_it(personas, login, issued):
    certificate, _code = issued
    client = login(personas.street_officer)
    assert client.get(url("certificates_pdf", certificate.pk)).status_code == 200
    assert AuditRecord.objects.filter(
        action="certificates.pdf_download", actor=personas.street_officer
    ).exists()
    response = client.post(url("certificates_revoke", certificate.pk), {"revoke-reason": "错"})
    assert response.status_code == 403
    certificate.refresh_from_db()
    assert not certificate.is_revoked


# The seal ----------------------------------------------------------------------------------------


def test_the_community_records_a_work_use_of_its_seal(personas, login, issued):
    client = login(personas.community_officer)
    text = page(client.get(url("certificates_seal")))
    assert text.count('data-testid="seal-row"') == 1 and issued[0].serial in text
    response = client.post(
        url("certificates_seal"),
        {
            "seal-content": "报送社区年度工作总结",
            "seal-copies": 3,
            "seal-approver": personas.community_head.pk,
            "seal-requester_name": "李明",
            "seal-requester_phone": "0832-2000000",
        },
    )
    assert response.status_code == 302
    use = SealUse.objects.get(kind=SealUseKind.WORK)
    assert use.copies == 3 and use.handler == personas.community_officer
    assert page(client.get(url("certificates_seal"))).count('data-testid="seal-row"') == 2


def test_a_work_use_without_its_reason_is_refused(personas, login, community):
    text = page(
        login(personas.community_officer).post(
            url("certificates_seal"),
            {"seal-content": "", "seal-copies": 1, "seal-approver": personas.community_head.pk},
        )
    )
    assert 'data-testid="form-errors"' in text
    assert not SealUse.objects.exists()


def test_the_street_reads_the_seal_log_with_a_community_column_and_records_nothing(
    personas, login, issued
):
    client = login(personas.street_officer)
    text = page(client.get(url("certificates_seal")))
    assert "钟鼓楼社区" in text and 'data-testid="seal-form"' not in text
    response = client.post(url("certificates_seal"), {"seal-content": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("username", ["community_officer2", "street_officer2"])
def test_another_street_reads_none_of_zhonggulous_seal_uses(personas, login, issued, username):
    text = page(login(getattr(personas, username)).get(url("certificates_seal")))
    assert 'data-testid="seal-row"' not in text and issued[0].serial not in text


def test_seal_log_queries_do_not_grow_with_uses(
    personas, login, community, issued, django_assert_max_num_queries
):
    client = login(personas.street_officer)
    with CaptureQueriesContext(connection) as few:
        page(client.get(url("certificates_seal")))
    for number in range(5):
        services.seal_use_record(
            actor=personas.community_officer,
            community=community,
            content=f"工作用章{number}",
            approver=personas.community_head,
            requester_name="李明",
        )
    with django_assert_max_num_queries(len(few)):
        text = page(client.get(url("certificates_seal")))
    assert text.count('data-testid="seal-row"') == 6


# Types and the banned list --------------------------------------------------------------------


def test_the_group_office_sets_a_types_materials_one_per_line(
    personas, login, catalog, allowed_item
):
    client = login(personas.group_secretary)
    text = page(client.get(url("certificates_types")))
    assert url("certificates_type_edit", allowed_item.key) in text
    edit = url("certificates_type_edit", allowed_item.key)
    assert "{name}" in page(client.get(edit))
    response = client.post(
        edit,
        {
            "use": "办理继承不动产登记",
            "materials": "居民身份证\n\n户口簿 \n",
            "template": "兹证明{name}。",
            "valid_days": 30,
        },
    )
    assert response.status_code == 302
    text = page(client.get(url("certificates_types")))
    assert "<li>居民身份证</li><li>户口簿</li>" in text


def test_a_bad_validity_is_a_field_error(personas, login, catalog, allowed_item):
    text = page(
        login(personas.group_secretary).post(
            url("certificates_type_edit", allowed_item.key),
            {"use": "", "materials": "", "template": "", "valid_days": 0},
        )
    )
    assert 'data-testid="form-errors"' in text


def test_officers_read_the_types_and_the_banned_list_but_cannot_edit(
    personas, login, configured, allowed_item
):
    for user in (personas.community_officer, personas.street_officer, personas.review_officer):
        client = login(user)
        text = page(client.get(url("certificates_types")))
        assert ALLOWED_NAME in text and "办理继承不动产登记" in text
        assert 'data-testid="type-edit"' not in text
        assert text.count('data-testid="banned-item"') == 20
        edit = url("certificates_type_edit", allowed_item.key)
        assert client.get(edit).status_code == 403
        assert client.post(edit, {"use": "x", "valid_days": 5}).status_code == 403


def test_the_banned_list_prints_as_a_pdf(personas, login, catalog):
    response = login(personas.community_officer).get(url("certificates_banned_pdf"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_an_item_not_on_the_list_has_no_settings_page(personas, login, catalog):
    import uuid

    response = login(personas.group_secretary).get(url("certificates_type_edit", uuid.uuid4()))
    assert response.status_code == 404


# The refusals report ----------------------------------------------------------------------------


def test_the_street_sees_who_keeps_asking_for_banned_certificates(
    personas, login, catalog, community, other_request
):
    for _number in range(3):
        request_make(
            personas.community_officer,
            community,
            type_name="无犯罪记录证明",
            asking_body="某某人力资源公司",
            id_number="",
        )
    request_make(
        personas.community_officer,
        community,
        type_name="居住证明",
        asking_body="某某小学",
        id_number="",
    )
    text = page(login(personas.street_officer).get(url("certificates_refusals")))
    rows = text.split('data-testid="refusal-row"')[1:]
    assert len(rows) == 2
    assert "某某人力资源公司" in rows[0] and "<strong>3</strong>" in rows[0]
    assert "西林物业公司" not in text
    assert 'data-testid="refusals-total">4<' in text


def test_the_district_report_covers_every_street(personas, login, banned_request, other_request):
    text = page(login(personas.group_secretary).get(url("certificates_refusals")))
    assert "某某人力资源公司" in text and "西林物业公司" in text


def test_the_street_report_of_another_year_is_empty(personas, login, banned_request):
    year = timezone.localdate().year - 1
    text = page(login(personas.street_officer).get(url("certificates_refusals"), {"year": year}))
    assert 'data-testid="refusal-row"' not in text


@pytest.mark.parametrize("username", ["community_officer", "community_officer2"])
def test_communities_do_not_read_the_refusals_report(personas, login, username):
    response = login(getattr(personas, username)).get(url("certificates_refusals"))
    assert response.status_code == 403


def test_another_street_report_has_none_of_zhonggulou(personas, login, banned_request):
    text = page(login(personas.street_officer2).get(url("certificates_refusals")))
    assert "某某人力资源公司" not in text


# Navigation ----------------------------------------------------------------------------------------


def test_the_navigation_offers_certificates_to_officers_only(personas, login):
    assert "开具证明" in page(login(personas.community_officer).get(url("home")))
    assert url("certificates_index") not in page(login(personas.dept_clerk).get(url("home")))
