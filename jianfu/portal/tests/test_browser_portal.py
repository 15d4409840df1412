"""In a real browser, without logging in: the portal's front page, a published campaign's results
(the chart drawn beside its table) and the data dump's page, in Chinese and English, on a
desktop and a phone; the language links switch the language."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from jianfu.core.tests.test_browser import SCREENSHOTS, browser  # noqa: F401  (shared fixture)
from jianfu.evaluation.models import Campaign, CampaignState

pytestmark = pytest.mark.browser

WIDTHS = ((1280, 900), (390, 844))


@pytest.fixture
def demo(live_db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", password="Demo-Pass-2026x", stdout=io.StringIO())


def test_portal_pages_in_both_languages_on_desktop_and_phone(browser, demo, live_server):  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    campaign = Campaign.objects.get(state=CampaignState.PUBLISHED)
    pages = {
        "portal-index": (reverse("portal_index"), "云龙区"),
        "portal-evaluation": (
            reverse("portal_evaluation_detail", args=[campaign.pk]),
            campaign.title,
        ),
        "portal-dump": (reverse("portal_dump"), "latest.json"),
    }
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        for language in ("zh-hans", "en"):
            if language == "en":
                # The reader's own switch: a plain link, back to the same page.
                page.goto(f"{live_server.url}{reverse('portal_index')}")
                page.click("[data-testid=lang-en]")
                page.wait_for_url(f"{live_server.url}{reverse('portal_index')}")
                assert page.get_attribute("html", "lang") == "en"
            for name, (path, expected) in pages.items():
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
                assert page.get_attribute("html", "lang") == language
                assert expected in page.inner_text("body")
                assert page.locator("[data-testid=portal-nav]").is_visible()
                if name == "portal-evaluation":
                    assert page.locator("[data-testid=rate-chart] canvas").count() == 1
                    rows = page.locator("[data-testid=result-row]").count()
                    assert rows == campaign.targets.count()
                if name == "portal-index":
                    assert page.locator("[data-testid=as-of]").inner_text().strip()
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, (name, language, width, overflow)
                page.screenshot(
                    path=str(SCREENSHOTS / f"{name}-{language}-{width}.png"), full_page=True
                )
        assert not errors
        context.close()
