"""The results of a campaign as the page shows them and as an XLSX workbook.

Each row explains its rate: the ballots of every group (满意 / 基本满意 / 不满意), the weighted
sums the rate divides, the 95 % Wilson interval and each dimension's weighted rate. The workbook
is Chinese whatever language the reader uses, as every export is; every string is written as
text, never as a formula (`jianfu.core.xlsx`): titles and names are people's words.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from jianfu.core.xlsx import text_cell, text_row
from jianfu.evaluation.models import Campaign, Dimension, EvaluatorGroup, Outcome, Target
from jianfu.org.models import RegionLevel

PERCENT_FORMAT = "0.0%"


@dataclass
class GroupCell:
    """One group's ballots on one target: valid, then 满意, 基本满意 and 不满意."""

    group: EvaluatorGroup
    valid: int = 0
    satisfied: int = 0
    fairly: int = 0
    dissatisfied: int = 0


@dataclass
class ResultRow:
    target: Target
    street: str
    community: str
    groups: list[GroupCell] = field(default_factory=list)
    # Each dimension's weighted satisfaction rate (None where nobody rated it) and its text.
    dimensions: list[tuple[Dimension, float | None, str]] = field(default_factory=list)
    rate_text: str = ""
    interval_text: str = ""

    @property
    def revoked(self) -> bool:
        return self.target.outcome == Outcome.REVOKED


def percent_text(rate: float | None, threshold_bp: int | None = None) -> str:
    """A rate as a percentage with one decimal, or two where one decimal would show a rate
    next to the threshold as equal to it (50.04 % is kept; "50.0 %" would not say so)."""
    if rate is None:
        return "—"
    text = f"{rate * 100:.1f}%"
    if threshold_bp is not None and round(rate * 1000) == threshold_bp / 10:
        exact = round(rate * 10000, 6) == threshold_bp
        if not exact:
            text = f"{rate * 100:.2f}%"
    return text


def _place(target: Target) -> tuple[str, str]:
    region = target.region
    if region.level == RegionLevel.COMMUNITY:
        return (region.parent.name if region.parent else ""), region.name
    return region.name, ""


def result_rows(
    *,
    campaign: Campaign,
    targets: Iterable[Target],
    groups: Sequence[EvaluatorGroup],
    dimensions: Sequence[Dimension],
) -> list[ResultRow]:
    """Every target with its counts per group and its rates, in the order given."""
    rows = []
    for target in targets:
        street, community = _place(target)
        row = ResultRow(target=target, street=street, community=community)
        for group in groups:
            counts = (target.group_counts or {}).get(str(group.pk))
            cell = GroupCell(group=group)
            if counts:
                cell.valid, cell.satisfied = counts[0], counts[2]
                cell.fairly, cell.dissatisfied = counts[3], counts[4]
            row.groups.append(cell)
        for dimension in dimensions:
            weighted = (target.dimension_counts or {}).get(str(dimension.position))
            rate = weighted[0] / weighted[1] if weighted and weighted[1] else None
            row.dimensions.append((dimension, rate, percent_text(rate)))
        row.rate_text = percent_text(target.rate, campaign.revoke_threshold_bp)
        if target.rate is not None and target.rate_low is not None:
            row.interval_text = (
                f"{percent_text(target.rate_low)} – {percent_text(target.rate_high)}"
            )
        rows.append(row)
    return rows


def _header(sheet, columns: Sequence[tuple[str, int]]) -> None:
    fill = PatternFill("solid", fgColor="F0F3F7")
    cells = []
    for name, _width in columns:
        cell = text_cell(sheet, name, bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        cells.append(cell)
    sheet.append(cells)


def _percent(sheet, rate: float | None):
    if rate is None:
        return None
    cell = WriteOnlyCell(sheet, value=rate)
    cell.number_format = PERCENT_FORMAT
    return cell


def formula_lines(campaign: Campaign) -> list[str]:
    """How the results were reached, in the words of the results page (Chinese: the workbook
    is a Chinese record)."""
    mode = "计票后自动撤销" if campaign.automatic_revocation else "由领导小组办公室确认后撤销"
    return [
        "满意率 = Σ 各类评议人权重 ×（满意票 + 基本满意票）÷ Σ 各类评议人权重 × 有效票，"
        "只计有选票的类别。",
        "95% 置信区间按 Wilson 方法计算，样本量取加权后的有效样本量（Kish）。",
        f"满意率不高于 {campaign.revoke_threshold_bp / 100:g}% 且有效票不少于 "
        f"{campaign.quorum} 张的，撤销该准入事项在该社区（街道）的准入（{mode}）；"
        "有效票不足的，不作结论。",
    ]


def results_xlsx(*, campaign: Campaign, targets: Iterable[Target]) -> bytes:
    """The results table (the page's rows and filters) and a sheet explaining the formula."""
    groups = list(campaign.groups.all())
    dimensions = list(campaign.dimensions.all())
    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        sheet = workbook.create_sheet(title="评议结果")
        columns = [
            ("街道", 14),
            ("社区", 14),
            ("主管部门", 18),
            ("准入编号", 22),
            ("评议对象", 30),
            ("有效票", 8),
        ]
        for group in groups:
            label = f"{group.get_kind_display()}（权重 {group.weight}）"
            columns += [(f"{label}满意", 12), (f"{label}基本满意", 12), (f"{label}不满意", 12)]
        columns += [
            ("加权满意票", 12),
            ("加权有效票", 12),
            ("满意率", 10),
            ("95%区间下限", 12),
            ("95%区间上限", 12),
        ]
        columns += [(f"{d.name}满意率", 12) for d in dimensions]
        columns += [("结论", 24)]
        sheet.freeze_panes = "A3"
        for index, (_name, width) in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        heading = text_cell(sheet, f"{campaign.title}评议结果")
        heading.font = Font(bold=True, size=14)
        sheet.append([heading])
        _header(sheet, columns)
        rows = result_rows(campaign=campaign, targets=targets, groups=groups, dimensions=dimensions)
        for row in rows:
            target = row.target
            cells = [
                row.street,
                row.community,
                target.department.name,
                target.admission.number,
                target.title,
                target.valid_ballots,
            ]
            for cell in row.groups:
                cells += [cell.satisfied, cell.fairly, cell.dissatisfied]
            cells += [
                target.weighted_satisfied,
                target.weighted_valid,
                _percent(sheet, target.rate),
                _percent(sheet, target.rate_low if target.rate is not None else None),
                _percent(sheet, target.rate_high if target.rate is not None else None),
            ]
            cells += [_percent(sheet, rate) for _dimension, rate, _text in row.dimensions]
            cells.append(str(Outcome(target.outcome).label))
            sheet.append(text_row(sheet, cells))
        notes = workbook.create_sheet(title="计算方法")
        notes.column_dimensions["A"].width = 100
        for line in formula_lines(campaign):
            notes.append(text_row(notes, [line]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
