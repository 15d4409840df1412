"""The notice's documents: the PDF reads like the official document it imitates and prints the
selectors' figures; the workbook holds the same figures, money in yuan, rates as percentages;
licensed official fonts are picked up from their folder, and nothing else is loaded."""

# The shared fixtures are imported by name and then requested as arguments.
# ruff: noqa: F811

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from jianfu.reports import selectors
from jianfu.reports.notice_documents import (
    notice_context,
    notice_url_fetcher,
    official_font_faces,
)
from jianfu.reports.tests.test_notice_services import (  # noqa: F401  (shared fixtures)
    YEAR,
    figures,
    made,
)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def run(command: list[str], document: bytes) -> bytes:
    return subprocess.run(command, input=document, capture_output=True, check=True).stdout


def pdf_text(document: bytes) -> str:
    # pdftotext breaks lines and drops the narrow spaces: compare without whitespace.
    return "".join(run(["pdftotext", "-enc", "UTF-8", "-", "-"], document).decode().split())


def pages(document: bytes) -> int:
    info = run(["pdfinfo", "-"], document).decode()
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


@pytest.mark.django_db
def test_pdf_names_the_district_the_number_the_title_and_the_as_of_time(made):
    text = pdf_text(bytes(made.pdf))
    assert "市中区社区减负工作领导小组办公室" in text
    assert "市中减负办〔2026〕3号" in text
    assert "关于2026年度社区减负工作情况的通报" in text
    assert "各街道办事处，区级有关部门：" in text
    assert "数据截至2026年11月20日10:00" in text  # Beijing time of the refresh
    assert "特此通报。" in text


@pytest.mark.django_db
def test_pdf_prints_the_reductions_region_dict_gives(made, figures):
    text = pdf_text(bytes(made.pdf))
    district = selectors.region_dict(selectors.region_stats(region=figures, year=YEAR))
    assert "工作事项由242项减少到95项，减少60.7%" in text
    for name in ("tasks", "signboards", "ledger_books", "campaigns", "systems", "unadmitted"):
        assert f"{district['reduction_percent'][name]:.1f}%" in text, name
    # The streets' table and both streets by name.
    assert "城东街道" in text and "城西街道" in text and "130→50" in text


@pytest.mark.django_db
def test_pdf_names_the_departments_with_unadmitted_work_and_their_funding(made):
    text = pdf_text(bytes(made.pdf))
    assert "市中区民政局、市中区住建局存在未经准入向社区派发工作的情况" in text
    assert "已提交" not in text and "已准入5件" in text and "不予准入2件" in text
    # 经费: 10,520.56 of which 7,890.42 delivered, 75.0 %; the district's 87.2 %.
    assert "10,520.56" in text and "7,890.42" in text and "市中区民政局（75.0%）" in text
    assert "经费到位率87.2%" in text
    # 群众评议: the district's four targets, one revoked, 53.9 %.
    assert "评议部门进入社区的工作4项" in text and "53.9%" in text
    # A department with no records at all is summed up, not listed.
    assert "市中区审计局" not in text and "其余1个部门" in text


@pytest.mark.django_db
def test_pdf_has_page_numbers_at_the_outer_side_in_official_style(made):
    document = bytes(made.pdf)
    count = pages(document)
    assert count >= 3
    text = pdf_text(document)
    for page in range(1, count + 1):
        assert f"—{page}—" in text
    # Odd pages carry the number at the right, even ones at the left.
    layout = run(["pdftotext", "-layout", "-f", "2", "-l", "2", "-", "-"], document).decode()
    last = [line for line in layout.splitlines() if "2" in line and "—" in line][-1]
    assert last.index("—") < 10
    layout = run(["pdftotext", "-layout", "-f", "1", "-l", "1", "-", "-"], document).decode()
    last = [line for line in layout.splitlines() if "—" in line][-1]
    assert last.index("—") > 20


@pytest.mark.django_db
def test_pdf_pages_are_a4_with_chinese_text_and_charts(made, tmp_path):
    document = bytes(made.pdf)
    info = run(["pdfinfo", "-"], document).decode()
    assert "595.276 x 841.89 pts (A4)" in info
    fonts = run(["pdffonts", "-"], document).decode()
    assert "Noto" in fonts and "yes yes" in fonts  # embedded, subset
    png = run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-"], document)
    page = Image.open(io.BytesIO(png)).convert("RGB")
    # The red masthead and rule: plenty of pure-ish red pixels on the first page.
    pixels = page.tobytes()
    reds = sum(
        1
        for i in range(0, len(pixels), 3)
        if pixels[i] > 180 and pixels[i + 1] < 80 and pixels[i + 2] < 80
    )
    assert reds > 500, reds
    # The charts are vector drawings inside the PDF, with their values as text.
    assert "图1主要负担指标较基线减少比例" in pdf_text(document)
    assert "图3各街道社区工作事项（项）" in pdf_text(document)


@pytest.mark.django_db
def test_workbook_holds_the_same_figures_with_money_in_yuan_and_rates_in_percent(made, figures):
    book = load_workbook(io.BytesIO(bytes(made.xlsx)))
    assert book.sheetnames == [
        "说明",
        "总体情况",
        "各街道情况",
        "准入制度落实情况",
        "经费保障",
        "群众评议",
    ]
    about = {
        row[0]: row[1] for row in book["说明"].iter_rows(min_row=3, values_only=True) if row[0]
    }
    assert about["区县"] == "市中区" and about["年度"] == YEAR
    assert about["文号"] == "市中减负办〔2026〕3号"
    assert about["数据截至"] == "2026-11-20 10:00"

    district = selectors.region_dict(selectors.region_stats(region=figures, year=YEAR))
    overview = {row[0].value: row for row in book["总体情况"].iter_rows(min_row=3)}
    tasks = overview["工作事项"]
    assert (tasks[1].value, tasks[2].value) == (242, 95)
    assert tasks[3].value * 100 == pytest.approx(district["reduction_percent"]["tasks"])
    assert tasks[3].number_format == "0.0%"

    streets = list(book["各街道情况"].iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in streets] == ["城东街道", "城西街道"]
    assert streets[0][4:7] == (130, 50, pytest.approx(0.615))

    departments = {
        row[0]: row for row in book["准入制度落实情况"].iter_rows(min_row=3, values_only=True)
    }
    assert set(departments) == {"市中区民政局", "市中区住建局", "市中区卫健局", "市中区审计局"}

    funds = {row[0].value: row for row in book["经费保障"].iter_rows(min_row=3)}
    civil = funds["市中区民政局"]
    # Written as exact decimals; a spreadsheet reads them back as numbers.
    assert Decimal(str(civil[1].value)) == Decimal("10520.56")
    assert Decimal(str(civil[2].value)) == Decimal("7890.42")
    assert civil[1].number_format == "#,##0.00"
    assert civil[3].value == pytest.approx(0.75) and civil[3].number_format == "0.0%"
    assert funds["全区社区合计"][3].value * 100 == pytest.approx(district["funds_delivery_percent"])

    evaluation = {row[0]: row for row in book["群众评议"].iter_rows(min_row=3, values_only=True)}
    assert evaluation["全区"][1:3] == (4, 1)
    assert evaluation["全区"][3] * 100 == pytest.approx(
        district["evaluation"]["satisfaction_percent"]
    )


@pytest.mark.django_db
def test_official_fonts_in_their_folder_are_declared_and_nothing_else_is_loaded(
    made, settings, tmp_path
):
    if not DEJAVU.exists():
        pytest.skip("fonts-dejavu-core is not installed")
    folder = tmp_path / "fonts"
    folder.mkdir()
    shutil.copy(DEJAVU, folder / "licensed.ttf")
    (folder / "notes.txt").write_text("not a font")
    settings.JIANFU_OFFICIAL_FONTS_DIR = folder

    faces = official_font_faces()
    assert ("DejaVu Sans", f"file://{folder / 'licensed.ttf'}") in faces
    assert all(url.endswith("licensed.ttf") for _family, url in faces)
    assert notice_context(made)["font_faces"] == faces

    assert notice_url_fetcher(f"file://{folder / 'licensed.ttf'}")["string"] == DEJAVU.read_bytes()
    for url in (
        f"file://{DEJAVU}",  # a font outside the folder
        f"file://{folder}/../fonts/../../etc/passwd.ttf",
        "file:///etc/passwd",
        "https://fonts.example.com/fangsong.ttf",
    ):
        with pytest.raises(ValueError):
            notice_url_fetcher(url)


@pytest.mark.django_db
def test_without_an_official_fonts_folder_the_notice_prints_in_noto(made, settings, tmp_path):
    settings.JIANFU_OFFICIAL_FONTS_DIR = tmp_path / "missing"
    assert official_font_faces() == []
    context = notice_context(made)
    assert context["font_title"].startswith('"方正小标宋简体"')
    assert context["font_body"].startswith('"仿宋_GB2312"')
    assert "Noto Serif CJK SC" in context["font_body"]


def test_the_title_is_bolded_only_when_it_falls_back_to_noto():
    from jianfu.reports.notice_documents import title_weight

    assert title_weight([("方正小标宋简体", "file:///fonts/fzxbs.ttf")]) == "normal"
    if not any(f in run(["fc-list", ":lang=zh", "family"], b"").decode() for f in ("小标宋",)):
        assert title_weight([("DejaVu Sans", "file:///fonts/dejavu.ttf")]) == "bold"
