"""The certificate API: each endpoint's happy path, what another role may not do (403) and what
another street or community cannot see (404); list endpoints in a fixed number of queries; the
resident's ID number only ever masked, except in the deliberate reveal; and the public
verification with its limit on guessing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
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
    ZHONGGULOU,
    issue,
    request_make,
    request_values,
)
from jianfu.core.guessing import CODE_FAILURE_LIMIT
from jianfu.core.models import AuditRecord

BANNED_NAME = "居民养犬证明"  # national first batch, no. 4
OUTSIDERS = ("community_officer2", "street_officer2")


def api(path: str) -> str:
    return f"/api/v1{path}"


def post(client: Client, path: str, body: dict | None = None):
    return client.post(api(path), json.dumps(body or {}), content_type="application/json")


def patch(client: Client, path: str, body: dict):
    return client.patch(api(path), json.dumps(body), content_type="application/json")


def error(response) -> dict:
    return response.json()["error"]


def no_plain_id(response) -> None:
    """The response names the resident's ID number only masked."""
    body = response.content.decode()
    assert ID_NUMBER not in body and OTHER_ID_NUMBER not in body


def new_request_body(item=None, **overrides) -> dict:
    values = request_values(item, **overrides)
    values["item_key"] = str(values["item_key"]) if values["item_key"] else None
    return {"community": ZHONGGULOU, **values}


# ---------------------------------------------------------------------------------------------
# Taking requests


def test_an_officer_takes_a_request_and_gets_it_back_masked(personas, login, allowed_item):
    response = post(
        login(personas.community_officer), "/certificates/requests", new_request_body(allowed_item)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "received" and body["type_name"] == ALLOWED_NAME
    assert body["id_masked"] == "511002********1239"
    assert body["community"] == {"code": ZHONGGULOU, "name": "钟鼓楼社区"}
    assert body["refusal_ground"] is None and body["certificate"] is None
    assert response["Cache-Control"] == "private, no-store"
    no_plain_id(response)


def test_a_banned_type_is_refused_on_the_spot_and_recorded(personas, login, catalog):
    body = new_request_body(type_name=BANNED_NAME)
    response = post(login(personas.community_officer), "/certificates/requests", body)
    assert response.status_code == 201
    answer = response.json()
    assert answer["state"] == "refused" and answer["refusal_ground"] == "banned"
    assert "不应由社区" in answer["refusal_explanation"]
    assert answer["refusal_ground_label"] == str(RefusalGround.BANNED.label)
    assert CertificateRequest.objects.get(pk=answer["id"]).state == RequestState.REFUSED
    no_plain_id(response)


def test_an_unlisted_type_is_refused_on_the_spot(personas, login, catalog):
    body = new_request_body(type_name="社区认可的万能证明")
    response = post(login(personas.community_officer), "/certificates/requests", body)
    assert response.status_code == 201
    assert response.json()["refusal_ground"] == "unlisted"


def test_a_bad_id_number_is_422_without_the_number_and_nothing_is_kept(
    personas, login, allowed_item
):
    bad = "511002198001011238"
    body = new_request_body(allowed_item, id_number=bad)
    response = post(login(personas.community_officer), "/certificates/requests", body)
    assert response.status_code == 422
    assert error(response)["code"] == "id_number_check"
    assert "校验码" in error(response)["message"]
    assert bad not in response.content.decode()
    assert not CertificateRequest.objects.exists()


def test_only_the_communitys_officers_take_its_requests(personas, login, allowed_item):
    body = new_request_body(allowed_item)
    assert post(login(personas.street_officer), "/certificates/requests", body).status_code == 403
    for outsider in OUTSIDERS:
        response = post(login(getattr(personas, outsider)), "/certificates/requests", body)
        assert response.status_code == 404, outsider
    assert post(Client(), "/certificates/requests", body).status_code == 401
    assert not CertificateRequest.objects.exists()


# ---------------------------------------------------------------------------------------------
# Reading requests


@pytest.fixture
def refused(personas, community, catalog) -> CertificateRequest:
    return request_make(personas.community_officer, community, type_name=BANNED_NAME)


def test_requests_are_read_by_the_community_its_street_and_the_district(
    personas, login, complete_request, refused
):
    for reader in ("community_officer", "street_officer", "review_officer", "auditor"):
        response = login(getattr(personas, reader)).get(api("/certificates/requests"))
        assert response.status_code == 200
        assert {row["id"] for row in response.json()["items"]} == {
            complete_request.pk,
            refused.pk,
        }, reader
        no_plain_id(response)


def test_another_street_or_community_reads_none_of_them(personas, login, complete_request):
    for outsider in OUTSIDERS:
        client = login(getattr(personas, outsider))
        assert client.get(api("/certificates/requests")).json()["items"] == []
        detail = client.get(api(f"/certificates/requests/{complete_request.pk}"))
        assert detail.status_code == 404 and error(detail)["code"] == "not_found"


def test_requests_filter_by_community_state_and_year(
    personas, login, complete_request, refused, time_machine
):
    client = login(personas.street_officer)
    year = complete_request.received_at.year

    def ids(**query) -> set[int]:
        response = client.get(api("/certificates/requests"), query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids(state="refused") == {refused.pk}
    assert ids(state="received", community=ZHONGGULOU) == {complete_request.pk}
    assert ids(community="511002001002") == set()  # 箭道街社区
    assert ids(year=year) == {complete_request.pk, refused.pk}
    assert ids(year=year - 1) == set()
    unknown = client.get(api("/certificates/requests"), {"community": "999999999999"})
    assert unknown.status_code == 422


def test_requests_page_by_cursor(personas, login, community, allowed_item):
    made = [request_make(personas.community_officer, community, allowed_item) for _ in range(3)]
    client = login(personas.community_officer)
    first = client.get(api("/certificates/requests"), {"limit": 2}).json()
    assert [row["id"] for row in first["items"]] == [made[2].pk, made[1].pk]
    rest = client.get(api("/certificates/requests"), {"limit": 2, "cursor": first["next_cursor"]})
    assert [row["id"] for row in rest.json()["items"]] == [made[0].pk]
    assert rest.json()["next_cursor"] is None


def test_the_request_list_takes_the_same_queries_for_one_row_or_many(
    personas, login, community, allowed_item, django_assert_max_num_queries
):
    client = login(personas.street_officer)
    first, *_rest = [
        request_make(personas.community_officer, community, allowed_item) for _ in range(2)
    ]
    issue(personas, first)
    client.get(api("/certificates/requests"))  # the session is loaded and cached once
    with django_assert_max_num_queries(6):
        assert len(client.get(api("/certificates/requests")).json()["items"]) == 2
    for _ in range(8):
        issue(personas, request_make(personas.community_officer, community, allowed_item))
    with django_assert_max_num_queries(6):
        assert len(client.get(api("/certificates/requests")).json()["items"]) == 10


def test_a_request_shows_its_certificate_once_issued(personas, login, issued):
    certificate, _code = issued
    response = login(personas.street_officer).get(
        api(f"/certificates/requests/{certificate.request_id}")
    )
    body = response.json()
    assert body["state"] == "issued"
    assert body["certificate"]["serial"] == certificate.serial
    assert body["certificate"]["status"] == "valid"


# ---------------------------------------------------------------------------------------------
# Completing, issuing, refusing


def test_an_officer_completes_a_waiting_request(personas, login, complete_request):
    response = patch(
        login(personas.community_officer),
        f"/certificates/requests/{complete_request.pk}",
        {"purpose": "办理继承公证", "id_number": OTHER_ID_NUMBER, "pledged": True},
    )
    assert response.status_code == 200, response.content
    assert response.json()["purpose"] == "办理继承公证"
    assert response.json()["id_masked"] == "511002********0026"
    no_plain_id(response)
    complete_request.refresh_from_db()
    assert complete_request.purpose == "办理继承公证"


def test_others_may_not_change_a_request(personas, login, complete_request):
    change = {"purpose": "别的用途"}
    path = f"/certificates/requests/{complete_request.pk}"
    assert patch(login(personas.street_officer), path, change).status_code == 403
    for outsider in OUTSIDERS:
        assert patch(login(getattr(personas, outsider)), path, change).status_code == 404
    complete_request.refresh_from_db()
    assert complete_request.purpose == "办理继承不动产转移登记"


def test_a_decided_request_cannot_be_changed(personas, login, refused):
    response = patch(
        login(personas.community_officer), f"/certificates/requests/{refused.pk}", {"purpose": "x"}
    )
    assert response.status_code == 409 and error(response)["code"] == "request_decided"


def issue_body(**overrides) -> dict:
    return {
        "statement": "兹证明王秀英系被继承人王德明之女。",
        "approver": "community_head",
        "copies": 2,
        **overrides,
    }


def test_an_officer_issues_and_gets_the_code_once(personas, login, complete_request):
    client = login(personas.community_officer)
    response = post(client, f"/certificates/requests/{complete_request.pk}/issue", issue_body())
    assert response.status_code == 201, response.content
    body = response.json()
    certificate = Certificate.objects.get(serial=body["serial"])
    assert body["serial"] == f"{ZHONGGULOU}-{certificate.year}-0001"
    assert len(body["verification_code"]) == 10
    assert body["verify_url"].endswith(
        f"/verify/certificate/{body['serial']}?code={body['verification_code']}"
    )
    assert body["valid_until"] == certificate.valid_until.isoformat()
    assert response["Cache-Control"] == "private, no-store"
    use = SealUse.objects.get(certificate=certificate)
    assert use.kind == SealUseKind.CERTIFICATE and use.copies == 2
    # The code opens the public verification; it is nowhere else to be read.
    verified = Client().get(
        api(f"/verify/certificate/{body['serial']}"), {"code": body["verification_code"]}
    )
    assert verified.status_code == 200
    detail = client.get(api(f"/certificates/{body['serial']}")).content.decode()
    assert body["verification_code"] not in detail
    pdf = client.get(body["pdf_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_others_may_not_issue(personas, login, complete_request):
    path = f"/certificates/requests/{complete_request.pk}/issue"
    response = post(login(personas.street_officer), path, issue_body())
    assert response.status_code == 403
    for outsider in OUTSIDERS:
        assert post(login(getattr(personas, outsider)), path, issue_body()).status_code == 404
    assert not Certificate.objects.exists() and not SealUse.objects.exists()


def test_issuing_needs_another_officer_of_the_community_to_approve(
    personas, login, complete_request
):
    client = login(personas.community_officer)
    path = f"/certificates/requests/{complete_request.pk}/issue"
    for approver in ("community_officer", "community_officer2", "no_such_user"):
        response = post(client, path, issue_body(approver=approver))
        assert response.status_code == 422 and error(response)["code"] == "bad_approver"
    assert not Certificate.objects.exists()


def test_an_incomplete_request_is_not_issued(personas, login, community, allowed_item):
    waiting = request_make(
        personas.community_officer, community, allowed_item, purpose="", pledged=False
    )
    response = post(
        login(personas.community_officer),
        f"/certificates/requests/{waiting.pk}/issue",
        issue_body(),
    )
    assert response.status_code == 422 and error(response)["code"] == "request_incomplete"
    assert "证明用途" in error(response)["details"]
    assert not Certificate.objects.exists()


def test_an_officer_refuses_with_a_ground(personas, login, complete_request):
    response = post(
        login(personas.community_officer),
        f"/certificates/requests/{complete_request.pk}/refuse",
        {"ground": "no_legal_basis", "note": ""},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "refused" and body["refusal_ground"] == "no_legal_basis"
    assert "具体条款" in body["refusal_explanation"]


def test_others_may_not_refuse(personas, login, complete_request):
    path = f"/certificates/requests/{complete_request.pk}/refuse"
    refusal = {"ground": "cannot_verify"}
    assert post(login(personas.street_officer), path, refusal).status_code == 403
    for outsider in OUTSIDERS:
        assert post(login(getattr(personas, outsider)), path, refusal).status_code == 404
    complete_request.refresh_from_db()
    assert complete_request.state == RequestState.RECEIVED


def test_a_ground_decided_by_the_lists_is_not_given_by_hand(personas, login, complete_request):
    response = post(
        login(personas.community_officer),
        f"/certificates/requests/{complete_request.pk}/refuse",
        {"ground": "banned"},
    )
    assert response.status_code == 422 and error(response)["code"] == "bad_ground"


# ---------------------------------------------------------------------------------------------
# Certificates


def test_a_certificate_is_read_by_those_who_read_its_community(personas, login, issued):
    certificate, _code = issued
    for reader in ("community_officer", "street_officer", "group_secretary"):
        response = login(getattr(personas, reader)).get(api(f"/certificates/{certificate.serial}"))
        assert response.status_code == 200, reader
        body = response.json()
        assert body["status"] == "valid" and body["status_label"] == "有效"
        assert body["id_masked"] == "511002********1239"
        assert body["approved_by"] == "community_head"
        assert body["verify_url"] == f"/verify/certificate/{certificate.serial}"
        no_plain_id(response)
    for outsider in OUTSIDERS:
        response = login(getattr(personas, outsider)).get(
            api(f"/certificates/{certificate.serial}")
        )
        assert response.status_code == 404


def test_a_pdf_download_is_audited(personas, login, issued):
    certificate, _code = issued
    response = login(personas.street_officer).get(api(f"/certificates/{certificate.serial}/pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == bytes(Certificate.objects.get(pk=certificate.pk).pdf)
    record = AuditRecord.objects.get(action="certificates.pdf_download")
    assert record.actor_username == "street_officer"
    assert record.object_id == str(certificate.pk)


def test_another_street_downloads_nothing(personas, login, issued):
    certificate, _code = issued
    for outsider in OUTSIDERS:
        response = login(getattr(personas, outsider)).get(
            api(f"/certificates/{certificate.serial}/pdf")
        )
        assert response.status_code == 404
    assert not AuditRecord.objects.filter(action="certificates.pdf_download").exists()


def test_an_officer_revokes_and_verification_says_so(personas, login, issued):
    certificate, code = issued
    response = post(
        login(personas.community_officer),
        f"/certificates/{certificate.serial}/revoke",
        {"reason": "申请人提供的材料不实"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "revoked" and body["revoked_by"] == "community_officer"
    verified = Client().get(api(f"/verify/certificate/{certificate.serial}"), {"code": code})
    assert verified.json()["status"] == "revoked"
    assert verified.json()["revoked_reason"] == "申请人提供的材料不实"


def test_others_may_not_revoke(personas, login, issued):
    certificate, _code = issued
    path = f"/certificates/{certificate.serial}/revoke"
    assert post(login(personas.street_officer), path, {"reason": "x"}).status_code == 403
    for outsider in OUTSIDERS:
        assert post(login(getattr(personas, outsider)), path, {"reason": "x"}).status_code == 404
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_a_revocation_needs_a_reason(personas, login, issued):
    certificate, _code = issued
    response = post(
        login(personas.community_officer),
        f"/certificates/{certificate.serial}/revoke",
        {"reason": " "},
    )
    assert response.status_code == 422 and error(response)["code"] == "reason_missing"


# ---------------------------------------------------------------------------------------------
# Revealing an ID number


def test_the_community_reveals_an_id_number_for_a_reason_and_it_is_audited(
    personas, login, complete_request
):
    for reader in ("community_officer", "auditor"):
        response = post(
            login(getattr(personas, reader)),
            f"/certificates/requests/{complete_request.pk}/reveal-id",
            {"reason": "核对户籍信息"},
        )
        assert response.status_code == 200, reader
        assert response.json() == {"id_number": ID_NUMBER}
        assert response["Cache-Control"] == "private, no-store"
    records = AuditRecord.objects.filter(action="certificates.id_number_reveal")
    assert records.count() == 2
    assert all(ID_NUMBER not in json.dumps(r.changes, ensure_ascii=False) for r in records)


def test_others_may_not_reveal_an_id_number(personas, login, complete_request):
    path = f"/certificates/requests/{complete_request.pk}/reveal-id"
    for reader in ("street_officer", "review_officer"):
        response = post(login(getattr(personas, reader)), path, {"reason": "核对户籍信息"})
        assert response.status_code == 403, reader
        no_plain_id(response)
    for outsider in OUTSIDERS:
        response = post(login(getattr(personas, outsider)), path, {"reason": "核对户籍信息"})
        assert response.status_code == 404
    assert not AuditRecord.objects.filter(action="certificates.id_number_reveal").exists()


def test_a_reveal_needs_a_reason(personas, login, complete_request):
    response = post(
        login(personas.community_officer),
        f"/certificates/requests/{complete_request.pk}/reveal-id",
        {"reason": "看"},
    )
    assert response.status_code == 422 and error(response)["code"] == "reason_missing"
    no_plain_id(response)


# ---------------------------------------------------------------------------------------------
# The seal-use log


def seal_use_body(**overrides) -> dict:
    return {
        "community": ZHONGGULOU,
        "content": "社区工作总结报送街道",
        "approver": "community_head",
        "requester_name": "张明",
        "requester_phone": "13800000000",
        "copies": 1,
        **overrides,
    }


def test_an_officer_logs_a_work_use_of_the_seal(personas, login, community):
    response = post(login(personas.community_officer), "/certificates/seal-uses", seal_use_body())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "work" and body["approver_name"]
    assert body["certificate"] is None
    assert SealUse.objects.get(pk=body["id"]).handler == personas.community_officer


def test_others_may_not_log_a_use_of_the_seal(personas, login, community):
    response = post(login(personas.street_officer), "/certificates/seal-uses", seal_use_body())
    assert response.status_code == 403
    for outsider in OUTSIDERS:
        client = login(getattr(personas, outsider))
        assert post(client, "/certificates/seal-uses", seal_use_body()).status_code == 404
    assert not SealUse.objects.exists()


def test_the_seal_log_is_read_by_the_community_its_street_and_the_district(
    personas, login, issued, time_machine
):
    certificate, _code = issued
    services.seal_use_record(
        actor=personas.community_officer,
        community=certificate.community,
        content="社区工作总结报送街道",
        approver=personas.community_head,
        requester_name="张明",
    )
    year = certificate.issued_at.year
    for reader in ("community_officer", "street_officer", "finance_officer"):
        response = login(getattr(personas, reader)).get(
            api("/certificates/seal-uses"), {"community": ZHONGGULOU, "year": year}
        )
        items = response.json()["items"]
        assert [row["kind"] for row in items] == ["work", "certificate"], reader
        assert items[1]["certificate"] == certificate.serial
    last_year = login(personas.street_officer).get(
        api("/certificates/seal-uses"), {"year": year - 1}
    )
    assert last_year.json()["items"] == []
    for outsider in OUTSIDERS:
        response = login(getattr(personas, outsider)).get(api("/certificates/seal-uses"))
        assert response.json()["items"] == []


def test_the_seal_log_takes_the_same_queries_for_one_row_or_many(
    personas, login, community, allowed_item, django_assert_max_num_queries
):
    client = login(personas.street_officer)
    issue(personas, request_make(personas.community_officer, community, allowed_item))
    client.get(api("/certificates/seal-uses"))
    with django_assert_max_num_queries(6):
        assert len(client.get(api("/certificates/seal-uses")).json()["items"]) == 1
    for _ in range(6):
        issue(personas, request_make(personas.community_officer, community, allowed_item))
    with django_assert_max_num_queries(6):
        assert len(client.get(api("/certificates/seal-uses")).json()["items"]) == 7


# ---------------------------------------------------------------------------------------------
# Public verification


def verify(client: Client, serial: str, code: str):
    return client.get(api(f"/verify/certificate/{serial}"), {"code": code})


def test_anyone_verifies_with_the_code_and_reads_only_what_a_receiving_body_needs(issued):
    certificate, code = issued
    response = verify(Client(), certificate.serial, code)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    body = response.json()
    assert body == {
        "status": "valid",
        "status_label": "有效",
        "serial": certificate.serial,
        "type_name": ALLOWED_NAME,
        "community": "钟鼓楼社区",
        "street": "城东街道",
        "district": "市中区",
        "issued_on": timezone.localdate(certificate.issued_at).isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "asking_body": "市中区不动产登记中心",
        "resident_name": "王**",
        "id_masked": "511002********1239",
        "revoked_on": None,
        "revoked_reason": "",
    }


def test_an_expired_certificate_verifies_as_expired(issued, time_machine):
    certificate, code = issued
    time_machine.move_to(
        dt.datetime.combine(certificate.valid_until, dt.time(12)) + dt.timedelta(days=1)
    )
    assert verify(Client(), certificate.serial, code).json()["status"] == "expired"


def test_a_wrong_code_and_an_unknown_serial_are_the_same_422(issued):
    certificate, code = issued
    wrong = verify(Client(), certificate.serial, "2345678923")
    unknown = verify(Client(), "511002001001-2020-9999", code)
    assert wrong.status_code == unknown.status_code == 422
    assert error(wrong) == error(unknown)
    assert error(wrong)["code"] == "bad_code"
    assert "编号或核验码不正确" in error(wrong)["message"]


def test_a_missing_code_is_422_and_counts_nothing(issued):
    certificate, _code = issued
    assert Client().get(api(f"/verify/certificate/{certificate.serial}")).status_code == 422
    blank = verify(Client(), certificate.serial, "  ")
    assert blank.status_code == 422 and error(blank)["code"] == "code_missing"
    assert not AuditRecord.objects.filter(action="certificates.code_rejected").exists()


def test_an_address_guessing_codes_is_refused_even_with_the_right_one(issued):
    certificate, code = issued
    for attempt in range(CODE_FAILURE_LIMIT):
        assert verify(Client(), certificate.serial, f"WRONG{attempt:05d}").status_code == 422
    locked = verify(Client(), certificate.serial, code)
    assert locked.status_code == 429 and error(locked)["code"] == "too_many_attempts"
    check = post(
        Client(),
        f"/verify/certificate/{certificate.serial}/id-check",
        {"code": code, "id_number": ID_NUMBER},
    )
    assert check.status_code == 429
    assert verify(Client(REMOTE_ADDR="10.1.2.3"), certificate.serial, code).status_code == 200


def test_the_id_check_answers_match_or_not(issued):
    certificate, code = issued
    path = f"/verify/certificate/{certificate.serial}/id-check"
    same = post(Client(), path, {"code": code, "id_number": ID_NUMBER})
    assert same.status_code == 200 and same.json() == {"match": True}
    other = post(Client(), path, {"code": code, "id_number": OTHER_ID_NUMBER})
    assert other.status_code == 200 and other.json() == {"match": False}
    no_plain_id(same)
    no_plain_id(other)


def test_a_malformed_id_number_is_422_without_the_number(issued):
    certificate, code = issued
    malformed = "51100219800101123"
    response = post(
        Client(),
        f"/verify/certificate/{certificate.serial}/id-check",
        {"code": code, "id_number": malformed},
    )
    assert response.status_code == 422
    assert error(response)["code"] == "id_number_length"
    assert malformed not in response.content.decode()


def test_the_id_check_needs_the_right_code(issued):
    certificate, _code = issued
    response = post(
        Client(),
        f"/verify/certificate/{certificate.serial}/id-check",
        {"code": "2345678923", "id_number": ID_NUMBER},
    )
    assert response.status_code == 422 and error(response)["code"] == "bad_code"
    assert "match" not in response.json()
