"""The token sheet (评议码表): every code on a cut-out card with its community and a QR code
that opens the code page with the campaign and the code filled in."""

import subprocess

import pytest
from django.utils import translation
from PIL import Image, ImageStat

from jianfu.evaluation import services
from jianfu.evaluation.models import GroupKind
from jianfu.evaluation.sheets import vote_url
from jianfu.evaluation.tests.conftest import ZHONGGULOU
from jianfu.org.models import Region


def run(command: list[str], document: bytes) -> bytes:
    return subprocess.run(command, input=document, capture_output=True, check=True).stdout


def text_of(document: bytes) -> str:
    return "".join(run(["pdftotext", "-", "-"], document).decode().split())


def issue(personas, campaign, count: int):
    return services.tokens_issue(
        actor=personas.community_officer,
        campaign=campaign,
        region=Region.objects.get(code=ZHONGGULOU),
        group_kind=GroupKind.RESIDENTS,
        count=count,
    )


def test_token_sheet_prints_every_code_with_its_community_and_campaign(personas, campaign):
    sheet, codes = issue(personas, campaign, 3)
    document = bytes(sheet.pdf)
    assert document.startswith(b"%PDF")
    text = text_of(document)
    for code in codes:
        assert code in text
    assert "钟鼓楼社区" in text and "城东街道" in text and "居民代表" in text
    assert campaign.title in text
    assert "每码限用一次" in text and "结果通报后可凭此码查看选票去向" in text
    assert "序号No.1" in text and "序号No.3" in text


def test_token_sheet_serials_continue_from_earlier_sheets(personas, campaign):
    issue(personas, campaign, 2)
    sheet, _codes = issue(personas, campaign, 2)
    text = text_of(bytes(sheet.pdf))
    assert "序号No.3" in text and "序号No.4" in text and "序号No.1" not in text


def test_token_sheet_holds_ten_cards_a_page(personas, campaign):
    sheet, _codes = issue(personas, campaign, 10)
    info = run(["pdfinfo", "-"], bytes(sheet.pdf)).decode()
    assert "Pages:           1" in info
    sheet, _codes = issue(personas, campaign, 11)
    info = run(["pdfinfo", "-"], bytes(sheet.pdf)).decode()
    assert "Pages:           2" in info


def test_token_sheet_is_chinese_whatever_the_interface_language(personas, campaign):
    with translation.override("en"):
        sheet, codes = issue(personas, campaign, 1)
    text = text_of(bytes(sheet.pdf))
    assert "居民代表" in text and "评议码" in text and codes[0] in text


def test_token_sheet_renders_ink_not_empty_boxes(personas, campaign, tmp_path):
    sheet, _codes = issue(personas, campaign, 4)
    png = run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-"], bytes(sheet.pdf))
    (tmp_path / "page.png").write_bytes(png)
    page = Image.open(tmp_path / "page.png").convert("L")
    # Four QR codes and their text leave plenty of dark pixels on the page.
    dark = sum(page.histogram()[:128]) / (page.width * page.height)
    assert dark > 0.02, dark
    assert ImageStat.Stat(page).stddev[0] > 20


def test_qr_code_opens_the_code_page_with_campaign_and_code():
    assert vote_url(site_url="", campaign_id=7, code="ABCD-EFGH-JKMN") == (
        "/evaluation/vote/?campaign=7&code=ABCD-EFGH-JKMN"
    )
    assert vote_url(
        site_url="https://jianfu.example.gov.cn", campaign_id=7, code="ABCD-EFGH-JKMN"
    ) == ("https://jianfu.example.gov.cn/evaluation/vote/?campaign=7&code=ABCD-EFGH-JKMN")


@pytest.mark.django_db
def test_token_sheet_uses_the_requested_address_without_a_configured_one(personas, campaign):
    sheet, _codes = services.tokens_issue(
        actor=personas.community_officer,
        campaign=campaign,
        region=Region.objects.get(code=ZHONGGULOU),
        group_kind="residents",
        count=1,
        site_url="http://10.1.2.3:8000/",
    )
    assert "http://10.1.2.3:8000/evaluation/vote/" in text_of(bytes(sheet.pdf))


@pytest.mark.django_db
def test_token_sheet_prints_the_site_address_when_it_is_configured(personas, campaign, settings):
    settings.JIANFU_SITE_URL = "https://jianfu.example.gov.cn"
    sheet, _codes = issue(personas, campaign, 1)
    assert "https://jianfu.example.gov.cn/evaluation/vote/" in text_of(bytes(sheet.pdf))
