"""In a real browser, in Chinese and English, on a desktop and a phone: the dashboards of the
district, a street and a community, a department's scorecard, and the public statistics and
scorecard draw their charts, fit the phone's width, and drill down on a click."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import PASSWORD
from jianfu.burden.tests.conftest import (  # noqa: F401  (shared fixtures)
    CHENGDONG,
    DISTRICT,
    ZHONGGULOU,
    admitted,
    duty_list,
)
from jianfu.core.tests.test_browser import SCREENSHOTS, browser  # noqa: F401  (shared fixture)
from jianfu.dispatch.tests.conftest import admission  # noqa: F401  (shared fixture)
from jianfu.funds.tests.conftest import budget  # noqa: F401  (shared fixture)
from jianfu.org.models import Unit
from jianfu.reports.tests.test_refresh import YEAR, refresh, world  # noqa: F401

pytestmark = pytest.mark.browser

SIZES = [(1280, 900, "desktop"), (390, 844, "phone")]


@pytest.fixture
def counted(world):  # noqa: F811
    refresh(YEAR - 1, YEAR)
    return world


def _open(browser, live_server, width, height, language, username=None):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    if username:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}/")
    return context, page, errors


def _check(page, errors, name: str, width: int) -> None:
    # Every chart container holds a canvas once ECharts has drawn it.
    charts = page.locator("[data-chart]")
    assert charts.count() > 0, name
    for index in range(charts.count()):
        charts.nth(index).locator("canvas").wait_for(state="attached", timeout=5000)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert errors == [], errors
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The charts' opening animation ends before the picture is taken.
    page.wait_for_timeout(1200)
    page.screenshot(path=str(SCREENSHOTS / f"stats-{name}.png"), full_page=True)


def _pages():
    civil_affairs = Unit.objects.get(name="市中区民政局").pk
    return [
        ("group_secretary", reverse("stats_region", args=[DISTRICT]), "district"),
        ("street_officer", reverse("stats_region", args=[CHENGDONG]), "street"),
        ("community_officer", reverse("stats_region", args=[ZHONGGULOU]), "community"),
        ("dept_clerk", reverse("stats_department", args=[civil_affairs]), "department"),
        (None, reverse("public_stats_region", args=[DISTRICT]), "public-district"),
        (None, reverse("public_scorecard") + f"?district={DISTRICT}", "public-scorecard"),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("width", "height", "size"), SIZES)
def test_the_figures_pages_draw_their_charts_and_fit_the_screen(
    browser,  # noqa: F811
    live_db,
    live_server,
    counted,
    language,
    width,
    height,
    size,
):
    for username, path, name in _pages():
        context, page, errors = _open(browser, live_server, width, height, language, username)
        page.goto(
            f"{live_server.url}{path}?year={YEAR}"
            if "?" not in path
            else f"{live_server.url}{path}&year={YEAR}"
        )
        assert page.locator("html").get_attribute("lang") == language
        if language == "zh-hans":
            assert "数据截至" in page.inner_text("body")
        _check(page, errors, f"{name}-{language}-{size}", width)
        context.close()


def test_a_click_on_a_streets_bar_drills_down_to_the_street(
    browser,  # noqa: F811
    live_db,
    live_server,
    counted,
):
    context, page, errors = _open(browser, live_server, 1280, 900, "zh-hans", "group_secretary")
    assert errors == []
    page.goto(f"{live_server.url}{reverse('stats_region', args=[DISTRICT])}?year={YEAR}")
    chart = page.locator("[data-testid=chart-children]")
    chart.locator("canvas").wait_for(state="attached")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    # The first street's name under its bars: a click there drills down as a click on a bar.
    x, y = page.evaluate(
        """(element) => {
            const chart = window.echarts.getInstanceByDom(element);
            return [chart.convertToPixel({ xAxisIndex: 0 }, 0), chart.convertToPixel({ yAxisIndex: 0 }, 0)];
        }""",
        chart.element_handle(),
    )
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y + 14)
    assert page.url.startswith(f"{live_server.url}{reverse('stats_region', args=[CHENGDONG])}")
    assert "城东街道" in page.inner_text("h1")
    context.close()
