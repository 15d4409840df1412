"""The files funds hands out, answered the same way by the pages and the API: a voucher as it
was uploaded, and the XLSX workbooks of the funding report and the ledger."""

from __future__ import annotations

from django.http import HttpResponse

from jianfu.admission.services import document_content_type
from jianfu.core.http import content_disposition
from jianfu.funds.models import Voucher

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _private(response: HttpResponse) -> HttpResponse:
    # Vouchers and ledgers name communities, people and payments: kept out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


def voucher_response(voucher: Voucher) -> HttpResponse:
    """The voucher's bytes as an attachment. Only the document kinds the site knows (PDF, OFD,
    Office, JPEG, PNG) keep their type; anything else anyone uploaded (an HTML page, an SVG) is
    a plain download, so the browser never runs it as part of the site."""
    response = HttpResponse(
        bytes(voucher.content), content_type=document_content_type(voucher.name)
    )
    response["Content-Disposition"] = content_disposition(voucher.name)
    return _private(response)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A workbook as an attachment named `filename`."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(filename)
    return _private(response)
