"""The public verification page: a receiving body with the serial and the code reads only what
it needs (status, type, serial, the issuing community, dates, the asking body, the resident's
name and ID number masked), checks the resident's full ID number yes-or-no, and an address that
guesses codes is locked out for a while."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jianfu.certificates import services
from jianfu.certificates.tests.conftest import ID_NUMBER, OTHER_ID_NUMBER
from jianfu.certificates.verification import name_mask
from jianfu.core.guessing import CODE_FAILURE_LIMIT
from jianfu.core.models import AuditRecord
from jianfu.evaluation.guessing import code_attempts_refused

HOME = "127.0.0.1"


def page(serial: str, code: str | None = None) -> str:
    url = reverse("certificate_verify", args=[serial])
    return f"{url}?{urlencode({'code': code})}" if code is not None else url


def text(response) -> str:
    return response.content.decode()


def id_check(client: Client, serial: str, code: str, id_number: str):
    return client.post(page(serial), {"code": code, "id_number": id_number})


def test_a_right_code_shows_what_the_receiving_body_needs_and_nothing_more(issued):
    certificate, code = issued
    response = Client().get(page(certificate.serial, code))
    body = text(response)
    assert response.status_code == 200
    assert 'data-testid="verdict"' in body and "有效" in body
    request = certificate.request
    for shown in (
        certificate.serial,
        request.type_name,
        "钟鼓楼社区",
        "城东街道",
        "市中区",
        timezone.localdate(certificate.issued_at).isoformat(),
        certificate.valid_until.strftime("%Y-%m-%d"),
        request.asking_body,
        "王**",
        request.id_masked,
    ):
        assert shown in body, shown
    for hidden in (
        request.resident_name,
        ID_NUMBER,
        request.purpose,
        request.resident_phone,
        certificate.statement,
        request.asking_clause,
    ):
        assert hidden not in body, hidden


def test_the_page_is_never_cached_and_passes_no_address_on(issued):
    certificate, code = issued
    for response in (
        Client().get(page(certificate.serial, code)),
        Client().get(page(certificate.serial)),
        Client().get(page(certificate.serial, "WRONGCODE1")),
    ):
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "same-origin"


def test_the_code_is_read_in_any_case_and_with_spaces(issued):
    certificate, code = issued
    typed = f" {code[:5].lower()} {code[5:].lower()} "
    response = Client().get(page(certificate.serial, typed))
    assert 'data-testid="verdict"' in text(response)


def test_a_revoked_certificate_says_so_with_the_date_and_the_reason(personas, issued):
    certificate, code = issued
    services.certificate_revoke(
        actor=personas.community_officer, certificate=certificate, reason="申请人提供的材料不实"
    )
    certificate.refresh_from_db()
    body = text(Client().get(page(certificate.serial, code)))
    assert "已撤销" in body and 'data-testid="revoked"' in body
    assert "申请人提供的材料不实" in body
    # The date is the local one (Asia/Shanghai), whatever the hour in UTC.
    assert timezone.localdate(certificate.revoked_at).isoformat() in body
    assert 'class="cert-verdict cert-verdict-valid"' not in body


def test_a_certificate_past_its_validity_is_expired(issued, time_machine):
    certificate, code = issued
    time_machine.move_to(
        dt.datetime.combine(certificate.valid_until, dt.time(12)) + dt.timedelta(days=1)
    )
    body = text(Client().get(page(certificate.serial, code)))
    assert "已过期" in body and 'data-testid="expired"' in body
    assert 'class="cert-verdict cert-verdict-expired"' in body


def test_a_certificate_is_valid_on_its_last_day(issued, time_machine):
    certificate, code = issued
    time_machine.move_to(dt.datetime.combine(certificate.valid_until, dt.time(12)))
    body = text(Client().get(page(certificate.serial, code)))
    assert 'class="cert-verdict cert-verdict-valid"' in body


def test_a_wrong_code_and_an_unknown_serial_get_the_same_answer(issued):
    certificate, code = issued
    wrong = Client().get(page(certificate.serial, "2345678923"))
    unknown = Client().get(page("511002001001-2020-9999", code))
    for response in (wrong, unknown):
        body = text(response)
        assert response.status_code == 200
        assert "编号或核验码不正确" in body
        assert 'data-testid="verdict"' not in body
        assert certificate.request.type_name not in body
    assert AuditRecord.objects.filter(action="certificates.code_rejected").count() == 2


def test_the_form_alone_counts_nothing(issued):
    certificate, _code = issued
    response = Client().get(page(certificate.serial))
    body = text(response)
    assert response.status_code == 200 and 'data-testid="verify-form"' in body
    assert f'value="{certificate.serial}"' in body
    assert "编号或核验码不正确" not in body
    assert not AuditRecord.objects.filter(action="certificates.code_rejected").exists()


def test_a_serial_typed_into_the_form_leads_to_its_page(issued):
    certificate, code = issued
    response = Client().get(
        reverse("certificate_verify", args=["-"]),
        {"serial": f" {certificate.serial} ", "code": code},
    )
    assert response.status_code == 302
    assert response["Location"] == page(certificate.serial, code)
    assert 'data-testid="verdict"' in text(Client().get(response["Location"]))


def test_the_login_page_links_to_verification(db):
    body = text(Client().get(reverse("login")))
    assert 'data-testid="verify-certificate-link"' in body
    assert reverse("certificate_verify_form") in body
    empty = Client().get(reverse("certificate_verify_form"))
    assert empty.status_code == 200 and 'value=""' in text(empty)


def test_ten_wrong_codes_lock_the_address_out_even_for_the_right_code(issued):
    certificate, code = issued
    client = Client()
    for attempt in range(CODE_FAILURE_LIMIT):
        response = client.get(page(certificate.serial, f"WRONG{attempt:05d}"))
        assert response.status_code == 200
    locked = client.get(page(certificate.serial, code))
    assert locked.status_code == 429 and "错误次数过多" in text(locked)
    assert 'data-testid="verdict"' not in text(locked)
    assert id_check(client, certificate.serial, code, ID_NUMBER).status_code == 429
    # Another address is not affected, and neither are the evaluation's ballot codes.
    elsewhere = Client(REMOTE_ADDR="10.1.2.3").get(page(certificate.serial, code))
    assert elsewhere.status_code == 200 and 'data-testid="verdict"' in text(elsewhere)
    assert not code_attempts_refused(HOME)


def test_the_right_id_number_is_the_same(issued):
    certificate, code = issued
    typed = f" {ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]} "  # as read off the card
    response = id_check(Client(), certificate.serial, code, typed)
    body = text(response)
    assert response.status_code == 200
    assert 'data-testid="id-result"' in body and "一致" in body and "不一致" not in body
    assert ID_NUMBER not in body


def test_the_id_check_form_carries_its_csrf_token(issued):
    certificate, code = issued
    client = Client(enforce_csrf_checks=True)
    form = text(client.get(page(certificate.serial, code)))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = client.post(
        f"/verify/certificate/{certificate.serial}",
        {"code": code, "id_number": ID_NUMBER, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200 and 'data-testid="id-result"' in text(response)


def test_another_id_number_is_not_the_same(issued):
    certificate, code = issued
    response = id_check(Client(), certificate.serial, code, OTHER_ID_NUMBER)
    body = text(response)
    assert response.status_code == 200 and "不一致" in body
    assert OTHER_ID_NUMBER not in body and ID_NUMBER not in body
    assert AuditRecord.objects.filter(action="certificates.id_check_mismatch").count() == 1
    record = AuditRecord.objects.get(action="certificates.id_check_mismatch")
    assert OTHER_ID_NUMBER not in str(record.changes)


def test_a_malformed_id_number_gets_the_validation_message_and_is_not_echoed(issued):
    certificate, code = issued
    malformed = "511002198001011238"  # the check digit is wrong
    response = id_check(Client(), certificate.serial, code, malformed)
    body = text(response)
    assert 'data-testid="id-problem"' in body and "校验码" in body
    assert malformed not in body and 'data-testid="id-result"' not in body
    assert not AuditRecord.objects.filter(action="certificates.id_check_mismatch").exists()


def test_the_id_check_needs_the_right_code(issued):
    certificate, _code = issued
    response = id_check(Client(), certificate.serial, "2345678923", ID_NUMBER)
    body = text(response)
    assert "编号或核验码不正确" in body and 'data-testid="id-result"' not in body


def test_an_id_number_in_the_address_is_ignored(issued):
    certificate, code = issued
    url = f"{page(certificate.serial, code)}&id_number={ID_NUMBER}"
    response = Client().get(url, follow=True)
    assert response.redirect_chain == [(page(certificate.serial, code), 302)]
    body = text(response)
    assert 'data-testid="verdict"' in body
    assert 'data-testid="id-result"' not in body and ID_NUMBER not in body


def test_id_numbers_that_do_not_match_lock_the_certificates_check_from_any_address(issued):
    """The masked number leaves only the birth date to guess: the guesses are counted against
    the certificate too, so spreading them over many addresses does not help."""
    certificate, code = issued
    for attempt in range(CODE_FAILURE_LIMIT):
        client = Client(REMOTE_ADDR=f"10.0.0.{attempt + 1}")
        assert "不一致" in text(id_check(client, certificate.serial, code, OTHER_ID_NUMBER))
    locked = id_check(Client(REMOTE_ADDR="10.9.9.9"), certificate.serial, code, ID_NUMBER)
    assert locked.status_code == 429 and 'data-testid="id-result"' not in text(locked)


@pytest.mark.parametrize(
    ("name", "masked"), [("王秀英", "王**"), ("欧阳娜娜", "欧***"), ("李", "李"), ("", "")]
)
def test_a_name_keeps_only_its_first_character(name, masked):
    assert name_mask(name) == masked
