"""The community survey import: every sheet written, or nothing and every bad row reported with
its sheet, row number and reason; only communities the importer keeps; the template comes back
in as it went out."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from jianfu.burden.imports import (
    EXAMPLE_MARK,
    parse_date,
    survey_import,
    survey_import_confirm,
    survey_import_start,
)
from jianfu.burden.models import (
    BurdenSnapshot,
    EntryKind,
    EntryStatus,
    InventoryEntry,
    LedgerMedium,
    SnapshotSource,
)
from jianfu.catalog.demo import catalog_demo_load
from jianfu.core.errors import Forbidden
from jianfu.core.models import AuditRecord, BackgroundJob, JobStatus
from jianfu.funds.tests.conftest import admission_row

ZHONGGULOU = "511002001001"
JIANDAOJIE = "511002001002"
XILIN = "511002002001"

SIGNBOARD_HEADER = ["社区代码", "名称", "主管部门", "准入编号", "依据清单事项", "设立日期"]
LEDGER_HEADER = [
    "社区代码",
    "名称",
    "主管部门",
    "数量",
    "形式",
    "年度",
    "设立日期",
    "清理方式",
    "清理日期",
    "清理说明",
    "并入",
]
CAMPAIGN_HEADER = ["社区代码", "名称", "一票否决", "设立日期", "清理方式", "清理日期", "清理说明"]
SYSTEM_HEADER = ["社区代码", "名称", "主管部门", "设立日期"]
BASELINE_HEADER = ["社区代码", "统计日期", "名称", "工作事项", "挂牌", "纸质台账本数", "创建评比"]


def workbook(sheets: dict[str, list[list]]) -> bytes:
    """A workbook with one sheet per name, each given as its rows (the header first)."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def good_survey() -> dict[str, list[list]]:
    """钟鼓楼社区 as surveyed: two boards (one allowed by the signboard list), a paper ledger
    already turned electronic, a one-vote-veto campaign already abolished, and a system; and
    箭道街社区, named by its name, with one board."""
    return {
        "挂牌": [
            SIGNBOARD_HEADER,
            [ZHONGGULOU, "社区居民委员会", "", "", "社区居民委员会", "2015-01-01"],
            [ZHONGGULOU, "社区老年协会", "市中区民政局", "", "", dt.date(2018, 3, 1)],
            ["箭道街社区", "社区综治中心", "", "", "", "2019"],
        ],
        "台账": [
            LEDGER_HEADER,
            [
                ZHONGGULOU,
                "低保工作台账",
                "市中区民政局",
                12,
                "纸质",
                2019,
                "2019-01-01",
                "转电子台账",
                "2024-06-30",
                "按减负要求转为电子台账",
                "低保工作电子台账",
            ],
            [
                ZHONGGULOU,
                "低保工作电子台账",
                "市中区民政局",
                "",
                "电子",
                "",
                "2024-06-30",
                "",
                "",
                "",
                "",
            ],
            [ZHONGGULOU, "安全生产检查台账", "", 8, "纸质", "2023年", "2023/1/1", "", "", "", ""],
        ],
        "创建评比": [
            CAMPAIGN_HEADER,
            [
                ZHONGGULOU,
                "星级社区创建",
                "是",
                "2017年3月1日",
                "摘除",
                "2024-03-01",
                "区委决定取消",
            ],
        ],
        "信息系统": [
            SYSTEM_HEADER,
            [ZHONGGULOU, "社区网格化管理系统", "市中区城管局", "2018-05"],
        ],
    }


@pytest.fixture
def lists(personas):
    """市中区's published lists: the signboards a community may hang, its duties."""
    catalog_demo_load()


def entries(code: str, kind: str | None = None):
    found = InventoryEntry.objects.filter(community_id=code)
    return found.filter(kind=kind) if kind else found


# ---------------------------------------------------------------------------------------------
# A good workbook


def test_a_good_survey_writes_every_sheet_with_its_clean_up(personas, lists):
    report = survey_import(
        actor=personas.street_officer,
        data=workbook(good_survey()),
        filename="城东街道调查.xlsx",
        dry_run=False,
    )

    assert report.ok, report.errors
    assert report.created == 8 and report.ended == 2
    assert entries(ZHONGGULOU).count() == 7 and entries(JIANDAOJIE).count() == 1
    board = entries(ZHONGGULOU, EntryKind.SIGNBOARD).get(name="社区居民委员会")
    assert board.basis_item_name == "社区居民委员会" and not board.unadmitted
    society = entries(ZHONGGULOU, EntryKind.SIGNBOARD).get(name="社区老年协会")
    assert society.unadmitted and society.department.name == "市中区民政局"
    assert society.since == dt.date(2018, 3, 1)
    assert entries(JIANDAOJIE).get().since == dt.date(2019, 1, 1)

    paper = entries(ZHONGGULOU, EntryKind.LEDGER).get(name="低保工作台账")
    electronic = entries(ZHONGGULOU, EntryKind.LEDGER).get(name="低保工作电子台账")
    assert (paper.status, paper.ended_on, paper.successor) == (
        EntryStatus.DIGITISED,
        dt.date(2024, 6, 30),
        electronic,
    )
    assert paper.quantity == 12 and paper.medium == LedgerMedium.PAPER and paper.year == 2019
    assert electronic.status == EntryStatus.ACTIVE and electronic.medium == LedgerMedium.ELECTRONIC
    safety = entries(ZHONGGULOU, EntryKind.LEDGER).get(name="安全生产检查台账")
    assert (safety.year, safety.since) == (2023, dt.date(2023, 1, 1))

    campaign = entries(ZHONGGULOU, EntryKind.CAMPAIGN).get()
    assert campaign.one_vote_veto and campaign.status == EntryStatus.REMOVED
    assert campaign.end_reason == "区委决定取消"
    system = entries(ZHONGGULOU, EntryKind.SYSTEM).get()
    assert system.since == dt.date(2018, 5, 1) and system.department.name == "市中区城管局"
    assert set(InventoryEntry.objects.values_list("created_by", flat=True)) == {
        personas.street_officer.pk
    }
    assert AuditRecord.objects.filter(action="burden.survey_import").count() == 1
    assert AuditRecord.objects.filter(action="burden.entries_import").count() == 1


def test_the_preview_counts_per_community_and_kind_and_writes_nothing(personas, lists):
    report = survey_import(
        actor=personas.street_officer,
        data=workbook(good_survey()),
        filename="城东街道调查.xlsx",
        dry_run=True,
    ).as_dict()

    assert report["ok"] and report["dry_run"]
    assert not InventoryEntry.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="burden.").exists()
    counts = {row["code"]: row for row in report["communities"]}
    assert counts[ZHONGGULOU] | {"baseline": ""} == {
        "code": ZHONGGULOU,
        "name": "钟鼓楼社区",
        "signboard": 2,
        "signboard_ended": 0,
        "ledger": 2,
        "ledger_ended": 1,
        "ledger_books": 8,
        "campaign": 0,
        "campaign_ended": 1,
        "system": 1,
        "system_ended": 0,
        "unadmitted": 4,
        "baseline": "",
    }
    assert counts[JIANDAOJIE]["signboard"] == 1
    assert report["totals"]["signboard"] == 3 and report["created"] == 8


# ---------------------------------------------------------------------------------------------
# Bad rows


def test_bad_rows_in_several_sheets_write_nothing_and_each_is_reported(personas, lists):
    sheets = good_survey()
    sheets["挂牌"].append([ZHONGGULOU, "社区文明实践站", "", "", "", "去年"])
    sheets["台账"].append([ZHONGGULOU, "消防台账", "", 3, "", 2024, "2024-01-01"])
    sheets["创建评比"].append([ZHONGGULOU, "平安社区创建", "也许", "2020-01-01", "撤牌"])
    sheets["信息系统"].append(["999999999999", "某系统", "", "2020-01-01"])
    sheets["信息系统"].append([ZHONGGULOU, "", "", "2030-01-01"])

    report = survey_import(
        actor=personas.community_officer,
        data=workbook(sheets),
        filename="钟鼓楼社区调查.xlsx",
        dry_run=False,
    )

    assert not InventoryEntry.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="burden.").exists()
    found = {(e["sheet"], e["row"]): " ".join(e["problems"]) for e in report.errors}
    assert set(found) == {
        ("挂牌", 4),  # 箭道街社区 is not the community officer's
        ("挂牌", 5),
        ("台账", 5),
        ("创建评比", 3),
        ("信息系统", 3),
        ("信息系统", 4),
    }
    assert "您的管辖范围内没有名为“箭道街社区”的社区" in found[("挂牌", 4)]
    assert "设立日期：无法识别“去年”" in found[("挂牌", 5)]
    assert "台账形式应为纸质或电子" in found[("台账", 5)]
    assert "一票否决：请填写“是”或“否”" in found[("创建评比", 3)]
    assert "清理方式：无法识别“撤牌”" in found[("创建评比", 3)]
    assert "社区代码：999999999999 不存在" in found[("信息系统", 3)]
    assert "名称不能为空" in found[("信息系统", 4)]
    assert "设立日期不能晚于今天" in found[("信息系统", 4)]
    assert report.as_dict()["communities"] == []


def test_a_community_outside_the_jurisdiction_is_an_error_row(personas, lists):
    survey = {"挂牌": [SIGNBOARD_HEADER, [XILIN, "社区居民委员会", "", "", "", "2015-01-01"]]}
    for importer in (personas.community_officer, personas.street_officer):
        report = survey_import(
            actor=importer, data=workbook(survey), filename="s.xlsx", dry_run=False
        )
        assert [(e["sheet"], e["row"]) for e in report.errors] == [("挂牌", 2)]
        assert "西林社区（511002002001）不在您的管辖范围内" in report.errors[0]["problems"][0]
    assert not InventoryEntry.objects.exists()

    report = survey_import(
        actor=personas.group_secretary, data=workbook(survey), filename="s.xlsx", dry_run=False
    )
    assert report.ok and entries(XILIN).count() == 1


def test_a_community_named_by_name_must_be_in_the_jurisdiction(personas, lists):
    survey = {"挂牌": [SIGNBOARD_HEADER, ["西林社区", "社区居民委员会", "", "", "", "2015"]]}
    report = survey_import(
        actor=personas.street_officer, data=workbook(survey), filename="s.xlsx", dry_run=True
    )
    assert "您的管辖范围内没有名为“西林社区”的社区" in report.errors[0]["problems"][0]


def test_merged_rows_need_an_active_successor_in_the_same_sheet_and_community(personas, lists):
    survey = {
        "台账": [
            LEDGER_HEADER,
            [
                ZHONGGULOU,
                "计生台账",
                "",
                5,
                "纸质",
                2020,
                "2020-01-01",
                "合并",
                "2024-01-01",
                "",
                "卫健台账",
            ],
            [
                ZHONGGULOU,
                "老龄台账",
                "",
                5,
                "纸质",
                2020,
                "2020-01-01",
                "合并",
                "2024-01-01",
                "",
                "民政综合台账",
            ],
            [JIANDAOJIE, "民政综合台账", "", 5, "纸质", 2020, "2020-01-01"],
            [
                ZHONGGULOU,
                "残联台账",
                "",
                5,
                "纸质",
                2020,
                "2020-01-01",
                "转电子台账",
                "2024-01-01",
                "",
                "",
            ],
            [ZHONGGULOU, "卫健台账", "", 5, "纸质", 2020, "2020-01-01", "", "", "", "民政综合台账"],
        ]
    }
    report = survey_import(
        actor=personas.street_officer, data=workbook(survey), filename="s.xlsx", dry_run=True
    )
    found = {e["row"]: " ".join(e["problems"]) for e in report.errors}
    assert set(found) == {3, 5, 6}
    assert "没有本社区名为“民政综合台账”的在用条目" in found[3]
    assert "须填写并入（转入）条目的名称" in found[5]
    assert "只有合并或转为电子台账的条目填写并入对象" in found[6]


def test_a_merge_may_point_to_an_entry_already_kept(personas, lists):
    InventoryEntry.objects.create(
        community_id=ZHONGGULOU,
        kind=EntryKind.LEDGER,
        name="民政综合台账",
        medium=LedgerMedium.PAPER,
        since=dt.date(2022, 1, 1),
    )
    survey = {
        "台账": [
            LEDGER_HEADER,
            [
                ZHONGGULOU,
                "老龄台账",
                "",
                5,
                "纸质",
                2020,
                "2020-01-01",
                "合并",
                "2024-01-01",
                "并入民政综合台账",
                "民政综合台账",
            ],
        ]
    }
    report = survey_import(
        actor=personas.community_officer, data=workbook(survey), filename="s.xlsx", dry_run=False
    )
    assert report.ok, report.errors
    merged = entries(ZHONGGULOU).get(name="老龄台账")
    assert merged.status == EntryStatus.MERGED and merged.successor.name == "民政综合台账"


def test_importing_the_same_survey_twice_is_refused(personas, lists):
    data = workbook(good_survey())
    first = survey_import(
        actor=personas.street_officer, data=data, filename="s.xlsx", dry_run=False
    )
    assert first.ok
    again = survey_import(
        actor=personas.street_officer, data=data, filename="s.xlsx", dry_run=False
    )
    problems = {(e["sheet"], e["row"]): " ".join(e["problems"]) for e in again.errors}
    # Every row in use is a duplicate; the cleaned-up ones are history, but the paper ledger
    # now finds two electronic ledgers it could have gone into.
    assert sorted(problems) == [
        ("信息系统", 2),
        ("台账", 2),
        ("台账", 3),
        ("台账", 4),
        ("挂牌", 2),
        ("挂牌", 3),
        ("挂牌", 4),
    ]
    assert "无法确定并入哪一条" in problems[("台账", 2)]
    assert "请勿重复导入" in problems[("台账", 3)]
    assert InventoryEntry.objects.count() == 8


def test_an_entry_in_use_twice_in_the_file_is_refused(personas, lists):
    survey = {
        "挂牌": [
            SIGNBOARD_HEADER,
            [ZHONGGULOU, "社区老年协会", "", "", "", "2015"],
            [ZHONGGULOU, "社区老年协会", "", "", "", "2016"],
        ]
    }
    report = survey_import(
        actor=personas.community_officer, data=workbook(survey), filename="s.xlsx", dry_run=True
    )
    assert [(e["row"], e["problems"]) for e in report.errors] == [
        (3, ["名称：与第 2 行重复（同一社区同名、同形式、同年度的在用条目）。"])
    ]


def test_an_unknown_basis_item_is_an_error(personas, lists):
    survey = {"挂牌": [SIGNBOARD_HEADER, [ZHONGGULOU, "某协会", "", "", "某协会", "2015"]]}
    report = survey_import(
        actor=personas.community_officer, data=workbook(survey), filename="s.xlsx", dry_run=True
    )
    assert "依据清单事项：“某协会”不在本区现行的" in report.errors[0]["problems"][0]


def test_an_entry_may_cite_its_admission(personas, lists):
    admission = admission_row(personas, scope={ZHONGGULOU: 0}, title="高龄津贴协助")
    survey = {
        "台账": [
            LEDGER_HEADER,
            [ZHONGGULOU, "高龄津贴台账", "", 1, "电子", 2026, "2026-01-01"],
        ]
    }
    survey["台账"][0] = [*LEDGER_HEADER, "准入编号"]
    survey["台账"][1] += ["", "", "", "", admission.number]
    report = survey_import(
        actor=personas.community_officer, data=workbook(survey), filename="s.xlsx", dry_run=False
    )
    assert report.ok, report.errors
    assert entries(ZHONGGULOU).get().admission == admission


def test_a_workbook_without_known_sheets_or_rows_is_refused(personas, lists):
    report = survey_import(
        actor=personas.community_officer,
        data=workbook({"Sheet1": [["a", "b"]]}),
        filename="s.xlsx",
        dry_run=True,
    )
    assert report.ignored_sheets == ["Sheet1"]
    assert "没有找到可导入的工作表" in report.errors[0]["problems"][0]
    report = survey_import(
        actor=personas.community_officer,
        data=workbook({"挂牌": [SIGNBOARD_HEADER]}),
        filename="s.xlsx",
        dry_run=True,
    )
    assert "没有数据行" in report.errors[0]["problems"][0]
    report = survey_import(
        actor=personas.community_officer,
        data=workbook({"挂牌": [["名称"], ["社区居民委员会"]]}),
        filename="s.xlsx",
        dry_run=True,
    )
    assert report.errors == [
        {"sheet": "挂牌", "row": 1, "problems": ["缺少必需的列：社区代码、名称。"]}
    ]


def test_only_the_importers_of_inventories_may_import(personas, lists):
    for outsider in (personas.dept_clerk, personas.evaluator, personas.system_admin):
        with pytest.raises(Forbidden):
            survey_import(
                actor=outsider, data=workbook(good_survey()), filename="s.xlsx", dry_run=True
            )


# ---------------------------------------------------------------------------------------------
# Baselines


def test_the_group_office_records_baselines_from_the_survey(personas, lists):
    BurdenSnapshot.objects.create(
        community_id=ZHONGGULOU, taken_on=dt.date(2018, 1, 1), label="旧基线", is_baseline=True
    )
    survey = {
        "基线": [
            BASELINE_HEADER,
            [ZHONGGULOU, "2019-06-30", "2019年社区负担调查", 242, 46, 151, 32],
            [XILIN, dt.date(2019, 6, 30), "", 120, 10, 141, ""],
        ]
    }
    report = survey_import(
        actor=personas.group_secretary, data=workbook(survey), filename="s.xlsx", dry_run=False
    )
    assert report.ok, report.errors
    assert report.baselines == 2 and report.replaced_baselines == 1
    baseline = BurdenSnapshot.objects.get(community_id=ZHONGGULOU, is_baseline=True)
    assert (baseline.label, baseline.source, baseline.taken_on) == (
        "2019年社区负担调查",
        SnapshotSource.SURVEY,
        dt.date(2019, 6, 30),
    )
    assert (baseline.tasks, baseline.signboards, baseline.ledger_books, baseline.campaigns) == (
        242,
        46,
        151,
        32,
    )
    assert BurdenSnapshot.objects.get(community_id=XILIN).campaigns == 0


def test_only_the_group_office_records_baselines(personas, lists):
    survey = {"基线": [BASELINE_HEADER, [ZHONGGULOU, "2019-06-30", "", 242, 46, 151, 32]]}
    report = survey_import(
        actor=personas.community_officer, data=workbook(survey), filename="s.xlsx", dry_run=False
    )
    assert "基线只能由区社区减负工作领导小组办公室录入" in report.errors[0]["problems"][0]
    assert not BurdenSnapshot.objects.exists()


def test_bad_baseline_figures_are_reported(personas, lists):
    survey = {
        "基线": [
            BASELINE_HEADER,
            [ZHONGGULOU, "", "", -1, "很多", 151, 32],
            [ZHONGGULOU, "2019-06-30", "", 1, 1, 1, 1],
        ]
    }
    report = survey_import(
        actor=personas.group_secretary, data=workbook(survey), filename="s.xlsx", dry_run=True
    )
    assert report.errors[0]["problems"] == [
        "统计日期：不能为空。",
        "工作事项：应为不小于 0 的整数，而不是“-1”。",
        "挂牌：应为不小于 0 的整数，而不是“很多”。",
    ]
    assert "同一社区只能有一行基线（与第 2 行重复）" in report.errors[1]["problems"][0]


# ---------------------------------------------------------------------------------------------
# The pages and the background job


def test_the_template_round_trips_through_preview_and_confirmation(
    personas, lists, login, django_capture_on_commit_callbacks
):
    client = login(personas.group_secretary)
    response = client.get("/burden/import/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "说明",
        "挂牌",
        "台账",
        "创建评比",
        "信息系统",
        "基线",
        "社区名单",
        "依据清单事项",
    ]
    for name in ("挂牌", "台账", "创建评比", "信息系统", "基线"):
        example = [cell.value for cell in book[name][2]]
        assert any(str(v).startswith(EXAMPLE_MARK) for v in example if v), name
    headers = {name: [c.value for c in book[name][1]] for name in book.sheetnames[1:6]}
    assert headers["台账"][:9] == [
        "社区代码",
        "名称",
        "主管部门",
        "准入编号",
        "依据清单事项",
        "数量",
        "形式",
        "年度",
        "设立日期",
    ]
    assert [row[0].value for row in book["社区名单"].iter_rows(min_row=2)] == [
        "511002001001",
        "511002001002",
        "511002002001",
        "511002002002",
    ]

    def fill(name: str, **values) -> None:
        columns = headers[name]
        book[name].append([values.get(column, "") for column in columns])

    fill(
        "挂牌",
        社区代码=ZHONGGULOU,
        名称="社区党群服务中心",
        依据清单事项="社区党群服务中心",
        设立日期="2016-01-01",
    )
    fill(
        "台账",
        社区代码="西林社区",
        名称="综治台账",
        数量=20,
        形式="纸质",
        年度=2022,
        设立日期=dt.date(2022, 1, 1),
        清理方式="停用",
        清理日期="2025-01-01",
    )
    fill("创建评比", 社区代码=JIANDAOJIE, 名称="卫生社区创建", 一票否决="否", 设立日期="2020")
    fill("信息系统", 社区代码=XILIN, 名称="社区矫正信息系统", 设立日期="2021-07-01")
    fill("基线", 社区代码=XILIN, 统计日期="2019-06-30", 名称="2019年调查", 工作事项=200, 挂牌=22)
    buffer = io.BytesIO()
    book.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "市中区调查.xlsx"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/burden/import/", {"file": upload})
    preview = BackgroundJob.objects.get(kind="burden_import")
    assert response.status_code == 302 and response.url == f"/burden/import/{preview.pk}/"
    assert preview.status == JobStatus.SUCCEEDED, preview.result
    assert preview.result["skipped_examples"] == 5 and preview.result["created"] == 4
    page = client.get(response.url).content.decode()
    assert "预览（尚未写入）" in page and 'data-testid="confirm-import"' in page
    assert not InventoryEntry.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/burden/import/{preview.pk}/confirm/")
    done = BackgroundJob.objects.exclude(pk=preview.pk).get(kind="burden_import")
    assert response.url == f"/burden/import/{done.pk}/"
    assert done.status == JobStatus.SUCCEEDED and not done.options["dry_run"]
    assert InventoryEntry.objects.count() == 4
    assert entries(XILIN, EntryKind.LEDGER).get().status == EntryStatus.RETIRED
    assert BurdenSnapshot.objects.get(community_id=XILIN, is_baseline=True).signboards == 22
    assert "导入完成" in client.get(response.url).content.decode()
    # The preview gave its file up: a second confirmation imports nothing.
    response = client.post(f"/burden/import/{preview.pk}/confirm/", follow=True)
    assert "只能确认本人已预览的导入" in response.content.decode()
    assert InventoryEntry.objects.count() == 4


def test_the_template_has_no_baseline_sheet_for_a_community(personas, lists, login):
    response = login(personas.community_officer).get("/burden/import/template.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert "基线" not in book.sheetnames
    assert [row[0].value for row in book["社区名单"].iter_rows(min_row=2)] == [ZHONGGULOU]


def test_a_failed_preview_lists_every_problem_and_cannot_be_confirmed(
    personas, lists, login, django_capture_on_commit_callbacks
):
    client = login(personas.community_officer)
    upload = io.BytesIO(workbook(good_survey()))
    upload.name = "调查.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/burden/import/", {"file": upload})
    page = client.get(response.url).content.decode()
    assert 'data-testid="error-row"' in page and "没有名为“箭道街社区”的社区" in page
    assert 'data-testid="confirm-import"' not in page
    job = BackgroundJob.objects.get(kind="burden_import")
    response = client.post(f"/burden/import/{job.pk}/confirm/", follow=True)
    assert "预览发现问题" in response.content.decode()
    assert not InventoryEntry.objects.exists()


def test_the_import_pages_are_for_those_who_keep_inventories(personas, lists, login):
    for user in (personas.community_officer, personas.street_officer, personas.group_secretary):
        assert login(user).get("/burden/import/").status_code == 200
    for user in (personas.dept_clerk, personas.evaluator, personas.auditor):
        client = login(user)
        assert client.get("/burden/import/").status_code == 403
        assert client.get("/burden/import/template.xlsx").status_code == 403


def test_a_preview_belongs_to_whoever_uploaded_it(personas, lists, login):
    job = survey_import_start(
        actor=personas.street_officer, data=workbook(good_survey()), filename="s.xlsx"
    )
    other = login(personas.street_officer2)
    assert other.get(f"/burden/import/{job.pk}/").status_code == 404
    assert other.post(f"/burden/import/{job.pk}/confirm/").status_code == 404
    with pytest.raises(Exception, match="只能确认本人已预览的导入"):
        survey_import_confirm(actor=personas.street_officer2, preview=job)
    assert not InventoryEntry.objects.exists()


def test_a_file_that_is_not_xlsx_is_refused_on_upload(personas, login):
    upload = io.BytesIO(b"a,b\n1,2\n")
    upload.name = "调查.csv"
    response = login(personas.community_officer).post("/burden/import/", {"file": upload})
    assert response.status_code == 200
    assert "请上传 XLSX 格式的调查表" in response.content.decode()
    assert not BackgroundJob.objects.exists()


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        (dt.date(2020, 3, 1), dt.date(2020, 3, 1)),
        (dt.datetime(2020, 3, 1, 8, 0), dt.date(2020, 3, 1)),
        ("2020-03-01", dt.date(2020, 3, 1)),
        ("2020/3/1", dt.date(2020, 3, 1)),
        ("2020.3.1", dt.date(2020, 3, 1)),
        ("2020年3月1日", dt.date(2020, 3, 1)),
        ("20200301", dt.date(2020, 3, 1)),
        (20200301.0, dt.date(2020, 3, 1)),
        ("2020-03", dt.date(2020, 3, 1)),
        ("2020年3月", dt.date(2020, 3, 1)),
        ("2020", dt.date(2020, 1, 1)),
        (2020.0, dt.date(2020, 1, 1)),
        (43891.0, dt.date(2020, 3, 1)),
        ("", None),
        (None, None),
    ],
)
def test_survey_dates_are_read_as_offices_write_them(cell, day):
    assert parse_date(cell) == day


@pytest.mark.parametrize("cell", ["去年", "2020-13-01", "2020-02-30", 12.5, "3/1/2020"])
def test_a_date_that_is_not_one_is_refused(cell):
    with pytest.raises(ValueError):
        parse_date(cell)
