"""The refusal notice (不予受理告知书): a Chinese PDF the department receives."""

import subprocess

import pytest
from PIL import Image, ImageStat

from jianfu.dispatch import services
from jianfu.dispatch.documents import refusal_notice_number, refusal_notice_pdf
from jianfu.dispatch.tests.conftest import ZHONGGULOU, dispatch


def run(command: list[str], document: bytes) -> bytes:
    return subprocess.run(command, input=document, capture_output=True, check=True).stdout


@pytest.fixture
def refused(personas, negative_list):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], title="协助开展招商引资项目摸排")
    return services.delivery_act(
        actor=personas.community_officer,
        delivery=task.deliveries.get(),
        action="refuse",
    )


@pytest.mark.django_db
def test_refusal_notice_cites_the_task_the_reasons_and_the_rule(refused):
    document = refusal_notice_pdf(refused)
    assert document.startswith(b"%PDF")
    text = "".join(run(["pdftotext", "-", "-"], document).decode().split())
    assert "不予受理告知书" in text and "市中区民政局：" in text
    assert refused.task.reference in text and "协助开展招商引资项目摸排" in text
    assert "未引用准入编号或社区职责事项" in text and "招商引资" in text
    assert "有权拒绝或不受理" in text, "the notice cites the rule"
    assert "钟鼓楼社区居民委员会" in text
    assert "".join(refusal_notice_number(refused).split()) in text


@pytest.mark.django_db
def test_refusal_notice_renders_chinese_text_not_a_blank_page(refused, tmp_path):
    document = refusal_notice_pdf(refused)
    png = run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-"], document)
    (tmp_path / "page.png").write_bytes(png)
    page = Image.open(tmp_path / "page.png").convert("L")
    # A page of text has plenty of dark pixels; a page of empty boxes or nothing has few.
    dark = sum(page.histogram()[:128]) / (page.width * page.height)
    assert dark > 0.01, dark
    assert ImageStat.Stat(page).stddev[0] > 20


@pytest.mark.django_db
def test_only_a_refused_delivery_has_a_notice(personas, negative_list):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    with pytest.raises(ValueError):
        refusal_notice_pdf(task.deliveries.get())
