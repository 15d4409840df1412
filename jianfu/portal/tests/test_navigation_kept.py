"""The portal's navigation is rendered once per language and page in each process, and stays
exactly what each page and language shows."""

import pytest
from django.conf import settings
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from jianfu.core import context_processors

PAGES = ("portal_index", "public_admissions", "verify_admission_form", "certificate_verify_form")


def nav(html: str) -> str:
    start = html.index('<nav class="portal-nav"')
    return html[start : html.index("</nav>", start) + len("</nav>")]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_page_marks_itself_current_in_its_language_after_the_first_reader(db, language):
    context_processors._portal_navigation.clear()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for name in PAGES:
        first, again = (nav(client.get(reverse(name)).content.decode()) for _ in range(2))
        assert first == again, name
        with translation.override(language):
            expected = render_to_string("portal/navigation.html", {"here": name}).strip()
        assert first == expected, name
        assert f'href="{reverse(name)}" aria-current="page"' in first, name
        assert first.count('aria-current="page"') == 1, name
    assert {key[0] for key in context_processors._portal_navigation} == {language}


def test_the_two_languages_keep_apart(db):
    context_processors._portal_navigation.clear()
    pages = {}
    for language in ("zh-hans", "en"):
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        pages[language] = nav(client.get(reverse("portal_index")).content.decode())
    assert "门户首页" in pages["zh-hans"] and "门户首页" not in pages["en"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_links_lead_back_to_the_page_read(db, language):
    context_processors._portal_language_links.clear()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for path in ("/public/", "/verify/admission/市中准〔2026〕12号?x=1&y=<b>"):
        response = client.get(path)
        page, here = response.content.decode(), response.wsgi_request.get_full_path()
        start = page.index('<nav class="lang-switch"')
        links = page[page.index(">", start) + 1 : page.index("</nav>", start)]
        expected = "".join(
            f'<a href="/public/lang/{code}/?next={escape(urlencode(here))}" lang="{code}" '
            f'hreflang="{code}" rel="nofollow" data-testid="lang-{code}"'
            + (' class="current" aria-current="true"' if code == language else "")
            + f">{translation.get_language_info(code)['name_local']}</a>"
            for code, _name in settings.LANGUAGES
        )
        assert links == expected, path
