"""Differences between two versions of a list, computed on the items' stable keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jianfu.catalog.models import ITEM_FIELDS, ChangeType, Item

Snapshot = dict[str, dict[str, Any]]  # item key → the item's compared fields


def item_snapshot(item: Item) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in ITEM_FIELDS}
    values["parent_key"] = str(item.parent_key) if item.parent_key else None
    return values


@dataclass
class Diff:
    added: Snapshot = field(default_factory=dict)
    removed: Snapshot = field(default_factory=dict)
    # key → field → (before, after); only fields that differ.
    modified: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    # How an added or removed item came or went, from the recorded changes: key → (type, other).
    explained: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.modified)

    def counts(self) -> dict[str, int]:
        kinds = [kind for kind, _other in self.explained.values()]
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "modified": len(self.modified),
            "merged": kinds.count(ChangeType.MERGE),
            "split": kinds.count(ChangeType.SPLIT),
            "moved": kinds.count(ChangeType.MOVE_OUT) + kinds.count(ChangeType.MOVE_IN),
        }


def diff_snapshots(before: Snapshot, after: Snapshot) -> Diff:
    """What changed from `before` to `after`: items added, removed, and modified field by field."""
    diff = Diff()
    for key, values in after.items():
        old = before.get(key)
        if old is None:
            diff.added[key] = values
            continue
        changed = {
            name: (old.get(name), values.get(name))
            for name in ITEM_FIELDS
            if old.get(name) != values.get(name)
        }
        if changed:
            diff.modified[key] = changed
    for key, values in before.items():
        if key not in after:
            diff.removed[key] = values
    return diff


def apply_diff(before: Snapshot, diff: Diff) -> Snapshot:
    """The version the diff leads to: applying the diff of A→B to A gives B."""
    result = {key: dict(values) for key, values in before.items() if key not in diff.removed}
    for key, changed in diff.modified.items():
        for name, (_old, new) in changed.items():
            result[key][name] = new
    for key, values in diff.added.items():
        result[key] = dict(values)
    return result
