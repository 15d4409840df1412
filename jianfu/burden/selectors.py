"""Reads of the burden app, scoped to the user: a community officer reads their community, a
street officer their street's communities, the district's offices every community of the
district. The figures come from jianfu.burden.index, a fixed number of queries however many
communities are read."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from jianfu.admission.models import Admission
from jianfu.burden.index import (
    Comparison,
    Figures,
    aggregate,
    baselines_of,
    burden_figures,
    compare,
    figures_of,
    reduction_percent,
)
from jianfu.burden.models import (
    BurdenSettings,
    BurdenSnapshot,
    EntryKind,
    EntryStatus,
    InventoryEntry,
    LedgerMedium,
)
from jianfu.catalog.models import Item, ListKind, VersionStatus
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.org.roles import DISTRICT_ROLES, Role
from jianfu.org.rules import active_unit
from jianfu.org.selectors import ancestor_codes

# Who reads the burden inventories and index: a community's officers, its street's, and the
# district's offices.
BURDEN_ROLES = (Role.COMMUNITY_OFFICER, Role.STREET_OFFICER, *DISTRICT_ROLES)
# The reductions the district table shows beside each community (the page of a community shows
# every figure).
TABLE_REDUCTIONS = ("tasks", "signboards", "ledger_books")


# Scope ------------------------------------------------------------------------------------------


def scope_of(*, user: User) -> Region | None:
    """The region whose burden the user oversees: the district for its offices, the street
    for its officers, the community for its officers; None for anyone else."""
    unit = active_unit(user)
    if unit is None:
        return None
    if user.has_role(*DISTRICT_ROLES) and unit.district_code:
        return Region.objects.filter(code=unit.district_code, level=RegionLevel.DISTRICT).first()
    region = unit.region
    if region is None:
        return None
    if user.has_role(Role.STREET_OFFICER) and region.level == RegionLevel.STREET:
        return region
    if user.has_role(Role.COMMUNITY_OFFICER) and region.level == RegionLevel.COMMUNITY:
        return region
    return None


def communities_in(scope: Region | None) -> QuerySet[Region]:
    """The communities in force in a district, street or (itself) a community, by street."""
    if scope is None:
        return Region.objects.none()
    communities = Region.objects.filter(level=RegionLevel.COMMUNITY, valid_until__isnull=True)
    if scope.level == RegionLevel.COMMUNITY:
        communities = Region.objects.filter(code=scope.code)
    elif scope.level == RegionLevel.STREET:
        communities = communities.filter(parent=scope)
    else:
        communities = communities.filter(code__startswith=scope.prefix)
    return communities.select_related("parent").order_by("parent_id", "code")


def communities_visible_to(*, user: User) -> QuerySet[Region]:
    """The communities whose burden the user reads."""
    return communities_in(scope_of(user=user))


def community_visible_to(*, user: User, code: str) -> Region | None:
    """The community of that code if the user reads its burden; else None (a 404)."""
    community = (
        Region.objects.filter(code=code, level=RegionLevel.COMMUNITY)
        .select_related("parent")
        .first()
    )
    if community is None or not user.has_perm("burden.read", community):
        return None
    return community


def office_district_of(*, user: User) -> Region | None:
    """The district whose leadership-group office the user works in (who sets caps and takes
    snapshots), if any."""
    unit = active_unit(user)
    if unit is None or not user.has_role(Role.GROUP_SECRETARY) or not unit.district_code:
        return None
    district = Region.objects.filter(code=unit.district_code, level=RegionLevel.DISTRICT).first()
    if district is None or not user.has_perm("burden.manage", district):
        return None
    return district


# The district's table ---------------------------------------------------------------------------


@dataclass
class Row:
    """One community's line in the table."""

    community: Region
    figures: Figures
    baseline: Figures | None
    reductions: dict[str, float | None]
    campaign_cap: int | None = None

    @property
    def over_campaign_cap(self) -> int:
        """Campaigns beyond the district's cap, if it sets one."""
        if self.campaign_cap is None:
            return 0
        return max(0, self.figures.campaigns - self.campaign_cap)

    @property
    def flagged(self) -> bool:
        return bool(
            self.figures.over_cap
            or self.over_campaign_cap
            or self.figures.one_vote_veto
            or self.figures.unadmitted
        )


@dataclass
class Totals:
    """A street's or the district's sum; its reductions compare only the communities that have
    a baseline with their own baselines."""

    figures: Figures
    baseline: Figures | None
    reductions: dict[str, float | None]
    communities: int
    with_baseline: int
    over_cap: int
    flagged: int


@dataclass
class StreetBlock:
    street: Region | None
    rows: list[Row]
    totals: Totals


@dataclass
class BurdenTable:
    scope: Region
    on: dt.date
    streets: list[StreetBlock] = field(default_factory=list)
    totals: Totals | None = None

    @property
    def shown(self) -> int:
        return sum(len(block.rows) for block in self.streets)


def _reductions(baseline: Figures | None, current: Figures) -> dict[str, float | None]:
    return {
        name: reduction_percent(getattr(baseline, name), getattr(current, name))
        if baseline is not None
        else None
        for name in TABLE_REDUCTIONS
    }


def _totals(rows: list[Row], baselines: dict[str, BurdenSnapshot]) -> Totals:
    figures = {row.community.code: row.figures for row in rows}
    total, base_total, comparable = aggregate(figures, baselines)
    return Totals(
        figures=total,
        baseline=base_total,
        reductions=_reductions(base_total, comparable),
        communities=len(rows),
        with_baseline=sum(1 for row in rows if row.baseline is not None),
        over_cap=sum(1 for row in rows if row.figures.over_cap),
        flagged=sum(1 for row in rows if row.flagged),
    )


def burden_table(*, scope: Region, on: dt.date, flagged_only: bool = False) -> BurdenTable:
    """The burden of every community in `scope`, grouped by street with street subtotals and
    a total. Subtotals and the total always cover every community, also when only the flagged
    ones are listed: a filter of the view does not change the street's figures."""
    communities = list(communities_in(scope))
    figures = burden_figures(communities, on=on)
    baselines = baselines_of(figures)
    campaign_caps = dict(
        BurdenSettings.objects.filter(
            district_id__in={c.district_code for c in communities}
        ).values_list("district_id", "campaign_cap")
    )
    by_street: dict[str | None, list[Row]] = defaultdict(list)
    streets: dict[str | None, Region | None] = {}
    for community in communities:
        snapshot = baselines.get(community.code)
        baseline = figures_of(snapshot) if snapshot is not None else None
        current = figures[community.code]
        row = Row(
            community,
            current,
            baseline,
            _reductions(baseline, current),
            campaign_caps.get(community.district_code),
        )
        by_street[community.parent_id].append(row)
        streets[community.parent_id] = community.parent
    table = BurdenTable(scope=scope, on=on)
    all_rows: list[Row] = []
    for code, rows in by_street.items():
        all_rows.extend(rows)
        shown = [row for row in rows if row.flagged] if flagged_only else rows
        if shown:
            table.streets.append(StreetBlock(streets[code], shown, _totals(rows, baselines)))
    table.totals = _totals(all_rows, baselines)
    return table


# A community ------------------------------------------------------------------------------------


# The figures of a snapshot a page may name, with their labels (the model's own).
def figure_label(name: str) -> str:
    return str(BurdenSnapshot._meta.get_field(name).verbose_name)


@dataclass
class CommunityBurden:
    community: Region
    on: dt.date
    figures: Figures
    baseline: BurdenSnapshot | None
    comparisons: list[Comparison]
    snapshots: list[BurdenSnapshot]
    admitted_work: list[Admission]


def community_burden(*, community: Region, on: dt.date) -> CommunityBurden:
    """A community's figures now, against its baseline, with its snapshots and the admitted
    work in force."""
    from jianfu.burden.index import admitted_work_of

    figures = burden_figures([community], on=on)[community.code]
    baseline = baselines_of([community.code]).get(community.code)
    comparisons = compare(figures, figures_of(baseline) if baseline is not None else None)
    snapshots = list(BurdenSnapshot.objects.filter(community=community).order_by("taken_on", "id"))
    work = list(admitted_work_of(community, on=on).distinct())
    return CommunityBurden(community, on, figures, baseline, comparisons, snapshots, work)


def history_chart(burden: CommunityBurden) -> dict:
    """The chart of a community's snapshots and, last, its figures now: tasks, signboards and
    ledger books on the left axis, hours on the right."""
    points = [(s.taken_on.isoformat(), figures_of(s)) for s in burden.snapshots]
    points.append((str(_("现在")), burden.figures))
    return {
        "categories": [day for day, _figures in points],
        "series": [
            {
                "name": figure_label(name),
                "data": [getattr(figures, name) for _day, figures in points],
                "axis": 1 if name == "hours" else 0,
            }
            for name in ("tasks", "signboards", "ledger_books", "hours")
        ],
    }


# Inventories ------------------------------------------------------------------------------------


def entries_of(
    *, community: Region, kind: str
) -> tuple[list[InventoryEntry], list[InventoryEntry]]:
    """The community's entries of a kind: (active, ended), the ended ones latest first."""
    entries = list(
        InventoryEntry.objects.filter(community=community, kind=kind).select_related(
            "admission", "successor", "basis_list"
        )
    )
    active = [e for e in entries if e.status == EntryStatus.ACTIVE]
    ended = sorted(
        (e for e in entries if e.status != EntryStatus.ACTIVE),
        key=lambda e: (e.ended_on, e.pk),
        reverse=True,
    )
    return active, ended


def entry_visible_to(*, user: User, pk: int) -> InventoryEntry | None:
    """An entry of a community whose burden the user reads; else None (a 404)."""
    entry = (
        InventoryEntry.objects.filter(pk=pk)
        .select_related("community", "community__parent", "admission")
        .first()
    )
    if entry is None or not user.has_perm("burden.read", entry.community):
        return None
    return entry


def successors_for(entry: InventoryEntry) -> QuerySet[InventoryEntry]:
    """What an entry may be merged into (or a paper ledger turned into): the community's other
    active entries of the same kind."""
    return (
        InventoryEntry.objects.filter(
            community_id=entry.community_id, kind=entry.kind, status=EntryStatus.ACTIVE
        )
        .exclude(pk=entry.pk)
        .order_by("name", "id")
    )


# Signboards are allowed by the signboard list first of all, a ledger or a campaign by a duty.
_BASIS_ORDER = {
    EntryKind.SIGNBOARD: (ListKind.SIGNBOARD, ListKind.DUTY, ListKind.ASSIST),
    EntryKind.LEDGER: (ListKind.DUTY, ListKind.ASSIST, ListKind.SIGNBOARD),
    EntryKind.CAMPAIGN: (ListKind.DUTY, ListKind.ASSIST, ListKind.SIGNBOARD),
    EntryKind.SYSTEM: (ListKind.DUTY, ListKind.ASSIST, ListKind.SIGNBOARD),
}


def basis_choices(*, community: Region, kind: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The published signboard, duty and assistance lists of the community's district (and
    above) as option groups of (item key, item name): what an entry may be allowed by. The
    same items services.basis_item_for accepts."""
    district = community.district_code or ""
    items = (
        Item.objects.filter(
            version__status=VersionStatus.PUBLISHED,
            version__list__kind__in=_BASIS_ORDER[EntryKind(kind)],
            version__list__region_id__in=[district, *ancestor_codes(district)],
        )
        .select_related("version__list")
        .only("key", "name", "code", "position", "version__list__name", "version__list__kind")
        .order_by("version__list_id", "position", "id")
    )
    groups: dict[int, tuple[str, str, list[tuple[str, str]]]] = {}
    for item in items:
        catalog_list = item.version.list
        group = groups.setdefault(catalog_list.pk, (catalog_list.kind, catalog_list.name, []))
        label = f"{item.code} {item.name}" if item.code else item.name
        group[2].append((str(item.key), label))
    order = _BASIS_ORDER[EntryKind(kind)]
    ordered = sorted(groups.values(), key=lambda g: order.index(g[0]))
    return [(name, options) for _kind, name, options in ordered]


def basis_link(entry: InventoryEntry) -> tuple[int, uuid.UUID] | None:
    if entry.basis_list_id and entry.basis_item_key:
        return entry.basis_list_id, entry.basis_item_key
    return None


def admissions_covering(*, community: Region, on: dt.date) -> list[str]:
    """The numbers of the admissions in force in the community (suggestions for the form)."""
    from jianfu.burden.index import admitted_work_of

    return list(admitted_work_of(community, on=on).values_list("number", flat=True).distinct())


def department_names(*, community: Region) -> list[str]:
    """The district's departments, suggested for an entry's department."""
    return list(
        Unit.objects.filter(
            district_code=community.district_code or "",
            type=UnitType.DEPARTMENT,
            is_active=True,
        )
        .order_by("name")
        .values_list("name", flat=True)
    )


def signboard_cap_of(community: Region) -> int:
    found = (
        BurdenSettings.objects.filter(district_id=community.district_code)
        .values_list("signboard_cap", flat=True)
        .first()
    )
    return BurdenSettings._meta.get_field("signboard_cap").default if found is None else found


# Snapshots --------------------------------------------------------------------------------------


def snapshots_visible_to(*, user: User) -> QuerySet[BurdenSnapshot]:
    scope = scope_of(user=user)
    if scope is None:
        return BurdenSnapshot.objects.none()
    if scope.level == RegionLevel.COMMUNITY:
        return BurdenSnapshot.objects.filter(community=scope)
    if scope.level == RegionLevel.STREET:
        return BurdenSnapshot.objects.filter(community__parent=scope)
    return BurdenSnapshot.objects.filter(community__code__startswith=scope.prefix)


def snapshot_groups(*, user: User, community: str = "") -> QuerySet:
    """The user's snapshots taken together (a district's snapshot is one row per community):
    per day, label and kind, how many communities and the sums of the main figures."""
    snapshots = snapshots_visible_to(user=user)
    if community:
        snapshots = snapshots.filter(community_id=community)
    return (
        snapshots.values("taken_on", "label", "is_baseline", "source")
        .annotate(
            communities=Count("id"),
            tasks=Sum("tasks"),
            hours=Sum("hours"),
            signboards=Sum("signboards"),
            ledger_books=Sum("ledger_books"),
            campaigns=Sum("campaigns"),
            systems=Sum("systems"),
            unadmitted=Sum("unadmitted"),
        )
        .order_by("-taken_on", "-is_baseline", "label")
    )


# The home page ----------------------------------------------------------------------------------


@dataclass
class HomeFlags:
    """What the home page tells a user about the burden they oversee."""

    scope: Region
    community: Figures | None  # a community officer's own figures
    communities: int
    over_cap: int
    vetoes: int
    unadmitted: int


def burden_flags_for(*, user: User, on: dt.date) -> HomeFlags | None:
    """The burden flags of the user's community, street or district (None if they read no
    burden)."""
    if not user.has_role(*BURDEN_ROLES):
        return None
    scope = scope_of(user=user)
    if scope is None:
        return None
    figures = burden_figures(list(communities_in(scope)), on=on)
    return HomeFlags(
        scope=scope,
        community=figures.get(scope.code) if scope.level == RegionLevel.COMMUNITY else None,
        communities=len(figures),
        over_cap=sum(1 for f in figures.values() if f.over_cap),
        vetoes=sum(1 for f in figures.values() if f.one_vote_veto),
        unadmitted=sum(1 for f in figures.values() if f.unadmitted),
    )


def paper_ledger(entry: InventoryEntry) -> bool:
    return entry.kind == EntryKind.LEDGER and entry.medium == LedgerMedium.PAPER
