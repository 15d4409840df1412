"""{% fixed %}…{% endfixed %}: a part of a template rendered once per process and language.

The frame of every page (the head, the brand, the footer, the portal's links) and the fixed text
of the busiest pages are the same for every reader in a language: translating and reversing them
again for each request was about a quarter of the public verification page. What is inside the
block must depend on nothing but the active language and the site's URLs: no request, no user,
no variable of the page ({{ request.path }} inside would be served to the next reader too; a
{% csrf_token %} inside is refused when the template is read). A test changing the translations
forgets them with `fixed_forget()`.
"""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# Raised by fixed_forget(): a block remembers its renderings under the number current then.
_generation = 0


def fixed_forget() -> None:
    """Forget every rendered block (for tests that change the translations)."""
    global _generation
    _generation += 1


class FixedNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        # The renderings, by (generation, language, script prefix, URLconf). They live as long
        # as the template they are part of (the template loader keeps it).
        self.rendered: dict[tuple, str] = {}

    def render(self, context: template.Context) -> str:
        key = (_generation, get_language(), get_script_prefix(), get_urlconf())
        html = self.rendered.get(key)
        if html is None:
            html = self.rendered[key] = mark_safe(self.nodelist.render(context))  # noqa: S308
        return html


@register.tag
def fixed(parser: template.base.Parser, token: template.base.Token) -> FixedNode:
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% fixed %} takes no arguments")
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(CsrfTokenNode):
        raise template.TemplateSyntaxError(
            "{% csrf_token %} inside {% fixed %} would give every reader the first one's token"
        )
    return FixedNode(nodelist)
