"""Filters of the figures' pages: rates as percent to one decimal."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def rate(value: float | None) -> str:
    """A rate of 0–1 as percent to one decimal: {{ 0.6066|rate }} → 60.7%; — when unknown."""
    if value is None:
        return "—"
    return f"{number_format(round(value * 100, 1), 1)}%"


@register.filter
def percent(value: float | None) -> str:
    """A figure already in percent, to one decimal: {{ 60.7|percent }} → 60.7%."""
    if value is None:
        return "—"
    return f"{number_format(value, 1)}%"


@register.filter
def get(mapping: dict, key):
    """{{ row.reductions|get:"tasks" }}."""
    return mapping.get(key) if mapping else None
