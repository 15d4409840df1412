"""Paper ballots as a spreadsheet: one row per evaluator and target (a filled paper ballot
with several targets is several rows), read with the campaign's own dimension columns."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from jianfu.core.errors import InvalidInput
from jianfu.core.tables import open_table
from jianfu.core.xlsx import text_row
from jianfu.evaluation.models import Campaign, Target
from jianfu.evaluation.services import PaperRow

# The headers are Chinese whatever the interface language: the sheet is a Chinese form.
IDENTITY = ("评议码或账号", "评议码", "账号", "code")
ADMISSION = ("准入编号", "admission")
OVERALL = ("总体评价", "overall")
COMMENT = ("意见建议", "comment")
MAX_ROWS = 20_000


def _columns(campaign: Campaign) -> dict[str, tuple[str, ...]]:
    columns = {"identity": IDENTITY, "admission": ADMISSION, "overall": OVERALL, "comment": COMMENT}
    for dimension in campaign.dimensions.all():
        columns[f"d{dimension.position}"] = (dimension.name, f"d{dimension.position}")
    return columns


def read_paper_rows(campaign: Campaign, content: bytes, file_name: str) -> list[PaperRow]:
    """Every row of the file; a missing column or an oversized file is refused at once."""
    table = open_table(
        content,
        file_name,
        columns=_columns(campaign),
        required=("identity", "admission", "overall"),
    )
    rows = []
    for row in table.rows:
        if len(rows) == MAX_ROWS:
            raise InvalidInput(_("一次最多录入 %(max)s 行纸质票。") % {"max": MAX_ROWS})
        values = row.values
        rows.append(
            PaperRow(
                number=row.number,
                identity=values.get("identity", "").strip(),
                admission_number=values.get("admission", "").strip(),
                overall=values.get("overall", "").strip(),
                ratings={
                    int(key[1:]): value
                    for key, value in values.items()
                    if key.startswith("d") and key[1:].isdigit()
                },
                comment=values.get("comment", "").strip(),
            )
        )
    return rows


def paper_template(campaign: Campaign, region_id: str) -> bytes:
    """An empty sheet with the right headers and, as a guide, the community's targets."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("纸质票")
    dimensions = [d.name for d in campaign.dimensions.all()]
    sheet.append(text_row(sheet, [IDENTITY[0], ADMISSION[0], OVERALL[0], *dimensions, COMMENT[0]]))
    guide = workbook.create_sheet("评议对象")
    guide.append(text_row(guide, ["准入编号", "评议对象", "主管部门", "评价填写"]))
    targets = (
        Target.objects.filter(campaign=campaign, region_id=region_id)
        .select_related("admission", "department")
        .order_by("admission__number")
    )
    for target in targets:
        guide.append(
            text_row(
                guide,
                [
                    target.admission.number,
                    target.title,
                    target.department.name,
                    "满意／基本满意／不满意",
                ],
            )
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
