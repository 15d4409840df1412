"""In a real browser: the group secretary opens a notice being made, watches the progress bar
give way to the download links, and reads the page in Chinese and English, on a desktop and a
phone."""

# The shared fixtures are imported by name and then requested as arguments.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from conftest import PASSWORD
from jianfu.core.jobs import job_run
from jianfu.core.tests.test_browser import SCREENSHOTS, browser  # noqa: F401  (shared fixture)
from jianfu.reports.tests.test_notice_services import (  # noqa: F401  (shared fixtures)
    figures,
    start,
)

pytestmark = pytest.mark.browser


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize(
    ("width", "height", "label"), [(1280, 900, "desktop"), (390, 844, "phone")]
)
def test_notice_page_shows_progress_then_the_downloads_in_chinese_and_english(
    browser, live_db, live_server, personas, figures, settings, width, height, label
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # No worker: the job waits in the queue until the test runs it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    notice = start(personas.group_secretary, figures)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    log_in(page, live_server.url, "group_secretary")

    page.goto(f"{live_server.url}/reports/notices/")
    assert page.locator("nav.sidebar >> text=年度通报").count() == 1 or label == "phone"
    assert page.input_value("#id_title") == "关于2026年度社区减负工作情况的通报"
    page.screenshot(path=str(SCREENSHOTS / f"notice-index-zh-{label}.png"), full_page=True)

    page.goto(f"{live_server.url}/reports/notices/{notice.pk}/")
    progress = page.locator("[data-testid=notice-progress]")
    assert progress.is_visible()
    assert "正在生成通报" in page.inner_text("[data-testid=notice-job]")
    page.screenshot(path=str(SCREENSHOTS / f"notice-progress-zh-{label}.png"), full_page=True)

    job_run(str(notice.job_id))
    # The page polls every second and swaps the progress for the downloads.
    page.wait_for_selector("[data-testid=notice-pdf]", timeout=10_000)
    assert page.locator("[data-testid=notice-progress]").count() == 0
    assert "60.7%" in page.inner_text("[data-testid=preview-reductions]")
    href = page.get_attribute("[data-testid=notice-pdf]", "href")
    assert href == f"/reports/notices/{notice.pk}/notice.pdf"
    response = page.request.get(f"{live_server.url}{href}")
    assert response.ok and response.body().startswith(b"%PDF")
    page.screenshot(path=str(SCREENSHOTS / f"notice-ready-zh-{label}.png"), full_page=True)

    page.click("button[lang=en]")
    page.wait_for_load_state()
    # The page's own strings await the translation pass; the page itself switches and works.
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("[data-testid=notice-pdf]").is_visible()
    page.screenshot(path=str(SCREENSHOTS / f"notice-ready-en-{label}.png"), full_page=True)
    page.goto(f"{live_server.url}/reports/notices/")
    page.screenshot(path=str(SCREENSHOTS / f"notice-index-en-{label}.png"), full_page=True)
    context.close()
