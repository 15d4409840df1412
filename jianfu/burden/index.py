"""The burden index (负担指数): what a community carries on a day, in figures, and how much
lighter that is than its baseline.

The figures for any number of communities come from a fixed number of queries (one per
source, not per community), so a district of hundreds of communities is one page load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields

from django.db.models import Count, Exists, OuterRef, Q, Sum

from jianfu.admission.models import Admission, AdmissionScope, AdmissionState, CommunityCapacity
from jianfu.burden.models import (
    SIGNBOARD_CAP_DEFAULT,
    BurdenSettings,
    BurdenSnapshot,
    EntryKind,
    InventoryEntry,
    LedgerMedium,
)
from jianfu.catalog.models import Item, ListKind, ListLevel, VersionStatus
from jianfu.funds.selectors import CommittedFen, arrived_in_scope
from jianfu.org.models import Region
from jianfu.org.selectors import ancestor_codes


@dataclass
class Figures:
    """A community's (or an aggregate's) burden on a day. The field names match
    BurdenSnapshot's, so a snapshot is these figures frozen."""

    tasks: int = 0
    duties: int = 0
    admitted: int = 0
    hours: int = 0
    signboards: int = 0
    signboard_cap: int = SIGNBOARD_CAP_DEFAULT
    ledger_books: int = 0
    electronic_ledgers: int = 0
    campaigns: int = 0
    one_vote_veto: int = 0
    systems: int = 0
    unadmitted: int = 0
    funds_committed_fen: int = 0
    funds_transferred_fen: int = 0
    workers: int = 0

    @property
    def over_cap(self) -> int:
        """Signboards beyond the district's cap."""
        return max(0, self.signboards - self.signboard_cap)

    @property
    def hours_per_worker(self) -> float | None:
        return round(self.hours / self.workers, 1) if self.workers else None

    def add(self, other: Figures) -> None:
        for field in FIGURE_FIELDS:
            setattr(self, field, getattr(self, field) + getattr(other, field))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


FIGURE_FIELDS = tuple(f.name for f in fields(Figures))
# The figures a reduction is reported for, in the order pages show them.
REDUCIBLE = (
    "tasks",
    "hours",
    "signboards",
    "ledger_books",
    "campaigns",
    "one_vote_veto",
    "systems",
    "unadmitted",
)


def figures_of(snapshot: BurdenSnapshot) -> Figures:
    return Figures(**{name: getattr(snapshot, name) for name in FIGURE_FIELDS})


def reduction_percent(baseline: int, current: int) -> float | None:
    """How much lighter, in percent of the baseline, to one decimal (half away from zero);
    None without a baseline. Negative when the load grew. Seed 002: 242 → 95 tasks is 60.7 %."""
    if not baseline:
        return None
    # Integer arithmetic to a tenth of a percent, so every database and platform agrees.
    tenths = (abs(baseline - current) * 1000 * 2 + baseline) // (baseline * 2)
    value = tenths / 10
    return value if current <= baseline else -value


def _entries_on(day: dt.date) -> Q:
    return Q(since__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def _duty_counts(communities: Sequence[Region]) -> dict[str, int]:
    """Per district: the items of the community-level duty lists in force (leaves only: a
    heading that groups items is not a task of its own)."""
    counts: dict[str, int] = {}
    for district in {c.district_code or "" for c in communities}:
        if not district:
            continue
        regions = [district, *ancestor_codes(district)]
        items = Item.objects.filter(
            version__status=VersionStatus.PUBLISHED,
            version__list__kind=ListKind.DUTY,
            version__list__level=ListLevel.COMMUNITY,
        ).filter(Q(version__list__region__isnull=True) | Q(version__list__region_id__in=regions))
        has_children = Item.objects.filter(version=OuterRef("version"), parent_key=OuterRef("key"))
        counts[district] = items.exclude(Exists(has_children)).count()
    return counts


def burden_figures(communities: Iterable[Region], *, on: dt.date) -> dict[str, Figures]:
    """Each community's figures on the day `on`, keyed by community code."""
    communities = list(communities)
    codes = [c.code for c in communities]
    result = {code: Figures() for code in codes}
    if not codes:
        return result
    duties = _duty_counts(communities)
    caps = dict(
        BurdenSettings.objects.filter(
            district_id__in={c.district_code for c in communities if c.district_code}
        ).values_list("district_id", "signboard_cap")
    )
    for community in communities:
        figures = result[community.code]
        figures.duties = duties.get(community.district_code or "", 0)
        figures.signboard_cap = caps.get(community.district_code, SIGNBOARD_CAP_DEFAULT)

    # Admitted work in force there that day: the admission active and in term, its scope
    # covering the community and not revoked there by then. Counted, summed and pro-rated in
    # the database, a row per community (benchmarks/burden_index.py).
    in_force = AdmissionScope.objects.filter(
        region_id__in=codes,
        admission__state=AdmissionState.ACTIVE,
        admission__valid_from__lte=on,
        admission__valid_until__gte=on,
    ).filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=on))
    hours: dict[str, float] = {}
    admitted = (
        in_force.values("region_id")
        .annotate(
            admitted=Count("id"),
            hours=Sum("admission__hours_per_community"),
            committed=Sum(CommittedFen(on.year)),
        )
        .order_by()
        .values_list("region_id", "admitted", "hours", "committed")
    )
    for code, count, per_year, committed in admitted:
        figures = result[code]
        figures.admitted = count
        figures.funds_committed_fen = committed
        hours[code] = per_year
    # Only money for work in force in that community: an admission revoked there but in force
    # next door must not count there, or a community's figure would depend on which other
    # communities were counted with it.
    for code, arrived in arrived_in_scope(in_force, codes, on.year).items():
        result[code].funds_transferred_fen = arrived

    entries = (
        InventoryEntry.objects.filter(community_id__in=codes)
        .filter(_entries_on(on))
        .values("community_id", "kind", "medium")
        .annotate(
            entries=Count("id"),
            books=Sum("quantity"),
            vetoes=Count("id", filter=Q(one_vote_veto=True)),
            unadmitted=Count("id", filter=Q(admission__isnull=True, basis_item_key__isnull=True)),
        )
        .order_by()
    )
    for row in entries:
        figures = result[row["community_id"]]
        kind = row["kind"]
        figures.unadmitted += row["unadmitted"]
        if kind == EntryKind.SIGNBOARD:
            figures.signboards += row["entries"]
        elif kind == EntryKind.LEDGER and row["medium"] == LedgerMedium.PAPER:
            figures.ledger_books += row["books"]
        elif kind == EntryKind.LEDGER:
            figures.electronic_ledgers += row["entries"]
        elif kind == EntryKind.CAMPAIGN:
            figures.campaigns += row["entries"]
            figures.one_vote_veto += row["vetoes"]
        elif kind == EntryKind.SYSTEM:
            figures.systems += row["entries"]

    workers = dict(
        CommunityCapacity.objects.filter(community_id__in=codes).values_list(
            "community_id", "workers"
        )
    )
    for code, figures in result.items():
        # Half up, as every other figure here: round() would take 104.5 hours to 104.
        figures.hours = int(hours.get(code, 0) + 0.5)
        figures.tasks = figures.duties + figures.admitted
        figures.workers = workers.get(code, 0)
    return result


def baselines_of(codes: Iterable[str]) -> dict[str, BurdenSnapshot]:
    """Each community's baseline snapshot, if it has one; one query."""
    return {
        s.community_id: s
        for s in BurdenSnapshot.objects.filter(community_id__in=list(codes), is_baseline=True)
    }


@dataclass
class Comparison:
    """A figure now and at the baseline, with the reduction."""

    name: str
    baseline: int | None
    current: int
    reduction: float | None


def compare(current: Figures, baseline: Figures | None) -> list[Comparison]:
    rows = []
    for name in REDUCIBLE:
        now = getattr(current, name)
        before = getattr(baseline, name) if baseline is not None else None
        rows.append(
            Comparison(name, before, now, reduction_percent(before, now) if before else None)
        )
    return rows


def aggregate(
    figures: dict[str, Figures], baselines: dict[str, BurdenSnapshot]
) -> tuple[Figures, Figures | None, Figures]:
    """(the total now, the total of the baselines, the total now of the communities that have
    a baseline): a street's or district's reduction compares the same communities."""
    total, base_total, comparable = Figures(signboard_cap=0), None, Figures(signboard_cap=0)
    for code, current in figures.items():
        total.add(current)
        snapshot = baselines.get(code)
        if snapshot is not None:
            base_total = base_total or Figures(signboard_cap=0)
            base_total.add(figures_of(snapshot))
            comparable.add(current)
    return total, base_total, comparable


def admitted_work_of(community: Region, *, on: dt.date):
    """The admissions in force in the community on the day, for the index's detail page."""
    return (
        Admission.objects.filter(
            state=AdmissionState.ACTIVE,
            valid_from__lte=on,
            valid_until__gte=on,
            scope__region=community,
        )
        .filter(Q(scope__revoked_on__isnull=True) | Q(scope__revoked_on__gt=on))
        .select_related("department")
        .order_by("number")
    )
