"""The demo inventories: `jianfu demo` leaves seed 002's pilots of 云龙区 with their 2015 survey
as the baseline and the 2016 clean-up in the inventory (圆梦社区 46 → 4 signboards, 242 → 95
tasks), and 市中区's communities with an over-cap signboard, an unadmitted ledger and a
一票否决 campaign to flag."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from jianfu.admission.models import Admission, AdmissionState
from jianfu.burden.demo import (
    BASELINE_DAY,
    GUIHUJIE,
    JIANDAOJIE,
    ONE_VOTE_VETO,
    PILOTS,
    SHIZHONG,
    SHIZHONG_BASELINES,
    SURVEY,
    TASKS_AFTER,
    TASKS_BEFORE,
    XILIN,
    YUNLONG,
    ZHONGGULOU,
)
from jianfu.burden.index import baselines_of, burden_figures, figures_of, reduction_percent
from jianfu.burden.models import (
    BurdenSettings,
    BurdenSnapshot,
    EntryKind,
    EntryStatus,
    InventoryEntry,
    SnapshotSource,
)
from jianfu.catalog.models import Item, ListKind, VersionStatus
from jianfu.core.models import AuditRecord
from jianfu.org.models import Region

PASSWORD = "Demo-Pass-2026x"


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", password=PASSWORD, stdout=out)
    return out.getvalue()


def communities(*codes: str) -> list[Region]:
    return list(Region.objects.filter(code__in=codes).order_by("code"))


@pytest.mark.django_db
def test_demo_pilots_shed_what_seed_002_counted(demo):
    codes = [pilot.code for pilot in PILOTS]
    now = burden_figures(communities(*codes), on=timezone.localdate())
    then = burden_figures(communities(*codes), on=BASELINE_DAY)
    baselines = baselines_of(codes)
    assert BurdenSettings.objects.get(district_id=YUNLONG).signboard_cap == 4
    for pilot in PILOTS:
        baseline = baselines[pilot.code]
        assert (baseline.taken_on, baseline.label) == (BASELINE_DAY, SURVEY)
        assert baseline.source == SnapshotSource.SURVEY and baseline.taken_by.username == (
            "yl_secretary"
        )
        surveyed = figures_of(baseline)
        assert (surveyed.tasks, surveyed.signboards, surveyed.ledger_books) == (
            TASKS_BEFORE,
            pilot.signboards,
            pilot.ledger_books,
        )
        assert surveyed.campaigns > 30 and surveyed.one_vote_veto == ONE_VOTE_VETO > 0
        assert surveyed.systems == 4
        # The inventory, counted on the survey's day, says what the survey said.
        counted = then[pilot.code]
        for name in ("signboards", "ledger_books", "campaigns", "one_vote_veto", "systems"):
            assert getattr(counted, name) == getattr(surveyed, name), (pilot.name, name)
        # And now: "委、居、站、办", seven campaigns without 一票否决, 30 duties and 65 admissions.
        current = now[pilot.code]
        assert (current.signboards, current.over_cap, current.campaigns) == (4, 0, 7)
        assert (current.one_vote_veto, current.systems) == (0, 1)
        assert (current.duties, current.admitted, current.tasks) == (30, 65, TASKS_AFTER)
        assert current.electronic_ledgers == 6 and current.ledger_books < 5
        # The one entry still flagged: the district's own platform, which no admission allows.
        assert current.unadmitted == 1 and surveyed.unadmitted > 50
    # Seed 002's figures for 圆梦社区, with the reductions the index reports.
    yuanmeng = next(p for p in PILOTS if p.name == "圆梦社区")
    assert (yuanmeng.signboards, yuanmeng.ledger_books) == (46, 151)
    assert (now[yuanmeng.code].signboards, now[yuanmeng.code].tasks) == (4, 95)
    assert reduction_percent(46, 4) == 91.3 and reduction_percent(242, 95) == 60.7
    assert {(p.name, p.signboards, p.ledger_books) for p in PILOTS if p.in_seed} == {
        ("圆梦社区", 46, 151),
        ("晓光社区", 31, 168),
        ("民安社区", 10, 141),
    }


@pytest.mark.django_db
def test_demo_clean_up_ends_entries_on_their_day_and_deletes_none(demo):
    yuanmeng = next(p for p in PILOTS if p.name == "圆梦社区")
    entries = InventoryEntry.objects.filter(community_id=yuanmeng.code)
    boards = entries.filter(kind=EntryKind.SIGNBOARD)
    assert boards.count() == 46
    kept = boards.filter(status=EntryStatus.ACTIVE)
    assert set(kept.values_list("name", flat=True)) == {
        "社区党支部",
        "社区居民委员会",
        "社区综合服务中心",
        "社区综治办",
    }
    # Each of the four rests on the district's signboard list; the others came down in 2016.
    listed = Item.objects.filter(
        version__status=VersionStatus.PUBLISHED,
        version__list__region_id=YUNLONG,
        version__list__kind=ListKind.SIGNBOARD,
    )
    assert {e.basis_item_key for e in kept} == set(listed.values_list("key", flat=True))
    for entry in boards.exclude(status=EntryStatus.ACTIVE):
        assert entry.status == EntryStatus.REMOVED and entry.ended_on.year == 2016
    # Paper ledgers went electronic or were dropped; campaigns merged or removed; every
    # system merged into the platform.
    statuses = set(
        entries.exclude(status=EntryStatus.ACTIVE).values_list("kind", "status").distinct()
    )
    assert statuses == {
        (EntryKind.SIGNBOARD, EntryStatus.REMOVED),
        (EntryKind.LEDGER, EntryStatus.DIGITISED),
        (EntryKind.LEDGER, EntryStatus.REMOVED),
        (EntryKind.CAMPAIGN, EntryStatus.MERGED),
        (EntryKind.CAMPAIGN, EntryStatus.REMOVED),
        (EntryKind.SYSTEM, EntryStatus.MERGED),
    }
    for entry in entries.exclude(status=EntryStatus.ACTIVE).select_related("successor"):
        assert entry.ended_on.year == 2016
        if entry.status in (EntryStatus.MERGED, EntryStatus.DIGITISED):
            assert entry.successor.status == EntryStatus.ACTIVE
            assert entry.successor.kind == entry.kind
    vetoes = entries.filter(one_vote_veto=True)
    assert vetoes.count() == ONE_VOTE_VETO and not vetoes.filter(status=EntryStatus.ACTIVE)
    # 圆梦社区's officer recorded its clean-up; the survey came in as one import.
    ends = AuditRecord.objects.filter(
        action="burden.entry_end",
        object_id__in=[str(pk) for pk in entries.values_list("pk", flat=True)],
    )
    assert set(ends.values_list("actor_username", flat=True)) == {"yl_officer"}
    assert AuditRecord.objects.filter(action="burden.entries_import").count() == len(PILOTS)
    assert "yl_officer" in demo and "yl_secretary" in demo

    # The 65 admissions behind the tasks: the assistance list's items, by their departments.
    admissions = Admission.objects.filter(district_id=YUNLONG).select_related("department")
    assert admissions.count() == 65
    for admission in admissions:
        assert admission.state == AdmissionState.ACTIVE and admission.item_key is not None
        assert set(admission.scope.values_list("region_id", flat=True)) == {p.code for p in PILOTS}
        assert admission.application.department_id == admission.department_id


@pytest.mark.django_db
def test_demo_shizhong_flags_over_cap_unadmitted_and_one_vote_veto(demo):
    today = timezone.localdate()
    regions = communities(ZHONGGULOU, JIANDAOJIE, XILIN, GUIHUJIE)
    now = burden_figures(regions, on=today)
    zhonggulou = now[ZHONGGULOU]
    assert (zhonggulou.signboards, zhonggulou.signboard_cap, zhonggulou.over_cap) == (5, 4, 1)
    unadmitted = InventoryEntry.objects.filter(
        community_id=ZHONGGULOU,
        status=EntryStatus.ACTIVE,
        admission__isnull=True,
        basis_item_key__isnull=True,
    )
    assert set(unadmitted.values_list("kind", "name")) == {
        (EntryKind.SIGNBOARD, "市场监管局食品安全社区工作站"),
        (EntryKind.LEDGER, "文明城市创建迎检台账"),
    }
    assert zhonggulou.unadmitted == 2
    assert (now[JIANDAOJIE].one_vote_veto, now[JIANDAOJIE].unadmitted) == (1, 1)
    for clean in (XILIN, GUIHUJIE):
        assert (now[clean].unadmitted, now[clean].over_cap, now[clean].one_vote_veto) == (0, 0, 0)
    # What the health records brought to 钟鼓楼社区 ended with their revocation there today.
    retired = InventoryEntry.objects.filter(community_id=ZHONGGULOU, status=EntryStatus.RETIRED)
    assert retired.count() == 2 and {e.ended_on for e in retired} == {today}

    baselines = baselines_of([r.code for r in regions])
    assert set(baselines) == set(SHIZHONG_BASELINES)
    for code, snapshot in baselines.items():
        assert snapshot.taken_on == today.replace(year=today.year - 1, month=1, day=1)
        assert snapshot.source == SnapshotSource.SURVEY
        assert snapshot.taken_by.username == "group_secretary"
        # Larger than now, so the reduction shows.
        assert snapshot.tasks > now[code].tasks and snapshot.signboards >= now[code].signboards
    # This year's snapshot of the district, computed now, for every community.
    snapshots = BurdenSnapshot.objects.filter(
        community__code__startswith=SHIZHONG[:6], taken_on=today, is_baseline=False
    )
    assert {s.community_id for s in snapshots} == {r.code for r in regions}
    for snapshot in snapshots:
        assert snapshot.source == SnapshotSource.COMPUTED
        assert figures_of(snapshot) == now[snapshot.community_id]
