"""The notice's bar charts: well-formed SVG with no script and no external reference, bars
proportional to their values, negatives below the zero line, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from jianfu.reports.notice_svg import Series, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output, not untrusted input)


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("data-value") is not None]


def test_bars_are_proportional_to_their_values_and_labelled():
    root = parse(
        bar_chart(
            categories=["甲", "乙"], series=[Series("减少", [50, 100])], suffix="%", fixed_top=100
        )
    )
    low, high = bars(root)
    assert float(high.get("height")) == 2 * float(low.get("height"))
    # Both stand on the same zero line.
    assert float(low.get("y")) + float(low.get("height")) == float(high.get("y")) + float(
        high.get("height")
    )
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "50%" in texts and "100%" in texts and "甲" in texts and "乙" in texts


def test_grouped_series_have_a_legend_and_a_missing_value_draws_no_bar():
    root = parse(
        bar_chart(
            categories=["城东街道", "城西街道"],
            series=[Series("基线", [130, None]), Series("现在", [50, 45])],
        )
    )
    assert [b.get("data-value") for b in bars(root)] == ["130", "50", "45"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "基线" in texts and "现在" in texts


def test_a_growth_hangs_below_the_zero_line():
    root = parse(
        bar_chart(categories=["甲", "乙"], series=[Series("减少", [40.0, -12.5])], suffix="%")
    )
    up, down = bars(root)
    assert float(down.get("y")) == float(up.get("y")) + float(up.get("height"))
    assert "-12.5%" in [t.text for t in root.iter(f"{SVG}text")]


def test_text_is_escaped_and_nothing_runs_or_loads():
    svg = bar_chart(
        categories=["<script>alert(1)</script>"],
        series=[Series('a & "b"', [1]), Series("c", [2])],
        title="图 <1>",
    )
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert "<script>" not in svg and "href" not in svg and "url(" not in svg
    assert root.get("aria-label") == "图 <1>"


def test_no_categories_draws_an_empty_chart():
    root = parse(bar_chart(categories=[], series=[Series("x", [])], title="空"))
    assert bars(root) == []
