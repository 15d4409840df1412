"""The portal's navigation is rendered once per language and page in each process, and stays
exactly what each page and language shows."""

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

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
