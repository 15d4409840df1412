"""Reads of lists, versions and items, each scoped to what the acting user may see."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractYear, Length

from jianfu.catalog.diff import Diff, Snapshot, diff_snapshots
from jianfu.catalog.models import (
    ITEM_FIELDS,
    CatalogList,
    ChangeType,
    Item,
    ItemChange,
    ListVersion,
    VersionStatus,
)
from jianfu.core import sql
from jianfu.org.models import NO_JURISDICTION, PREFIX_LENGTH, Region, RegionLevel, User
from jianfu.org.selectors import ancestor_codes

PUBLIC_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)


def _visible_lists_filter(user: User | None) -> Q:
    """National lists, the lists inside the user's jurisdiction, and those of the regions above it.

    None stands for the public, who read every list that has been published.
    """
    if user is None:
        return Q(versions__status__in=PUBLIC_STATUSES)
    prefix = user.jurisdiction_prefix
    if prefix is None:
        return Q()
    if prefix == NO_JURISDICTION or user.unit is None or user.unit.region_id is None:
        return Q(region__isnull=True)
    own = user.unit.region_id
    return (
        Q(region__isnull=True)
        | Q(region__code__startswith=prefix)
        | Q(region_id__in=ancestor_codes(own))
    )


def lists_visible_to(
    *,
    user: User | None,
    kind: str | None = None,
    level: str | None = None,
    region: str | None = None,
    query: str = "",
) -> QuerySet[CatalogList]:
    """The lists a user (or, with None, the public) may read, with their current version."""
    lists = CatalogList.objects.filter(_visible_lists_filter(user)).select_related("region")
    if kind:
        lists = lists.filter(kind=kind)
    if level:
        lists = lists.filter(level=level)
    if region:
        lists = lists.filter(region__code__startswith=region.rstrip("0") or region)
    if query:
        lists = lists.filter(Q(name__contains=query) | Q(code__contains=query))
    return lists.distinct().order_by("region_id", "kind", "sort_key", "id")


def with_current_version(lists: QuerySet[CatalogList]) -> QuerySet[CatalogList]:
    """Each list with its current version's id, label, document, date and size, in one query."""
    current = ListVersion.objects.filter(list=OuterRef("pk"), status=VersionStatus.PUBLISHED)
    draft = ListVersion.objects.filter(list=OuterRef("pk"), status=VersionStatus.DRAFT)
    size = (
        Item.objects.filter(version=OuterRef("current_version_id"))
        .values("version")
        .annotate(n=Count("id"))
        .values("n")
    )
    return lists.annotate(
        current_version_id=Subquery(current.values("pk")[:1]),
        current_version_label=Subquery(current.values("label")[:1]),
        current_document_number=Subquery(current.values("document_number")[:1]),
        current_valid_from=Subquery(current.values("valid_from")[:1]),
        current_item_count=Subquery(size[:1]),
        draft_version_label=Subquery(draft.values("label")[:1]),
    )


def districts_with_lists() -> QuerySet[Region]:
    """The districts that have lists, for the public's district filter."""
    return Region.objects.filter(level=RegionLevel.DISTRICT, catalog_lists__isnull=False).distinct()


def move_targets(*, user: User, catalog_list: CatalogList) -> list[CatalogList]:
    """The other lists of the same district with a draft open, where an item may be moved."""
    lists = lists_visible_to(user=user).filter(district_code=catalog_list.district_code)
    return [
        other
        for other in lists.filter(versions__status=VersionStatus.DRAFT)
        if other.pk != catalog_list.pk and user.has_perm("catalog.edit_list", other)
    ]


def item_tree(items: list[Item]) -> list[tuple[Item, int]]:
    """Items in order with their depth: 0 for an item, 1 for a 子项, 2 for a 孙项 …"""
    children: dict = {}
    roots = []
    keys = {item.key for item in items}
    for item in items:
        if item.parent_key and item.parent_key in keys:
            children.setdefault(item.parent_key, []).append(item)
        else:
            roots.append(item)
    ordered: list[tuple[Item, int]] = []

    def walk(item: Item, depth: int) -> None:
        ordered.append((item, depth))
        for child in children.get(item.key, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return ordered


def list_visible_to(*, user: User | None, ref: str | int) -> CatalogList | None:
    """One list by its id or its code."""
    # Both are unique, so one row at most: without lists_visible_to's DISTINCT and order, which
    # every API call on a list paid for (a reader's filter joins nothing that repeats a list;
    # the public's joins the versions, and first() keeps one row).
    lists = CatalogList.objects.filter(_visible_lists_filter(user)).select_related("region")
    if isinstance(ref, int) or str(ref).isdigit():
        return lists.filter(pk=int(ref)).first()
    return lists.filter(code=ref).first()


# The current items of a list are read page after page by every office's software, so the two
# statements behind a page are written once here rather than built and compiled by the ORM on
# every request (which cost more than reading the rows). They read what list_visible_to, the
# list's published version and version.items.values(...) read, with the same visibility rule
# (_visible_lists_filter).
CURRENT_VERSION_COLUMNS = (
    "id", "label", "status", "document_number", "valid_from", "valid_until", "published_at",
)  # fmt: skip
PAGE_ITEM_COLUMNS = (
    "id", "key", "code", "name", "category", "power_type", "legal_law", "legal_article",
    "legal_text", "department", "parent_key", "position", "remarks",
)  # fmt: skip
_CURRENT_VERSION_SQL = (
    "SELECT " + ", ".join(f"v.{column}" for column in CURRENT_VERSION_COLUMNS) + " "
    "FROM catalog_listversion v JOIN catalog_cataloglist l ON l.id = v.list_id "
    "WHERE l.{ref} = %s AND v.status = %s{visible} "
    "ORDER BY v.valid_from DESC, v.created_at DESC LIMIT 1"
)
# The column names are the constants above, never input.
_ITEMS_SQL = (
    "SELECT " + ", ".join(PAGE_ITEM_COLUMNS) + " FROM catalog_item "  # noqa: S608
    "WHERE version_id = %s{after} ORDER BY id LIMIT %s"
)


def _visible_lists_sql(user: User | None) -> tuple[str, list]:
    """_visible_lists_filter as a condition on the list `l`, for the fixed statements."""
    if user is None:
        # The public reads lists with a published version, which the current one is.
        return "", []
    prefix = user.jurisdiction_prefix
    if prefix is None:
        return "", []
    if prefix == NO_JURISDICTION or user.unit is None or user.unit.region_id is None:
        return " AND l.region_id IS NULL", []
    ancestors = ancestor_codes(user.unit.region_id)
    condition = "l.region_id IS NULL OR l.region_id LIKE %s ESCAPE '\\'"
    if ancestors:
        condition += " OR l.region_id IN (" + ", ".join(["%s"] * len(ancestors)) + ")"
    return f" AND ({condition})", [connection.ops.prep_for_like_query(prefix) + "%", *ancestors]


def current_version_row(*, user: User | None, list_ref: str | int) -> dict | None:
    """The published version of one list the user may read (by its id or code) as a dict of
    CURRENT_VERSION_COLUMNS, the list's visibility checked in the same statement."""
    visible, params = _visible_lists_sql(user)
    if isinstance(list_ref, int) or str(list_ref).isdigit():
        ref, value = "id", int(list_ref)
        # An id past the largest possible names no list, as the ORM's lookup concludes.
        low, high = connection.ops.integer_field_range(CatalogList._meta.pk.get_internal_type())
        if (low is not None and value < low) or (high is not None and value > high):
            return None
    else:
        ref, value = "code", list_ref
    with connection.cursor() as cursor:
        cursor.execute(
            _CURRENT_VERSION_SQL.format(ref=ref, visible=visible),
            [value, VersionStatus.PUBLISHED.value, *params],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return sql.as_dicts(ListVersion, CURRENT_VERSION_COLUMNS, [row])[0]


def version_items_after(*, version_id: int, after: int | None, count: int) -> list[dict]:
    """Up to `count` items of a version with ids above `after`, in id order, as dicts of
    PAGE_ITEM_COLUMNS; one statement."""
    params: list = [version_id]
    if after is not None:
        low, high = connection.ops.integer_field_range(Item._meta.pk.get_internal_type())
        # As the ORM's integer lookups do: past the largest id nothing follows; below the
        # smallest, everything does.
        if high is not None and after > high:
            return []
        if low is not None and after < low:
            after = None
        else:
            params.append(after)
    statement = _ITEMS_SQL.format(after="" if after is None else " AND id > %s")
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, count])
        rows = cursor.fetchall()
    return sql.as_dicts(Item, PAGE_ITEM_COLUMNS, rows)


def can_see_drafts(user: User | None, catalog_list: CatalogList) -> bool:
    return user is not None and user.has_perm("catalog.edit_list", catalog_list)


def versions_visible_to(*, user: User | None, catalog_list: CatalogList) -> QuerySet[ListVersion]:
    """Published and superseded versions for every reader; the draft only for the list's editors."""
    versions = catalog_list.versions.select_related("published_by")
    if not can_see_drafts(user, catalog_list):
        versions = versions.filter(status__in=PUBLIC_STATUSES)
    return versions.order_by("-valid_from", "-created_at")


def version_visible_to(
    *, user: User | None, catalog_list: CatalogList, ref: str | int
) -> ListVersion | None:
    """One version by its id or label ("2026版"), or the current or draft one by those words."""
    versions = versions_visible_to(user=user, catalog_list=catalog_list)
    if ref in ("current", VersionStatus.PUBLISHED):
        return versions.filter(status=VersionStatus.PUBLISHED).first()
    if ref == VersionStatus.DRAFT:
        return versions.filter(status=VersionStatus.DRAFT).first()
    if isinstance(ref, int) or str(ref).isdigit():
        found = versions.filter(pk=int(ref)).first()
        if found is not None:
            return found
    return versions.filter(label=ref).first()


def current_version(catalog_list: CatalogList) -> ListVersion | None:
    return catalog_list.versions.filter(status=VersionStatus.PUBLISHED).first()


def draft_version(catalog_list: CatalogList) -> ListVersion | None:
    return catalog_list.versions.filter(status=VersionStatus.DRAFT).first()


def version_as_of(*, catalog_list: CatalogList, day: dt.date) -> ListVersion | None:
    """The version that was in force on `day`: "what did this list say on 2025-06-30?"."""
    return (
        catalog_list.versions.filter(status__in=PUBLIC_STATUSES, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=day))
        .order_by("-valid_from", "-published_at")
        .first()
    )


def version_items(version: ListVersion) -> QuerySet[Item]:
    return version.items.order_by("position", "id")


def version_snapshot(version: ListVersion) -> Snapshot:
    """Every item of a version as plain values, keyed by its stable key, in one query."""
    snapshot: Snapshot = {}
    for row in version.items.order_by("position", "id").values("key", *ITEM_FIELDS):
        key = str(row.pop("key"))
        row["parent_key"] = str(row["parent_key"]) if row["parent_key"] else None
        snapshot[key] = row
    return snapshot


def version_diff(*, before: ListVersion, after: ListVersion) -> Diff:
    """The diff of two versions of a list, with merges, splits and moves explained."""
    diff = diff_snapshots(version_snapshot(before), version_snapshot(after))
    # The changes recorded in the versions made after `before`, up to `after`, say why an item
    # came or went; a diff backwards in time shows plain additions and removals.
    changes = ItemChange.objects.filter(
        version__list_id=after.list_id,
        version__created_at__gt=before.created_at,
        version__created_at__lte=after.created_at,
        change_type__in=[
            ChangeType.MERGE,
            ChangeType.SPLIT,
            ChangeType.MOVE_OUT,
            ChangeType.MOVE_IN,
        ],
    ).select_related("related_list")
    for change in changes:
        key = str(change.item_key)
        gone = change.change_type in (ChangeType.MERGE, ChangeType.MOVE_OUT)
        if (gone and key in diff.removed) or (not gone and key in diff.added):
            other = list(change.related_keys)
            if change.related_list is not None:
                other = [change.related_list.name]
            diff.explained[key] = (change.change_type, other)
    return diff


@dataclass
class ItemHistoryEntry:
    version: ListVersion
    item: Item | None
    changes: list[ItemChange]


def item_history(
    *, user: User | None, catalog_list: CatalogList, key: str
) -> list[ItemHistoryEntry]:
    """The item in every version the user may see, oldest first, with the changes made to it."""
    versions = list(versions_visible_to(user=user, catalog_list=catalog_list))
    items = {
        item.version_id: item
        for item in Item.objects.filter(key=key, version__in=versions).select_related("version")
    }
    changes: dict[int, list[ItemChange]] = defaultdict(list)
    for change in ItemChange.objects.filter(item_key=key, version__in=versions).select_related(
        "actor", "related_list"
    ):
        changes[change.version_id].append(change)
    entries = [
        ItemHistoryEntry(version=v, item=items.get(v.pk), changes=changes.get(v.pk, []))
        for v in versions
        if v.pk in items or v.pk in changes
    ]
    return sorted(entries, key=lambda e: e.version.created_at)


def items_in(version: ListVersion, keys: list[str]) -> dict[str, Item]:
    return {str(i.key): i for i in version.items.filter(key__in=keys)}


# Search ---------------------------------------------------------------------------------------


def _text_match(query: str) -> Q:
    """Items whose name or legal basis contains `query` as a substring.

    Three characters or more use the trigram index (SQLite FTS5, PostgreSQL pg_trgm); one or
    two characters have no trigram, so they are matched by a plain scan.
    """
    plain = Q(name__contains=query) | Q(legal_law__contains=query) | Q(legal_text__contains=query)
    if len(query) >= 3 and connection.vendor == "sqlite":
        phrase = '"' + query.replace('"', '""') + '"'
        return Q(
            id__in=RawSQL(
                "SELECT rowid FROM catalog_item_fts WHERE catalog_item_fts MATCH %s", [phrase]
            )
        )
    return plain


def items_search(
    *,
    user: User | None,
    query: str,
    list_id: int | None = None,
    kind: str | None = None,
    power_type: str | None = None,
    department: str | None = None,
    include_drafts: bool = False,
) -> QuerySet[Item]:
    """Items of the lists the user may read, best matches first.

    Ranking: the name equal to the query, then starting with it, then containing it, then a
    match in the legal basis only; shorter names first within each.
    """
    query = query.strip()
    lists = lists_visible_to(user=user, kind=kind)
    if list_id:
        lists = lists.filter(pk=list_id)
    statuses = [VersionStatus.PUBLISHED]
    if include_drafts and user is not None:
        editable = [lst.pk for lst in lists if user.has_perm("catalog.edit_list", lst)]
        versions = Q(version__status=VersionStatus.PUBLISHED, version__list__in=lists) | Q(
            version__status=VersionStatus.DRAFT, version__list_id__in=editable
        )
    else:
        versions = Q(version__status__in=statuses, version__list__in=lists)
    items = Item.objects.filter(versions).select_related("version", "version__list")
    if power_type:
        items = items.filter(power_type=power_type)
    if department:
        items = items.filter(department__contains=department)
    if not query:
        return items.order_by("version__list_id", "position")
    return (
        items.filter(_text_match(query))
        .annotate(
            rank=Case(
                When(name=query, then=Value(0)),
                When(name__startswith=query, then=Value(1)),
                When(name__contains=query, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            ),
            name_length=Length("name"),
        )
        .order_by("rank", "name_length", "id")
    )


# Statistics ------------------------------------------------------------------------------------


@dataclass
class AdjustmentStatistics:
    """Adjustments counted per year (by the date each version took effect)."""

    by_year: dict[int, Counter]
    by_department: dict[int, Counter]


def adjustment_statistics(*, catalog_lists: QuerySet[CatalogList]) -> AdjustmentStatistics:
    """How many items were added, edited, merged, split, moved and cancelled each year."""
    # A list's first version is its compilation, not an adjustment, so it is not counted.
    rows = (
        ItemChange.objects.filter(
            version__list__in=catalog_lists,
            version__status__in=PUBLIC_STATUSES,
            version__based_on__isnull=False,
        )
        .annotate(year=ExtractYear("version__valid_from"))
        .values_list("year", "change_type", "department")
    )
    by_year: dict[int, Counter] = defaultdict(Counter)
    by_department: dict[int, Counter] = defaultdict(Counter)
    for year, change_type, department in rows:
        by_year[year][change_type] += 1
        by_department[year][department or ""] += 1
    return AdjustmentStatistics(by_year=dict(by_year), by_department=dict(by_department))


def working_version(*, user: User | None, catalog_list: CatalogList) -> ListVersion | None:
    """The version a user works on: the draft for the list's editors, else the current one."""
    if can_see_drafts(user, catalog_list):
        draft = draft_version(catalog_list)
        if draft is not None:
            return draft
    return current_version(catalog_list)


def duplicate_candidates(*, user: User, district_code: str) -> list[Item]:
    """The items of one district's lists (each in its working version) to look for duplicates in."""
    lists = lists_visible_to(user=user).filter(district_code=district_code)
    versions = [v for lst in lists if (v := working_version(user=user, catalog_list=lst))]
    return list(Item.objects.filter(version__in=versions).select_related("version__list"))


@dataclass(frozen=True)
class NegativeEntry:
    """An item of a published negative list (负面清单), with the regions the list applies to."""

    list_name: str
    name: str
    key: str
    # The code prefix of the list's region; "" for a national list, which applies everywhere.
    prefix: str

    def applies_to(self, code: str) -> bool:
        return code.startswith(self.prefix)


def negative_entries_matching(
    texts: Iterable[str], *, keys: Iterable[object] = ()
) -> list[NegativeEntry]:
    """Entries of the negative lists in force that one of `texts` names, or whose item key is
    in `keys`; one query, whatever the number of lists.

    An entry names one or more kinds of work: 招商引资、项目引进等经济指标任务 is matched wherever
    a text names 招商引资 or 项目引进 (see `negative_terms`).
    """
    from jianfu.catalog.duplicates import normalise
    from jianfu.catalog.models import ListKind

    normalised = [normalise(text) for text in texts if text]
    wanted = {str(key) for key in keys if key}
    rows = Item.objects.filter(
        version__status=VersionStatus.PUBLISHED, version__list__kind=ListKind.NEGATIVE
    ).values_list(
        "name",
        "key",
        "version__list__name",
        "version__list__region_id",
        "version__list__region__level",
    )
    found = []
    for name, key, list_name, region_code, level in rows.order_by("version__list_id", "position"):
        terms = [normalise(term) for term in negative_terms(name)]
        named = any(term and term in text for term in terms for text in normalised)
        if str(key) in wanted or named:
            prefix = region_code[: PREFIX_LENGTH[RegionLevel(level)]] if region_code else ""
            found.append(NegativeEntry(list_name, name, str(key), prefix))
    return found


NEGATIVE_SEPARATORS = re.compile(r"[、，,；;/／]")


# What an entry's 等 ("and the like") qualifies: 招商引资等经济指标任务 names 招商引资.
NEGATIVE_QUALIFIERS = ("任务", "工作", "事项", "活动", "指标", "考核", "评比", "检查")
# 等 starting a word of its own (等级, 等同, 等待, 等候, 等于) is no "and the like".
WORDS_AFTER_DENG = ("级", "同", "待", "候", "于")


def negative_terms(entry: str) -> list[str]:
    """The kinds of work a negative-list entry names: each part of an enumeration, the last up to
    an "and the like" 等 (招商引资、项目引进等经济指标任务 → 招商引资, 项目引进). A 等 inside a word
    (文明等级评比) is not one: it is followed by no qualifier such as 任务 or 工作."""
    parts = [part.strip() for part in NEGATIVE_SEPARATORS.split(entry)]
    head, marker, tail = parts[-1].rpartition("等")
    in_a_word = tail.startswith(WORDS_AFTER_DENG)
    if marker and head and not in_a_word and tail.endswith(NEGATIVE_QUALIFIERS):
        parts[-1] = head
    # A part shorter than two characters says nothing on its own.
    return [part for part in parts if len(part) >= 2] or [entry]
