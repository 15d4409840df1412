"""Importing the spreadsheets offices keep: all rows or none, every problem by row and column."""

import csv
import io
import json

import pytest
from openpyxl import Workbook, load_workbook

from jianfu.catalog import selectors, services
from jianfu.catalog.codes import code_problem, parse_legal_basis, parse_power_type
from jianfu.catalog.exports import export_bytes
from jianfu.catalog.imports import list_import
from jianfu.catalog.models import PowerType
from jianfu.catalog.reference import item_type_vocabulary
from jianfu.core.errors import Conflict, Forbidden

HEADER = [
    "序号",
    "事项名称",
    "子项名称",
    "事项编码",
    "事项类型",
    "设定依据",
    "责任部门",
    "类别",
    "备注",
]
GOOD_ROWS = [
    [
        "1",
        "社会救助",
        "",
        "SZQ-XZ-001",
        "",
        "《社会救助暂行办法》第十一条",
        "民政局",
        "民生保障",
        "",
    ],
    [
        "2",
        "",
        "最低生活保障申请受理",
        "",
        "",
        "《社会救助暂行办法》第十一条",
        "民政局",
        "民生保障",
        "",
    ],
    ["3", "", "临时救助对象排查", "", "", "", "民政局", "民生保障", ""],
    [
        "4",
        "征兵宣传",
        "",
        "SZQ-XZ-002",
        "",
        "《中华人民共和国兵役法》第十五条",
        "武装部",
        "其他",
        "",
    ],
]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig"):
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def draft(personas, duty_list):
    return services.version_start(
        actor=personas.review_officer, catalog_list=duty_list, label="2026版"
    )


def run(personas, duty_list, data, filename="清单.csv", dry_run=False, **kw):
    return list_import(
        actor=personas.review_officer,
        catalog_list=duty_list,
        data=data,
        filename=filename,
        dry_run=dry_run,
        **kw,
    )


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("清单.csv", csv_bytes),
        ("清单.xlsx", xlsx_bytes),
        ("清单-gbk.csv", lambda rows: csv_bytes(rows, encoding="gb18030")),
        ("清单-nobom.csv", lambda rows: csv_bytes(rows, encoding="utf-8")),
    ],
)
def test_good_file_replaces_the_draft_with_sub_items(personas, duty_list, draft, filename, make):
    report = run(personas, duty_list, make(GOOD_ROWS), filename)
    assert report.ok, report.errors
    assert (report.created, report.removed) == (4, 3)
    items = {i.name: i for i in draft.items.all()}
    assert set(items) == {"社会救助", "最低生活保障申请受理", "临时救助对象排查", "征兵宣传"}
    assert items["最低生活保障申请受理"].parent_key == items["社会救助"].key
    assert items["临时救助对象排查"].parent_key == items["社会救助"].key
    assert items["社会救助"].legal_law == "《社会救助暂行办法》"
    assert items["社会救助"].legal_article == "第十一条"
    cancelled = draft.changes.filter(change_type="cancel").count()
    assert cancelled == 3


def test_importing_the_same_file_twice_duplicates_nothing(personas, duty_list, draft):
    run(personas, duty_list, csv_bytes(GOOD_ROWS))
    keys = {str(i.key) for i in draft.items.all()}
    changes = draft.changes.count()
    again = run(personas, duty_list, csv_bytes(GOOD_ROWS))
    assert (again.created, again.updated, again.removed, again.unchanged) == (0, 0, 0, 4)
    assert {str(i.key) for i in draft.items.all()} == keys
    assert draft.changes.count() == changes


def test_a_changed_row_updates_the_item_and_keeps_its_key(personas, duty_list, draft):
    run(personas, duty_list, csv_bytes(GOOD_ROWS))
    key = draft.items.get(code="SZQ-XZ-002").key
    rows = [*GOOD_ROWS[:3], [*GOOD_ROWS[3][:6], "人武部", *GOOD_ROWS[3][7:]]]
    report = run(personas, duty_list, csv_bytes(rows))
    assert (report.updated, report.created) == (1, 0)
    item = draft.items.get(code="SZQ-XZ-002")
    assert (item.key, item.department) == (key, "人武部")


def test_bad_file_writes_nothing_and_reports_every_bad_row(personas, duty_list, draft):
    before = selectors.version_snapshot(draft)
    rows = [
        GOOD_ROWS[0],
        ["2", "", "", "", "", "", "", "", ""],  # no name
        ["3", "征兵宣传", "", "SZQ XZ 9", "", "", "", "", ""],  # bad code
        ["4", "重复编码", "", "SZQ-XZ-001", "", "", "", "", ""],  # code repeated
        ["5", "消防宣传", "", "", "行政处理", "", "", "", ""],  # unknown type
        ["6", "", "孤儿子项", "", "", "", "", "", ""],  # fine: parent is row 5's item
        ["7", "不存在的主项", "子项", "", "", "", "", "", ""],  # parent missing
    ]
    report = run(personas, duty_list, csv_bytes(rows))
    assert not report.ok
    assert [e["row"] for e in report.errors] == [3, 4, 5, 6, 8]
    problems = {e["row"]: " ".join(e["problems"]) for e in report.errors}
    assert "事项名称" in problems[3] and "不能为空" in problems[3]
    assert "事项编码" in problems[4]
    assert "与第 2 行重复" in problems[5]
    assert "事项类型" in problems[6]
    assert "须在本行之前出现" in problems[8]
    assert selectors.version_snapshot(draft) == before
    assert report.created == 0


def test_dry_run_previews_exactly_and_changes_nothing(personas, duty_list, draft):
    before = selectors.version_snapshot(draft)
    report = run(personas, duty_list, csv_bytes(GOOD_ROWS), dry_run=True)
    assert report.ok and report.dry_run
    assert (report.created, report.removed) == (4, 3)
    assert "社会救助" in report.preview["added"]
    assert selectors.version_snapshot(draft) == before
    assert draft.changes.count() == 0


def test_unknown_headers_are_mapped_by_the_user(personas, duty_list, draft):
    header = ["编号", "工作内容", "牵头单位"]
    data = csv_bytes([["1", "网格化服务管理", "区委政法委"]], header=header)
    with pytest.raises(Exception) as missing:
        run(personas, duty_list, data)
    assert "事项名称" in str(missing.value)
    report = run(
        personas,
        duty_list,
        data,
        mapping={"工作内容": "name", "牵头单位": "department"},
    )
    assert report.ok
    assert draft.items.get(name="网格化服务管理").department == "区委政法委"


def test_import_needs_a_draft_and_edit_rights(personas, duty_list, other_reviewer):
    with pytest.raises(Conflict):
        run(personas, duty_list, csv_bytes(GOOD_ROWS))
    with pytest.raises(Forbidden):
        list_import(
            actor=other_reviewer,
            catalog_list=duty_list,
            data=csv_bytes(GOOD_ROWS),
            filename="a.csv",
            dry_run=True,
        )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_gives_the_same_list(personas, duty_list, draft, fmt):
    run(personas, duty_list, csv_bytes(GOOD_ROWS))
    exported = export_bytes(draft, fmt)
    before = selectors.version_snapshot(draft)
    report = run(personas, duty_list, exported, f"export.{fmt}")
    assert (report.created, report.updated, report.removed) == (0, 0, 0)
    assert selectors.version_snapshot(draft) == before


def test_exports_have_chinese_headers_bom_and_frozen_header(personas, duty_list):
    version = selectors.current_version(duty_list)
    data = export_bytes(version, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0].startswith("序号,事项编码,事项名称")
    sheet = load_workbook(io.BytesIO(export_bytes(version, "xlsx"))).active
    assert sheet.freeze_panes == "A2"
    assert sheet["C1"].value == "事项名称" and sheet["C2"].value.startswith("召集居民会议")
    assert sheet.column_dimensions["H"].width == 60
    document = json.loads(export_bytes(version, "json"))
    assert document["version"]["document_number"] == "市中委编〔2025〕3号"
    assert len(document["items"]) == 3


def test_the_xlsx_export_writes_a_name_that_looks_like_a_formula_as_text(personas, draft):
    formula = '=HYPERLINK("http://example.invalid","点击查看")'
    services.item_add(
        actor=personas.review_officer, version=draft, values={"name": formula}, reason="测试"
    )
    sheet = load_workbook(io.BytesIO(export_bytes(draft, "xlsx"))).active
    (cell,) = [row[2] for row in sheet.iter_rows(min_row=2) if row[2].value == formula]
    assert cell.data_type == "s" and cell.quotePrefix


NATIONAL = "511A0138000000-511602000000-000-115113010833722043-1-00"


@pytest.mark.parametrize(
    ("code", "pattern", "ok"),
    [
        (NATIONAL, "", True),
        (NATIONAL.replace("043-1", "044-1"), "", False),  # credit-code check digit wrong
        ("511A0138000000-51160200000-000-115113010833722043-1-00", "", False),  # 11 digits
        ("511A0138000000-511602000000-001-115113010833722043-1-00", "", False),
        ("SZQ-ZZ-001", "", True),
        ("社区-001", "", False),
        ("SZQ-ZZ-001", r"SZQ-ZZ-\d{3}", True),
        ("SZQ-ZZ-1", r"SZQ-ZZ-\d{3}", False),
        (NATIONAL, r"SZQ-ZZ-\d{3}", True),  # the national form is always accepted
    ],
)
def test_item_code_validation(code, pattern, ok):
    assert (code_problem(code, local_pattern=pattern) is None) is ok


def test_item_types_accept_national_codes_sichuan_codes_and_names():
    assert parse_power_type("01") == parse_power_type("1") == parse_power_type("行政许可") == "01"
    assert parse_power_type("20") == parse_power_type("公共服务") == "20"
    assert parse_power_type("99") is None
    assert dict(item_type_vocabulary()) == {t.value: str(t.label) for t in PowerType}


def test_legal_basis_is_split_into_law_article_and_quoted_text():
    basis = parse_legal_basis("《中华人民共和国城市居民委员会组织法》第三条第一款：宣传宪法")
    assert basis.law == "《中华人民共和国城市居民委员会组织法》"
    assert basis.article == "第三条第一款"
    assert basis.text == "宣传宪法"
    assert parse_legal_basis("区委文件要求").text == "区委文件要求"


def test_a_title_above_the_header_is_skipped_and_rows_keep_their_numbers(
    personas, duty_list, draft
):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["市中区社区工作事项清单（2026年）"])
    sheet.append([])
    sheet.append(HEADER)
    sheet.append(GOOD_ROWS[0])
    sheet.append(["2", "", "", "", "", "", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(personas, duty_list, buffer.getvalue(), "带标题.xlsx")
    assert [e["row"] for e in report.errors] == [5]
