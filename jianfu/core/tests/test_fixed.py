"""{% fixed %}: a part of a template from a file is rendered once per process and language."""

import pytest
from django.template import Context, Engine
from django.test import override_settings
from django.utils import translation

from jianfu.core.templatetags.fixed import fixed_forget

LIBRARIES = {"fixed": "jianfu.core.templatetags.fixed", "i18n": "django.templatetags.i18n"}


@pytest.fixture
def engine(tmp_path):
    fixed_forget()
    (tmp_path / "page.html").write_text(
        "{% load i18n fixed %}[{% fixed %}{{ value }} {% translate '首页' %}{% endfixed %}]"
        "({{ value }})",
        encoding="utf-8",
    )
    yield Engine(dirs=[str(tmp_path)], libraries=LIBRARIES)
    fixed_forget()


def render(engine: Engine, value: str) -> str:
    return engine.get_template("page.html").render(Context({"value": value}))


def test_the_block_is_rendered_by_the_first_request_and_kept_for_the_next(engine):
    with translation.override("zh-hans"):
        assert render(engine, "one") == "[one 首页](one)"
        # What is outside the block is rendered again; what is inside is the first rendering.
        assert render(engine, "two") == "[one 首页](two)"


def test_each_language_has_its_own_rendering(engine):
    with translation.override("zh-hans"):
        assert render(engine, "one") == "[one 首页](one)"
    with translation.override("en"):
        assert render(engine, "two") == "[two Home](two)"
    with translation.override("zh-hans"):
        assert render(engine, "three") == "[one 首页](three)"


def test_the_sites_addresses_are_part_of_the_key(engine):
    with translation.override("zh-hans"):
        assert render(engine, "one") == "[one 首页](one)"
        with override_settings(ROOT_URLCONF="jianfu.urls"):
            from django.urls import set_urlconf

            set_urlconf("jianfu.urls")
            try:
                assert render(engine, "two") == "[two 首页](two)"
            finally:
                set_urlconf(None)


def test_each_template_keeps_its_own_renderings():
    engine = Engine(libraries=LIBRARIES)
    source = "{% load fixed %}{% fixed %}{{ value }}{% endfixed %}"
    first, second = engine.from_string(source), engine.from_string(source)
    assert first.render(Context({"value": "one"})) == "one"
    assert first.render(Context({"value": "two"})) == "one"
    assert second.render(Context({"value": "two"})) == "two"


def test_fixed_takes_no_arguments():
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        Engine(libraries=LIBRARIES).from_string("{% load fixed %}{% fixed x %}{% endfixed %}")


def test_a_csrf_token_inside_is_refused_when_the_template_is_read():
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match="csrf_token"):
        Engine(libraries=LIBRARIES).from_string(
            "{% load fixed %}{% fixed %}<form>{% csrf_token %}</form>{% endfixed %}"
        )
