"""Keeping the inventories (issue 8, requirement 5; DESIGN.md §3.8): signboards, ledger books
(paper or electronic), appraisal campaigns (with 一票否决) and information systems, each allowed
by an admission covering the community or an item of a published list, or else unadmitted; and
their clean-up — removed, merged into another, retired, or a paper ledger turned electronic —
on a date, never deleted. Bad input is reported all at once and changes nothing; each
community's inventories are kept by it, its street and the district's group office alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from jianfu.burden import services
from jianfu.burden.models import EntryKind, EntryStatus, InventoryEntry, LedgerMedium
from jianfu.burden.tests.conftest import (
    ON,
    SINCE,
    XILIN,
    ZHONGGULOU,
    entry,
    region,
)
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.models import AuditRecord
from jianfu.funds.tests.conftest import admission_row
from jianfu.org.models import Unit

# ---------------------------------------------------------------------------------------------
# Recording entries


@pytest.mark.django_db
@pytest.mark.parametrize("kind", EntryKind.values)
def test_a_community_records_an_entry_of_each_kind(personas, community, kind):
    made = entry(personas.community_officer, community, kind)
    assert made.status == EntryStatus.ACTIVE and made.ended_on is None
    assert made.since == SINCE and made.created_by == personas.community_officer
    assert made.unadmitted
    record = AuditRecord.objects.get(action="burden.entry_create")
    assert (record.changes["kind"], record.changes["community"]) == (kind, ZHONGGULOU)


@pytest.mark.django_db
def test_a_ledger_is_recorded_with_its_medium_year_and_books(personas, community):
    made = entry(
        personas.community_officer,
        community,
        EntryKind.LEDGER,
        name="民政类台账",
        quantity="151",
        year=2025,
        department_name="市中区民政局",
    )
    assert (made.medium, made.year, made.quantity, made.books) == (
        LedgerMedium.PAPER,
        2025,
        151,
        151,
    )
    # A department named as a unit of the district is linked to it.
    assert made.department == Unit.objects.get(name="市中区民政局")


@pytest.mark.django_db
def test_a_department_that_is_no_unit_keeps_its_name(personas, community):
    made = entry(
        personas.community_officer, community, EntryKind.SIGNBOARD, department_name="原区文明办"
    )
    assert (made.department, made.department_name) == (None, "原区文明办")


@pytest.mark.django_db
def test_an_entry_allowed_by_an_admission_covering_the_community(personas, community, admitted):
    made = entry(
        personas.community_officer,
        community,
        EntryKind.LEDGER,
        name="高龄津贴台账",
        admission_number=admitted.number,
    )
    assert made.admission == admitted and not made.unadmitted


@pytest.mark.django_db
def test_an_admission_must_cover_the_community(personas, other_community, admitted):
    # 高龄津贴协助 covers 钟鼓楼社区 and 箭道街社区, not 西林社区.
    with pytest.raises(InvalidInput) as refused:
        entry(
            personas.community_officer2,
            other_community,
            EntryKind.LEDGER,
            admission_number=admitted.number,
        )
    assert refused.value.code == "bad_entry"
    assert admitted.number in str(refused.value) and "西林社区" in str(refused.value)
    assert not InventoryEntry.objects.exists()


@pytest.mark.django_db
def test_an_unknown_admission_number_is_refused(personas, community, admitted):
    with pytest.raises(InvalidInput):
        entry(personas.community_officer, community, EntryKind.LEDGER, admission_number="无此编号")
    assert not InventoryEntry.objects.exists()


@pytest.mark.django_db
def test_an_entry_allowed_by_a_published_list_item(personas, community, signboard_list):
    item = signboard_list.versions.get().items.get(name="社区党群服务中心")
    made = entry(
        personas.community_officer,
        community,
        EntryKind.SIGNBOARD,
        name="社区党群服务中心",
        basis_item_key=str(item.key),
    )
    assert (made.basis_list, made.basis_item_key, made.basis_item_name) == (
        signboard_list,
        item.key,
        "社区党群服务中心",
    )
    assert not made.unadmitted


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["not-a-key", "00000000-0000-0000-0000-000000000000"])
def test_a_basis_that_is_no_item_of_a_published_list_is_refused(
    personas, community, signboard_list, key
):
    with pytest.raises(InvalidInput) as refused:
        entry(personas.community_officer, community, EntryKind.SIGNBOARD, basis_item_key=key)
    assert "依据事项" in str(refused.value)
    assert not InventoryEntry.objects.exists()


@pytest.mark.django_db
def test_an_item_of_another_districts_list_is_no_basis(personas, signboard_list):
    item = signboard_list.versions.get().items.first()
    yuanmeng = region("320303003002")
    with pytest.raises(InvalidInput):
        entry(None, yuanmeng, EntryKind.SIGNBOARD, basis_item_key=item.key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "values", "problem"),
    [
        (EntryKind.SIGNBOARD, {"quantity": 2}, "数量"),
        (EntryKind.CAMPAIGN, {"quantity": 3}, "数量"),
        (EntryKind.LEDGER, {"quantity": 0}, "数量"),
        (EntryKind.LEDGER, {"quantity": 10001}, "数量"),
        (EntryKind.LEDGER, {"quantity": "许多"}, "数量"),
        (EntryKind.SIGNBOARD, {"one_vote_veto": True}, "一票否决"),
        (EntryKind.LEDGER, {"one_vote_veto": True}, "一票否决"),
        (EntryKind.SYSTEM, {"one_vote_veto": True}, "一票否决"),
        (EntryKind.LEDGER, {"medium": ""}, "台账形式"),
        (EntryKind.LEDGER, {"medium": "stone"}, "台账形式"),
        (EntryKind.SIGNBOARD, {"medium": LedgerMedium.PAPER}, "只有台账"),
        (EntryKind.CAMPAIGN, {"year": 2025}, "只有台账"),
        (EntryKind.LEDGER, {"year": 1800}, "台账年度"),
        (EntryKind.SYSTEM, {"name": "  "}, "名称"),
        (EntryKind.SYSTEM, {"name": "系" * 201}, "名称"),
        (EntryKind.SIGNBOARD, {"since": None}, "设立日期"),
        (EntryKind.SIGNBOARD, {"since": "2026-03-01"}, "设立日期"),
    ],
)
def test_a_bad_entry_is_refused_and_nothing_is_written(personas, community, kind, values, problem):
    with pytest.raises(InvalidInput) as refused:
        entry(personas.community_officer, community, kind, **values)
    assert refused.value.code == "bad_entry"
    assert problem in str(refused.value)
    assert not InventoryEntry.objects.exists()
    assert not AuditRecord.objects.filter(action="burden.entry_create").exists()


@pytest.mark.django_db
def test_an_entry_cannot_start_in_the_future(personas, community):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        entry(personas.community_officer, community, EntryKind.SIGNBOARD, since=tomorrow)
    assert "晚于今天" in str(refused.value)


@pytest.mark.django_db
def test_every_problem_of_an_entry_is_reported_at_once(personas, community):
    with pytest.raises(InvalidInput) as refused:
        entry(
            personas.community_officer,
            community,
            EntryKind.SIGNBOARD,
            name="",
            quantity=3,
            one_vote_veto=True,
            since=None,
        )
    assert len(refused.value.details) == 4


@pytest.mark.django_db
def test_unknown_kinds_and_fields_are_refused(personas, community):
    with pytest.raises(InvalidInput) as refused:
        services.inventory_entry_create(
            actor=personas.community_officer, community=community, kind="banner", name="x", since=ON
        )
    assert refused.value.code == "bad_kind"
    with pytest.raises(InvalidInput):
        entry(personas.community_officer, community, EntryKind.SIGNBOARD, status="removed")
    assert not InventoryEntry.objects.exists()


@pytest.mark.django_db
def test_inventories_are_kept_per_community_not_per_street(personas):
    with pytest.raises(InvalidInput) as refused:
        entry(None, region("511002001000"), EntryKind.SIGNBOARD)
    assert refused.value.code == "not_a_community"


@pytest.mark.django_db
def test_the_database_refuses_what_the_rules_forbid(personas, community):
    made = entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    for values in (
        {"medium": LedgerMedium.PAPER},
        {"one_vote_veto": True},
        {"quantity": 0},
        {"status": EntryStatus.REMOVED},  # ended without a date
        {"ended_on": ON},  # a date without being ended
        {"status": EntryStatus.REMOVED, "ended_on": SINCE - dt.timedelta(days=1)},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            InventoryEntry.objects.filter(pk=made.pk).update(**values)
    ledger = entry(personas.community_officer, community, EntryKind.LEDGER)
    with pytest.raises(IntegrityError), transaction.atomic():
        InventoryEntry.objects.filter(pk=ledger.pk).update(medium="")


# ---------------------------------------------------------------------------------------------
# Correcting entries


@pytest.mark.django_db
def test_an_active_entry_is_corrected_and_the_change_audited(personas, community, admitted):
    made = entry(personas.community_officer, community, EntryKind.LEDGER, quantity=10)
    services.inventory_entry_update(
        actor=personas.community_officer,
        entry=made,
        quantity=12,
        admission_number=admitted.number,
    )
    made.refresh_from_db()
    assert (made.quantity, made.admission) == (12, admitted)
    record = AuditRecord.objects.get(action="burden.entry_update")
    assert record.changes["quantity"] == [10, 12]
    assert record.changes["admission"] == ["", admitted.number]


@pytest.mark.django_db
def test_a_bad_correction_changes_nothing(personas, community):
    made = entry(personas.community_officer, community, EntryKind.CAMPAIGN, name="文明社区评比")
    with pytest.raises(InvalidInput):
        services.inventory_entry_update(
            actor=personas.community_officer, entry=made, name="新名称", quantity=2
        )
    made.refresh_from_db()
    assert (made.name, made.quantity) == ("文明社区评比", 1)


@pytest.mark.django_db
def test_an_ended_entry_cannot_be_corrected(personas, community):
    made = entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    services.inventory_entry_end(
        actor=personas.community_officer, entry=made, status=EntryStatus.REMOVED, ended_on=ON
    )
    with pytest.raises(Conflict) as conflict:
        services.inventory_entry_update(actor=personas.community_officer, entry=made, name="改")
    assert conflict.value.code == "entry_ended"


# ---------------------------------------------------------------------------------------------
# Clean-up


@pytest.mark.django_db
@pytest.mark.parametrize("status", [EntryStatus.REMOVED, EntryStatus.RETIRED])
def test_an_entry_is_ended_on_a_date_with_a_reason(personas, community, status):
    made = entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    ended = services.inventory_entry_end(
        actor=personas.community_officer,
        entry=made,
        status=status,
        ended_on=ON,
        reason="按准许挂牌清单摘除",
    )
    assert (ended.status, ended.ended_on, ended.end_reason) == (status, ON, "按准许挂牌清单摘除")
    # Never deleted: the inventory of any past day can be counted again.
    assert InventoryEntry.objects.filter(pk=made.pk).exists()
    assert AuditRecord.objects.get(action="burden.entry_end").changes["status"] == status


@pytest.mark.django_db
def test_only_an_active_entry_is_ended(personas, community):
    made = entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    services.inventory_entry_end(
        actor=personas.community_officer, entry=made, status=EntryStatus.REMOVED, ended_on=ON
    )
    with pytest.raises(Conflict) as conflict:
        services.inventory_entry_end(
            actor=personas.community_officer, entry=made, status=EntryStatus.RETIRED, ended_on=ON
        )
    assert conflict.value.code == "entry_ended"
    made.refresh_from_db()
    assert made.status == EntryStatus.REMOVED


@pytest.mark.django_db
@pytest.mark.parametrize("status", [EntryStatus.ACTIVE, "burnt", ""])
def test_ending_needs_a_way_to_end(personas, community, status):
    made = entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    with pytest.raises(InvalidInput) as refused:
        services.inventory_entry_end(
            actor=personas.community_officer, entry=made, status=status, ended_on=ON
        )
    assert refused.value.code == "bad_status"


@pytest.mark.django_db
def test_an_entry_ends_on_a_day_between_its_start_and_today(personas, community):
    made = entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    for day in (SINCE - dt.timedelta(days=1), timezone.localdate() + dt.timedelta(days=1), None):
        with pytest.raises(InvalidInput) as refused:
            services.inventory_entry_end(
                actor=personas.community_officer,
                entry=made,
                status=EntryStatus.REMOVED,
                ended_on=day,
            )
        assert refused.value.code == "bad_date"
    made.refresh_from_db()
    assert made.status == EntryStatus.ACTIVE
    # The day it went up is a valid last day too (a board put up by mistake).
    services.inventory_entry_end(
        actor=personas.community_officer, entry=made, status=EntryStatus.REMOVED, ended_on=SINCE
    )


@pytest.mark.django_db
def test_a_paper_ledger_is_digitised_into_an_electronic_one(personas, community):
    officer = personas.community_officer
    paper = entry(officer, community, EntryKind.LEDGER, name="低保台账", quantity=12)
    electronic = entry(
        officer, community, EntryKind.LEDGER, name="民政电子台账", medium=LedgerMedium.ELECTRONIC
    )
    done = services.inventory_entry_end(
        actor=officer, entry=paper, status=EntryStatus.DIGITISED, ended_on=ON, successor=electronic
    )
    assert (done.status, done.successor) == (EntryStatus.DIGITISED, electronic)
    assert list(electronic.predecessors.all()) == [done]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("what", "code"),
    [
        ("signboard", "not_paper"),
        ("electronic ledger", "not_paper"),
        ("into paper", "bad_successor"),
        ("into nothing", "bad_successor"),
    ],
)
def test_only_a_paper_ledger_is_digitised_and_only_into_an_electronic_one(
    personas, community, what, code
):
    officer = personas.community_officer
    electronic = entry(
        officer, community, EntryKind.LEDGER, name="电子台账", medium=LedgerMedium.ELECTRONIC
    )
    paper = entry(officer, community, EntryKind.LEDGER, name="纸质台账")
    other_paper = entry(officer, community, EntryKind.LEDGER, name="另一本纸质台账")
    subject, successor = {
        "signboard": (entry(officer, community, EntryKind.SIGNBOARD), electronic),
        "electronic ledger": (electronic, entry(
            officer, community, EntryKind.LEDGER, name="电子台账二", medium=LedgerMedium.ELECTRONIC
        )),
        "into paper": (paper, other_paper),
        "into nothing": (paper, None),
    }[what]  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        services.inventory_entry_end(
            actor=officer,
            entry=subject,
            status=EntryStatus.DIGITISED,
            ended_on=ON,
            successor=successor,
        )
    assert refused.value.code == code
    assert not InventoryEntry.objects.exclude(status=EntryStatus.ACTIVE).exists()


@pytest.mark.django_db
def test_an_entry_is_merged_into_an_active_one_of_the_same_kind(personas, community):
    officer = personas.community_officer
    kept = entry(officer, community, EntryKind.CAMPAIGN, name="文明社区创建")
    merged = entry(officer, community, EntryKind.CAMPAIGN, name="卫生社区创建")
    done = services.inventory_entry_end(
        actor=officer, entry=merged, status=EntryStatus.MERGED, ended_on=ON, successor=kept
    )
    assert done.successor == kept
    change = AuditRecord.objects.get(action="burden.entry_end").changes
    assert change["successor"] == kept.pk


@pytest.mark.django_db
@pytest.mark.parametrize("successor", ["none", "itself", "other kind", "other community", "ended"])
def test_merging_needs_an_active_entry_of_the_same_kind_in_the_same_community(
    personas, community, other_community, successor
):
    officer = personas.community_officer
    subject = entry(officer, community, EntryKind.SYSTEM, name="旧系统")
    ended = entry(officer, community, EntryKind.SYSTEM, name="已停用系统")
    services.inventory_entry_end(
        actor=officer, entry=ended, status=EntryStatus.RETIRED, ended_on=ON
    )
    target = {
        "none": None,
        "itself": subject,
        "other kind": entry(officer, community, EntryKind.CAMPAIGN),
        "other community": entry(personas.community_officer2, other_community, EntryKind.SYSTEM),
        "ended": ended,
    }[successor]
    with pytest.raises(InvalidInput) as refused:
        services.inventory_entry_end(
            actor=officer, entry=subject, status=EntryStatus.MERGED, ended_on=ON, successor=target
        )
    assert refused.value.code == "bad_successor"
    subject.refresh_from_db()
    assert subject.status == EntryStatus.ACTIVE


@pytest.mark.django_db
@pytest.mark.parametrize("status", [EntryStatus.REMOVED, EntryStatus.RETIRED])
def test_only_merging_and_digitising_name_a_successor(personas, community, status):
    officer = personas.community_officer
    subject = entry(officer, community, EntryKind.SIGNBOARD, name="甲")
    other = entry(officer, community, EntryKind.SIGNBOARD, name="乙")
    with pytest.raises(InvalidInput) as refused:
        services.inventory_entry_end(
            actor=officer, entry=subject, status=status, ended_on=ON, successor=other
        )
    assert refused.value.code == "bad_successor"


# ---------------------------------------------------------------------------------------------
# Who keeps whose inventories


KEEPERS = ["community_officer", "community_head", "street_officer", "group_secretary"]
OUTSIDERS = ["community_officer2", "street_officer2", "review_officer", "dept_clerk",
             "finance_officer", "auditor", "evaluator", "system_admin"]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("keeper", KEEPERS)
def test_the_community_its_street_and_the_group_office_keep_its_inventories(
    personas, community, keeper
):
    actor = getattr(personas, keeper)
    made = entry(actor, community, EntryKind.SIGNBOARD)
    services.inventory_entry_update(actor=actor, entry=made, name="改名")
    services.inventory_entry_end(actor=actor, entry=made, status=EntryStatus.REMOVED, ended_on=ON)
    made.refresh_from_db()
    assert (made.name, made.status) == ("改名", EntryStatus.REMOVED)


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_nobody_else_keeps_a_communitys_inventories(personas, community, outsider):
    actor = getattr(personas, outsider)
    with pytest.raises(Forbidden):
        entry(actor, community, EntryKind.SIGNBOARD)
    made = entry(personas.community_officer, community, EntryKind.SIGNBOARD, name="原名")
    with pytest.raises(Forbidden):
        services.inventory_entry_update(actor=actor, entry=made, name="改名")
    with pytest.raises(Forbidden):
        services.inventory_entry_end(
            actor=actor, entry=made, status=EntryStatus.REMOVED, ended_on=ON
        )
    with pytest.raises(Forbidden):
        services.entries_create_many(
            actor=actor,
            entries=[
                services.entry_build(
                    community=community,
                    kind=EntryKind.SIGNBOARD,
                    values={"name": "导入", "since": SINCE},
                )
            ],
            source="调查表.xlsx",
        )
    made.refresh_from_db()
    assert (made.name, made.status) == ("原名", EntryStatus.ACTIVE)
    assert InventoryEntry.objects.count() == 1


@pytest.mark.django_db
def test_an_import_is_all_or_nothing_across_communities(personas, community, other_community):
    # 城东街道's officer may keep 钟鼓楼社区's inventories, not 西林社区's.
    entries = [
        services.entry_build(
            community=where, kind=EntryKind.SIGNBOARD, values={"name": "导入", "since": SINCE}
        )
        for where in (community, other_community)
    ]
    with pytest.raises(Forbidden), transaction.atomic():
        services.entries_create_many(actor=personas.street_officer, entries=entries, source="调查")
    assert not InventoryEntry.objects.exists()


@pytest.mark.django_db
def test_an_import_writes_every_entry_and_one_audit_record(personas, community):
    entries = [
        services.entry_build(
            community=community, kind=EntryKind.LEDGER, values={"name": name, "since": SINCE,
                                                                 "medium": "paper", "quantity": n}
        )
        for name, n in (("民政类", 40), ("综治类", 30))
    ]  # fmt: skip
    created = services.entries_create_many(
        actor=personas.street_officer, entries=entries, source="2026年调查表.xlsx"
    )
    assert len(created) == 2
    assert all(e.created_by == personas.street_officer for e in InventoryEntry.objects.all())
    record = AuditRecord.objects.get(action="burden.entries_import")
    assert record.changes == {"source": "2026年调查表.xlsx", "count": 2}


@pytest.mark.django_db
def test_a_street_keeps_the_inventories_of_its_own_communities_only(personas, other_community):
    with pytest.raises(Forbidden):
        entry(personas.street_officer, other_community, EntryKind.SIGNBOARD)
    made = entry(personas.street_officer2, other_community, EntryKind.SIGNBOARD)
    assert made.community_id == XILIN


@pytest.mark.django_db
def test_a_second_admission_in_the_register_does_not_change_the_first_ones_scope(
    personas, community, admitted
):
    # An admission only for 西林社区 is no basis in 钟鼓楼社区, even with the right number.
    xilin_only = admission_row(personas, scope={XILIN: 0}, title="西林社区协助事项")
    with pytest.raises(InvalidInput):
        entry(
            personas.community_officer,
            community,
            EntryKind.LEDGER,
            admission_number=xilin_only.number,
        )
