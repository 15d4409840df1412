"""The annual notice's two documents: the PDF laid out as an official document (GB/T 9704
党政机关公文格式) and the workbook of the same figures, both made from `Notice.figures`.

Official documents are set in 方正小标宋简体 (titles), 仿宋_GB2312 (body) and 楷体_GB2312; those
fonts are licensed, so Jianfu ships none of them. A site that holds licences puts the font
files in JIANFU_OFFICIAL_FONTS_DIR and the notice embeds them; every font stack falls back to
the packaged Noto CJK faces, so a site without them still prints a complete notice.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import subprocess
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from jianfu.admission.models import ApplicationState
from jianfu.burden.index import REDUCIBLE
from jianfu.burden.models import BurdenSnapshot
from jianfu.core.pdf import (
    STATIC_BASE_URL,
    PdfFontsMissing,
    _static_files_only,
    cjk_font_available,
)
from jianfu.core.xlsx import text_cell, text_row, titled_sheet_start
from jianfu.reports.models import Notice
from jianfu.reports.notice_svg import Series, bar_chart

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
FALLBACK_SERIF = '"Noto Serif CJK SC", "Noto Sans CJK SC", serif'
FALLBACK_SANS = '"Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif'
# The official faces first (by their Chinese and their English names), then Noto CJK.
TITLE_FAMILIES = ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S")
FONT_TITLE = ", ".join(f'"{family}"' for family in TITLE_FAMILIES) + f", {FALLBACK_SERIF}"
FONT_BODY = f'"仿宋_GB2312", "仿宋", "FangSong_GB2312", "FangSong", {FALLBACK_SERIF}'
FONT_KAI = f'"楷体_GB2312", "楷体", "KaiTi_GB2312", "KaiTi", {FALLBACK_SERIF}'
FONT_HEI = f'"黑体", "SimHei", {FALLBACK_SANS}'
# The figures the overview names in its sentences (the rest are in its table).
NAMED_REDUCTIONS = ("tasks", "signboards", "ledger_books", "campaigns", "systems")
# The figures the overview's chart and the streets' table show (hours have no baseline).
CHART_REDUCTIONS = ("tasks", "signboards", "ledger_books", "campaigns", "systems", "unadmitted")
UNITS = {
    "tasks": "项",
    "signboards": "块",
    "ledger_books": "本",
    "campaigns": "项",
    "one_vote_veto": "项",
    "systems": "个",
    "unadmitted": "条",
    "hours": "小时",
}
SHORT_LABELS = {
    "tasks": "工作事项",
    "signboards": "挂牌",
    "ledger_books": "纸质台账",
    "campaigns": "创建评比",
    "one_vote_veto": "一票否决",
    "systems": "信息系统",
    "unadmitted": "未准入条目",
    "hours": "年负担",
}
XLSX_PERCENT = "0.0%"
XLSX_YUAN = "#,##0.00"


def figure_label(name: str) -> str:
    return str(BurdenSnapshot._meta.get_field(name).verbose_name)


def state_label(state: str) -> str:
    try:
        return str(ApplicationState(state).label)
    except ValueError:
        return state


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def yuan_text(fen: int) -> str:
    yuan, cents = divmod(int(fen), 100)
    return f"{yuan:,}.{cents:02d}"


def chinese_date(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return f"{value.year}年{value.month}月{value.day}日"


# Official fonts -------------------------------------------------------------------------------


def official_fonts_dir() -> Path:
    return Path(settings.JIANFU_OFFICIAL_FONTS_DIR)


def _family_names(path: Path) -> list[str]:
    """The family names a font file answers to (its Chinese and its English ones)."""
    from fontTools.ttLib import TTCollection, TTFont

    try:
        fonts = (
            TTCollection(path, lazy=True).fonts
            if path.suffix == ".ttc"
            else [TTFont(path, lazy=True)]
        )
    except Exception:
        # A damaged or unreadable file is left out rather than failing every notice.
        return []
    names: list[str] = []
    for font in fonts:
        for record in font["name"].names:
            if record.nameID in (1, 16, 4):
                try:
                    name = record.toUnicode().strip()
                except UnicodeDecodeError:
                    continue
                if name and name not in names:
                    names.append(name)
    return names


@functools.cache
def _font_faces_of(
    folder: str, listing: tuple[tuple[str, float], ...]
) -> tuple[tuple[str, str], ...]:
    faces = []
    for name, _mtime in listing:
        path = Path(folder) / name
        url = "file://" + quote(str(path))
        faces.extend((family, url) for family in _family_names(path))
    return tuple(faces)


def official_font_faces() -> list[tuple[str, str]]:
    """(family, file URL) of each licensed font in JIANFU_OFFICIAL_FONTS_DIR, for @font-face."""
    folder = official_fonts_dir()
    if not folder.is_dir():
        return []
    listing = tuple(
        sorted(
            (path.name, path.stat().st_mtime)
            for path in folder.iterdir()
            if path.is_file() and path.suffix.lower() in FONT_SUFFIXES
        )
    )
    return list(_font_faces_of(str(folder.resolve()), listing))


@functools.cache
def _title_font_installed() -> bool:
    """Whether fontconfig knows 小标宋 system-wide (checked once per process, like the CJK check)."""
    try:
        families = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(family in families for family in TITLE_FAMILIES)


def title_weight(faces: list[tuple[str, str]]) -> str:
    """小标宋 is a heavy face with no bold of its own (bolding it would smear it); Noto Serif
    needs its bold to look like one."""
    if any(family in TITLE_FAMILIES for family, _url in faces) or _title_font_installed():
        return "normal"
    return "bold"


def notice_url_fetcher(url: str) -> dict:
    """WeasyPrint's fetcher for the notice: the official fonts' files, and otherwise only what
    every document may load (our static files, data: URLs)."""
    scheme, _host, path, _query, _fragment = urlsplit(url)
    if scheme == "file" and Path(unquote(path)).suffix.lower() in FONT_SUFFIXES:
        folder = official_fonts_dir().resolve()
        found = Path(unquote(path)).resolve()
        # Nothing outside the fonts folder: resolve() has followed any ".." and symlinks.
        if found.is_relative_to(folder) and found.is_file():
            return {"string": found.read_bytes(), "mime_type": "font/sfnt"}
    return _static_files_only(url)


# The PDF --------------------------------------------------------------------------------------


def _reduction_rows(district: dict) -> list[dict]:
    baseline = district.get("baseline") or {}
    comparable = district.get("comparable") or district["burden"]
    rows = []
    for name in REDUCIBLE:
        if name == "hours" and not baseline.get("hours"):
            continue
        rows.append(
            {
                "name": name,
                "label": figure_label(name),
                "baseline": baseline.get(name) if baseline else None,
                "current": comparable.get(name, 0),
                "reduction": district["reduction_percent"].get(name),
                "unit": UNITS.get(name, ""),
                "short": SHORT_LABELS.get(name, name),
            }
        )
    return rows


def _active(department: dict) -> bool:
    return bool(
        department["applications"]
        or department["admissions_in_force"]
        or department["dispatches"]
        or department["deliveries"]
        or department["funds_committed_fen"]
        or department["evaluation"]["targets"]
    )


def notice_context(notice: Notice) -> dict:
    """Everything the PDF template prints, from the notice's frozen figures."""
    # A copy: the rows gain printed forms (yuan, cells) that are not part of what was frozen.
    figures = copy.deepcopy(notice.figures)
    district = figures["district"]
    departments = figures["departments"]
    active = [d for d in departments if _active(d)]
    reductions = _reduction_rows(district)
    states: dict[str, int] = {}
    for department in departments:
        for state, n in department["applications"].items():
            states[state] = states.get(state, 0) + n
    ordered_states = [s for s in ApplicationState.values if s in states] + [
        s for s in states if s not in ApplicationState.values
    ]
    for department in departments:
        department["applications_total"] = sum(department["applications"].values())
        department["committed_yuan"] = yuan_text(department["funds_committed_fen"])
        department["transferred_yuan"] = yuan_text(department["funds_transferred_fen"])
    funded = [d for d in departments if d["funds_committed_fen"]]
    streets = figures["streets"]
    ranked = sorted(
        (s for s in streets if s["reduction_percent"].get("tasks") is not None),
        key=lambda s: -s["reduction_percent"]["tasks"],
    )
    for street in streets:
        baseline = street.get("baseline") or {}
        comparable = street.get("comparable") or street["burden"]
        street["cells"] = [
            {
                "baseline": baseline.get(name) if baseline else None,
                "current": comparable.get(name, 0),
                "reduction": street["reduction_percent"].get(name),
            }
            for name in ("tasks", "signboards", "ledger_books", "campaigns")
        ]
    with_reduction = [r for r in reductions if r["reduction"] is not None]
    charts = {
        "reductions": bar_chart(
            categories=[SHORT_LABELS[r["name"]] for r in with_reduction],
            series=[Series("较基线减少", [r["reduction"] for r in with_reduction])],
            title="图1 主要负担指标较基线减少比例",
            suffix="%",
            fixed_top=100,
            width=600,
            height=260,
            font_family=FALLBACK_SERIF,
        )
        if with_reduction
        else "",
        "streets": bar_chart(
            categories=[s["region"]["name"] for s in streets],
            series=[
                Series("基线", [(s.get("baseline") or {}).get("tasks") for s in streets]),
                Series(
                    "现在", [(s.get("comparable") or s["burden"]).get("tasks", 0) for s in streets]
                ),
            ],
            title="图3 各街道社区工作事项（项）",
            width=600,
            height=260,
            font_family=FALLBACK_SERIF,
        )
        if streets
        else "",
        "history": bar_chart(
            categories=[str(h["year"]) for h in figures.get("history", [])[-6:]],
            series=[Series("工作事项", [h["tasks"] for h in figures.get("history", [])[-6:]])],
            title="图2 近年社区工作事项（项）",
            width=600,
            height=220,
            font_family=FALLBACK_SERIF,
        )
        if len(figures.get("history", [])) > 1
        else "",
    }
    as_of = dt.datetime.fromisoformat(figures["as_of"])
    issued = notice.finished_at or timezone.now()
    faces = official_font_faces()
    return {
        "notice": notice,
        "issuer": figures.get("issuer")
        or f"{district['region']['name']}社区减负工作领导小组办公室",
        "district": district,
        "evaluation": district["evaluation"],
        "reductions": reductions,
        "named_reductions": [
            r for r in reductions if r["name"] in NAMED_REDUCTIONS and r["baseline"]
        ],
        "streets": streets,
        "departments": active,
        "quiet_departments": len(departments) - len(active),
        "states": [(state_label(s), states[s]) for s in ordered_states],
        "applications_total": sum(states.values()),
        "unadmitted_departments": [d for d in departments if d["unadmitted_dispatches"]],
        "refusing_departments": [d for d in departments if d["refusals"]],
        "funded": funded,
        "funds_district_committed": yuan_text(district["burden"].get("funds_committed_fen", 0)),
        "funds_district_transferred": yuan_text(district["burden"].get("funds_transferred_fen", 0)),
        "best_street": ranked[0] if ranked else None,
        "worst_street": ranked[-1] if len(ranked) > 1 else None,
        "on_text": chinese_date(dt.date.fromisoformat(district["on"])),
        "underfunded": [
            d
            for d in funded
            if d["funds_delivery_percent"] is not None and d["funds_delivery_percent"] < 100
        ],
        "evaluated": [d for d in departments if d["evaluation"]["targets"]],
        "charts": charts,
        "as_of": timezone.localtime(as_of),
        "as_of_text": f"{chinese_date(as_of)} {timezone.localtime(as_of):%H:%M}",
        "issued_text": chinese_date(issued),
        "header_size_mm": min(15.0, round(150 / max(1, len(figures.get("issuer", "")) + 2), 1)),
        "font_title": FONT_TITLE,
        "font_body": FONT_BODY,
        "font_kai": FONT_KAI,
        "font_hei": FONT_HEI,
        "font_faces": faces,
        "title_weight": title_weight(faces),
    }


def notice_pdf(notice: Notice) -> bytes:
    """The notice as a PDF: a Chinese official document in every interface language."""
    if not cjk_font_available():
        raise PdfFontsMissing
    from weasyprint import HTML

    with translation.override("zh-hans"):
        html = render_to_string("pdf/notice.html", notice_context(notice))
    return HTML(string=html, base_url=STATIC_BASE_URL, url_fetcher=notice_url_fetcher).write_pdf()


# The workbook ---------------------------------------------------------------------------------


def _percent_cell(sheet, percent: float | None):
    """A rate as a spreadsheet percentage (0.647 shown as 64.7%); empty when there is none."""
    if percent is None:
        return None
    cell = WriteOnlyCell(sheet, value=round(percent / 100, 4))
    cell.number_format = XLSX_PERCENT
    return cell


def _yuan_cell(sheet, fen: int):
    """Fen as yuan, exact (a Decimal), shown with two decimals and thousands separators."""
    cell = WriteOnlyCell(sheet, value=Decimal(int(fen)) / 100)
    cell.number_format = XLSX_YUAN
    return cell


def notice_xlsx(notice: Notice) -> bytes:
    """The notice's figures as a workbook: a 说明 sheet, then one sheet per section."""
    with translation.override("zh-hans"):
        return _workbook(notice)


def _workbook(notice: Notice) -> bytes:
    figures = notice.figures
    district = figures["district"]
    departments = figures["departments"]
    as_of = timezone.localtime(dt.datetime.fromisoformat(figures["as_of"]))
    book = Workbook(write_only=True)

    about = book.create_sheet(_("说明"))
    titled_sheet_start(about, notice.title, [(_("项目"), 18), (_("内容"), 60)])
    for label, value in (
        (_("区县"), district["region"]["name"]),
        (_("区划代码"), district["region"]["code"]),
        (_("年度"), notice.year),
        (_("文号"), notice.number),
        (_("标题"), notice.title),
        (_("发文机关"), figures.get("issuer", "")),
        (_("数据截至"), f"{as_of:%Y-%m-%d %H:%M}"),
        (_("统计日期"), district["on"]),
        (_("社区数"), district["communities"]),
        (_("有基线的社区"), district["communities_with_baseline"]),
    ):
        about.append(text_row(about, [label, value]))
    about.append([])
    about.append(
        [
            text_cell(
                about,
                _("金额单位：元；比率为百分比。减少比例 = (基线 − 现在) ÷ 基线，负数表示增加。"),
            )
        ]
    )

    overview = book.create_sheet(_("总体情况"))
    titled_sheet_start(
        overview,
        _("总体情况：减负前后对比"),
        [
            (_("指标"), 22),
            (_("基线"), 12),
            (_("现在"), 12),
            (_("减少比例"), 12),
            (_("全区现有"), 12),
        ],
    )
    for row in _reduction_rows(district):
        overview.append(
            [
                text_cell(overview, row["label"]),
                row["baseline"],
                row["current"],
                _percent_cell(overview, row["reduction"]),
                district["burden"].get(row["name"], 0),
            ]
        )

    streets = book.create_sheet(_("各街道情况"))
    columns = [(_("街道"), 16), (_("区划代码"), 16), (_("社区数"), 8), (_("有基线的社区"), 10)]
    for name in CHART_REDUCTIONS:
        label = figure_label(name)
        columns += [
            (_("%(figure)s·基线") % {"figure": label}, 12),
            (_("%(figure)s·现在") % {"figure": label}, 12),
            (_("%(figure)s·减少比例") % {"figure": label}, 12),
        ]
    columns += [
        (_("收到任务"), 10),
        (_("未经准入的任务"), 12),
        (_("拒绝受理"), 10),
        (_("经费到位率"), 10),
    ]
    titled_sheet_start(streets, _("各街道情况"), columns)
    for street in figures["streets"]:
        baseline = street.get("baseline") or {}
        comparable = street.get("comparable") or street["burden"]
        row = [
            text_cell(streets, street["region"]["name"]),
            text_cell(streets, street["region"]["code"]),
            street["communities"],
            street["communities_with_baseline"],
        ]
        for name in CHART_REDUCTIONS:
            row += [
                baseline.get(name) if baseline else None,
                comparable.get(name, 0),
                _percent_cell(streets, street["reduction_percent"].get(name)),
            ]
        row += [
            street["deliveries"],
            street["unadmitted_deliveries"],
            street["refusals"],
            _percent_cell(streets, street["funds_delivery_percent"]),
        ]
        streets.append(row)

    admission = book.create_sheet(_("准入制度落实情况"))
    states = [
        s for s in ApplicationState.values if any(s in d["applications"] for d in departments)
    ]
    columns = [(_("部门"), 24)]
    columns += [(_("申请·%(state)s") % {"state": state_label(s)}, 12) for s in states]
    columns += [
        (_("新准入事项"), 10),
        (_("有效准入事项"), 10),
        (_("被撤销的准入事项"), 12),
        (_("派发任务"), 10),
        (_("未经准入派发"), 12),
        (_("送达社区"), 10),
        (_("未经准入送达"), 12),
        (_("被拒绝"), 8),
        (_("因未准入被拒绝"), 12),
        (_("逾期完成"), 8),
        (_("逾期未完成"), 10),
    ]
    titled_sheet_start(
        admission,
        _("准入制度落实情况（全区有效准入事项 %(n)d 项）") % {"n": district["admissions_in_force"]},
        columns,
    )
    for d in departments:
        admission.append(
            [
                text_cell(admission, d["department"]["name"]),
                *[d["applications"].get(s, 0) for s in states],
                d["admissions_granted"],
                d["admissions_in_force"],
                d["admissions_revoked"],
                d["dispatches"],
                d["unadmitted_dispatches"],
                d["deliveries"],
                d["unadmitted_deliveries"],
                d["refusals"],
                d["refusals_of_unadmitted"],
                d["late_completions"],
                d["overdue_open"],
            ]
        )

    funds = book.create_sheet(_("经费保障"))
    titled_sheet_start(
        funds,
        _("经费保障（元）"),
        [
            (_("部门"), 24),
            (_("应拨经费（元）"), 16),
            (_("已拨经费（元）"), 16),
            (_("经费到位率"), 12),
        ],
    )
    for d in departments:
        if not d["funds_committed_fen"] and not d["funds_transferred_fen"]:
            continue
        funds.append(
            [
                text_cell(funds, d["department"]["name"]),
                _yuan_cell(funds, d["funds_committed_fen"]),
                _yuan_cell(funds, d["funds_transferred_fen"]),
                _percent_cell(funds, d["funds_delivery_percent"]),
            ]
        )
    # The district's row is the communities' side of the ledger (what reached them for the
    # admitted work there), so it need not equal the departments' rows summed.
    total = text_cell(funds, _("全区社区合计"))
    total.font = Font(bold=True)
    funds.append(
        [
            total,
            _yuan_cell(funds, district["burden"].get("funds_committed_fen", 0)),
            _yuan_cell(funds, district["burden"].get("funds_transferred_fen", 0)),
            _percent_cell(funds, district["funds_delivery_percent"]),
        ]
    )

    evaluation = book.create_sheet(_("群众评议"))
    titled_sheet_start(
        evaluation,
        _("群众评议"),
        [(_("评议对象"), 24), (_("评议对象数"), 12), (_("不过半数撤销"), 14), (_("满意率"), 10)],
    )
    total = text_cell(evaluation, _("全区"))
    total.font = Font(bold=True)
    evaluation.append(
        [
            total,
            district["evaluation"]["targets"],
            district["evaluation"]["revoked"],
            _percent_cell(evaluation, district["evaluation"]["satisfaction_percent"]),
        ]
    )
    for d in departments:
        if not d["evaluation"]["targets"]:
            continue
        evaluation.append(
            [
                text_cell(evaluation, d["department"]["name"]),
                d["evaluation"]["targets"],
                d["evaluation"]["revoked"],
                _percent_cell(evaluation, d["evaluation"]["satisfaction_percent"]),
            ]
        )

    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
