"""The funding report and the whole ledger as XLSX workbooks, for finance offices and auditors.

Amounts are numbers in yuan with a two-decimal format (so Excel and WPS can add them up), rates
are percentages, the header row is frozen. Exports are Chinese whatever language the person
downloading reads the site in, as the list exports are. Every string is written as text, never
as a formula: memos, titles, fund sources and file names are people's words (`jianfu.core.xlsx`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from jianfu.core.xlsx import text_row, titled_sheet_start
from jianfu.funds import selectors
from jianfu.funds.models import AccountKind, TransactionKind
from jianfu.funds.selectors import ReportRow
from jianfu.org.models import User

YUAN_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Rows above the data: the title, then the header, which stays in view while scrolling.

GROUP_NAMES = {
    "admission": "准入事项",
    "department": "部门",
    "street": "街道",
    "community": "社区",
    "year": "年度",
}
# The first columns of each grouping (header, width); the money columns follow.
GROUP_COLUMNS = {
    "admission": [("准入编号", 22), ("事项名称", 36), ("主管部门", 18)],
    "department": [("部门", 24)],
    "street": [("街道", 18)],
    "community": [("社区", 18), ("所属街道", 18)],
    "year": [("年度", 10)],
}
MONEY_COLUMNS = [
    ("承诺金额（元）", 16),
    ("到位金额（元）", 16),
    ("支出金额（元）", 16),
    ("结余（元）", 16),
    ("到位率", 10),
]


def yuan(fen: int) -> Decimal:
    """Fen as an exact number of yuan."""
    return Decimal(fen).scaleb(-2)


def _cell(sheet: WriteOnlyWorksheet, value: Any, number_format: str = "", bold: bool = False):
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _group_cells(by: str, row: ReportRow) -> list:
    if by == "admission":
        return [row.name, row.detail, row.department]
    if by == "community":
        return [row.name, row.detail]
    if by == "year":
        return [int(row.key)]
    return [row.name]


def _money_cells(sheet: WriteOnlyWorksheet, row: ReportRow, bold: bool = False) -> list:
    return [
        *(
            _cell(sheet, yuan(fen), YUAN_FORMAT, bold)
            for fen in (row.committed, row.transferred, row.spent, row.left)
        ),
        _cell(sheet, row.delivery_rate, PERCENT_FORMAT, bold),
    ]


def report_title(*, area: str, year: int | None, by: str) -> str:
    period = f"{year} 年" if year is not None else "历年"
    return f"{area}{period}经费到位情况（按{GROUP_NAMES[by]}）"


def report_xlsx(*, title: str, by: str, rows: Sequence[ReportRow], total: ReportRow) -> bytes:
    """The funding report's rows as shown on its page, with the total as the last row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="经费到位")
    titled_sheet_start(sheet, title, [*GROUP_COLUMNS[by], *MONEY_COLUMNS])
    for row in rows:
        sheet.append(text_row(sheet, [*_group_cells(by, row), *_money_cells(sheet, row)]))
    if len(rows) > 1:
        padding = [""] * (len(GROUP_COLUMNS[by]) - 1)
        sheet.append([_cell(sheet, "合计", bold=True), *padding, *_money_cells(sheet, total, True)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


LEDGER_COLUMNS = [
    ("凭证号", 9),
    ("记账时间", 20),
    ("类别", 12),
    ("年度", 7),
    ("摘要", 40),
    ("账户编号", 9),
    ("账户名称", 28),
    ("准入编号", 22),
    ("金额（元）", 16),
    ("附件", 20),
    ("附件 SHA-256", 66),
    ("冲正的凭证号", 12),
    ("记账人", 16),
]
ACCOUNT_COLUMNS = [
    ("账户编号", 9),
    ("类别", 14),
    ("账户名称", 30),
    ("所属单位或区划", 24),
    ("上级账户", 24),
    ("资金来源", 16),
    ("余额（元）", 16),
]


def _local(moment) -> Any:
    # Excel has no time zones: the time is written as the district's wall-clock time.
    return timezone.localtime(moment).replace(tzinfo=None)


def _ledger_rows(sheet: WriteOnlyWorksheet, postings: Iterable[dict]) -> Iterable[list]:
    kinds = dict(TransactionKind.choices)
    for p in postings:
        actor = p["transaction__actor__display_name"] or p["transaction__actor__username"] or ""
        yield [
            p["transaction_id"],
            _cell(sheet, _local(p["transaction__created_at"]), DATETIME_FORMAT),
            str(kinds.get(p["transaction__kind"], p["transaction__kind"])),
            p["transaction__year"],
            p["transaction__memo"],
            p["account_id"],
            p["account__name"],
            p["admission__number"] or "",
            _cell(sheet, yuan(p["amount_fen"]), YUAN_FORMAT),
            p["transaction__voucher__name"] or "",
            p["transaction__voucher__sha256"] or "",
            p["transaction__reverses_id"],
            actor,
        ]


def ledger_xlsx(*, user: User, year: int | None, title: str) -> bytes:
    """Every transaction the user reads with every posting, then the accounts with balances;
    two queries, the postings read in chunks into a write-only workbook."""
    workbook = Workbook(write_only=True)
    # Kinds and account classes in Chinese, whatever the reader's language.
    with translation.override("zh-hans"):
        postings = workbook.create_sheet(title="记账凭证与分录")
        titled_sheet_start(postings, title, LEDGER_COLUMNS)
        rows = selectors.ledger_export_postings(user=user, year=year).iterator(chunk_size=2000)
        for row in _ledger_rows(postings, rows):
            postings.append(text_row(postings, row))
        accounts = workbook.create_sheet(title="账户余额")
        columns = list(ACCOUNT_COLUMNS)
        if year is not None:
            columns.append((f"{year} 年发生额（元）", 18))
        titled_sheet_start(accounts, f"{title}：账户余额", columns)
        kinds = dict(AccountKind.choices)
        for account in selectors.accounts_with_balances(user=user, year=year):
            owner = account.unit or account.region
            cells = [
                account.pk,
                str(kinds.get(account.kind, account.kind)),
                account.name,
                getattr(owner, "name", ""),
                account.parent.name if account.parent else "",
                account.fund_source,
                _cell(accounts, yuan(account.balance_fen), YUAN_FORMAT),
            ]
            if year is not None:
                cells.append(_cell(accounts, yuan(account.year_fen), YUAN_FORMAT))
            accounts.append(text_row(accounts, cells))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
