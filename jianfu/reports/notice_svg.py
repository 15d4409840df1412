"""Bar charts for the annual notice, drawn as SVG in Python.

The notice is a PDF typeset by WeasyPrint, which runs no JavaScript, so ECharts cannot draw
its charts; a few rectangles and labels are all a notice's chart needs. The charts name no
font file: they use the document's own font stack, so they print in the notice's type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# Official documents print in black and red; a grey and a dark red tell two series apart
# on a black-and-white copy too.
SERIES_COLOURS = ("#8c8c8c", "#b5121b", "#3d5a80", "#e0a800")
TEXT_COLOUR = "#000"
AXIS_COLOUR = "#444"


@dataclass(frozen=True)
class Series:
    """One set of bars: a name for the legend and one value (or None: no bar) per category."""

    name: str
    values: Sequence[float | None]


def _number(value: float, suffix: str) -> str:
    text = f"{value:.1f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"
    return text + suffix


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above value: a round top for the axis."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    *,
    categories: Sequence[str],
    series: Sequence[Series],
    title: str = "",
    suffix: str = "",
    width: int = 640,
    height: int = 300,
    font_family: str = "serif",
    fixed_top: float | None = None,
) -> str:
    """Vertical bars grouped by category, each labelled with its value; negative values hang
    below the zero line. `suffix` follows each value ("%"); `fixed_top` fixes the axis's top
    (100 for percentages). Returns an <svg> element to put inline in the notice's HTML."""
    left, right, top, bottom = 44, 12, 30 if title else 12, 46
    legend = len(series) > 1
    if legend:
        bottom += 18
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    high = max([0.0, *values])
    low = min([0.0, *values])
    high = fixed_top if fixed_top is not None and fixed_top >= high else _nice_ceiling(high)
    low = -_nice_ceiling(-low) if low < 0 else 0.0
    span = high - low

    def y_of(value: float) -> float:
        return top + (high - value) / span * plot_h

    zero = y_of(0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family={quoteattr(font_family)} font-size="11" '
        f'role="img" aria-label={quoteattr(title)}>'
    ]
    if title:
        parts.append(
            f'<text x="{width / 2:.1f}" y="16" text-anchor="middle" font-size="13" '
            f'font-weight="bold" fill="{TEXT_COLOUR}">{escape(title)}</text>'
        )
    # Gridlines at the top, half way and (for negatives) the bottom, with their values.
    for tick in sorted({low, 0.0, high / 2, high}):
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{AXIS_COLOUR if tick == 0 else "#ccc"}" stroke-width="{1 if tick == 0 else 0.5}"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{AXIS_COLOUR}">'
            f"{escape(_number(tick, suffix))}</text>"
        )
    if categories:
        slot = plot_w / len(categories)
        group = slot * 0.7
        bar = group / max(1, len(series))
        for index, category in enumerate(categories):
            x0 = left + index * slot + (slot - group) / 2
            for number, one in enumerate(series):
                value = one.values[index] if index < len(one.values) else None
                if value is None:
                    continue
                x = x0 + number * bar
                y = min(y_of(value), zero)
                h = abs(y_of(value) - zero)
                colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar * 0.9:.1f}" height="{h:.1f}" '
                    f'fill="{colour}" data-value="{value:g}"/>'
                )
                label_y = y - 3 if value >= 0 else y + h + 11
                parts.append(
                    f'<text x="{x + bar * 0.45:.1f}" y="{label_y:.1f}" text-anchor="middle" '
                    f'font-size="10" fill="{TEXT_COLOUR}">{escape(_number(value, suffix))}</text>'
                )
            parts.append(
                f'<text x="{left + index * slot + slot / 2:.1f}" y="{top + plot_h + 16:.1f}" '
                f'text-anchor="middle" fill="{TEXT_COLOUR}">{escape(category)}</text>'
            )
    if legend:
        x = left
        y = height - 10
        for number, one in enumerate(series):
            colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
            parts.append(
                f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{x + 14}" y="{y}" fill="{TEXT_COLOUR}">{escape(one.name)}</text>'
            )
            x += 28 + 12 * len(one.name)
    parts.append("</svg>")
    return "".join(parts)
