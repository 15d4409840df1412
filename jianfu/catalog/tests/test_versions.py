"""Versions: drafts change, published versions never do; diffs, as-of questions and history."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jianfu.catalog import selectors, services
from jianfu.catalog.diff import apply_diff, diff_snapshots
from jianfu.catalog.models import ChangeType, Item, VersionStatus
from jianfu.catalog.tests.conftest import DUTY_ITEMS, publish
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.org.models import Unit


def names(version):
    return [item.name for item in selectors.version_items(version)]


def test_published_version_is_immutable_in_services(personas, duty_list):
    published = selectors.current_version(duty_list)
    item = published.items.first()
    with pytest.raises(Conflict):
        services.item_edit(
            actor=personas.review_officer, item=item, values={"name": "改"}, reason="试"
        )
    with pytest.raises(Conflict):
        services.item_add(
            actor=personas.review_officer, version=published, values={"name": "新"}, reason="试"
        )
    with pytest.raises(Conflict):
        services.item_cancel(actor=personas.review_officer, item=item, reason="试")
    with pytest.raises(Conflict):
        services.version_publish(
            actor=personas.review_officer, version=published, document_number="再发"
        )
    assert Item.objects.get(pk=item.pk).name == item.name


def test_published_version_is_immutable_in_the_database(duty_list):
    """Invariant 1 holds even for code that bypasses the services."""
    published = selectors.current_version(duty_list)
    item = published.items.first()
    for attempt in (
        lambda: Item.objects.filter(pk=item.pk).update(name="改"),
        lambda: Item.objects.filter(pk=item.pk).delete(),
        lambda: Item.objects.create(version=published, name="偷偷加的"),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert names(published) == [values["name"] for values in DUTY_ITEMS]


def test_new_version_copies_the_published_items_with_their_keys(personas, duty_list):
    published = selectors.current_version(duty_list)
    draft = services.version_start(
        actor=personas.review_officer, catalog_list=duty_list, label="2026版"
    )
    assert draft.based_on == published
    assert {str(i.key) for i in draft.items.all()} == {str(i.key) for i in published.items.all()}
    with pytest.raises(Conflict):
        services.version_start(actor=personas.review_officer, catalog_list=duty_list, label="X")


def test_publishing_supersedes_the_previous_version(personas, duty_list):
    old = selectors.current_version(duty_list)
    draft = services.version_start(
        actor=personas.review_officer, catalog_list=duty_list, label="2026版"
    )
    with pytest.raises(InvalidInput):
        services.version_publish(actor=personas.review_officer, version=draft, document_number="")
    publish(personas.review_officer, draft, "市中委编〔2026〕1号", dt.date(2026, 1, 1))
    old.refresh_from_db()
    assert old.status == VersionStatus.SUPERSEDED
    assert old.valid_until == dt.date(2026, 1, 1)
    assert selectors.current_version(duty_list) == draft


def test_as_of_answers_with_the_version_in_force_that_day(personas, duty_list):
    first = selectors.current_version(duty_list)
    draft = services.version_start(
        actor=personas.review_officer, catalog_list=duty_list, label="2026版"
    )
    item = draft.items.get(code="SZQ-ZZ-002")
    services.item_cancel(actor=personas.review_officer, item=item, reason="并入综治网格")
    publish(personas.review_officer, draft, "市中委编〔2026〕1号", dt.date(2026, 1, 1))

    def as_of(day):
        return selectors.version_as_of(catalog_list=duty_list, day=day)

    assert as_of(dt.date(2024, 12, 31)) is None
    assert as_of(dt.date(2025, 6, 30)) == first
    assert as_of(dt.date(2025, 12, 31)) == first
    assert as_of(dt.date(2026, 1, 1)) == draft
    assert "调解民间纠纷" in names(as_of(dt.date(2025, 6, 30)))
    assert "调解民间纠纷" not in names(as_of(dt.date(2026, 6, 30)))


def test_every_change_carries_a_type_and_a_reason(personas, duty_list):
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    item = draft.items.get(code="SZQ-ZZ-001")
    with pytest.raises(InvalidInput):
        services.item_edit(actor=reviewer, item=item, values={"category": "综合保障"}, reason=" ")
    services.item_edit(actor=reviewer, item=item, values={"category": "综合保障"}, reason="归类")
    change = draft.changes.get()
    assert change.change_type == ChangeType.EDIT
    assert change.reason == "归类"
    assert change.fields == {"category": {"before": "社区建设", "after": "综合保障"}}


def test_diff_shows_added_removed_modified_merged_split_and_moved(personas, duty_list):
    reviewer = personas.review_officer
    assist = services.list_create(
        actor=reviewer,
        name="协助政府工作事项",
        kind="assist",
        level="community",
        region=duty_list.region,
    )
    before = selectors.current_version(duty_list)
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    by_code = {i.code: i for i in draft.items.all()}
    services.item_edit(
        actor=reviewer, item=by_code["SZQ-ZZ-001"], values={"department": "民政局"}, reason="明确"
    )
    added = services.item_add(
        actor=reviewer, version=draft, values={"name": "开展社区协商"}, reason="新增"
    )
    services.item_merge(
        actor=reviewer, target=added, sources=[by_code["SZQ-ZZ-002"]], reason="合并"
    )
    services.item_move(
        actor=reviewer, item=by_code["SZQ-ZZ-003"], to_list=assist, reason="属协助事项"
    )
    parts = services.item_split(
        actor=reviewer,
        item=added,
        parts=[{"name": "组织居民议事"}, {"name": "开展民主评议"}],
        reason="细化",
    )
    publish(reviewer, draft, "市中委编〔2026〕1号", dt.date(2026, 1, 1))

    diff = selectors.version_diff(before=before, after=draft)
    keys = {str(i.key): i.code for i in before.items.all()}
    removed = {keys[k]: diff.explained.get(k, ("removed",))[0] for k in diff.removed}
    assert removed == {"SZQ-ZZ-002": ChangeType.MERGE, "SZQ-ZZ-003": ChangeType.MOVE_OUT}
    assert {diff.added[k]["name"] for k in diff.added} == {p.name for p in parts}
    assert all(diff.explained[str(p.key)][0] == ChangeType.SPLIT for p in parts)
    (modified,) = diff.modified.values()
    assert modified == {"department": ("", "民政局")}
    assert diff.counts()["merged"] == 1 and diff.counts()["moved"] == 1
    moved_in = selectors.draft_version(assist).items.get()
    assert moved_in.name == "协助维护社会治安"


def test_item_history_follows_the_key_across_versions(personas, duty_list):
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    item = draft.items.get(code="SZQ-ZZ-001")
    services.item_edit(
        actor=reviewer, item=item, values={"remarks": "每季度至少一次"}, reason="细化"
    )
    history = selectors.item_history(user=reviewer, catalog_list=duty_list, key=str(item.key))
    assert [e.version.label for e in history] == ["2025版", "2026版"]
    assert history[1].item.remarks == "每季度至少一次"
    assert [c.change_type for c in history[0].changes] == [ChangeType.ADD]
    # Without edit rights the draft is not part of the history.
    public = selectors.item_history(
        user=personas.community_officer, catalog_list=duty_list, key=str(item.key)
    )
    assert [e.version.label for e in public] == ["2025版"]


def test_drafts_are_invisible_and_untouchable_outside_the_jurisdiction(
    personas, duty_list, other_reviewer
):
    draft = services.version_start(
        actor=personas.review_officer, catalog_list=duty_list, label="2026版"
    )
    # A reviewer of another district does not even see the list.
    assert selectors.list_visible_to(user=other_reviewer, ref=duty_list.pk) is None
    with pytest.raises(Forbidden):
        services.item_add(actor=other_reviewer, version=draft, values={"name": "外"}, reason="x")
    # Inside the district, readers see the published version but never the draft.
    for reader in (personas.community_officer, personas.street_officer, personas.dept_clerk):
        assert selectors.list_visible_to(user=reader, ref=duty_list.pk) == duty_list
        versions = selectors.versions_visible_to(user=reader, catalog_list=duty_list)
        assert draft not in versions
        with pytest.raises(Forbidden):
            services.item_add(actor=reader, version=draft, values={"name": "外"}, reason="x")
    assert draft in selectors.versions_visible_to(
        user=personas.review_officer, catalog_list=duty_list
    )


def test_community_officer_of_another_district_sees_nothing(personas, duty_list):
    yunlong = personas.community_officer
    yunlong.unit = Unit.objects.get(name="绿地南社区居民委员会")
    yunlong.save(update_fields=["unit"])
    national = services.list_create(
        actor=None, name="全国清单", kind="certificate_banned", level="community", region=None
    )
    lists = selectors.lists_visible_to(user=yunlong)
    assert duty_list not in lists
    assert national in lists  # national lists are read everywhere


snapshot_items = st.dictionaries(
    keys=st.sampled_from([f"k{i}" for i in range(8)]),
    values=st.fixed_dictionaries(
        {
            "code": st.sampled_from(["", "A-1", "A-2"]),
            "name": st.text(min_size=1, max_size=5),
            "category": st.sampled_from(["", "民生保障", "社区平安"]),
            "power_type": st.sampled_from(["", "01", "20"]),
            "legal_law": st.text(max_size=3),
            "legal_article": st.just(""),
            "legal_text": st.text(max_size=3),
            "department": st.sampled_from(["", "民政局"]),
            "parent_key": st.sampled_from([None, "k1"]),
            "position": st.integers(0, 5),
            "remarks": st.text(max_size=2),
        }
    ),
    max_size=8,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(before=snapshot_items, after=snapshot_items)
def test_applying_the_diff_of_a_to_b_to_a_gives_b(before, after):
    assert apply_diff(before, diff_snapshots(before, after)) == after


@settings(max_examples=100)
@given(version=snapshot_items)
def test_a_version_compared_with_itself_has_no_diff(version):
    assert diff_snapshots(version, version).is_empty


def test_yearly_adjustments_are_counted_by_kind_and_department(personas, duty_list):
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    services.item_add(
        actor=reviewer,
        version=draft,
        values={"name": "新事项", "department": "民政局"},
        reason="新",
    )
    services.item_cancel(actor=reviewer, item=draft.items.get(code="SZQ-ZZ-003"), reason="取消")
    # Changes in a draft are not counted until it is published.
    lists = type(duty_list).objects.filter(pk=duty_list.pk)
    assert selectors.adjustment_statistics(catalog_lists=lists).by_year == {}
    publish(reviewer, draft, "市中委编〔2026〕1号", dt.date(2026, 1, 1))
    statistics = selectors.adjustment_statistics(catalog_lists=lists)
    # The 2025 compilation is not an adjustment; the 2026 changes are.
    assert dict(statistics.by_year) == {2026: {ChangeType.ADD: 1, ChangeType.CANCEL: 1}}
    assert dict(statistics.by_department[2026]) == {"民政局": 1, "公安分局": 1}
