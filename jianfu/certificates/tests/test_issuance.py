"""Issuing a certificate under the community's seal (issue 8, requirements 3 and 4): only an
allowed type with a valid ID number (invariant 7) and a complete request, approved by another
officer of the community; a serial per community and year; a seal-use entry the database never
lets change; verification by serial and code; revocation; and the ID number revealed only with
the permission and a reason the audit trail keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
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
from jianfu.certificates.selectors import (
    certificates_visible_to,
    requests_visible_to,
    seal_uses_visible_to,
)
from jianfu.certificates.tests.conftest import (
    ALLOWED_NAME,
    ID_NUMBER,
    XILIN,
    issue,
    region,
    request_make,
)
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.models import AuditRecord
from jianfu.funds.tests.conftest import person
from jianfu.org.roles import Role

# 2026-12-31 23:30 and 2027-01-01 00:30 in Beijing: the year of a serial is the local one.
LAST_EVENING = dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC)
NEW_YEAR = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)


@pytest.fixture
def xilin_head(personas):
    """A second officer of 西林社区, to approve community_officer2's seal uses."""
    return person("xilin_head", "西林社区居民委员会", Role.COMMUNITY_OFFICER)


def xilin_issue(personas, xilin_head, allowed_item) -> Certificate:
    request = request_make(personas.community_officer2, region(XILIN), allowed_item)
    certificate, _code = issue(
        personas, request, actor=personas.community_officer2, approver=xilin_head
    )
    return certificate


# ---------------------------------------------------------------------------------------------
# Issuance


@pytest.mark.django_db
def test_an_allowed_complete_request_is_issued_with_serial_code_and_pdf(
    personas, community, complete_request
):
    certificate, code = issue(personas, complete_request)
    issued_on = timezone.localdate(certificate.issued_at)
    year = issued_on.year
    assert certificate.serial == f"511002001001-{year}-0001"
    assert (certificate.year, certificate.sequence) == (year, 1)
    assert len(code) == services.CODE_LENGTH
    assert set(code) <= set(services.CODE_ALPHABET)
    # The code itself is not stored, only its hash with the serial.
    assert certificate.code_hash == services.code_hash(certificate.serial, code)
    assert code not in certificate.code_hash
    assert bytes(certificate.pdf).startswith(b"%PDF")
    assert certificate.issued_by == personas.community_officer
    assert certificate.approved_by == personas.community_head
    assert certificate.valid_until == issued_on + dt.timedelta(days=90)
    request = CertificateRequest.objects.get(pk=complete_request.pk)
    assert request.state == RequestState.ISSUED
    assert request.decided_by == personas.community_officer
    record = AuditRecord.objects.get(action="certificates.issue")
    assert record.changes["serial"] == certificate.serial
    assert record.changes["approver"] == "community_head"
    assert code not in str(record.changes)


@pytest.mark.django_db
def test_the_districts_validity_for_the_type_sets_the_valid_until(
    personas, community, allowed_item, complete_request, time_machine
):
    time_machine.move_to(dt.datetime(2026, 5, 10, 2, tzinfo=dt.UTC), tick=False)
    services.certificate_type_update(
        actor=personas.group_secretary,
        district=region("511002000000"),
        item_key=allowed_item.key,
        use="办理继承不动产转移登记",
        materials=["居民身份证"],
        template="兹证明{name}……",
        valid_days=30,
    )
    certificate, _code = issue(personas, complete_request)
    assert certificate.valid_until == dt.date(2026, 6, 9)


@pytest.mark.django_db
def test_a_refused_request_is_never_issued(personas, community, catalog):
    refused = services.certificate_request_create(
        actor=personas.community_officer,
        community=community,
        type_name="无犯罪记录证明",
        resident_name="王秀英",
        id_number=ID_NUMBER,
    )
    with pytest.raises(Conflict) as conflict:
        issue(personas, refused)
    assert conflict.value.code == "request_decided"
    assert not Certificate.objects.exists() and not SealUse.objects.exists()


@pytest.mark.django_db
def test_a_type_banned_after_the_request_was_taken_is_not_issued(
    personas, complete_request, local_banned_list
):
    with pytest.raises(Conflict) as conflict:
        issue(personas, complete_request)
    assert conflict.value.code == "type_not_allowed"
    assert ALLOWED_NAME in str(conflict.value)
    assert CertificateRequest.objects.get(pk=complete_request.pk).state == RequestState.RECEIVED
    assert not Certificate.objects.exists() and not SealUse.objects.exists()


@pytest.mark.django_db
def test_a_request_is_issued_only_once(personas, complete_request):
    issue(personas, complete_request)
    with pytest.raises(Conflict) as conflict:
        issue(personas, complete_request)
    assert conflict.value.code == "request_decided"
    assert Certificate.objects.count() == 1 and SealUse.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_an_issued_request_without_an_id_number(personas, complete_request):
    # Invariant 7: whatever the code does, nothing is issued without a (sealed) ID number.
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateRequest.objects.filter(pk=complete_request.pk).update(
            state=RequestState.ISSUED, id_index=""
        )


@pytest.mark.django_db
def test_an_incomplete_request_is_refused_listing_everything_missing(
    personas, community, allowed_item
):
    services.certificate_type_update(
        actor=personas.group_secretary,
        district=region("511002000000"),
        item_key=allowed_item.key,
        use="办理继承不动产转移登记",
        materials=["居民身份证", "户口簿", "被继承人死亡医学证明"],
        template="",
    )
    request = request_make(
        personas.community_officer,
        community,
        allowed_item,
        asking_body="",
        asking_clause="",
        purpose="",
        pledged=False,
    )
    with pytest.raises(InvalidInput) as refused:
        issue(personas, request)
    assert refused.value.code == "request_incomplete"
    assert refused.value.details == [
        "索要证明单位",
        "索要单位援引的依据条款",
        "证明用途",
        "申请人承诺",
        "材料：被继承人死亡医学证明",
    ]
    for missing in refused.value.details:
        assert missing in str(refused.value)
    assert CertificateRequest.objects.get(pk=request.pk).state == RequestState.RECEIVED
    assert not Certificate.objects.exists() and not SealUse.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"statement": "  "}, "statement_missing"),
        ({"copies": 0}, "bad_copies"),
        ({"copies": 21}, "bad_copies"),
    ],
)
def test_issuance_needs_a_statement_and_a_sensible_number_of_copies(
    personas, complete_request, overrides, code
):
    with pytest.raises(InvalidInput) as refused:
        issue(personas, complete_request, **overrides)
    assert refused.value.code == code
    assert not Certificate.objects.exists() and not SealUse.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        f"兹证明王秀英（公民身份号码{ID_NUMBER}）系王德明之女。",
        f"兹证明王秀英（公民身份号码 {ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}）系其女。",
        # Anyone's number, not only the resident's: the deceased's here.
        "兹证明王秀英系王德明（公民身份号码51100219850615100x）之女。",
    ],
)
def test_a_statement_with_a_full_id_number_is_refused(personas, complete_request, statement):
    with pytest.raises(InvalidInput) as refused:
        issue(personas, complete_request, statement=statement)
    assert refused.value.code == "statement_has_id_number"
    assert ID_NUMBER not in str(refused.value)
    assert not Certificate.objects.exists() and not SealUse.objects.exists()


@pytest.mark.django_db
def test_a_statement_with_the_masked_number_or_other_long_numbers_is_issued(
    personas, complete_request
):
    certificate, _code = issue(
        personas,
        complete_request,
        # The masked number, and an 18-digit number that is no ID number (a wrong check digit).
        statement="兹证明王秀英（511002********1239，不动产权证号 511002198001011230）系其女。",
    )
    assert "511002********1239" in certificate.statement


@pytest.mark.django_db
@pytest.mark.parametrize(
    "approver",
    ["community_officer", "community_officer2", "street_officer", "group_secretary", "evaluator"],
)
def test_the_approver_must_be_another_officer_of_the_same_community(
    personas, complete_request, approver
):
    with pytest.raises(InvalidInput) as refused:
        issue(personas, complete_request, approver=getattr(personas, approver))
    assert refused.value.code == "bad_approver"
    assert not Certificate.objects.exists() and not SealUse.objects.exists()
    assert CertificateRequest.objects.get(pk=complete_request.pk).state == RequestState.RECEIVED


# ---------------------------------------------------------------------------------------------
# Serials


@pytest.mark.django_db
def test_serials_count_up_per_community_and_year(personas, community, allowed_item, xilin_head):
    serials = []
    for _ in range(3):
        request = request_make(personas.community_officer, community, allowed_item)
        serials.append(issue(personas, request)[0].serial)
    year = Certificate.objects.first().year
    assert serials == [f"511002001001-{year}-{n:04d}" for n in (1, 2, 3)]
    # 西林社区 counts its own.
    assert xilin_issue(personas, xilin_head, allowed_item).serial == f"511002002001-{year}-0001"
    request = request_make(personas.community_officer, community, allowed_item)
    assert issue(personas, request)[0].serial == f"511002001001-{year}-0004"


@pytest.mark.django_db
def test_the_sequence_restarts_in_the_new_local_year(
    personas, community, allowed_item, xilin_head, time_machine
):
    time_machine.move_to(LAST_EVENING, tick=False)
    first = issue(personas, request_make(personas.community_officer, community, allowed_item))[0]
    second = issue(personas, request_make(personas.community_officer, community, allowed_item))[0]
    assert (first.serial, second.serial) == ("511002001001-2026-0001", "511002001001-2026-0002")
    # Half past midnight in Beijing is the new year, though UTC is still in the old one.
    time_machine.move_to(NEW_YEAR, tick=False)
    third = issue(personas, request_make(personas.community_officer, community, allowed_item))[0]
    assert third.serial == "511002001001-2027-0001"
    assert (third.year, third.sequence) == (2027, 1)
    assert xilin_issue(personas, xilin_head, allowed_item).serial == "511002002001-2027-0001"


@pytest.mark.django_db
@pytest.mark.parametrize("clash", ["sequence", "serial"])
def test_the_database_refuses_a_second_certificate_with_the_same_number(personas, issued, clash):
    certificate, _code = issued
    other_request = request_make(
        personas.community_officer, certificate.community, None, type_name="居住证明"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            request=other_request,
            community=certificate.community,
            year=certificate.year,
            sequence=certificate.sequence if clash == "sequence" else 99,
            serial=certificate.serial if clash == "serial" else "another",
            statement="-",
            code_hash="-",
            issued_by=personas.community_officer,
            approved_by=personas.community_head,
            issued_at=certificate.issued_at,
            valid_until=certificate.valid_until,
            pdf=b"",
        )


# ---------------------------------------------------------------------------------------------
# The seal-use log


@pytest.mark.django_db
def test_issuance_writes_the_seal_use_entry(personas, complete_request):
    certificate, _code = issue(personas, complete_request, copies=3)
    use = SealUse.objects.get()
    assert use.kind == SealUseKind.CERTIFICATE
    assert use.certificate == certificate
    assert use.community_id == "511002001001"
    assert use.used_at == certificate.issued_at
    assert use.copies == 3
    assert use.approver == personas.community_head
    # The log names people as the archive reads them: by name, not by account.
    assert use.approver_name == personas.community_head.display_name != ""
    assert use.handler == personas.community_officer
    assert use.handler_name == personas.community_officer.display_name != ""
    assert use.requester_name == "王秀英"
    assert use.requester_phone == "0832-2012345"
    assert ALLOWED_NAME in use.content and certificate.serial in use.content


@pytest.mark.django_db
def test_a_work_use_of_the_seal_is_logged_with_its_approver(personas, community):
    use = services.seal_use_record(
        actor=personas.community_officer,
        community=community,
        content="社区年度工作总结报送",
        approver=personas.community_head,
        requester_name="李华",
        requester_phone="13800000000",
        copies=2,
    )
    assert use.kind == SealUseKind.WORK and use.certificate is None
    assert (use.approver, use.handler, use.copies) == (
        personas.community_head,
        personas.community_officer,
        2,
    )
    assert AuditRecord.objects.get(action="certificates.seal_use").changes["copies"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"content": ""}, "seal_use_incomplete"),
        ({"requester_name": " "}, "seal_use_incomplete"),
        ({"copies": 0}, "bad_copies"),
        ({"requester_phone": "电话"}, "bad_phone"),
        ({"approver": "community_officer2"}, "bad_approver"),
    ],
)
def test_a_bad_work_use_of_the_seal_is_refused_and_nothing_is_logged(
    personas, community, overrides, code
):
    values = {
        "content": "社区年度工作总结报送",
        "approver": personas.community_head,
        "requester_name": "李华",
        **overrides,
    }
    if isinstance(values["approver"], str):
        values["approver"] = getattr(personas, values["approver"])
    with pytest.raises(InvalidInput) as refused:
        services.seal_use_record(actor=personas.community_officer, community=community, **values)
    assert refused.value.code == code
    assert not SealUse.objects.exists()


@pytest.mark.django_db
def test_a_certificates_seal_use_must_name_the_certificate(personas, community):
    with pytest.raises(IntegrityError), transaction.atomic():
        SealUse.objects.create(
            community=community,
            used_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
            kind=SealUseKind.CERTIFICATE,
            content="出具证明",
            approver=personas.community_head,
            approver_name="x",
            handler=personas.community_officer,
            handler_name="y",
            requester_name="z",
        )


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_seal_use_entry(personas, issued):
    use = SealUse.objects.get()
    for statement in (
        "UPDATE certificates_sealuse SET copies = 9 WHERE id = %s",
        "UPDATE certificates_sealuse SET requester_name = 'someone else' WHERE id = %s",
        "DELETE FROM certificates_sealuse WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [use.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        SealUse.objects.filter(pk=use.pk).update(copies=9)
    with pytest.raises(DatabaseError), transaction.atomic():
        SealUse.objects.filter(pk=use.pk).delete()
    stored = SealUse.objects.get(pk=use.pk)
    assert (stored.copies, stored.requester_name) == (use.copies, use.requester_name)


@pytest.mark.django_db
def test_new_seal_use_entries_can_still_be_appended(personas, community, issued):
    services.seal_use_record(
        actor=personas.community_officer,
        community=community,
        content="盖章",
        approver=personas.community_head,
        requester_name="李华",
    )
    assert SealUse.objects.count() == 2


# ---------------------------------------------------------------------------------------------
# Verification


@pytest.mark.django_db
def test_the_right_code_verifies_the_certificate(issued):
    certificate, code = issued
    assert services.certificate_verify(serial=certificate.serial, code=code) == certificate
    # As a reader types it: lower case, spaces around.
    found = services.certificate_verify(serial=f" {certificate.serial} ", code=f" {code.lower()} ")
    assert found == certificate


@pytest.mark.django_db
def test_a_wrong_code_does_not_verify(issued):
    certificate, code = issued
    wrong = ("2" if code[0] != "2" else "3") + code[1:]
    with pytest.raises(InvalidInput) as refused:
        services.certificate_verify(serial=certificate.serial, code=wrong)
    assert refused.value.code == "bad_code"
    for empty in ("", None):
        with pytest.raises(InvalidInput):
            services.certificate_verify(serial=certificate.serial, code=empty)


@pytest.mark.django_db
def test_another_certificates_code_does_not_verify(personas, community, allowed_item, issued):
    certificate, code = issued
    other, other_code = issue(
        personas, request_make(personas.community_officer, community, allowed_item)
    )
    with pytest.raises(InvalidInput) as refused:
        services.certificate_verify(serial=certificate.serial, code=other_code)
    assert refused.value.code == "bad_code"
    with pytest.raises(InvalidInput):
        services.certificate_verify(serial=other.serial, code=code)


@pytest.mark.django_db
def test_an_unknown_serial_gets_the_same_answer_as_a_wrong_code(issued):
    certificate, code = issued
    with pytest.raises(InvalidInput) as wrong_code:
        services.certificate_verify(serial=certificate.serial, code="2222222222")
    with pytest.raises(InvalidInput) as unknown:
        services.certificate_verify(serial="511002001001-2026-9999", code=code)
    assert (unknown.value.code, str(unknown.value)) == (
        wrong_code.value.code,
        str(wrong_code.value),
    )


# ---------------------------------------------------------------------------------------------
# Revocation


@pytest.mark.django_db
def test_a_wrongly_issued_certificate_is_revoked_with_a_reason(personas, issued):
    certificate, code = issued
    revoked = services.certificate_revoke(
        actor=personas.community_officer, certificate=certificate, reason="申请人提供的材料不实"
    )
    assert revoked.is_revoked and revoked.revoked_by == personas.community_officer
    assert revoked.revoked_reason == "申请人提供的材料不实"
    # Verification still finds it, and says it is revoked.
    assert services.certificate_verify(serial=certificate.serial, code=code).is_revoked
    record = AuditRecord.objects.get(action="certificates.revoke")
    assert record.changes == {"serial": certificate.serial, "reason": "申请人提供的材料不实"}


@pytest.mark.django_db
def test_revocation_needs_a_reason_and_happens_once(personas, issued):
    certificate, _code = issued
    with pytest.raises(InvalidInput) as refused:
        services.certificate_revoke(
            actor=personas.community_officer, certificate=certificate, reason="  "
        )
    assert refused.value.code == "reason_missing"
    assert not Certificate.objects.get(pk=certificate.pk).is_revoked
    services.certificate_revoke(
        actor=personas.community_officer, certificate=certificate, reason="误开"
    )
    with pytest.raises(Conflict) as conflict:
        services.certificate_revoke(
            actor=personas.community_officer, certificate=certificate, reason="再次"
        )
    assert conflict.value.code == "already_revoked"
    assert Certificate.objects.get(pk=certificate.pk).revoked_reason == "误开"


@pytest.mark.django_db
def test_the_database_refuses_a_revocation_without_a_reason(issued):
    certificate, _code = issued
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(
            revoked_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        )


# ---------------------------------------------------------------------------------------------
# Revealing the ID number


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["community_officer", "community_head", "auditor"])
def test_the_id_number_is_revealed_with_the_permission_and_a_reason_that_is_audited(
    personas, complete_request, who
):
    actor = getattr(personas, who)
    revealed = services.id_number_reveal(
        actor=actor, request=complete_request, reason="不动产登记中心电话核实申请人身份"
    )
    assert revealed == ID_NUMBER
    record = AuditRecord.objects.get(action="certificates.id_number_reveal")
    assert record.actor == actor
    assert record.object_id == str(complete_request.pk)
    assert record.changes["reason"] == "不动产登记中心电话核实申请人身份"
    assert record.changes["id_number"] == "511002********1239"
    assert ID_NUMBER not in str(record.changes)


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "看看", "abc"])
def test_the_id_number_is_not_revealed_without_a_reason(personas, complete_request, reason):
    with pytest.raises(InvalidInput) as refused:
        services.id_number_reveal(
            actor=personas.community_officer, request=complete_request, reason=reason
        )
    assert refused.value.code == "reason_missing"
    assert not AuditRecord.objects.filter(action="certificates.id_number_reveal").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who",
    ["community_officer2", "street_officer", "street_officer2", "group_secretary",
     "review_officer", "finance_officer", "dept_clerk", "audit_admin", "system_admin"],
)  # fmt: skip
def test_the_id_number_is_not_revealed_without_the_permission(personas, complete_request, who):
    with pytest.raises(Forbidden):
        services.id_number_reveal(
            actor=getattr(personas, who), request=complete_request, reason="核实申请人身份"
        )
    assert not AuditRecord.objects.filter(action="certificates.id_number_reveal").exists()


@pytest.mark.django_db
def test_a_request_without_an_id_number_has_nothing_to_reveal(personas, community, catalog):
    refused = services.certificate_request_create(
        actor=personas.community_officer, community=community, type_name="出生证明"
    )
    with pytest.raises(InvalidInput) as nothing:
        services.id_number_reveal(
            actor=personas.community_officer, request=refused, reason="核实申请人身份"
        )
    assert nothing.value.code == "no_id_number"


# ---------------------------------------------------------------------------------------------
# Jurisdiction on every write


OUTSIDERS = ["community_officer2", "street_officer", "street_officer2", "group_secretary",
             "dept_clerk", "auditor"]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_only_the_communitys_own_officers_issue_under_its_seal(
    personas, complete_request, outsider
):
    with pytest.raises(Forbidden):
        issue(personas, complete_request, actor=getattr(personas, outsider))
    assert not Certificate.objects.exists() and not SealUse.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_only_the_communitys_own_officers_revoke_its_certificates(personas, issued, outsider):
    certificate, _code = issued
    with pytest.raises(Forbidden):
        services.certificate_revoke(
            actor=getattr(personas, outsider), certificate=certificate, reason="误开"
        )
    assert not Certificate.objects.get(pk=certificate.pk).is_revoked


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_only_the_communitys_own_officers_log_its_seal(personas, community, outsider):
    with pytest.raises(Forbidden):
        services.seal_use_record(
            actor=getattr(personas, outsider),
            community=community,
            content="盖章",
            approver=personas.community_head,
            requester_name="李华",
        )
    assert not SealUse.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "outsider", ["community_officer", "street_officer", "review_officer", "dept_clerk"]
)
def test_only_the_districts_group_office_sets_the_types(personas, allowed_item, outsider):
    with pytest.raises(Forbidden):
        services.certificate_type_update(
            actor=getattr(personas, outsider),
            district=region("511002000000"),
            item_key=allowed_item.key,
            use="",
            materials=[],
            template="",
        )


@pytest.mark.django_db
def test_a_type_not_on_the_list_gets_no_settings(personas, catalog):
    with pytest.raises(InvalidInput) as refused:
        services.certificate_type_update(
            actor=personas.group_secretary,
            district=region("511002000000"),
            item_key="00000000-0000-0000-0000-000000000000",
            use="",
            materials=[],
            template="",
        )
    assert refused.value.code == "not_listed"


# ---------------------------------------------------------------------------------------------
# Jurisdiction on every read


@pytest.mark.django_db
def test_each_reader_sees_the_certificates_of_their_own_jurisdiction(
    personas, allowed_item, issued, xilin_head
):
    zhonggulou, _code = issued
    xilin = xilin_issue(personas, xilin_head, allowed_item)
    expected = {
        "community_officer": {zhonggulou.pk},
        "community_head": {zhonggulou.pk},
        "community_officer2": {xilin.pk},
        "street_officer": {zhonggulou.pk},
        "street_officer2": {xilin.pk},
        "group_secretary": {zhonggulou.pk, xilin.pk},
        "auditor": {zhonggulou.pk, xilin.pk},
        "dept_clerk": set(),
        "evaluator": set(),
        "system_admin": set(),
    }
    for username, certificates in expected.items():
        user = getattr(personas, username)
        assert set(certificates_visible_to(user=user).values_list("pk", flat=True)) == (
            certificates
        ), username
        requests = set(requests_visible_to(user=user).values_list("certificate__pk", flat=True))
        assert requests == certificates, username
        uses = set(seal_uses_visible_to(user=user).values_list("certificate_id", flat=True))
        assert uses == certificates, username


@pytest.mark.django_db
def test_refused_requests_are_kept_for_the_district_to_see(personas, community, catalog):
    services.certificate_request_create(
        actor=personas.community_officer, community=community, type_name="居民财产证明"
    )
    seen = requests_visible_to(user=personas.group_secretary)
    assert [(r.type_name, r.refusal_ground) for r in seen] == [
        ("居民财产证明", RefusalGround.BANNED)
    ]
    assert not requests_visible_to(user=personas.community_officer2).exists()
