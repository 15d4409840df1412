"""The charts' data for the figures' pages, in the shapes jianfu/static/jianfu/app.js draws
({categories, series: [{name, data}], links?, horizontal?, stack?, percent?}), with labels in
the reader's language. Each page prints the same numbers in a table beside its chart."""

from __future__ import annotations

from django.utils.translation import gettext as _

from jianfu.admission.models import ApplicationState
from jianfu.burden.selectors import figure_label
from jianfu.org.models import Region, RegionLevel
from jianfu.reports.selectors import DepartmentStats, RegionStats

# The figures drawn over time and in the child regions' table (hours are drawn only where a
# baseline has them; a survey baseline usually does not).
# The baseline in grey beside now in blue.
BEFORE_AFTER_COLORS = ["#9aa7b8", "#1f4e8c"]
HISTORY_FIGURES = ("tasks", "signboards", "ledger_books", "campaigns", "systems", "unadmitted")


def percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def child_level_label(region: Region) -> str:
    return {
        RegionLevel.PROVINCE: _("各市"),
        RegionLevel.CITY: _("各区县"),
        RegionLevel.DISTRICT: _("各街道"),
        RegionLevel.STREET: _("各社区"),
    }.get(region.level, "")


def comparison_rows(stats: RegionStats) -> list[dict]:
    """Before and after, per reducible figure, with its label."""
    return [
        {
            "name": c.name,
            "label": figure_label(c.name),
            "baseline": c.baseline,
            "current": c.current,
            "reduction": c.reduction,
        }
        for c in stats.comparisons
    ]


def history_rows(history: list[RegionStats]) -> list[dict]:
    """The table beside the chart over time: the baseline first (of the communities that have
    one), then each year, latest last."""
    rows = []
    baseline = history[-1].baseline if history else None
    if baseline is not None:
        rows.append({"label": _("基线"), "figures": baseline, "is_baseline": True})
    rows.extend({"label": str(s.row.year), "figures": s.figures} for s in history)
    return rows


def history_chart(history: list[RegionStats]) -> dict:
    rows = history_rows(history)
    return {
        "categories": [row["label"] for row in rows],
        "series": [
            {"name": figure_label(name), "data": [getattr(row["figures"], name) for row in rows]}
            for name in HISTORY_FIGURES
        ],
    }


def compare_chart(stats: RegionStats) -> dict:
    """Grouped bars: the baselines and the same communities now."""
    rows = [c for c in stats.comparisons if c.baseline]
    return {
        "categories": [figure_label(c.name) for c in rows],
        "series": [
            {"name": _("基线"), "data": [c.baseline for c in rows]},
            {"name": _("现在"), "data": [c.current for c in rows]},
        ],
        "labels": True,
    }


def children_chart(children: list[RegionStats], links: list[str]) -> dict:
    """The streets' or communities' tasks at the baseline and now; a click drills down."""
    return {
        "categories": [c.region.name for c in children],
        "series": [
            {
                "name": _("基线"),
                "data": [c.baseline.tasks if c.baseline is not None else None for c in children],
            },
            {"name": _("现在"), "data": [c.figures.tasks for c in children]},
        ],
        "links": links,
        "labels": True,
        "colors": BEFORE_AFTER_COLORS,
    }


def _names(rows: list[DepartmentStats]) -> list[str]:
    return [row.department.name for row in rows]


def _only_shown(chart: dict) -> dict:
    """Keep the departments that have something to draw in this chart (the table beside it
    lists them all), so a district's thirty departments do not bury the few that matter."""
    keep = [
        i
        for i in range(len(chart["categories"]))
        if any(series["data"][i] for series in chart["series"])
    ]
    chart["categories"] = [chart["categories"][i] for i in keep]
    chart["links"] = [chart["links"][i] for i in keep]
    for series in chart["series"]:
        series["data"] = [series["data"][i] for i in keep]
    return chart


def departments_charts(rows: list[DepartmentStats], links: list[str]) -> dict:
    """The departments' three charts: applications by state, work pushed without admission and
    refused, the funding delivery and satisfaction rates."""
    states = [s for s in ApplicationState if any(row.applications.get(s.value) for row in rows)]
    names = _names(rows)
    charts = {
        "applications": {
            "categories": names,
            "series": [
                {"name": str(s.label), "data": [row.applications.get(s.value, 0) for row in rows]}
                for s in states
            ],
            "links": links,
            "horizontal": True,
            "stack": True,
        },
        "unadmitted": {
            "categories": names,
            "series": [
                {"name": _("未经准入派发"), "data": [row.unadmitted_dispatches for row in rows]},
                {"name": _("未经准入送达"), "data": [row.unadmitted_deliveries for row in rows]},
                {"name": _("被拒绝"), "data": [row.refusals for row in rows]},
            ],
            "links": links,
            "horizontal": True,
        },
        "rates": {
            "categories": names,
            "series": [
                {"name": _("经费到位率"), "data": [percent(row.delivery_rate) for row in rows]},
                {"name": _("满意率"), "data": [percent(row.satisfaction) for row in rows]},
            ],
            "links": links,
            "horizontal": True,
            "percent": True,
        },
    }
    # A rate of 0 % is a figure to show; only a department with no rate at all is left out.
    rates = charts["rates"]
    keep = [
        i
        for i in range(len(names))
        if any(series["data"][i] is not None for series in rates["series"])
    ]
    rates["categories"] = [names[i] for i in keep]
    rates["links"] = [links[i] for i in keep]
    for series in rates["series"]:
        series["data"] = [series["data"][i] for i in keep]
    return {
        "applications": _only_shown(charts["applications"]),
        "unadmitted": _only_shown(charts["unadmitted"]),
        "rates": rates,
    }


def department_history_chart(history: list[tuple[int, DepartmentStats]]) -> dict:
    return {
        "categories": [str(year) for year, _row in history],
        "series": [
            {"name": _("新准入事项"), "data": [row.admissions_granted for _y, row in history]},
            {"name": _("派发任务"), "data": [row.dispatches for _y, row in history]},
            {"name": _("未经准入派发"), "data": [row.unadmitted_dispatches for _y, row in history]},
            {"name": _("被拒绝"), "data": [row.refusals for _y, row in history]},
        ],
    }


def department_rates_chart(history: list[tuple[int, DepartmentStats]]) -> dict:
    return {
        "categories": [str(year) for year, _row in history],
        "series": [
            {"name": _("经费到位率"), "data": [percent(row.delivery_rate) for _y, row in history]},
            {"name": _("满意率"), "data": [percent(row.satisfaction) for _y, row in history]},
        ],
        "percent": True,
    }


def application_rows(row: DepartmentStats) -> list[tuple[str, int]]:
    return [
        (str(s.label), row.applications[s.value])
        for s in ApplicationState
        if row.applications.get(s.value)
    ]


def applications_chart(row: DepartmentStats) -> dict:
    rows = application_rows(row)
    return {
        "categories": [label for label, _n in rows],
        "series": [{"name": _("申请"), "data": [n for _label, n in rows]}],
        "labels": True,
    }


def headline_chart(stats: RegionStats) -> dict:
    """The home page's small chart: how much lighter, in percent, per figure with a baseline."""
    rows = [c for c in stats.comparisons if c.reduction is not None]
    return {
        "categories": [figure_label(c.name) for c in rows],
        "series": [{"name": _("减少幅度"), "data": [c.reduction for c in rows]}],
        "horizontal": True,
        "percent": True,
        "labels": True,
    }
