"""In a real browser: three roles log in, see their Chinese home page, and switch to English."""

import os
from pathlib import Path

import pytest

from conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: install Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    # Playwright's event loop runs in this thread; Django's ORM calls from the test are safe
    # because the live server answers requests in its own thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.mark.parametrize(
    ("username", "expected_zh", "expected_en"),
    [
        ("community_officer", "钟鼓楼社区居民委员会", "Pending work"),
        ("dept_clerk", "市中区民政局", "Pending work"),
        ("system_admin", "区划管理", "Regions"),
    ],
)
def test_role_logs_in_sees_chinese_home_and_switches_to_english(
    browser, live_db, live_server, personas, username, expected_zh, expected_en
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    body = page.inner_text("body")
    assert "待办事项" in body and expected_zh in body
    page.screenshot(path=str(SCREENSHOTS / f"{username}-zh.png"), full_page=True)

    page.click("button[lang=en]")
    page.wait_for_load_state()
    body = page.inner_text("body")
    assert expected_en in body
    assert "待办事项" not in body
    page.screenshot(path=str(SCREENSHOTS / f"{username}-en.png"), full_page=True)

    page.click("[data-testid=logout]")
    page.wait_for_url("**/login/")
    context.close()


def test_login_page_and_lockout_message_in_a_phone_sized_browser(
    browser, live_db, live_server, personas
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    for _attempt in range(5):
        page.fill("input[name=username]", "evaluator")
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
    assert "锁定" in page.inner_text("body")
    page.screenshot(path=str(SCREENSHOTS / "login-locked-phone.png"), full_page=True)
    context.close()
