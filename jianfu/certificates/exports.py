"""The certificate app's workbooks: the seal-use log of a year for the year-end archive, and the
register of certificate requests.

Both are Chinese records whatever language the reader uses, written with openpyxl's write-only
mode (a year of a district's seal uses stays small in memory) and with every string written as
text, never as a formula (jianfu.core.xlsx): names, reasons and asking bodies are people's words.
A resident's ID number appears only masked: the register never had it in clear.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from django.db.models import F, QuerySet
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from jianfu.certificates.models import CertificateRequest, RefusalGround, RequestState, SealUse
from jianfu.core.xlsx import text_row, titled_sheet_start

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

SEAL_COLUMNS = [
    ("用印时间", 17),
    ("类别", 13),
    ("用印事由", 44),
    ("份数", 6),
    ("审批人", 16),
    ("经办人", 16),
    ("申请人", 12),
    ("联系电话", 15),
    ("证明编号", 22),
]

REQUEST_COLUMNS = [
    ("受理时间", 17),
    ("社区", 14),
    ("证明事项", 30),
    ("申请人", 10),
    ("公民身份号码（隐去中间8位）", 22),
    ("联系电话", 15),
    ("索要证明单位", 22),
    ("援引的依据条款", 26),
    ("证明用途", 26),
    ("状态", 9),
    ("不予出具理由", 26),
    ("证明编号", 22),
    ("办结时间", 17),
]


def _when(sheet, moment: dt.datetime | None):
    """A local date and time a spreadsheet sorts and filters as one."""
    if moment is None:
        return None
    local = timezone.localtime(moment).replace(tzinfo=None, microsecond=0)
    cell = WriteOnlyCell(sheet, value=local)
    cell.number_format = DATETIME_FORMAT
    return cell


def _state(request: CertificateRequest) -> str:
    state = str(RequestState(request.state).label)
    return f"{state}（已撤销）" if getattr(request, "revoked_at", None) else state


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def seal_log_xlsx(*, title: str, uses: Iterable[SealUse]) -> bytes:
    """The seal-use log (印章使用登记簿): one row per use, in the order they happened."""
    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        sheet = workbook.create_sheet(title="印章使用登记")
        titled_sheet_start(sheet, title, SEAL_COLUMNS)
        for use in uses:
            sheet.append(
                text_row(
                    sheet,
                    [
                        _when(sheet, use.used_at),
                        str(use.get_kind_display()),
                        use.content,
                        use.copies,
                        use.approver_name,
                        use.handler_name,
                        use.requester_name,
                        use.requester_phone,
                        use.certificate.serial if use.certificate else "",
                    ],
                )
            )
    return _save(workbook)


def requests_xlsx(*, title: str, requests: QuerySet[CertificateRequest]) -> bytes:
    """The register of certificate requests (开具证明登记台账) as the list shows them."""
    workbook = Workbook(write_only=True)
    rows = requests.annotate(serial=F("certificate__serial")).order_by("received_at", "id")
    with translation.override("zh-hans"):
        sheet = workbook.create_sheet(title="开具证明登记")
        titled_sheet_start(sheet, title, REQUEST_COLUMNS)
        for request in rows.iterator(chunk_size=500):
            sheet.append(
                text_row(
                    sheet,
                    [
                        _when(sheet, request.received_at),
                        request.community.name,
                        request.type_name,
                        request.resident_name,
                        # The masked form is all the register keeps in view.
                        request.id_masked,
                        request.resident_phone,
                        request.asking_body,
                        request.asking_clause,
                        request.purpose,
                        _state(request),
                        str(RefusalGround(request.refusal_ground).label)
                        if request.refusal_ground
                        else "",
                        request.serial or "",
                        _when(sheet, request.decided_at),
                    ],
                )
            )
    return _save(workbook)
