"""Reads the burden API needs beside the pages' (jianfu.burden.selectors): an inventory by
status for paging, a community's burden in full, and a region's summary; each a fixed number
of queries however many communities or entries there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from jianfu.burden.index import (
    Comparison,
    Figures,
    aggregate,
    baselines_of,
    burden_figures,
    compare,
    figures_of,
)
from jianfu.burden.models import BurdenSnapshot, EntryStatus, InventoryEntry
from jianfu.org.models import Region, RegionLevel, User

STATUS_FILTERS = ("active", "ended", "all")


def in_jurisdiction(*, user: User, region: Region) -> bool:
    """Whether the region lies in the user's jurisdiction (outside it, it does not exist for
    them: a 404, where a region they see but may not read is a 403)."""
    prefix = user.jurisdiction_prefix
    return prefix is None or region.code.startswith(prefix)


def region_by_code(code: str, *, levels: tuple[str, ...]) -> Region | None:
    return (
        Region.objects.filter(code=code.strip(), level__in=levels).select_related("parent").first()
    )


def entry_by_id(entry_id: int) -> InventoryEntry | None:
    return entries_with_links().filter(pk=entry_id).first()


def entries_with_links() -> QuerySet[InventoryEntry]:
    """Entries with what an answer shows of them, in one query."""
    return InventoryEntry.objects.select_related("community", "department", "admission").defer(
        "admission__agreement_pdf"
    )


def inventory_of(*, community: Region, kind: str, status: str) -> QuerySet[InventoryEntry]:
    """A community's entries of a kind: those in use, those ended, or all."""
    entries = entries_with_links().filter(community=community, kind=kind)
    if status == "active":
        entries = entries.filter(status=EntryStatus.ACTIVE)
    elif status == "ended":
        entries = entries.exclude(status=EntryStatus.ACTIVE)
    return entries


@dataclass
class CommunityIndex:
    community: Region
    on: dt.date
    figures: Figures
    baseline: BurdenSnapshot | None
    comparisons: list[Comparison]
    history: list[BurdenSnapshot]


def community_index(*, community: Region, on: dt.date) -> CommunityIndex:
    """A community's figures on a day, against its baseline, with every snapshot taken."""
    figures = burden_figures([community], on=on)[community.code]
    history = list(BurdenSnapshot.objects.filter(community=community).order_by("taken_on", "id"))
    baseline = next((s for s in history if s.is_baseline), None)
    comparisons = compare(figures, figures_of(baseline) if baseline is not None else None)
    return CommunityIndex(community, on, figures, baseline, comparisons, history)


@dataclass
class CommunityLine:
    community: Region
    figures: Figures
    baseline: BurdenSnapshot | None
    comparisons: list[Comparison]


@dataclass
class RegionSummary:
    region: Region
    on: dt.date
    communities: list[CommunityLine]
    total: Figures
    baseline_total: Figures | None
    comparable: Figures
    comparisons: list[Comparison]


def region_summary(*, region: Region, on: dt.date) -> RegionSummary:
    """Every community of a district or street on a day, and their sum against the baselines
    of those that have one."""
    communities = list(
        Region.objects.filter(
            code__startswith=region.prefix,
            level=RegionLevel.COMMUNITY,
            valid_until__isnull=True,
        )
        .select_related("parent")
        .order_by("code")
    )
    figures = burden_figures(communities, on=on)
    baselines = baselines_of(figures)
    lines = []
    for community in communities:
        snapshot = baselines.get(community.code)
        current = figures[community.code]
        base = figures_of(snapshot) if snapshot is not None else None
        lines.append(CommunityLine(community, current, snapshot, compare(current, base)))
    total, baseline_total, comparable = aggregate(figures, baselines)
    return RegionSummary(
        region=region,
        on=on,
        communities=lines,
        total=total,
        baseline_total=baseline_total,
        comparable=comparable,
        comparisons=compare(comparable, baseline_total),
    )
