"""The burden pages: the district's and street's table, a community's burden index, its
inventories and their clean-up, the caps, the snapshots, the monthly job and the command, and
who sees and does what on each."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from jianfu.admission.tests.conftest import CHENGDONG, JIANDAOJIE, XILIN, ZHONGGULOU
from jianfu.burden import services
from jianfu.burden.index import burden_figures
from jianfu.burden.models import (
    BurdenSettings,
    BurdenSnapshot,
    EntryKind,
    EntryStatus,
    InventoryEntry,
    LedgerMedium,
    SnapshotSource,
)
from jianfu.burden.selectors import communities_in
from jianfu.core.daily import DAILY_JOBS
from jianfu.funds.tests.conftest import admission_row, budget, page, transfer  # noqa: F401
from jianfu.org.models import Region, RegionLevel

pytestmark = pytest.mark.django_db

DISTRICT = "511002000000"
CHENGXI = "511002002000"
SINCE = dt.date(2024, 3, 1)


def region(code: str) -> Region:
    return Region.objects.select_related("parent").get(code=code)


def entry(community: str, kind: str, name: str, **values) -> InventoryEntry:
    values.setdefault("since", SINCE)
    if kind == EntryKind.LEDGER:
        values.setdefault("medium", LedgerMedium.PAPER)
    return services.inventory_entry_create(
        actor=None, community=region(community), kind=kind, name=name, **values
    )


@pytest.fixture
def inventories(personas):
    """钟鼓楼社区 carries five signboards (one over the default cap of four), 30 paper ledger
    books and an electronic ledger, two campaigns (one with 一票否决) and a system; one of its
    signboards is unadmitted. 西林社区 carries two signboards, both unadmitted."""
    care = admission_row(personas, scope={ZHONGGULOU: 1_000_000}, title="高龄津贴协助")
    care.hours_per_community = 60
    care.save(update_fields=["hours_per_community"])
    made = {
        "boards": [
            entry(ZHONGGULOU, EntryKind.SIGNBOARD, name, admission_number=care.number)
            for name in ("党群服务中心", "居委会", "服务站", "综治中心")
        ],
        "stray": entry(ZHONGGULOU, EntryKind.SIGNBOARD, "平安创建示范点"),
        "paper": entry(
            ZHONGGULOU,
            EntryKind.LEDGER,
            "民政工作台账",
            quantity=30,
            year=2025,
            admission_number=care.number,
        ),
        "electronic": entry(
            ZHONGGULOU,
            EntryKind.LEDGER,
            "居民信息库",
            medium=LedgerMedium.ELECTRONIC,
            admission_number=care.number,
        ),
        "veto": entry(
            ZHONGGULOU,
            EntryKind.CAMPAIGN,
            "文明社区创建",
            one_vote_veto=True,
            admission_number=care.number,
        ),
        "campaign": entry(
            ZHONGGULOU, EntryKind.CAMPAIGN, "平安社区评比", admission_number=care.number
        ),
        "system": entry(
            ZHONGGULOU, EntryKind.SYSTEM, "社区综合信息平台", admission_number=care.number
        ),
        "xilin": [
            entry(XILIN, EntryKind.SIGNBOARD, name, admission_number="")
            for name in ("西林居委会", "西林服务站")
        ],
        "admission": care,
    }
    return made


def survey_baseline(code: str, **figures) -> BurdenSnapshot:
    return services.burden_baseline_record(
        actor=None,
        community=region(code),
        taken_on=dt.date(2024, 1, 1),
        label="减负前调查",
        figures=figures,
    )


# The district's and street's table ----------------------------------------------------------------


def test_district_office_sees_every_community_of_the_district_by_street(
    personas, login, inventories
):
    for user in (personas.group_secretary, personas.review_officer, personas.auditor):
        text = page(login(user).get(reverse("burden_index")))
        assert "钟鼓楼社区" in text and "箭道街社区" in text and "西林社区" in text
        assert "城东街道小计" in text and "城西街道小计" in text
        assert "市中区合计" in text


def test_table_figures_are_the_burden_index_of_each_community(personas, login, inventories):
    response = login(personas.group_secretary).get(reverse("burden_index"))
    table = response.context["table"]
    communities = list(communities_in(region(DISTRICT)))
    expected = burden_figures(communities, on=timezone.localdate())
    rows = {row.community.code: row.figures for block in table.streets for row in block.rows}
    assert rows == expected
    zhonggulou = rows[ZHONGGULOU]
    assert (zhonggulou.signboards, zhonggulou.signboard_cap, zhonggulou.over_cap) == (5, 4, 1)
    assert (zhonggulou.ledger_books, zhonggulou.electronic_ledgers) == (30, 1)
    assert (zhonggulou.campaigns, zhonggulou.one_vote_veto, zhonggulou.systems) == (2, 1, 1)
    assert zhonggulou.unadmitted == 1
    assert zhonggulou.admitted == 1 and zhonggulou.hours == 60
    assert zhonggulou.funds_committed_fen == 1_000_000
    # The district's total is the sum of its communities.
    assert table.totals.figures.signboards == sum(f.signboards for f in expected.values())
    assert table.totals.figures.ledger_books == 30
    text = page(response)
    assert "5 / 4" in text and "超限 1 块" in text and "一票否决 1" in text
    assert "10,000.00" in text  # the committed money, in yuan


def test_a_communitys_figures_are_the_same_on_its_page_and_in_the_table(
    personas,
    login,
    budget,  # noqa: F811  (the funds fixture)
):
    """Money for an admission revoked in 钟鼓楼 but in force in 箭道街 counts in neither the
    table nor the community's page for 钟鼓楼."""
    shared = admission_row(personas, scope={ZHONGGULOU: 1_000_000, JIANDAOJIE: 800_000})
    transfer(personas, budget, shared, [(ZHONGGULOU, 250_000), (JIANDAOJIE, 200_000)])
    shared.scope.filter(region_id=ZHONGGULOU).update(revoked_on=timezone.localdate())
    client = login(personas.group_secretary)
    table = client.get(reverse("burden_index")).context["table"]
    rows = {row.community.code: row.figures for block in table.streets for row in block.rows}
    alone = client.get(reverse("burden_community", args=[ZHONGGULOU])).context["figures"]
    assert rows[ZHONGGULOU] == alone
    assert alone.funds_transferred_fen == 0 and alone.admitted == 0
    assert rows[JIANDAOJIE].funds_transferred_fen == 200_000


def test_street_subtotals_add_up_their_communities(personas, login, inventories):
    table = login(personas.group_secretary).get(reverse("burden_index")).context["table"]
    for block in table.streets:
        assert block.totals.figures.signboards == sum(r.figures.signboards for r in block.rows)
        assert block.totals.communities == len(block.rows)
    chengdong = next(b for b in table.streets if b.street.code == CHENGDONG)
    assert chengdong.totals.over_cap == 1 and chengdong.totals.flagged == 1


def test_reduction_compares_only_the_communities_that_have_a_baseline(personas, login, inventories):
    survey_baseline(ZHONGGULOU, tasks=20, signboards=46, ledger_books=151)
    table = login(personas.group_secretary).get(reverse("burden_index")).context["table"]
    totals = table.totals
    # 西林's two signboards are not compared with anything: 46 → 5 is 89.1 % lighter.
    assert totals.with_baseline == 1
    assert totals.reductions["signboards"] == 89.1
    assert totals.reductions["ledger_books"] == 80.1  # 151 → 30
    zhonggulou = next(
        row for b in table.streets for row in b.rows if row.community.code == ZHONGGULOU
    )
    assert zhonggulou.reductions["signboards"] == 89.1
    xilin = next(row for b in table.streets for row in b.rows if row.community.code == XILIN)
    assert xilin.reductions == {"tasks": None, "signboards": None, "ledger_books": None}


def test_street_officer_sees_their_street_and_no_other(personas, login, inventories):
    text = page(login(personas.street_officer2).get(reverse("burden_index")))
    assert "西林社区" in text
    assert "钟鼓楼社区" not in text and "箭道街社区" not in text
    text = page(login(personas.street_officer).get(reverse("burden_index")))
    assert "钟鼓楼社区" in text and "西林社区" not in text


def test_community_officer_is_sent_to_their_community(personas, login):
    response = login(personas.community_officer).get(reverse("burden_index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("burden_community", args=[ZHONGGULOU])


def test_people_outside_the_burden_roles_get_403(personas, login):
    for user in (personas.dept_clerk, personas.system_admin, personas.evaluator):
        assert login(user).get(reverse("burden_index")).status_code == 403


def test_flagged_filter_lists_only_communities_with_a_flag(personas, login, inventories):
    response = login(personas.group_secretary).get(reverse("burden_index"), {"flagged": "on"})
    listed = [row.community.code for b in response.context["table"].streets for row in b.rows]
    assert listed == [ZHONGGULOU, XILIN]
    assert JIANDAOJIE not in listed
    # The totals still cover the whole district.
    assert response.context["table"].totals.communities > 1


def test_table_queries_do_not_grow_with_communities(
    personas, login, inventories, django_assert_max_num_queries
):
    client = login(personas.group_secretary)
    url = reverse("burden_index")
    client.get(url)  # warm the session and the user's roles
    chengdong = region(CHENGDONG)
    with django_assert_max_num_queries(18) as few:
        page(client.get(url))
    for n in range(40):
        code = f"511002001{n + 100:03d}"
        Region.objects.create(code=code, name=f"新建{n}社区", level="community", parent=chengdong)
        entry(code, EntryKind.SIGNBOARD, "居委会")
        survey_baseline(code, signboards=10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        text = page(client.get(url))
    assert "新建39社区" in text


# A community ------------------------------------------------------------------------------------


def test_community_page_compares_now_with_the_baseline(personas, login, inventories):
    survey_baseline(ZHONGGULOU, tasks=20, signboards=46, ledger_books=151, campaigns=30)
    response = login(personas.community_officer).get(reverse("burden_community", args=[ZHONGGULOU]))
    text = page(response)
    rows = {row.name: row for row in response.context["burden"].comparisons}
    assert (rows["signboards"].baseline, rows["signboards"].current) == (46, 5)
    assert rows["signboards"].reduction == 89.1
    assert rows["campaigns"].reduction == 93.3  # 30 → 2
    assert "89.1%" in text and "93.3%" in text
    assert "超过上限 4 块" in text and "已明令取消" in text
    # The admitted work in force, with its hours.
    assert inventories["admission"].number in text and "高龄津贴协助" in text
    for kind in EntryKind.values:
        assert reverse("burden_inventory", args=[ZHONGGULOU, kind]) in text


def test_community_page_charts_the_snapshots_with_local_echarts(personas, login, inventories):
    before = dt.date(2024, 1, 1)
    services.burden_snapshot_take(actor=None, region=region(ZHONGGULOU), label="年初", on=before)
    response = login(personas.street_officer).get(reverse("burden_community", args=[ZHONGGULOU]))
    text = page(response)
    assert "vendor/echarts/echarts.min.js" in text and 'data-chart="lines"' in text
    chart = response.context["chart"]
    assert chart["categories"] == [before.isoformat(), "现在"]
    signboards = next(s for s in chart["series"] if s["name"] == "挂牌（块）")
    assert signboards["data"] == [0, 5]


def test_community_pages_of_another_community_are_404(personas, login, inventories):
    urls = [reverse("burden_community", args=[ZHONGGULOU])] + [
        reverse("burden_inventory", args=[ZHONGGULOU, kind]) for kind in EntryKind.values
    ]
    for user in (personas.community_officer2, personas.street_officer2):
        client = login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.username, url)
    assert login(personas.dept_clerk).get(urls[0]).status_code == 404


def test_unknown_community_or_kind_is_404(personas, login):
    client = login(personas.group_secretary)
    assert client.get(reverse("burden_community", args=["511002009999"])).status_code == 404
    assert client.get(f"/burden/communities/{ZHONGGULOU}/posters/").status_code == 404


# Inventories ------------------------------------------------------------------------------------


def test_signboard_inventory_shows_the_basis_the_unadmitted_badge_and_the_cap(
    personas, login, inventories
):
    client = login(personas.community_officer)
    text = page(client.get(reverse("burden_inventory", args=[ZHONGGULOU, "signboard"])))
    assert 'data-testid="over-cap-banner"' in text and "需摘除 1 块" in text
    assert inventories["admission"].number in text
    assert reverse("admission_detail", args=[inventories["admission"].pk]) in text
    assert text.count('data-testid="unadmitted-badge"') == 1
    assert 'data-testid="add-entry"' in text


def test_campaign_inventory_marks_the_abolished_one_vote_veto(personas, login, inventories):
    text = page(
        login(personas.review_officer).get(
            reverse("burden_inventory", args=[ZHONGGULOU, "campaign"])
        )
    )
    assert text.count('data-testid="veto-badge"') == 1 and "已明令取消" in text
    # A reader who may not edit gets no forms.
    assert 'data-testid="add-entry"' not in text and 'data-testid="end-link"' not in text


def test_ended_entries_are_listed_apart_with_status_date_and_successor(
    personas, login, inventories
):
    services.inventory_entry_end(
        actor=None,
        entry=inventories["campaign"],
        status=EntryStatus.MERGED,
        ended_on=dt.date(2025, 6, 1),
        reason="与文明社区创建合并",
        successor=inventories["veto"],
    )
    response = login(personas.community_officer).get(
        reverse("burden_inventory", args=[ZHONGGULOU, "campaign"])
    )
    text = page(response)
    assert [e.name for e in response.context["ended"]] == ["平安社区评比"]
    assert 'data-testid="ended-entries"' in text and "2025-06-01" in text
    assert "已合并" in text and "与文明社区创建合并" in text


def entry_form(**overrides):
    values = {
        "name": "禁毒工作站",
        "department_name": "市中区民政局",
        "admission_number": "",
        "basis_item_key": "",
        "since": "2025-05-01",
        "notes": "",
    }
    values.update(overrides)
    return values


def test_community_officer_records_an_entry(personas, login, inventories):
    client = login(personas.community_officer)
    url = reverse("burden_inventory", args=[ZHONGGULOU, "signboard"])
    response = client.post(url, entry_form(admission_number=inventories["admission"].number))
    assert response.status_code == 302
    made = InventoryEntry.objects.get(name="禁毒工作站")
    assert made.community_id == ZHONGGULOU and made.admission == inventories["admission"]
    assert made.department is not None and made.created_by == personas.community_officer


def test_ledger_is_recorded_with_books_medium_and_year(personas, login):
    client = login(personas.street_officer)
    url = reverse("burden_inventory", args=[ZHONGGULOU, "ledger"])
    values = entry_form(name="计生台账", quantity="12", medium="paper", year="2025")
    assert client.post(url, values).status_code == 302
    made = InventoryEntry.objects.get(name="计生台账")
    assert (made.quantity, made.medium, made.year) == (12, "paper", 2025)


def test_entry_can_rest_on_an_item_of_the_districts_signboard_list(personas, login):
    from jianfu.catalog.demo import catalog_demo_load
    from jianfu.catalog.models import Item, ListKind

    catalog_demo_load()
    client = login(personas.community_officer)
    url = reverse("burden_inventory", args=[ZHONGGULOU, "signboard"])
    form = client.get(url).context["form"]
    groups = [label for label, _options in form.fields["basis_item_key"].choices[1:]]
    assert groups[0] == "市中区社区准许挂牌清单"
    item = Item.objects.filter(
        version__list__kind=ListKind.SIGNBOARD, version__status="published"
    ).first()
    assert client.post(url, entry_form(basis_item_key=str(item.key))).status_code == 302
    made = InventoryEntry.objects.get(name="禁毒工作站")
    assert made.basis_item_name == item.name and not made.unadmitted
    text = page(client.get(url))
    assert reverse("catalog_item", args=[made.basis_list_id, item.key]) in text


def test_bad_entry_shows_chinese_errors_and_records_nothing(personas, login, inventories):
    client = login(personas.community_officer)
    url = reverse("burden_inventory", args=[ZHONGGULOU, "signboard"])
    before = InventoryEntry.objects.count()
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    text = page(client.post(url, entry_form(name="", since=future)))
    assert "这个字段是必填项" in text and "设立日期不能晚于今天" in text
    text = page(client.post(url, entry_form(admission_number="市中准〔2026〕999号")))
    assert "不存在，或不覆盖钟鼓楼社区" in text
    text = page(client.post(url, entry_form(basis_item_key="not-a-key")))
    assert "依据清单事项" in text and "选择一个有效的选项" in text
    assert InventoryEntry.objects.count() == before


def test_officers_cannot_record_in_another_community(personas, login, inventories):
    url = reverse("burden_inventory", args=[ZHONGGULOU, "signboard"])
    assert login(personas.community_officer2).post(url, entry_form()).status_code == 404
    assert login(personas.street_officer2).post(url, entry_form()).status_code == 404
    # The district's review office reads but does not keep the inventories.
    assert login(personas.review_officer).post(url, entry_form()).status_code == 403
    assert not InventoryEntry.objects.filter(name="禁毒工作站").exists()


def test_entry_is_corrected_by_its_community_only(personas, login, inventories):
    board = inventories["stray"]
    url = reverse("burden_entry_edit", args=[board.pk])
    values = entry_form(name="平安建设工作站", since=SINCE.isoformat())
    assert login(personas.community_officer2).post(url, values).status_code == 404
    assert login(personas.review_officer).post(url, values).status_code == 403
    board.refresh_from_db()
    assert board.name == "平安创建示范点"
    client = login(personas.community_officer)
    assert page(client.get(url)) and client.post(url, values).status_code == 302
    board.refresh_from_db()
    assert board.name == "平安建设工作站"


def test_signboard_is_taken_down(personas, login, inventories):
    board = inventories["stray"]
    client = login(personas.community_officer)
    response = client.post(
        reverse("burden_entry_end", args=[board.pk]),
        {"status": "removed", "ended_on": "2025-09-01", "reason": "清理整治"},
    )
    assert response.status_code == 302
    board.refresh_from_db()
    assert (board.status, board.ended_on, board.end_reason) == (
        EntryStatus.REMOVED,
        dt.date(2025, 9, 1),
        "清理整治",
    )
    figures = burden_figures([region(ZHONGGULOU)], on=timezone.localdate())[ZHONGGULOU]
    assert figures.signboards == 4 and figures.over_cap == 0 and figures.unadmitted == 0


def test_paper_ledger_becomes_a_new_electronic_ledger_in_one_step(personas, login, inventories):
    paper = inventories["paper"]
    client = login(personas.community_officer)
    url = reverse("burden_entry_end", args=[paper.pk])
    assert "转为电子台账" in page(client.get(url))
    response = client.post(
        url,
        {
            "status": "digitised",
            "ended_on": "2025-10-01",
            "new_electronic": "on",
            "new_name": "民政工作电子台账",
            "reason": "纳入区级平台",
        },
    )
    assert response.status_code == 302
    paper.refresh_from_db()
    electronic = paper.successor
    assert paper.status == EntryStatus.DIGITISED and paper.ended_on == dt.date(2025, 10, 1)
    assert electronic.name == "民政工作电子台账" and electronic.medium == LedgerMedium.ELECTRONIC
    assert electronic.since == dt.date(2025, 10, 1)
    assert electronic.admission == paper.admission and electronic.year == 2025
    figures = burden_figures([region(ZHONGGULOU)], on=timezone.localdate())[ZHONGGULOU]
    assert (figures.ledger_books, figures.electronic_ledgers) == (0, 2)


def test_failed_digitising_records_no_electronic_ledger(personas, login, inventories):
    paper = inventories["paper"]
    before = InventoryEntry.objects.count()
    text = page(
        login(personas.community_officer).post(
            reverse("burden_entry_end", args=[paper.pk]),
            {"status": "digitised", "ended_on": "2020-01-01", "new_electronic": "on"},
        )
    )
    # The electronic ledger would be recorded, then the paper one cannot end before it began:
    # the whole step is undone.
    assert "清理日期不能早于设立日期" in text
    assert InventoryEntry.objects.count() == before
    paper.refresh_from_db()
    assert paper.status == EntryStatus.ACTIVE


def test_digitising_into_an_existing_electronic_ledger(personas, login, inventories):
    paper = inventories["paper"]
    response = login(personas.community_officer).post(
        reverse("burden_entry_end", args=[paper.pk]),
        {
            "status": "digitised",
            "ended_on": "2025-10-01",
            "successor": inventories["electronic"].pk,
        },
    )
    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.successor == inventories["electronic"]
    assert InventoryEntry.objects.filter(medium=LedgerMedium.ELECTRONIC).count() == 1


def test_bad_clean_up_shows_chinese_errors_and_changes_nothing(personas, login, inventories):
    client = login(personas.community_officer)
    campaign = inventories["campaign"]
    url = reverse("burden_entry_end", args=[campaign.pk])
    text = page(client.post(url, {"status": "merged", "ended_on": "2025-06-01"}))
    assert "请选择本社区同类、在用的条目作为合并（转入）对象" in text
    text = page(client.post(url, {"status": "removed", "ended_on": "2020-01-01"}))
    assert "清理日期不能早于设立日期" in text
    # A campaign cannot be "digitised", nor merged into a signboard.
    text = page(client.post(url, {"status": "digitised", "ended_on": "2025-06-01"}))
    assert "选择一个有效的选项" in text
    board = inventories["boards"][0]
    text = page(
        client.post(url, {"status": "merged", "ended_on": "2025-06-01", "successor": board.pk})
    )
    assert "选择一个有效的选项" in text
    paper_url = reverse("burden_entry_end", args=[inventories["paper"].pk])
    text = page(
        client.post(
            paper_url, {"status": "removed", "ended_on": "2025-06-01", "new_electronic": "on"}
        )
    )
    assert "只有“转为电子台账”时才能同时登记电子台账" in text
    assert not InventoryEntry.objects.exclude(status=EntryStatus.ACTIVE).exists()
    assert InventoryEntry.objects.count() == 12


def test_officers_cannot_clean_up_another_communitys_entries(personas, login, inventories):
    board = inventories["boards"][0]
    url = reverse("burden_entry_end", args=[board.pk])
    values = {"status": "removed", "ended_on": "2025-06-01"}
    assert login(personas.community_officer2).post(url, values).status_code == 404
    assert login(personas.street_officer2).get(url).status_code == 404
    assert login(personas.auditor).post(url, values).status_code == 403
    board.refresh_from_db()
    assert board.status == EntryStatus.ACTIVE


# The district's caps ----------------------------------------------------------------------------


def test_group_office_sets_the_signboard_cap(personas, login, inventories):
    client = login(personas.group_secretary)
    url = reverse("burden_settings")
    assert page(client.get(url))
    response = client.post(url, {"signboard_cap": "5", "campaign_cap": ""})
    assert response.status_code == 302
    settings = BurdenSettings.objects.get(district_id=DISTRICT)
    assert (settings.signboard_cap, settings.campaign_cap) == (5, None)
    table = client.get(reverse("burden_index")).context["table"]
    assert table.totals.over_cap == 0


def test_communities_over_the_campaign_cap_are_flagged(personas, login, inventories):
    services.burden_settings_update(
        actor=None, district=region(DISTRICT), signboard_cap=10, campaign_cap=1
    )
    client = login(personas.group_secretary)
    table = client.get(reverse("burden_index")).context["table"]
    row = next(r for b in table.streets for r in b.rows if r.community.code == ZHONGGULOU)
    assert row.over_campaign_cap == 1 and row.flagged
    assert "2 / 1" in page(client.get(reverse("burden_index")))


def test_only_the_group_office_sets_caps(personas, login):
    for user in (personas.review_officer, personas.street_officer, personas.community_officer):
        client = login(user)
        assert client.get(reverse("burden_settings")).status_code == 403
        assert client.post(reverse("burden_settings"), {"signboard_cap": "9"}).status_code == 403
    assert not BurdenSettings.objects.exists()


def test_bad_caps_show_chinese_errors_and_change_nothing(personas, login):
    client = login(personas.group_secretary)
    text = page(client.post(reverse("burden_settings"), {"signboard_cap": "500"}))
    assert "确保该值小于或等于100" in text
    text = page(client.post(reverse("burden_settings"), {"signboard_cap": "四块"}))
    assert "输入整数" in text
    assert not BurdenSettings.objects.exists()


# Snapshots --------------------------------------------------------------------------------------


def test_group_office_takes_a_baseline_snapshot_of_the_district(personas, login, inventories):
    client = login(personas.group_secretary)
    assert page(client.get(reverse("burden_snapshots")))
    response = client.post(
        reverse("burden_snapshot_take"), {"take-label": "2026年普查", "take-baseline": "on"}
    )
    assert response.status_code == 302
    district_communities = communities_in(region(DISTRICT)).count()
    taken = BurdenSnapshot.objects.filter(label="2026年普查", is_baseline=True)
    assert taken.count() == district_communities
    assert taken.get(community_id=ZHONGGULOU).signboards == 5
    text = page(client.get(reverse("burden_snapshots")))
    assert "2026年普查" in text


def test_group_office_records_a_survey_baseline(personas, login, inventories):
    client = login(personas.group_secretary)
    values = {
        "baseline-community": ZHONGGULOU,
        "baseline-taken_on": "2024-01-10",
        "baseline-label": "减负前调查",
        "baseline-duties": "95",
        "baseline-admitted": "147",
        "baseline-signboards": "46",
        "baseline-ledger_books": "151",
        "baseline-funds_committed": "1,200.50",
    }
    response = client.post(reverse("burden_baseline_record"), values)
    assert response.status_code == 302
    baseline = BurdenSnapshot.objects.get(community_id=ZHONGGULOU, is_baseline=True)
    assert baseline.source == SnapshotSource.SURVEY
    assert (baseline.tasks, baseline.signboards, baseline.ledger_books) == (242, 46, 151)
    assert baseline.funds_committed_fen == 120_050 and baseline.signboard_cap == 4


def test_bad_baseline_shows_chinese_errors_and_records_nothing(personas, login):
    client = login(personas.group_secretary)
    values = {
        "baseline-community": XILIN,
        "baseline-taken_on": "2024-01-10",
        "baseline-label": "调查",
        "baseline-signboards": "-3",
        "baseline-funds_committed": "十万",
    }
    text = page(client.post(reverse("burden_baseline_record"), values))
    assert "确保该值大于或等于0" in text and "金额“十万”无效" in text
    text = page(client.post(reverse("burden_baseline_record"), {"baseline-community": XILIN}))
    assert "这个字段是必填项" in text
    outside = {**values, "baseline-community": "320303001001", "baseline-signboards": "3"}
    text = page(client.post(reverse("burden_baseline_record"), outside))
    assert "选择一个有效的选项" in text
    assert not BurdenSnapshot.objects.exists()


def test_only_the_group_office_takes_snapshots(personas, login):
    for user in (personas.street_officer, personas.review_officer, personas.community_officer):
        client = login(user)
        assert client.post(reverse("burden_snapshot_take"), {"take-label": "x"}).status_code == 403
        values = {"baseline-community": ZHONGGULOU, "baseline-taken_on": "2024-01-01"}
        assert client.post(reverse("burden_baseline_record"), values).status_code == 403
    assert not BurdenSnapshot.objects.exists()


def test_snapshot_list_shows_only_the_users_communities(personas, login, inventories):
    services.burden_snapshot_take(actor=None, region=region(DISTRICT), label="区级统计")
    response = login(personas.street_officer2).get(reverse("burden_snapshots"))
    text = page(response)
    (group,) = response.context["page"].object_list
    assert group["communities"] == communities_in(region(CHENGXI)).count()
    assert group["signboards"] == 2
    assert "钟鼓楼社区" not in text
    assert 'data-testid="take-form"' not in text
    # Asking for another street's community shows the street's total, not that community.
    response = login(personas.street_officer2).get(
        reverse("burden_snapshots"), {"community": ZHONGGULOU}
    )
    assert response.context["chosen"] == ""


# The monthly job and the command ----------------------------------------------------------------


def test_monthly_snapshot_of_every_district_on_the_first(personas, inventories):
    assert DAILY_JOBS["burden_monthly_snapshot"] == "jianfu.burden.services.burden_snapshot_monthly"
    first = timezone.localdate().replace(day=1)
    services.burden_snapshot_monthly(on=first)
    label = f"{first.year}年{first.month}月"
    snapshots = BurdenSnapshot.objects.filter(label=label, taken_on=first)
    codes = set(snapshots.values_list("community_id", flat=True))
    assert ZHONGGULOU in codes and JIANDAOJIE in codes and XILIN in codes
    assert "320303001001" in codes  # 云龙区, the other district
    assert snapshots.get(community_id=ZHONGGULOU).source == SnapshotSource.COMPUTED
    count = BurdenSnapshot.objects.count()
    # Run again (another worker, the next day): nothing new this month.
    services.burden_snapshot_monthly(on=first)
    services.burden_snapshot_monthly(on=first + dt.timedelta(days=1))
    assert BurdenSnapshot.objects.count() == count


def test_monthly_snapshot_catches_up_a_missed_first(personas):
    day = timezone.localdate()
    summary = services.burden_snapshot_monthly(on=day)
    assert summary.startswith(f"{day.year}年{day.month}月")
    assert BurdenSnapshot.objects.filter(taken_on=day, community_id=ZHONGGULOU).exists()


def test_command_takes_a_baseline_snapshot(personas, inventories, capsys):
    call_command("burden_snapshot", region=CHENGDONG, label="城东普查", baseline=True)
    taken = BurdenSnapshot.objects.filter(label="城东普查")
    assert set(taken.values_list("community_id", flat=True)) == set(
        Region.objects.filter(parent_id=CHENGDONG, level=RegionLevel.COMMUNITY).values_list(
            "code", flat=True
        )
    )
    assert all(s.is_baseline for s in taken)
    assert "城东普查" in capsys.readouterr().out


def test_command_refuses_unknown_region_and_bad_date(personas):
    with pytest.raises(CommandError, match="不存在"):
        call_command("burden_snapshot", region="511002999999", label="x")
    with pytest.raises(CommandError, match="格式为 YYYY-MM-DD"):
        call_command("burden_snapshot", region=DISTRICT, label="x", date="2026-13-01")
    with pytest.raises(CommandError, match="请填写快照名称"):
        call_command("burden_snapshot", region=DISTRICT, label="  ")
    assert not BurdenSnapshot.objects.exists()


# The home page and the navigation ---------------------------------------------------------------


def test_home_shows_the_communitys_flags(personas, login, inventories):
    text = page(login(personas.community_officer).get(reverse("home")))
    assert 'data-testid="burden-cards"' in text
    assert "5 / 4" in text and "超限 1 块" in text
    assert reverse("burden_inventory", args=[ZHONGGULOU, "signboard"]) in text


def test_home_shows_the_district_how_many_communities_are_flagged(personas, login, inventories):
    response = login(personas.group_secretary).get(reverse("home"))
    flags = response.context["burden"]
    assert (flags.over_cap, flags.vetoes, flags.unadmitted) == (1, 1, 2)
    assert reverse("burden_index") + "?flagged=on" in page(response)
    response = login(personas.street_officer2).get(reverse("home"))
    assert response.context["burden"].over_cap == 0


def test_navigation_offers_the_burden_pages_to_its_roles_only(personas, login):
    url = reverse("burden_index")
    assert f'href="{url}"' in page(login(personas.street_officer).get(reverse("home")))
    assert f'href="{url}"' not in page(login(personas.dept_clerk).get(reverse("home")))
    assert login(personas.dept_clerk).get(reverse("home")).context["burden"] is None
