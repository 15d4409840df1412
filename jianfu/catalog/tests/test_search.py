"""Chinese substring search: trigram index for 3+ characters, a scan for 1–2, on both databases."""

import pytest

from jianfu.catalog import selectors, services
from jianfu.catalog.duplicates import suggest_duplicates


def names(results):
    return [item.name for item in results]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("调", ["调解民间纠纷"]),  # one character
        ("治安", ["协助维护社会治安"]),  # two characters
        ("居民会议", ["召集居民会议，办理本社区居民的公共事务和公益事业"]),  # 3+ characters
        ("人民调解法", ["调解民间纠纷"]),  # a match in the legal basis
        ("不存在的事项", []),
    ],
)
def test_search_by_any_chinese_substring(personas, duty_list, query, expected):
    results = selectors.items_search(user=personas.community_officer, query=query)
    assert names(results) == expected


def test_name_matches_rank_before_legal_basis_matches(personas, duty_list):
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    services.item_add(
        actor=reviewer,
        version=draft,
        values={"name": "组织法宣传", "legal_law": "《人民调解法》"},
        reason="测",
    )
    services.version_publish(actor=reviewer, version=draft, document_number="文")
    results = names(selectors.items_search(user=reviewer, query="组织法"))
    assert results[0] == "组织法宣传"
    assert len(results) == 3  # and the two items citing 组织法 after it


def test_search_sees_published_versions_and_only_visible_lists(personas, duty_list, other_reviewer):
    assert names(selectors.items_search(user=other_reviewer, query="调解")) == []
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    services.item_add(
        actor=reviewer, version=draft, values={"name": "草稿中的调解事项"}, reason="测"
    )
    assert "草稿中的调解事项" not in names(selectors.items_search(user=reviewer, query="调解"))
    drafts = selectors.items_search(user=reviewer, query="调解", include_drafts=True)
    assert "草稿中的调解事项" in names(drafts)
    community = selectors.items_search(
        user=personas.community_officer, query="调解", include_drafts=True
    )
    assert "草稿中的调解事项" not in names(community)


def test_search_filters_by_type_and_department(personas, duty_list):
    results = selectors.items_search(user=personas.review_officer, query="", department="公安")
    assert names(results) == ["协助维护社会治安"]


def test_search_index_follows_edits_and_removals(personas, duty_list):
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    item = draft.items.get(code="SZQ-ZZ-002")
    services.item_edit(actor=reviewer, item=item, values={"name": "化解矛盾纠纷"}, reason="改名")
    found = selectors.items_search(user=reviewer, query="化解矛盾", include_drafts=True)
    assert names(found) == ["化解矛盾纠纷"]
    services.item_cancel(actor=reviewer, item=draft.items.get(code="SZQ-ZZ-002"), reason="取消")
    assert names(selectors.items_search(user=reviewer, query="化解矛盾", include_drafts=True)) == []


def test_duplicates_are_suggested_with_score_and_reason(personas, duty_list):
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    for name in (
        "协助开展城乡居民医疗保险参保登记",
        "协助做好城乡居民医保参保登记工作",
        "组织开展植树活动",
    ):
        services.item_add(
            actor=reviewer,
            version=draft,
            values={
                "name": name,
                "legal_law": "《中华人民共和国社会保险法》",
                "legal_article": "第二十五条",
            },
            reason="测",
        )
    items = selectors.duplicate_candidates(user=reviewer, district_code="511002000000")
    suggestions = suggest_duplicates(items)
    pairs = [{s.first.name, s.second.name} for s in suggestions]
    assert {"协助开展城乡居民医疗保险参保登记", "协助做好城乡居民医保参保登记工作"} in pairs
    best = suggestions[0]
    assert best.score >= 0.8 and "设定依据相同" in best.reason
    assert not any("组织开展植树活动" in pair for pair in pairs)
    # And the suggested pair can be merged in the draft.
    first, second = best.first, best.second
    services.item_merge(actor=reviewer, target=first, sources=[second], reason="重复")
    assert not draft.items.filter(pk=second.pk).exists()
