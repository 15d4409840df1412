from django import template

from jianfu.core.money import format_fen

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Fen as yuan with thousands separators: {{ 915000|yuan }} → 9,150.00."""
    return "" if fen is None else format_fen(fen)
