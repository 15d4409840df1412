"""The demo certificates: `jianfu demo` leaves 市中区's listed types set up, certificates in
钟鼓楼社区 and 西林社区 that verify (one revoked), the banned and unlisted types refused on the
spot, a request waiting, and no plain ID number anywhere but sealed."""

import io
import json

import pytest
from django.core.management import call_command

from jianfu.certificates import services
from jianfu.certificates.demo import DISTRICT, MATERIALS, XILIN, ZHONGGULOU, demo_id_number
from jianfu.certificates.models import (
    Certificate,
    CertificateRequest,
    CertificateType,
    RefusalGround,
    RequestState,
    SealUse,
    SealUseKind,
)
from jianfu.certificates.selectors import allowed_items
from jianfu.core.errors import InvalidInput
from jianfu.core.id_numbers import id_number_clean, id_number_mask, id_number_open
from jianfu.core.models import AuditRecord
from jianfu.org.models import Region, User

PASSWORD = "Demo-Pass-2026x"


@pytest.fixture
def demo(db, settings, tmp_path, monkeypatch):
    """The database after `jianfu demo`, with the verification code of each certificate issued
    (they exist only on the printed certificate), by serial; and what the command printed."""
    settings.DATA_DIR = tmp_path
    codes = []
    new_code = services._new_code

    def remembered() -> str:
        codes.append(new_code())
        return codes[-1]

    monkeypatch.setattr(services, "_new_code", remembered)
    out = io.StringIO()
    call_command("demo", password=PASSWORD, stdout=out)
    serials = list(Certificate.objects.order_by("id").values_list("serial", flat=True))
    return {"codes": dict(zip(serials, codes, strict=True)), "printed": out.getvalue()}


@pytest.mark.django_db
def test_demo_sets_every_listed_type_and_issues_certificates_that_verify(demo):
    district = Region.objects.get(code=DISTRICT)
    listed = allowed_items(district)
    types = {t.item_key: t for t in CertificateType.objects.filter(district=district)}
    assert len(listed) == 14 and set(types) == {item.key for item in listed}
    for certificate_type in types.values():
        assert certificate_type.materials[:3] == MATERIALS
        for placeholder in ("{name}", "{id_number}", "{purpose}", "{asking_body}"):
            assert placeholder in certificate_type.template
        assert certificate_type.updated_by.username == "group_secretary"

    issued = Certificate.objects.select_related("request", "approved_by", "issued_by")
    by_community = {
        code: [c for c in issued if c.community_id == code] for code in (ZHONGGULOU, XILIN)
    }
    assert len(by_community[ZHONGGULOU]) == 4 and len(by_community[XILIN]) == 2
    for certificate in issued:
        verified = services.certificate_verify(
            serial=certificate.serial, code=demo["codes"][certificate.serial]
        )
        assert verified.pk == certificate.pk
        # The statement is the type's template filled in: no blank or placeholder left.
        assert "＿" not in certificate.statement and "{" not in certificate.statement
        assert certificate.request.resident_name in certificate.statement
        seal = SealUse.objects.get(certificate=certificate)
        assert seal.kind == SealUseKind.CERTIFICATE and seal.approver == certificate.approved_by
        assert certificate.issued_by != certificate.approved_by
    with pytest.raises(InvalidInput):
        services.certificate_verify(serial=issued[0].serial, code="2345678ABC")
    approvers = {c.community_id: c.approved_by.username for c in issued}
    assert approvers == {ZHONGGULOU: "community_head", XILIN: "community_head2"}

    revoked = [c for c in issued if c.is_revoked]
    assert len(revoked) == 1 and revoked[0].request.type_name == "临时救助家庭情况说明"
    # Issued again, corrected, to the same resident.
    again = [
        c
        for c in by_community[ZHONGGULOU]
        if c.request.type_name == "临时救助家庭情况说明" and not c.is_revoked
    ]
    assert len(again) == 1 and again[0].request.id_index == revoked[0].request.id_index
    # The seal was also used for work, and logged.
    work = SealUse.objects.filter(kind=SealUseKind.WORK)
    assert {u.community_id for u in work} == {ZHONGGULOU, XILIN}
    # 西林社区's head, who approves there, is a login of the demo.
    head2 = User.objects.get(username="community_head2")
    assert head2.unit.region_id == XILIN and "community_head2" in demo["printed"]


@pytest.mark.django_db
def test_demo_refuses_banned_and_unlisted_types_on_the_spot(demo):
    refused = {
        r.type_name: r for r in CertificateRequest.objects.filter(state=RequestState.REFUSED)
    }
    on_the_spot = {
        "无犯罪记录证明": (ZHONGGULOU, RefusalGround.BANNED, "物业服务有限公司"),
        "居民养犬证明": (ZHONGGULOU, RefusalGround.BANNED, "派出所"),
        "婚姻状况证明": (XILIN, RefusalGround.BANNED, "银行"),
        "个人收入证明": (ZHONGGULOU, RefusalGround.UNLISTED, "银行"),
    }
    for name, (community, ground, asker) in on_the_spot.items():
        request = refused[name]
        assert (request.community_id, request.refusal_ground) == (community, ground)
        assert asker in request.asking_body
        assert request.decided_at == request.received_at
        assert request.refusal_explanation and not hasattr(request, "certificate")
    for name in ("无犯罪记录证明", "居民养犬证明", "婚姻状况证明"):
        assert "民发〔2020〕20号" in refused[name].refusal_explanation
        assert refused[name].catalog_list.kind == "certificate_banned"
    assert refused["个人收入证明"].catalog_list is None
    # A listed type, refused after it was taken because the asking body cited no clause.
    no_clause = refused["困难家庭学生教育资助申请情况说明"]
    assert no_clause.refusal_ground == RefusalGround.NO_LEGAL_BASIS
    assert no_clause.decided_at > no_clause.received_at

    waiting = CertificateRequest.objects.get(state=RequestState.RECEIVED)
    assert waiting.type_name == "申请继承不动产登记时的关系证明"
    assert "户口簿" not in waiting.materials_checked
    with pytest.raises(InvalidInput, match="户口簿"):
        services.certificate_issue(
            actor=User.objects.get(username="community_officer"),
            request=waiting,
            statement="兹证明……",
            approver=User.objects.get(username="community_head"),
        )


@pytest.mark.django_db
def test_demo_id_numbers_are_valid_sealed_and_never_written_in_clear(demo):
    requests = list(CertificateRequest.objects.exclude(id_index=""))
    assert len(requests) == CertificateRequest.objects.count()
    plain = set()
    for request in requests:
        number = id_number_open(bytes(request.id_sealed))
        assert id_number_clean(number) == number and number.startswith("511002")
        assert request.id_masked == id_number_mask(number)
        plain.add(number)
    assert demo_id_number("19580314", 26) in plain
    # Neither the audit trail nor the certificates' text carry a number in clear.
    trail = json.dumps(
        list(AuditRecord.objects.values_list("changes", flat=True)), ensure_ascii=False
    )
    statements = "".join(Certificate.objects.values_list("statement", flat=True))
    for number in plain:
        assert number not in trail and number not in statements
