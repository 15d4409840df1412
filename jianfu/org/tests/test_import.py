"""Region and unit imports: all rows or none, every bad row reported with its number and reason."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from jianfu.core.models import AuditRecord, BackgroundJob, JobStatus
from jianfu.org.models import Region, Unit
from jianfu.org.services import regions_import, units_import


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(text: str, encoding: str = "utf-8-sig") -> bytes:
    return text.encode(encoding)


GOOD_REGIONS = [
    ["区划代码", "名称", "层级", "上级区划代码"],
    ["511002003000", "城南街道", "街道", "511002000000"],
    # A child listed before its parent still finds it in the same file.
    ["511002003001", "南门社区", "社区", "511002003000"],
    ["511002003002", "荷叶社区", "社区/村", "511002003000"],
    [511002001001, "钟鼓楼社区（更名）", "社区", 511002001000],  # numbers, as Excel stores them
]


def test_good_region_file_is_imported_whole(personas):
    report = regions_import(
        actor=personas.system_admin, data=xlsx(GOOD_REGIONS), filename="regions.xlsx"
    )
    assert report.ok, report.errors
    assert (report.created, report.updated) == (3, 1)
    assert Region.objects.get(code="511002003001").parent_id == "511002003000"
    assert Region.objects.get(code="511002001001").name == "钟鼓楼社区（更名）"
    assert AuditRecord.objects.filter(action="region.import").count() == 1


def test_english_headers_and_gbk_csv_are_accepted(personas):
    text = "code,name,level,parent_code\n511002004000,白马镇,town,511002000000\n"
    report = regions_import(
        actor=personas.system_admin, data=csv_bytes(text, "gb18030"), filename="r.csv"
    )
    assert not report.ok  # "town" is not a level word
    assert report.errors[0]["row"] == 2
    text = text.replace("town", "street")
    report = regions_import(
        actor=personas.system_admin, data=csv_bytes(text, "gb18030"), filename="r.csv"
    )
    assert report.ok and Region.objects.get(code="511002004000").name == "白马镇"


def test_bad_region_file_writes_nothing_and_reports_every_bad_row(personas):
    rows = [
        ["code", "name", "level", "parent_code"],
        ["511002005000", "好街道", "street", "511002000000"],  # row 2: good
        ["51100200600", "短代码", "street", "511002000000"],  # row 3: 11 digits
        ["511002007000", "", "street", "511002000000"],  # row 4: no name
        ["511002008000", "无上级", "street", "511099000000"],  # row 5: parent missing
        ["511002009000", "层级错", "planet", "511002000000"],  # row 6: level
        ["511002005000", "重复", "street", "511002000000"],  # row 7: duplicate of row 2
        ["320303009000", "外省代码", "street", "511002000000"],  # row 8: not under parent
        ["511002001005", "跨级", "community", "511002000000"],  # row 9: parent is a district
        ["511002010001", "代码层级不符", "street", "511002000000"],  # row 10
    ]
    before = Region.objects.count()
    report = regions_import(actor=personas.system_admin, data=xlsx(rows), filename="bad.xlsx")
    assert not report.ok
    assert [e["row"] for e in report.errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = {e["row"]: " ".join(e["problems"]) for e in report.errors}
    assert "12 位数字" in reasons[3]
    assert "名称不能为空" in reasons[4]
    assert "511099000000 不存在" in reasons[5]
    assert "层级无法识别" in reasons[6]
    assert "第 2 行重复" in reasons[7]
    assert "511002" in reasons[8]
    assert "上级区划应为街道/乡镇级" in reasons[9]
    assert "代码与层级不符" in reasons[10]
    assert Region.objects.count() == before
    assert not AuditRecord.objects.filter(action="region.import").exists()


def test_region_import_outside_jurisdiction_is_refused_row_by_row(personas):
    admin = personas.system_admin
    admin.unit = Unit.objects.get(name="市中区民政局")
    admin.save(update_fields=["unit"])
    rows = [
        ["code", "name", "level", "parent_code"],
        ["511002006000", "本区街道", "street", "511002000000"],
        ["320303009000", "外区街道", "street", "320303000000"],
    ]
    report = regions_import(actor=admin, data=xlsx(rows), filename="r.xlsx")
    assert [e["row"] for e in report.errors] == [3]
    assert "管辖范围" in report.errors[0]["problems"][0]
    assert not Region.objects.filter(code="511002006000").exists()


def test_missing_columns_are_named(personas):
    from jianfu.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as error:
        regions_import(
            actor=personas.system_admin, data=csv_bytes("名称\n城南街道\n"), filename="r.csv"
        )
    assert "区划代码" in str(error.value.message) and "层级" in str(error.value.message)


def test_good_unit_file_is_imported_and_existing_units_updated(personas):
    rows = [
        ["单位名称", "单位类型", "区划代码"],
        ["市中区教育局", "职能部门", "511002000000"],
        ["城东街道社区卫生服务中心", "派驻机构", "511002001000"],
        ["市中区社会工作服务中心", "社会组织", "511002000000"],  # exists: updated
    ]
    report = units_import(actor=personas.system_admin, data=xlsx(rows), filename="u.xlsx")
    assert report.ok, report.errors
    assert (report.created, report.updated) == (2, 1)
    unit = Unit.objects.get(name="市中区教育局")
    assert unit.district_code == "511002000000" and unit.sort_key.startswith("shi4")


def test_bad_unit_file_writes_nothing(personas):
    rows = [
        ["name", "type", "region_code"],
        ["市中区教育局", "department", "511002000000"],
        ["", "department", "511002000000"],
        ["某单位", "外星机构", "511002000000"],
        ["某单位二", "department", "999999999999"],
        ["市中区教育局", "department", "511002000000"],
    ]
    before = Unit.objects.count()
    report = units_import(actor=personas.system_admin, data=xlsx(rows), filename="u.xlsx")
    assert [e["row"] for e in report.errors] == [3, 4, 5, 6]
    assert Unit.objects.count() == before


def test_import_page_runs_as_a_job_with_progress(
    personas, login, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(personas.system_admin)
    upload = SimpleUploadedFile("regions.xlsx", xlsx(GOOD_REGIONS))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/regions/import/", {"file": upload})
    assert response.status_code == 302
    job = BackgroundJob.objects.get()
    assert job.status == JobStatus.SUCCEEDED and job.percent == 100
    assert job.payload == b""  # the upload is dropped once used
    page = client.get(response["Location"]).content.decode()
    assert "新增 3 条" in page
    # Another user cannot see the job.
    assert login(personas.audit_admin).get(response["Location"]).status_code == 404


def test_import_page_lists_bad_rows(personas, login, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(personas.system_admin)
    bad = xlsx([["code", "name", "level"], ["123", "坏", "street"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/units/import/", {"file": SimpleUploadedFile("u.xlsx", bad)})
    page = client.get(response["Location"]).content.decode()
    assert "未导入任何数据" in page


def test_import_command_reports_bad_rows_and_fails(personas, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes("code,name,level,parent_code\n123,坏,street,511002000000\n"))
    with pytest.raises(CommandError, match="1 行有问题"):
        call_command("import_regions", str(path))
    good = tmp_path / "good.csv"
    good.write_bytes(
        csv_bytes("区划代码,名称,层级,上级区划代码\n511002006000,城北街道,街道,511002000000\n")
    )
    call_command("import_regions", str(good))
    assert Region.objects.filter(code="511002006000").exists()
