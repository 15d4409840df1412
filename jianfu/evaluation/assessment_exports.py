"""The assessment of dispatched agencies as an XLSX workbook: the ranked results, then every
score behind them. In Chinese whatever the reader's language, as the other exports are; every
string is written as text, never as a formula (agency and people's names are people's words)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from jianfu.core.xlsx import text_cell, text_row, titled_sheet_start
from jianfu.evaluation.assessment_selectors import KINDS, AgencyResult
from jianfu.evaluation.models import AgencyAssessment, AssessorKind

SCORE_FORMAT = "0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def _number(sheet: WriteOnlyWorksheet, value: Decimal | None) -> Any:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = SCORE_FORMAT
    return cell


def _local(moment) -> Any:
    return timezone.localtime(moment).replace(tzinfo=None)


def assessment_xlsx(
    *,
    assessment: AgencyAssessment,
    results: Sequence[AgencyResult],
    details: Iterable[dict[str, Any]],
) -> bytes:
    """The results as the page shows them, and the scores (agency × assessor × indicator)."""
    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        labels = {kind: str(AssessorKind(kind).label) for kind in KINDS}
        weights = "／".join(f"{labels[k]} {assessment.weight_of(k)}" for k in KINDS)
        sheet = workbook.create_sheet(title="考核结果")
        columns = [
            ("名次", 7),
            ("派驻机构", 28),
            ("派出部门", 20),
            ("驻在街道", 14),
            *((f"{labels[kind]}评分", 12) for kind in KINDS),
            ("加权总分", 11),
            ("未评分", 20),
            ("需调整", 9),
        ]
        titled_sheet_start(sheet, f"{assessment.title}（权重：{weights}）", columns)
        for result in results:
            row = result.row
            sheet.append(
                text_row(
                    sheet,
                    [
                        result.rank,
                        row.agency.name,
                        row.department.name,
                        row.street.name,
                        *(result.totals[kind] for kind in KINDS),
                        _number(sheet, result.weighted),
                        "、".join(str(label) for label in result.missing),
                        "需调整" if result.needs_adjustment else "",
                    ],
                )
            )
        note = (
            f"加权总分 = Σ(各方权重 × 该方得分) ÷ Σ(已评分各方的权重)，尚未评分的一方不计入；"
            f"低于 {assessment.adjustment_below} 分为“需调整”。"
        )
        sheet.append([])
        sheet.append([text_cell(sheet, note)])

        scores = workbook.create_sheet(title="评分明细")
        titled_sheet_start(
            scores,
            f"{assessment.title}：评分明细",
            [
                ("派驻机构", 28),
                ("驻在街道", 14),
                ("考核主体", 12),
                ("考核指标", 18),
                ("分值", 7),
                ("得分", 7),
                ("评分人", 16),
                ("评分时间", 20),
            ],
        )
        for item in details:
            when = WriteOnlyCell(scores, value=_local(item["scored_at"]))
            when.number_format = DATETIME_FORMAT
            scores.append(
                text_row(
                    scores,
                    [
                        item["agency__agency__name"],
                        item["agency__street__name"],
                        labels.get(item["assessor_kind"], item["assessor_kind"]),
                        item["indicator__name"],
                        item["indicator__max_score"],
                        item["score"],
                        item["scored_by__display_name"] or item["scored_by__username"],
                        when,
                    ],
                )
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
