"""The certificate workbooks: the seal-use log of a year for the archive and the register of
requests. Neither ever holds a plain ID number, each reads only what its reader may see, and
people's words are written as text, never as formulas."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jianfu.certificates import services
from jianfu.certificates.exports import REQUEST_COLUMNS, SEAL_COLUMNS
from jianfu.certificates.tests.conftest import ID_NUMBER, OTHER_ID_NUMBER, request_make
from jianfu.core.id_numbers import id_number_mask
from jianfu.core.models import AuditRecord

pytestmark = pytest.mark.django_db


def workbook_of(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "private, no-store"
    return load_workbook(io.BytesIO(response.content))


def cells(workbook) -> list:
    return [
        cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
    ]


def no_plain_id_numbers(workbook, *numbers: str) -> None:
    """Every cell of every sheet, the full number in any case and inside any text."""
    for value in cells(workbook):
        text = str(value or "").upper()
        for number in numbers:
            assert number.upper() not in text, value


def rows(workbook) -> list[list]:
    sheet = workbook.worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]


@pytest.fixture
def xilin_use(personas, other_community):
    """A work use of 西林社区's seal (another street's community)."""
    return services.seal_use_record(
        actor=personas.community_officer2,
        community=other_community,
        content="西林社区报送材料",
        approver=personas.community_officer2,
        requester_name="西林居民",
    )


# The seal-use log --------------------------------------------------------------------------------


def test_the_seal_log_has_the_archive_columns_and_no_plain_id_number(
    personas, login, issued, community
):
    certificate, _code = issued
    services.seal_use_record(
        actor=personas.community_officer,
        community=community,
        content="报送社区年度工作总结",
        approver=personas.community_head,
        requester_name="李明",
        requester_phone="0832-2000000",
        copies=3,
    )
    workbook = workbook_of(
        login(personas.community_officer).get(reverse("certificates_seal_export"))
    )
    sheet = workbook.worksheets[0]
    year = timezone.localdate().year
    assert sheet["A1"].value == f"钟鼓楼社区{year}年度印章使用登记簿"
    assert [cell.value for cell in sheet[2]] == [name for name, _width in SEAL_COLUMNS]
    assert [name for name, _width in SEAL_COLUMNS] == [
        "用印时间",
        "类别",
        "用印事由",
        "份数",
        "审批人",
        "经办人",
        "申请人",
        "联系电话",
        "证明编号",
    ]
    found = rows(workbook)
    assert len(found) == 2
    first, second = found
    assert first[1] == "出具证明用章" and first[3] == 2 and first[8] == certificate.serial
    assert second[1] == "工作用章" and second[2] == "报送社区年度工作总结" and second[3] == 3
    assert second[7] == "0832-2000000" and second[8] is None
    no_plain_id_numbers(workbook, ID_NUMBER)
    record = AuditRecord.objects.get(action="certificates.seal_export")
    assert record.changes["year"] == year


def test_the_street_exports_its_communities_and_filters_one(
    personas, login, issued, xilin_use, community
):
    client = login(personas.street_officer)
    everything = rows(workbook_of(client.get(reverse("certificates_seal_export"))))
    assert len(everything) == 1 and everything[0][8] == issued[0].serial
    district = login(personas.group_secretary)
    both = rows(workbook_of(district.get(reverse("certificates_seal_export"))))
    assert len(both) == 2
    one = rows(
        workbook_of(
            district.get(reverse("certificates_seal_export"), {"community": community.code})
        )
    )
    assert len(one) == 1


@pytest.mark.parametrize("username", ["community_officer2", "street_officer2"])
def test_another_street_exports_none_of_zhonggulous_seal_uses(personas, login, issued, username):
    workbook = workbook_of(
        login(getattr(personas, username)).get(reverse("certificates_seal_export"))
    )
    assert rows(workbook) == []


def test_last_years_log_is_empty_this_year(personas, login, issued):
    year = timezone.localdate().year - 1
    workbook = workbook_of(
        login(personas.community_officer).get(reverse("certificates_seal_export"), {"year": year})
    )
    assert rows(workbook) == []


def test_a_reason_that_looks_like_a_formula_stays_text(personas, login, community):
    services.seal_use_record(
        actor=personas.community_officer,
        community=community,
        content='=HYPERLINK("http://example.com","点击")',
        approver=personas.community_head,
        requester_name="-李明",
    )
    workbook = workbook_of(
        login(personas.community_officer).get(reverse("certificates_seal_export"))
    )
    sheet = workbook.worksheets[0]
    assert sheet["C3"].data_type == "s" and sheet["C3"].value.startswith("=HYPERLINK")
    assert sheet["G3"].data_type == "s"


# The register of requests ----------------------------------------------------------------------


def test_the_register_shows_the_masked_number_only(
    personas, login, issued, community, other_community
):
    request_make(
        personas.community_officer,
        community,
        type_name="无犯罪记录证明",
        asking_body="某某人力资源公司",
        id_number=OTHER_ID_NUMBER,
    )
    workbook = workbook_of(login(personas.community_officer).get(reverse("certificates_export")))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[2]] == [name for name, _width in REQUEST_COLUMNS]
    found = rows(workbook)
    assert len(found) == 2
    masked = {row[4] for row in found}
    assert masked == {id_number_mask(ID_NUMBER), id_number_mask(OTHER_ID_NUMBER)}
    issued_row = next(row for row in found if row[9] == "已出具")
    assert issued_row[11] == issued[0].serial
    refused_row = next(row for row in found if row[9] == "不予出具")
    assert refused_row[10] == "属于不应由社区出具的证明事项"
    no_plain_id_numbers(workbook, ID_NUMBER, OTHER_ID_NUMBER)
    assert AuditRecord.objects.filter(action="certificates.requests_export").exists()


def test_the_register_follows_the_lists_filters(personas, login, issued, community):
    request_make(
        personas.community_officer, community, type_name="居住证明", id_number=OTHER_ID_NUMBER
    )
    client = login(personas.community_officer)
    refused = rows(workbook_of(client.get(reverse("certificates_export"), {"state": "refused"})))
    assert [row[2] for row in refused] == ["居住证明"]


def test_the_register_of_the_district_covers_every_street_without_plain_numbers(
    personas, login, issued, other_community
):
    request_make(
        personas.community_officer2,
        other_community,
        type_name="居民养犬证明",
        resident_name="西林居民",
        id_number=OTHER_ID_NUMBER,
    )
    workbook = workbook_of(login(personas.auditor).get(reverse("certificates_export")))
    assert {row[1] for row in rows(workbook)} == {"钟鼓楼社区", "西林社区"}
    no_plain_id_numbers(workbook, ID_NUMBER, OTHER_ID_NUMBER)


@pytest.mark.parametrize("username", ["community_officer2", "street_officer2"])
def test_another_street_exports_none_of_zhonggulous_requests(personas, login, issued, username):
    workbook = workbook_of(login(getattr(personas, username)).get(reverse("certificates_export")))
    assert rows(workbook) == []
