"""What a community may certify (issue 8, requirement 2): only the types of its district's
published certificate list; every type of a banned list (the national first batch of
民发〔2020〕20号 and any local addition) is refused on the spot with the standard explanation,
and so is a type on neither list. A refused request is kept, so the district sees who keeps
asking; bad input changes nothing; and only the community's own officers take requests."""

from __future__ import annotations

import pytest

from jianfu.catalog.models import CatalogList
from jianfu.catalog.reference import (
    BANNED_CERTIFICATES_CODE,
    BANNED_CERTIFICATES_DOCUMENT,
    banned_certificates,
)
from jianfu.certificates import services
from jianfu.certificates.models import CertificateRequest, RefusalGround, RequestState
from jianfu.certificates.selectors import allowed_items, banned_items, type_match
from jianfu.certificates.tests.conftest import (
    ALLOWED_NAME,
    ID_NUMBER,
    region,
    request_make,
)
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.models import AuditRecord

NATIONAL = banned_certificates()
YUANMENG = "320303003002"  # 圆梦社区, 徐州市云龙区子房街道


def test_the_national_first_batch_has_twenty_certificates():
    assert [seq for seq, _name in NATIONAL] == list(range(1, 21))


def refused_on_the_spot(request: CertificateRequest, ground: str) -> None:
    assert request.pk is not None
    assert request.state == RequestState.REFUSED
    assert request.refusal_ground == ground
    assert request.decided_at == request.received_at
    assert request.refusal_explanation


# ---------------------------------------------------------------------------------------------
# Banned types


@pytest.mark.django_db
@pytest.mark.parametrize(("seq", "name"), NATIONAL, ids=[f"{s:02d}" for s, _n in NATIONAL])
def test_every_national_banned_certificate_is_refused_with_the_standard_explanation(
    personas, community, catalog, seq, name
):
    request = services.certificate_request_create(
        actor=personas.community_officer,
        community=community,
        type_name=name,
        resident_name="王秀英",
        asking_body="某银行营业部",
    )
    refused_on_the_spot(request, RefusalGround.BANNED)
    explanation = request.refusal_explanation
    assert BANNED_CERTIFICATES_DOCUMENT in explanation  # 民发〔2020〕20号
    assert f"“{name}”" in explanation
    assert "不应由社区（居委会、村委会）出具" in explanation
    assert "不得要求社区出具" in explanation
    # Found on the national list, as its item.
    assert request.catalog_list.code == BANNED_CERTIFICATES_CODE
    assert request.item_key == next(i.key for i in banned_items(community) if i.name == name)
    # Refused without an ID number: one is not needed to say no.
    assert request.id_index == "" and request.id_sealed is None
    record = AuditRecord.objects.get(action="certificates.request_create")
    assert record.changes["refusal_ground"] == RefusalGround.BANNED


@pytest.mark.django_db
def test_a_banned_type_picked_by_its_list_item_is_refused(personas, community, catalog):
    item = next(i for i in banned_items(community) if i.name == "无犯罪记录证明")
    request = services.certificate_request_create(
        actor=personas.community_officer, community=community, item_key=item.key
    )
    refused_on_the_spot(request, RefusalGround.BANNED)
    assert request.type_name == "无犯罪记录证明"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("asked", "banned"),
    [
        ("婚姻状况证明（未婚）", "婚姻状况证明"),
        ("开具无犯罪记录证明一份", "无犯罪记录证明"),
        ("婚姻状况 证明", "婚姻状况证明"),
        ("《居民养犬证明》", "居民养犬证明"),
        ("养犬证明", "居民养犬证明"),
        ("本人健在证明（领取养老金）", "健在证明"),
    ],
)
def test_a_banned_name_inside_a_longer_request_is_refused(
    personas, community, catalog, asked, banned
):
    request = services.certificate_request_create(
        actor=personas.community_officer, community=community, type_name=asked
    )
    refused_on_the_spot(request, RefusalGround.BANNED)
    assert request.type_name == asked.strip()
    assert f"所列“{banned}”" in request.refusal_explanation


@pytest.mark.django_db
def test_a_short_fragment_names_no_banned_type(community, catalog):
    # “证明” is inside every banned name, but names none of them.
    assert type_match(community=community, item_key=None, type_name="证明").verdict == "unlisted"


@pytest.mark.django_db
def test_an_id_number_given_with_a_banned_request_is_still_checked_and_kept_sealed(
    personas, community, catalog
):
    request = services.certificate_request_create(
        actor=personas.community_officer,
        community=community,
        type_name="亲属关系证明",
        resident_name="王秀英",
        id_number=ID_NUMBER,
    )
    assert request.id_masked == "511002********1239"
    assert request.id_index
    with pytest.raises(InvalidInput) as refused:
        services.certificate_request_create(
            actor=personas.community_officer,
            community=community,
            type_name="亲属关系证明",
            id_number=ID_NUMBER[:17] + "0",
        )
    assert refused.value.code == "id_number_check"
    assert CertificateRequest.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Types on no list


@pytest.mark.django_db
def test_a_type_on_no_list_is_refused_with_the_list_to_hand(personas, community, catalog):
    request = services.certificate_request_create(
        actor=personas.community_officer, community=community, type_name="居住证明"
    )
    refused_on_the_spot(request, RefusalGround.UNLISTED)
    assert request.catalog_list is None and request.item_key is None
    assert "“居住证明”不在《市中区社区可出具证明事项清单》之内" in request.refusal_explanation
    assert "法律、法规、规章的具体条款" in request.refusal_explanation


@pytest.mark.django_db
def test_a_type_near_but_not_equal_to_a_listed_one_is_unlisted(personas, community, catalog):
    request = services.certificate_request_create(
        actor=personas.community_officer, community=community, type_name=ALLOWED_NAME + "（补开）"
    )
    assert request.refusal_ground == RefusalGround.UNLISTED


@pytest.mark.django_db
def test_an_unknown_list_item_key_is_unlisted(personas, community, catalog):
    request = services.certificate_request_create(
        actor=personas.community_officer,
        community=community,
        item_key="00000000-0000-0000-0000-000000000000",
        type_name="自拟证明",
    )
    assert request.refusal_ground == RefusalGround.UNLISTED
    assert request.type_name == "自拟证明"


@pytest.mark.django_db
def test_an_unknown_list_item_key_without_a_name_asks_for_the_type(personas, community, catalog):
    with pytest.raises(InvalidInput) as refused:
        services.certificate_request_create(
            actor=personas.community_officer,
            community=community,
            item_key="00000000-0000-0000-0000-000000000000",
        )
    assert refused.value.code == "type_missing"
    assert not CertificateRequest.objects.exists()


@pytest.mark.django_db
def test_without_a_published_list_every_type_is_unlisted(personas, community):
    # No demo lists: the district has published no certificate list yet.
    assert allowed_items(community) == []
    request = services.certificate_request_create(
        actor=personas.community_officer, community=community, type_name=ALLOWED_NAME
    )
    assert request.refusal_ground == RefusalGround.UNLISTED
    assert "本区社区可出具证明事项清单" in request.refusal_explanation


# ---------------------------------------------------------------------------------------------
# Allowed types


@pytest.mark.django_db
def test_an_allowed_type_is_taken_with_its_legal_basis(personas, community, allowed_item):
    request = request_make(personas.community_officer, community, allowed_item)
    assert request.state == RequestState.RECEIVED
    assert request.type_name == ALLOWED_NAME
    assert request.catalog_list == allowed_item.version.list
    assert "《不动产登记暂行条例实施细则》" in request.legal_basis
    assert request.id_masked == "511002********1239"
    assert request.refusal_ground == ""


@pytest.mark.django_db
def test_an_allowed_type_typed_by_name_is_found_on_the_list(personas, community, allowed_item):
    request = request_make(
        personas.community_officer, community, None, type_name=f" {ALLOWED_NAME} "
    )
    assert request.state == RequestState.RECEIVED
    assert request.item_key == allowed_item.key


@pytest.mark.django_db
def test_the_allowed_list_is_the_districts_community_level_certificate_list(
    community, other_community, catalog
):
    names = {item.name for item in allowed_items(community)}
    assert ALLOWED_NAME in names
    assert not names & {name for _seq, name in NATIONAL}
    # 西林社区 is in the same district: the same list.
    assert {item.name for item in allowed_items(other_community)} == names


@pytest.mark.django_db
def test_a_community_of_another_district_does_not_get_this_districts_list(catalog):
    # 圆梦社区 is in 徐州市云龙区, which has published no certificate list.
    assert allowed_items(region(YUANMENG)) == []


# ---------------------------------------------------------------------------------------------
# Local banned additions


@pytest.mark.django_db
def test_a_local_banned_addition_wins_over_the_allowed_list(
    personas, community, allowed_item, local_banned_list
):
    assert ALLOWED_NAME not in {item.name for item in allowed_items(community)}
    # Picked by the key of the (still published) certificate list item, it is banned now.
    request = request_make(personas.community_officer, community, allowed_item)
    refused_on_the_spot(request, RefusalGround.BANNED)
    assert request.type_name == ALLOWED_NAME
    assert request.catalog_list == local_banned_list
    assert "《市中区不应由社区出具证明事项补充清单》（市中减负〔2025〕2号）" in (
        request.refusal_explanation
    )
    assert request.id_masked  # the valid ID number given is kept, sealed


@pytest.mark.django_db
def test_a_local_banned_addition_turns_an_unlisted_type_into_a_banned_one(
    personas, community, catalog, local_banned_list
):
    request = services.certificate_request_create(
        actor=personas.community_officer, community=community, type_name="居住证明（租房）"
    )
    refused_on_the_spot(request, RefusalGround.BANNED)


@pytest.mark.django_db
def test_the_national_list_holds_everywhere_local_additions_only_in_their_district(
    community, catalog, local_banned_list
):
    names = {item.name for item in banned_items(community)}
    assert {name for _seq, name in NATIONAL} | {"居住证明", ALLOWED_NAME} == names
    assert {item.name for item in banned_items(region(YUANMENG))} == {n for _s, n in NATIONAL}


@pytest.mark.django_db
def test_a_draft_banned_list_bans_nothing(personas, community, allowed_item):
    from jianfu.catalog import services as catalog_services
    from jianfu.catalog.models import ListKind, ListLevel

    draft_list = catalog_services.list_create(
        actor=personas.review_officer,
        name="市中区补充清单（草稿）",
        kind=ListKind.CERTIFICATE_BANNED,
        level=ListLevel.COMMUNITY,
        region=region("511002000000"),
        code="511002-banned-draft",
        first_label="草稿",
    )
    catalog_services.item_add(
        actor=personas.review_officer,
        version=draft_list.versions.get(),
        values={"name": ALLOWED_NAME},
        reason="拟补充",
    )
    assert ALLOWED_NAME in {item.name for item in allowed_items(community)}
    assert CatalogList.objects.filter(code="511002-banned-draft").exists()


# ---------------------------------------------------------------------------------------------
# Bad input changes nothing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"id_number": ""}, "id_number_missing"),
        ({"id_number": ID_NUMBER[:17] + "0"}, "id_number_check"),
        ({"id_number": "511002800101123"}, "id_number_length"),
        ({"resident_name": " "}, "resident_missing"),
        ({"resident_phone": "call me"}, "bad_phone"),
        ({"resident_name": "王" * 51}, "too_long"),
    ],
)
def test_a_bad_request_for_an_allowed_type_is_refused_and_nothing_is_written(
    personas, community, allowed_item, overrides, code
):
    with pytest.raises(InvalidInput) as refused:
        request_make(personas.community_officer, community, allowed_item, **overrides)
    assert refused.value.code == code
    assert not CertificateRequest.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="certificates.").exists()


@pytest.mark.django_db
def test_a_request_must_name_a_type(personas, community, catalog):
    with pytest.raises(InvalidInput) as refused:
        services.certificate_request_create(
            actor=personas.community_officer, community=community, type_name="  "
        )
    assert refused.value.code == "type_missing"


@pytest.mark.django_db
def test_only_a_community_takes_certificate_requests(personas, catalog):
    with pytest.raises(InvalidInput) as refused:
        services.certificate_request_create(
            actor=None, community=region("511002001000"), type_name="居住证明"
        )
    assert refused.value.code == "not_a_community"
    assert not CertificateRequest.objects.exists()


# ---------------------------------------------------------------------------------------------
# Completing and refusing a taken request


@pytest.mark.django_db
def test_a_waiting_request_can_be_completed_and_the_audit_keeps_only_masked_numbers(
    personas, community, allowed_item
):
    request = request_make(
        personas.community_officer, community, allowed_item, asking_body="", pledged=False
    )
    updated = services.certificate_request_update(
        actor=personas.community_officer,
        request=request,
        id_number="511002199003070026",
        asking_body="市中区不动产登记中心",
        pledged=True,
    )
    assert updated.asking_body == "市中区不动产登记中心" and updated.pledged
    assert updated.id_masked == "511002********0026"
    record = AuditRecord.objects.get(action="certificates.request_update")
    assert record.changes["id_number"] == ["511002********1239", "511002********0026"]
    assert record.changes["asking_body"] == ["", "市中区不动产登记中心"]


@pytest.mark.django_db
def test_a_bad_update_changes_nothing(personas, community, allowed_item):
    request = request_make(personas.community_officer, community, allowed_item)
    for values, code in (
        ({"id_number": ID_NUMBER[:17] + "1", "purpose": "另一用途"}, "id_number_check"),
        ({"resident_name": ""}, "resident_missing"),
        ({"state": "issued"}, "invalid_input"),
    ):
        with pytest.raises(InvalidInput) as refused:
            services.certificate_request_update(
                actor=personas.community_officer, request=request, **values
            )
        assert refused.value.code == code
    stored = CertificateRequest.objects.get(pk=request.pk)
    assert stored.purpose == request.purpose
    assert stored.id_index == request.id_index
    assert stored.resident_name == "王秀英"
    assert stored.state == RequestState.RECEIVED


@pytest.mark.django_db
def test_a_decided_request_cannot_be_changed(personas, community, catalog):
    refused = services.certificate_request_create(
        actor=personas.community_officer, community=community, type_name="出生证明"
    )
    with pytest.raises(Conflict) as conflict:
        services.certificate_request_update(
            actor=personas.community_officer, request=refused, purpose="改"
        )
    assert conflict.value.code == "request_decided"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ground", "sentence"),
    [
        (RefusalGround.NO_LEGAL_BASIS, "具体条款内容"),
        (RefusalGround.ASKERS_OWN_DUTY, "自身职责范围"),
        (RefusalGround.CANNOT_VERIFY, "无法如实掌握"),
        (RefusalGround.MATERIALS_MISSING, "承诺有关证明信息属实"),
    ],
)
def test_a_taken_request_is_refused_on_a_ground_with_its_explanation(
    personas, community, allowed_item, ground, sentence
):
    request = request_make(personas.community_officer, community, allowed_item)
    refused = services.certificate_refuse(
        actor=personas.community_officer, request=request, ground=ground, note="已当面告知。"
    )
    assert refused.state == RequestState.REFUSED
    assert refused.refusal_ground == ground
    assert sentence in refused.refusal_explanation
    assert refused.refusal_explanation.endswith("已当面告知。")
    assert refused.decided_by == personas.community_officer
    assert AuditRecord.objects.get(action="certificates.refuse").changes["ground"] == ground


@pytest.mark.django_db
@pytest.mark.parametrize("ground", [RefusalGround.BANNED, RefusalGround.UNLISTED, "", "whim"])
def test_banned_and_unlisted_are_for_the_lists_to_decide_not_the_officer(
    personas, community, allowed_item, ground
):
    request = request_make(personas.community_officer, community, allowed_item)
    with pytest.raises(InvalidInput) as refused:
        services.certificate_refuse(
            actor=personas.community_officer, request=request, ground=ground
        )
    assert refused.value.code == "bad_ground"
    assert CertificateRequest.objects.get(pk=request.pk).state == RequestState.RECEIVED


@pytest.mark.django_db
def test_refusing_on_other_grounds_needs_a_note(personas, community, allowed_item):
    request = request_make(personas.community_officer, community, allowed_item)
    with pytest.raises(InvalidInput) as refused:
        services.certificate_refuse(
            actor=personas.community_officer, request=request, ground=RefusalGround.OTHER
        )
    assert refused.value.code == "note_missing"
    done = services.certificate_refuse(
        actor=personas.community_officer,
        request=request,
        ground=RefusalGround.OTHER,
        note="申请人自行撤回申请。",
    )
    assert done.refusal_explanation.endswith("申请人自行撤回申请。")


@pytest.mark.django_db
def test_a_request_is_refused_only_once(personas, community, allowed_item):
    request = request_make(personas.community_officer, community, allowed_item)
    services.certificate_refuse(
        actor=personas.community_officer, request=request, ground=RefusalGround.CANNOT_VERIFY
    )
    with pytest.raises(Conflict) as conflict:
        services.certificate_refuse(
            actor=personas.community_officer, request=request, ground=RefusalGround.CANNOT_VERIFY
        )
    assert conflict.value.code == "request_decided"


@pytest.mark.django_db
def test_the_database_refuses_a_refusal_without_a_ground(personas, community, allowed_item):
    from django.db import IntegrityError, transaction

    request = request_make(personas.community_officer, community, allowed_item)
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateRequest.objects.filter(pk=request.pk).update(state=RequestState.REFUSED)


# ---------------------------------------------------------------------------------------------
# Who takes requests


OUTSIDERS = ["community_officer2", "street_officer", "street_officer2", "group_secretary",
             "dept_clerk", "auditor", "system_admin"]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_only_the_communitys_own_officers_take_its_requests(
    personas, community, allowed_item, outsider
):
    with pytest.raises(Forbidden):
        request_make(getattr(personas, outsider), community, allowed_item)
    # Not even a banned type: saying no is the community's to say, too.
    with pytest.raises(Forbidden):
        services.certificate_request_create(
            actor=getattr(personas, outsider), community=community, type_name="出生证明"
        )
    assert not CertificateRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_only_the_communitys_own_officers_complete_or_refuse_its_requests(
    personas, community, allowed_item, outsider
):
    request = request_make(personas.community_officer, community, allowed_item)
    actor = getattr(personas, outsider)
    with pytest.raises(Forbidden):
        services.certificate_request_update(actor=actor, request=request, purpose="改")
    with pytest.raises(Forbidden):
        services.certificate_refuse(
            actor=actor, request=request, ground=RefusalGround.CANNOT_VERIFY
        )
    stored = CertificateRequest.objects.get(pk=request.pk)
    assert stored.state == RequestState.RECEIVED and stored.purpose == request.purpose


@pytest.mark.django_db
def test_the_community_head_takes_requests_too(personas, community, allowed_item):
    request = request_make(personas.community_head, community, allowed_item)
    assert request.received_by == personas.community_head
