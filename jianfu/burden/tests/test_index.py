"""The burden index (issue 8, requirements 5 and 6): what a community carries on a day, counted
from its inventories, its duties and the admissions in force there; against the district's cap
on signboards; the reduction from its baseline in percent (seed 002: 242 → 95 tasks is 60.7 %);
a street's or district's totals comparing only communities that have a baseline; and the
snapshots that freeze the figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from jianfu.admission.models import AdmissionScope, AdmissionState, CommunityCapacity
from jianfu.burden import services
from jianfu.burden.index import (
    FIGURE_FIELDS,
    REDUCIBLE,
    Figures,
    aggregate,
    baselines_of,
    burden_figures,
    compare,
    figures_of,
    reduction_percent,
)
from jianfu.burden.models import (
    BurdenSnapshot,
    EntryKind,
    EntryStatus,
    LedgerMedium,
    SnapshotSource,
)
from jianfu.burden.tests.conftest import (
    CHENGDONG,
    DISTRICT,
    GUIHUJIE,
    HOURS,
    JIANDAOJIE,
    ON,
    SINCE,
    XILIN,
    ZHONGGULOU,
    entry,
    region,
)
from jianfu.core.errors import Forbidden, InvalidInput
from jianfu.core.models import AuditRecord
from jianfu.funds.tests.conftest import admission_row, transfer
from jianfu.org.roles import Role

DAY_BEFORE = ON - dt.timedelta(days=1)
DAY_AFTER = ON + dt.timedelta(days=1)


def figures_on(community, day=ON) -> Figures:
    return burden_figures([community], on=day)[community.code]


# ---------------------------------------------------------------------------------------------
# Arithmetic


@pytest.mark.parametrize(
    ("baseline", "current", "percent"),
    [
        pytest.param(242, 95, 60.7, id="seed_002_tasks"),
        pytest.param(46, 4, 91.3, id="seed_002_yuanmeng_signboards"),
        pytest.param(151, 42, 72.2, id="seed_002_yuanmeng_ledgers"),
        pytest.param(10, 10, 0.0, id="unchanged"),
        pytest.param(10, 0, 100.0, id="all_gone"),
        pytest.param(10, 12, -20.0, id="grown"),
        pytest.param(3, 9, -200.0, id="tripled"),
        # Exactly half a tenth of a percent rounds up (half away from zero when negative),
        # where binary floating point would round some of these down.
        pytest.param(2000, 1999, 0.1, id="0.05_up"),
        pytest.param(2000, 1997, 0.2, id="0.15_up"),
        pytest.param(16, 15, 6.3, id="6.25_up"),
        pytest.param(16, 13, 18.8, id="18.75_up"),
        pytest.param(2000, 1711, 14.5, id="14.45_up"),
        pytest.param(2000, 2001, -0.1, id="minus_0.05_away"),
        pytest.param(16, 17, -6.3, id="minus_6.25_away"),
        pytest.param(3, 2, 33.3, id="one_third_down"),
        pytest.param(3, 1, 66.7, id="two_thirds_up"),
    ],
)
def test_reduction_percent_is_rounded_half_up_to_a_tenth(baseline, current, percent):
    assert reduction_percent(baseline, current) == percent


@pytest.mark.parametrize("current", [0, 5])
def test_without_a_baseline_there_is_no_reduction(current):
    assert reduction_percent(0, current) is None
    assert reduction_percent(None, current) is None


def test_compare_gives_each_reducible_figure_with_its_reduction():
    now = Figures(tasks=95, signboards=4, ledger_books=42, campaigns=7)
    before = Figures(tasks=242, signboards=46, ledger_books=151, campaigns=30)
    rows = {row.name: row for row in compare(now, before)}
    assert list(rows) == list(REDUCIBLE)
    assert (rows["tasks"].baseline, rows["tasks"].current, rows["tasks"].reduction) == (
        242,
        95,
        60.7,
    )
    assert rows["campaigns"].reduction == 76.7
    # Nothing at the baseline: nothing to reduce from.
    assert rows["systems"].reduction is None
    assert all(row.baseline is None and row.reduction is None for row in compare(now, None))


def test_over_cap_counts_the_signboards_beyond_the_cap():
    assert Figures(signboards=5).over_cap == 1  # the default cap, 4
    assert Figures(signboards=4).over_cap == 0
    assert Figures(signboards=5, signboard_cap=3).over_cap == 2
    assert Figures(signboards=0, signboard_cap=3).over_cap == 0


def test_hours_per_worker():
    assert Figures(hours=1000, workers=8).hours_per_worker == 125.0
    assert Figures(hours=1000, workers=3).hours_per_worker == 333.3
    assert Figures(hours=1000, workers=0).hours_per_worker is None


# ---------------------------------------------------------------------------------------------
# Counting the inventories on a day


@pytest.mark.django_db
def test_a_signboard_counts_from_the_day_it_went_up_until_the_day_it_came_down(personas, community):
    officer = personas.community_officer
    entry(officer, community, EntryKind.SIGNBOARD, name="一直挂着")
    later = DAY_AFTER + dt.timedelta(days=1)
    entry(officer, community, EntryKind.SIGNBOARD, name="挂得晚", since=later)
    entry(officer, community, EntryKind.SIGNBOARD, name="当天挂上", since=ON)
    removed_on_the_day = entry(officer, community, EntryKind.SIGNBOARD, name="当天摘除")
    removed_next_day = entry(officer, community, EntryKind.SIGNBOARD, name="次日摘除")
    services.inventory_entry_end(
        actor=officer, entry=removed_on_the_day, status=EntryStatus.REMOVED, ended_on=ON
    )
    services.inventory_entry_end(
        actor=officer, entry=removed_next_day, status=EntryStatus.REMOVED, ended_on=DAY_AFTER
    )
    # 一直挂着, 当天摘除, 次日摘除.
    assert figures_on(community, DAY_BEFORE).signboards == 3
    # 一直挂着, 当天挂上, 次日摘除: an entry ended on a day no longer counts that day.
    assert figures_on(community, ON).signboards == 3
    # 一直挂着, 当天挂上.
    assert figures_on(community, DAY_AFTER).signboards == 2
    # 一直挂着, 当天挂上, 挂得晚.
    assert figures_on(community, later).signboards == 3
    assert figures_on(community, SINCE - dt.timedelta(days=1)).signboards == 0


@pytest.mark.django_db
def test_paper_ledger_books_are_summed_and_electronic_ledgers_counted(personas, community):
    officer = personas.community_officer
    entry(officer, community, EntryKind.LEDGER, name="民政类台账", quantity=151)
    entry(officer, community, EntryKind.LEDGER, name="综治类台账", quantity=17)
    old = entry(officer, community, EntryKind.LEDGER, name="计生台账", quantity=20)
    electronic = entry(
        officer,
        community,
        EntryKind.LEDGER,
        name="社区电子台账系统（民政）",
        medium=LedgerMedium.ELECTRONIC,
        quantity=5,
    )
    services.inventory_entry_end(
        actor=officer, entry=old, status=EntryStatus.DIGITISED, ended_on=ON, successor=electronic
    )
    before, after = figures_on(community, DAY_BEFORE), figures_on(community, ON)
    assert (before.ledger_books, before.electronic_ledgers) == (188, 1)
    # A digitised paper ledger is gone from its end date on; the electronic one counts once.
    assert (after.ledger_books, after.electronic_ledgers) == (168, 1)


@pytest.mark.django_db
def test_campaigns_and_their_one_vote_vetoes_are_counted(personas, community):
    officer = personas.community_officer
    entry(officer, community, EntryKind.CAMPAIGN, name="文明社区评比")
    entry(officer, community, EntryKind.CAMPAIGN, name="安全社区创建", one_vote_veto=True)
    abolished = entry(officer, community, EntryKind.CAMPAIGN, name="综治考核", one_vote_veto=True)
    services.inventory_entry_end(
        actor=officer, entry=abolished, status=EntryStatus.RETIRED, ended_on=ON, reason="取消"
    )
    before, after = figures_on(community, DAY_BEFORE), figures_on(community, ON)
    assert (before.campaigns, before.one_vote_veto) == (3, 2)
    assert (after.campaigns, after.one_vote_veto) == (2, 1)


@pytest.mark.django_db
def test_information_systems_are_counted(personas, community):
    officer = personas.community_officer
    for name in ("网格化管理系统", "民政业务系统", "社保信息系统"):
        entry(officer, community, EntryKind.SYSTEM, name=name)
    merged_into = entry(officer, community, EntryKind.SYSTEM, name="一表通")
    old = entry(officer, community, EntryKind.SYSTEM, name="人口信息采集系统")
    services.inventory_entry_end(
        actor=officer, entry=old, status=EntryStatus.MERGED, ended_on=ON, successor=merged_into
    )
    assert figures_on(community, DAY_BEFORE).systems == 5
    assert figures_on(community, ON).systems == 4


@pytest.mark.django_db
def test_unadmitted_means_neither_an_admission_nor_a_list_item(
    personas, community, admitted, signboard_list
):
    officer = personas.community_officer
    item = signboard_list.versions.get().items.get(name="社区居民委员会")
    entry(officer, community, EntryKind.SIGNBOARD, name="社区居民委员会", basis_item_key=item.key)
    entry(
        officer, community, EntryKind.LEDGER, name="高龄津贴台账", admission_number=admitted.number
    )
    entry(officer, community, EntryKind.SIGNBOARD, name="平安社区示范点")
    entry(officer, community, EntryKind.CAMPAIGN, name="卫生城市评比")
    ended = entry(officer, community, EntryKind.SYSTEM, name="旧系统")
    services.inventory_entry_end(
        actor=officer, entry=ended, status=EntryStatus.RETIRED, ended_on=ON
    )
    assert figures_on(community, DAY_BEFORE).unadmitted == 3
    assert figures_on(community, ON).unadmitted == 2


@pytest.mark.django_db
def test_each_community_counts_only_its_own_entries(personas, community, other_community):
    entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    entry(personas.community_officer2, other_community, EntryKind.SIGNBOARD)
    entry(personas.community_officer2, other_community, EntryKind.SIGNBOARD, name="第二块")
    figures = burden_figures([community, other_community, region(GUIHUJIE)], on=ON)
    assert [figures[c].signboards for c in (ZHONGGULOU, XILIN, GUIHUJIE)] == [1, 2, 0]


@pytest.mark.django_db
def test_no_communities_no_figures():
    assert burden_figures([], on=ON) == {}


# ---------------------------------------------------------------------------------------------
# Tasks, hours, funds


@pytest.mark.django_db
def test_tasks_are_the_duty_items_and_the_admitted_work_in_force(
    personas, community, other_community, duty_list, admitted
):
    figures = burden_figures([community, other_community], on=ON)
    mine, theirs = figures[ZHONGGULOU], figures[XILIN]
    # Three duties: the heading 社区建设 is not a task of its own, its two items are.
    assert (mine.duties, mine.admitted, mine.tasks) == (3, 1, 4)
    assert (theirs.duties, theirs.admitted, theirs.tasks) == (3, 0, 3)


@pytest.mark.django_db
def test_only_published_community_duty_lists_of_the_district_count(personas, community, duty_list):
    from jianfu.burden.tests.conftest import list_publish
    from jianfu.catalog import services as catalog_services
    from jianfu.catalog.models import ListKind, ListLevel

    # A draft, a street's list, a list of the district's departments: none are the community's.
    draft = catalog_services.list_create(
        actor=personas.review_officer,
        name="市中区社区职责清单（2027草案）",
        kind=ListKind.DUTY,
        level=ListLevel.COMMUNITY,
        region=region(DISTRICT),
        code="511002-duty-2027",
        first_label="2027版",
    )
    catalog_services.item_add(
        actor=personas.review_officer,
        version=draft.versions.get(),
        values={"name": "草案中的职责"},
        reason="拟增",
    )
    list_publish(
        personas.review_officer,
        name="市中区街道职责清单",
        kind=ListKind.DUTY,
        code="511002-duty-street",
        items=["街道职责一", "街道职责二"],
        level=ListLevel.STREET,
    )
    assert figures_on(community).duties == 3


@pytest.mark.django_db
def test_admitted_work_counts_only_while_in_force_there(personas, community, admitted):
    scope = AdmissionScope.objects.get(admission=admitted, region_id=ZHONGGULOU)
    scope.revoked_on = ON
    scope.save(update_fields=["revoked_on"])
    # Revoked in 钟鼓楼社区 from ON: counted the day before, not from that day; 箭道街 keeps it.
    assert figures_on(community, DAY_BEFORE).admitted == 1
    assert figures_on(community, ON).admitted == 0
    assert figures_on(region(JIANDAOJIE), ON).admitted == 1
    # Outside its term (2026), it is not in force at all.
    assert figures_on(region(JIANDAOJIE), dt.date(2025, 12, 31)).admitted == 0


@pytest.mark.django_db
@pytest.mark.parametrize("state", [AdmissionState.SUSPENDED, AdmissionState.REVOKED])
def test_admitted_work_that_is_not_active_does_not_count(personas, community, admitted, state):
    admitted.state = state
    admitted.save(update_fields=["state"])
    figures = figures_on(community)
    assert (figures.admitted, figures.hours, figures.funds_committed_fen) == (0, 0, 0)


@pytest.mark.django_db
def test_hours_are_the_admissions_hours_per_community_rounded_half_up(
    personas, community, admitted
):
    assert figures_on(community).hours == HOURS
    second = admission_row(personas, scope={ZHONGGULOU: 0}, title="低保入户核查")
    second.hours_per_community = 44.5
    second.save(update_fields=["hours_per_community"])
    # 60 + 44.5 = 104.5 hours: 105, not the 104 of rounding half to even.
    assert figures_on(community).hours == 105
    assert figures_on(region(JIANDAOJIE)).hours == HOURS


@pytest.mark.django_db
def test_funds_committed_and_transferred_come_from_the_admissions_and_the_ledger(
    personas, community, admitted, budget
):
    transfer(personas, budget, admitted, [(ZHONGGULOU, 250_000), (JIANDAOJIE, 200_000)])
    mine, theirs = (figures_on(community), figures_on(region(JIANDAOJIE)))
    # In force all of 2026: the whole year's funding is committed.
    assert (mine.funds_committed_fen, mine.funds_transferred_fen) == (1_000_000, 250_000)
    assert (theirs.funds_committed_fen, theirs.funds_transferred_fen) == (800_000, 200_000)
    assert figures_on(region(XILIN)).funds_committed_fen == 0


@pytest.mark.django_db
def test_workers_come_from_the_communitys_capacity(personas, community):
    CommunityCapacity.objects.create(community=community, workers=9)
    assert figures_on(community).workers == 9
    assert figures_on(region(XILIN)).workers == 0


# ---------------------------------------------------------------------------------------------
# The cap


@pytest.mark.django_db
def test_the_signboard_cap_is_four_unless_the_district_sets_another(personas, community):
    for n in range(5):
        entry(personas.community_officer, community, EntryKind.SIGNBOARD, name=f"牌子{n}")
    figures = figures_on(community)
    assert (figures.signboards, figures.signboard_cap, figures.over_cap) == (5, 4, 1)
    # Seed 004 allows three.
    services.burden_settings_update(
        actor=personas.group_secretary, district=region(DISTRICT), signboard_cap=3, campaign_cap=7
    )
    figures = figures_on(community)
    assert (figures.signboard_cap, figures.over_cap) == (3, 2)
    services.burden_settings_update(
        actor=personas.group_secretary,
        district=region(DISTRICT),
        signboard_cap=5,
        campaign_cap=None,
    )
    assert figures_on(community).over_cap == 0


@pytest.mark.django_db
def test_a_districts_cap_applies_to_its_own_communities_only(personas, community):
    services.burden_settings_update(
        actor=None, district=region("320303000000"), signboard_cap=2, campaign_cap=None
    )
    assert figures_on(community).signboard_cap == 4
    assert figures_on(region("320303003002")).signboard_cap == 2


@pytest.mark.django_db
def test_cap_settings_are_audited_and_bad_caps_change_nothing(personas):
    district = region(DISTRICT)
    services.burden_settings_update(
        actor=personas.group_secretary, district=district, signboard_cap=3, campaign_cap=None
    )
    record = AuditRecord.objects.get(action="burden.settings_update")
    assert record.changes["after"]["signboard_cap"] == 3
    for cap, where in ((101, district), (-1, district), (3, region(CHENGDONG))):
        with pytest.raises(InvalidInput):
            services.burden_settings_update(
                actor=personas.group_secretary, district=where, signboard_cap=cap, campaign_cap=None
            )
    assert services.settings_for(district).signboard_cap == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "outsider", ["community_officer", "street_officer", "review_officer", "dept_clerk", "auditor"]
)
def test_only_the_districts_group_office_sets_the_caps(personas, outsider):
    with pytest.raises(Forbidden):
        services.burden_settings_update(
            actor=getattr(personas, outsider),
            district=region(DISTRICT),
            signboard_cap=2,
            campaign_cap=None,
        )
    assert services.settings_for(region(DISTRICT)).signboard_cap == 4


# ---------------------------------------------------------------------------------------------
# Aggregates


def snapshot(code: str, **figures) -> BurdenSnapshot:
    return BurdenSnapshot(community_id=code, taken_on=ON, label="基线", is_baseline=True, **figures)


def test_an_aggregate_compares_only_the_communities_that_have_a_baseline():
    figures = {
        "a": Figures(tasks=95, signboards=4),
        "b": Figures(tasks=50, signboards=3),
        "c": Figures(tasks=70, signboards=6),
    }
    baselines = {"a": snapshot("a", tasks=242, signboards=46), "b": snapshot("b", tasks=60)}
    total, base_total, comparable = aggregate(figures, baselines)
    assert (total.tasks, total.signboards) == (215, 13)
    assert (base_total.tasks, base_total.signboards) == (302, 46)
    # 西林-like "c" has no baseline: it is in the total, not in the comparison.
    assert (comparable.tasks, comparable.signboards) == (145, 7)
    assert reduction_percent(base_total.tasks, comparable.tasks) == 52.0


def test_an_aggregate_without_baselines_has_nothing_to_compare():
    total, base_total, comparable = aggregate({"a": Figures(tasks=5)}, {})
    assert total.tasks == 5
    assert base_total is None
    assert comparable.tasks == 0


def test_a_snapshot_holds_every_figure():
    frozen = snapshot("a", **{name: i + 1 for i, name in enumerate(FIGURE_FIELDS)})
    assert figures_of(frozen).as_dict() == {name: i + 1 for i, name in enumerate(FIGURE_FIELDS)}


@pytest.mark.django_db
def test_the_figures_of_many_communities_take_as_many_queries_as_of_one(
    personas, community, duty_list, admitted, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jianfu.org.models import Region, RegionLevel

    entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    with CaptureQueriesContext(connection) as one:
        burden_figures([community], on=ON)
    many = list(
        Region.objects.filter(
            level=RegionLevel.COMMUNITY, code__startswith="511002"
        ).select_related("parent")
    )
    assert len(many) == 4
    with django_assert_max_num_queries(len(one)):
        burden_figures(many, on=ON)


# ---------------------------------------------------------------------------------------------
# Snapshots


@pytest.mark.django_db
def test_a_snapshot_freezes_each_communitys_figures(personas, community, duty_list, admitted):
    entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    entry(personas.community_officer, community, EntryKind.LEDGER, quantity=30)
    taken = services.burden_snapshot_take(
        actor=personas.group_secretary, region=region(CHENGDONG), label="2026年中", on=ON
    )
    assert sorted(s.community_id for s in taken) == [ZHONGGULOU, JIANDAOJIE]
    frozen = BurdenSnapshot.objects.get(community=community)
    assert figures_of(frozen) == figures_on(community)
    assert (frozen.signboards, frozen.ledger_books, frozen.tasks) == (1, 30, 4)
    assert (frozen.source, frozen.is_baseline, frozen.taken_by) == (
        SnapshotSource.COMPUTED,
        False,
        personas.group_secretary,
    )
    assert AuditRecord.objects.get(action="burden.snapshot_take").changes["communities"] == 2


@pytest.mark.django_db
def test_a_district_snapshot_covers_all_its_communities(personas):
    services.burden_snapshot_take(
        actor=personas.group_secretary, region=region(DISTRICT), label="x"
    )
    assert BurdenSnapshot.objects.filter(community_id__in=[ZHONGGULOU, XILIN]).count() == 2
    assert BurdenSnapshot.objects.count() == 4


@pytest.mark.django_db
def test_a_second_snapshot_of_the_day_replaces_the_first(personas, community):
    services.burden_snapshot_take(actor=None, region=community, label="上午", on=ON)
    entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    services.burden_snapshot_take(actor=None, region=community, label="下午", on=ON)
    frozen = BurdenSnapshot.objects.get(community=community)
    assert (frozen.label, frozen.signboards) == ("下午", 1)


@pytest.mark.django_db
def test_a_new_baseline_replaces_the_old_one(personas, community):
    services.burden_snapshot_take(
        actor=None, region=community, label="旧基线", baseline=True, on=DAY_BEFORE
    )
    entry(personas.community_officer, community, EntryKind.SIGNBOARD)
    services.burden_snapshot_take(
        actor=None, region=community, label="新基线", baseline=True, on=ON
    )
    baseline = baselines_of([ZHONGGULOU])[ZHONGGULOU]
    assert (baseline.label, baseline.signboards) == ("新基线", 1)
    # The old one is kept, as an ordinary snapshot.
    assert BurdenSnapshot.objects.filter(community=community).count() == 2


@pytest.mark.django_db
def test_the_database_keeps_one_baseline_per_community(personas, community):
    services.burden_snapshot_take(actor=None, region=community, label="基线", baseline=True, on=ON)
    with pytest.raises(IntegrityError), transaction.atomic():
        BurdenSnapshot.objects.create(
            community=community, taken_on=DAY_BEFORE, label="第二基线", is_baseline=True
        )


@pytest.mark.django_db
def test_a_survey_baseline_replaces_a_computed_one_and_measures_the_reduction(personas, community):
    services.burden_snapshot_take(actor=None, region=community, label="基线", baseline=True, on=ON)
    survey = services.burden_baseline_record(
        actor=personas.group_secretary,
        community=community,
        taken_on=dt.date(2019, 12, 31),
        label="2019年减负前调查",
        figures={"tasks": 242, "signboards": 46, "ledger_books": 151, "campaigns": 30},
    )
    assert (survey.source, survey.is_baseline) == (SnapshotSource.SURVEY, True)
    assert baselines_of([ZHONGGULOU])[ZHONGGULOU] == survey
    assert BurdenSnapshot.objects.filter(community=community, is_baseline=True).count() == 1
    now = Figures(tasks=95, signboards=4, ledger_books=42, campaigns=7)
    rows = {row.name: row.reduction for row in compare(now, figures_of(survey))}
    assert (rows["tasks"], rows["signboards"], rows["ledger_books"]) == (60.7, 91.3, 72.2)
    record = AuditRecord.objects.get(action="burden.baseline_record")
    assert record.changes["tasks"] == 242


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("figures", "taken_on", "code"),
    [
        ({"tasks": 242, "happiness": 3}, dt.date(2019, 12, 31), "bad_figure"),
        ({"tasks": -1}, dt.date(2019, 12, 31), "bad_figure"),
        ({"tasks": "很多"}, dt.date(2019, 12, 31), "bad_figure"),
        ({"tasks": 242}, dt.date(2099, 1, 1), "bad_date"),
    ],
)
def test_a_bad_survey_baseline_changes_nothing(personas, community, figures, taken_on, code):
    services.burden_snapshot_take(actor=None, region=community, label="基线", baseline=True, on=ON)
    with pytest.raises(InvalidInput) as refused:
        services.burden_baseline_record(
            actor=personas.group_secretary,
            community=community,
            taken_on=taken_on,
            label="调查",
            figures=figures,
        )
    assert refused.value.code == code
    assert baselines_of([ZHONGGULOU])[ZHONGGULOU].label == "基线"
    assert BurdenSnapshot.objects.count() == 1


@pytest.mark.django_db
def test_a_snapshot_needs_a_label(personas, community):
    with pytest.raises(InvalidInput) as refused:
        services.burden_snapshot_take(actor=personas.group_secretary, region=community, label=" ")
    assert refused.value.code == "label_missing"
    assert not BurdenSnapshot.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "outsider",
    ["community_officer", "street_officer", "review_officer", "dept_clerk", "auditor",
     "yunlong_group"],
)  # fmt: skip
def test_only_the_districts_group_office_takes_snapshots_and_records_baselines(
    personas, community, outsider
):
    from jianfu.funds.tests.conftest import person

    actor = (
        person("yunlong_group", "云龙区社区减负工作领导小组办公室", Role.GROUP_SECRETARY)
        if outsider == "yunlong_group"
        else getattr(personas, outsider)
    )
    for where in (community, region(CHENGDONG), region(DISTRICT)):
        with pytest.raises(Forbidden):
            services.burden_snapshot_take(actor=actor, region=where, label="快照")
    with pytest.raises(Forbidden):
        services.burden_baseline_record(
            actor=actor, community=community, taken_on=ON, label="调查", figures={"tasks": 1}
        )
    assert not BurdenSnapshot.objects.exists()
