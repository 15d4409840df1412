"""Every write to lists, versions and items; each checks permission and writes its audit record.

A published version is frozen: every item change happens in the list's one draft, and each
change records its type and reason, which the diffs and the yearly statistics read.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.catalog.codes import code_problem, pattern_problem
from jianfu.catalog.models import (
    EDITABLE_FIELDS,
    ITEM_FIELDS,
    CatalogList,
    ChangeType,
    Item,
    ItemChange,
    ListKind,
    ListLevel,
    ListVersion,
    PowerType,
    VersionStatus,
)
from jianfu.core.audit import audit_record
from jianfu.core.errors import Conflict, InvalidInput
from jianfu.core.permissions import require
from jianfu.core.text import pinyin_sort_key
from jianfu.org.models import Region, User

LIST_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_.]{1,59}$")


def _require_draft(version: ListVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise Conflict(
            _("%(label)s 已发布，不可修改；请新建版本后调整。") % {"label": version.label},
            code="version_frozen",
        )


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("请填写调整理由。"), details={"field": "reason"})
    return reason


# Lists -----------------------------------------------------------------------------------------


@transaction.atomic
def list_create(
    *,
    actor: User | None,
    name: str,
    kind: str,
    level: str,
    region: Region | None,
    code: str = "",
    code_pattern: str = "",
    description: str = "",
    first_label: str = "",
) -> CatalogList:
    """A new list in the actor's jurisdiction, with an empty draft as its first version."""
    require(actor, "catalog.edit_list", region)
    name = name.strip()
    code = code.strip() or _generated_list_code(region, kind, level)
    problems = []
    if not name or len(name) > 200:
        problems.append(_("清单名称不能为空，且不能超过 200 个字。"))
    if kind not in ListKind.values:
        problems.append(_("清单类别无法识别。"))
    if level not in ListLevel.values:
        problems.append(_("层级无法识别。"))
    if not LIST_CODE.match(code):
        problems.append(_("清单编号只能由字母、数字和 - _ . 组成（2–60 位）。"))
    elif CatalogList.objects.filter(code=code).exists():
        problems.append(_("清单编号 %(code)s 已被使用。") % {"code": code})
    if problem := pattern_problem(code_pattern):
        problems.append(problem)
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems})
    catalog_list = CatalogList.objects.create(
        code=code,
        name=name,
        kind=kind,
        level=level,
        region=region,
        district_code=(region.district_code or "") if region else "",
        code_pattern=code_pattern,
        description=description,
        sort_key=pinyin_sort_key(name),
    )
    ListVersion.objects.create(
        list=catalog_list,
        label=first_label.strip() or _("%(year)d版") % {"year": timezone.localdate().year},
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="catalog.list_create",
        target=catalog_list,
        changes={"after": {"code": code, "name": name, "kind": kind, "level": level}},
    )
    return catalog_list


def _generated_list_code(region: Region | None, kind: str, level: str) -> str:
    base = f"{region.prefix if region else 'CN'}-{kind}-{level}"
    code, n = base, 1
    while CatalogList.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


# Versions --------------------------------------------------------------------------------------


@transaction.atomic
def version_start(*, actor: User | None, catalog_list: CatalogList, label: str) -> ListVersion:
    """A new draft (e.g. "2027版") holding a copy of every item of the published version."""
    require(actor, "catalog.edit_list", catalog_list)
    label = label.strip()
    if not label or len(label) > 40:
        raise InvalidInput(_("版本名称不能为空，且不能超过 40 个字。"))
    # Locking the list row serialises two editors starting a draft at the same moment.
    CatalogList.objects.select_for_update().filter(pk=catalog_list.pk).first()
    if catalog_list.versions.filter(status=VersionStatus.DRAFT).exists():
        raise Conflict(_("该清单已有一个草稿版本，请在草稿中继续调整。"), code="draft_exists")
    if catalog_list.versions.filter(label=label).exists():
        raise InvalidInput(_("版本名称 %(label)s 已被使用。") % {"label": label})
    published = catalog_list.versions.filter(status=VersionStatus.PUBLISHED).first()
    draft = ListVersion.objects.create(
        list=catalog_list, label=label, based_on=published, created_by=actor
    )
    if published is not None:
        _copy_items(source=published, target=draft)
    audit_record(
        actor=actor,
        action="catalog.version_start",
        target=draft,
        changes={"label": label, "based_on": published.label if published else None},
    )
    return draft


def _copy_items(*, source: ListVersion, target: ListVersion) -> None:
    # One INSERT … SELECT copies a 100,000-item version without bringing it through Python.
    columns = ", ".join(f'"{c}"' for c in ("key", *ITEM_FIELDS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO catalog_item (version_id, {columns}) "  # noqa: S608
            f"SELECT %s, {columns} FROM catalog_item WHERE version_id = %s",
            [target.pk, source.pk],
        )


@transaction.atomic
def version_publish(
    *,
    actor: User | None,
    version: ListVersion,
    document_number: str,
    valid_from: dt.date | None = None,
) -> ListVersion:
    """Publish a draft with its approving document; the previous version is superseded."""
    require(actor, "catalog.edit_list", version.list)
    version = ListVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(version)
    document_number = document_number.strip()
    if not document_number:
        raise InvalidInput(
            _("请填写批准文号（如 市中委编〔2026〕12号）。"), details={"field": "document_number"}
        )
    valid_from = valid_from or timezone.localdate()
    current = version.list.versions.filter(status=VersionStatus.PUBLISHED).first()
    if current is not None:
        if valid_from <= current.valid_from:
            raise InvalidInput(
                _("施行日期须晚于现行版本的施行日期 %(date)s。") % {"date": current.valid_from}
            )
        current.status, current.valid_until = VersionStatus.SUPERSEDED, valid_from
        current.save(update_fields=["status", "valid_until"])
    version.status = VersionStatus.PUBLISHED
    version.document_number = document_number
    version.valid_from = valid_from
    version.published_at = timezone.now()
    version.published_by = actor
    version.save(
        update_fields=["status", "document_number", "valid_from", "published_at", "published_by"]
    )
    audit_record(
        actor=actor,
        action="catalog.version_publish",
        target=version,
        changes={
            "document_number": document_number,
            "valid_from": valid_from,
            "superseded": current.label if current else None,
            "items": version.items.count(),
        },
    )
    return version


@transaction.atomic
def version_discard(*, actor: User | None, version: ListVersion) -> None:
    """Throw a draft away with everything changed in it; published versions are kept forever."""
    require(actor, "catalog.edit_list", version.list)
    _require_draft(version)
    if version.list.versions.count() == 1:
        raise Conflict(_("这是该清单唯一的版本，不能删除。"), code="only_version")
    audit_record(
        actor=actor,
        action="catalog.version_discard",
        target=version,
        changes={"label": version.label, "items": version.items.count()},
    )
    version.changes.all().delete()
    version.items.all().delete()
    version.delete()


# Items -----------------------------------------------------------------------------------------


def item_problems(catalog_list: CatalogList, values: dict[str, Any]) -> list[str]:
    """Why these item values cannot stand in this list (empty when they can)."""
    problems = []
    name = values.get("name", "")
    if not name:
        problems.append(_("事项名称不能为空。"))
    elif len(name) > 300:
        problems.append(_("事项名称不能超过 300 个字。"))
    if problem := code_problem(values.get("code", ""), local_pattern=catalog_list.code_pattern):
        problems.append(problem)
    if values.get("power_type") and values["power_type"] not in PowerType.values:
        problems.append(_("事项类型无法识别。"))
    if catalog_list.kind == ListKind.POWER and not values.get("power_type"):
        problems.append(_("权力清单的事项须填写事项类型。"))
    for name, limit in (("legal_law", 200), ("legal_article", 100), ("department", 100)):
        if len(values.get(name, "")) > limit:
            problems.append(
                _("%(field)s 过长。") % {"field": Item._meta.get_field(name).verbose_name}
            )
    return problems


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (values[name].strip() if isinstance(values[name], str) else values[name])
        for name in EDITABLE_FIELDS
        if name in values
    }


def _check_item(version: ListVersion, values: dict[str, Any], *, exclude: int | None = None):
    problems = item_problems(version.list, values)
    code = values.get("code", "")
    if code and version.items.filter(code=code).exclude(pk=exclude).exists():
        problems.append(_("事项编码 %(code)s 在本版本中已存在。") % {"code": code})
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems})


def _record(
    *,
    actor: User | None,
    version: ListVersion,
    change_type: str,
    item: Item,
    reason: str,
    related_keys: list[str] | None = None,
    related_list: CatalogList | None = None,
    fields: dict | None = None,
) -> ItemChange:
    change = ItemChange.objects.create(
        version=version,
        change_type=change_type,
        item_key=item.key,
        item_name=item.name,
        department=item.department,
        related_keys=related_keys or [],
        related_list=related_list,
        fields=fields or {},
        reason=reason,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=f"catalog.item_{change_type}",
        object_type="catalog.item",
        object_id=str(item.key),
        changes={"version": version.pk, "name": item.name, "reason": reason, **(fields or {})},
    )
    return change


def _next_position(version: ListVersion) -> int:
    return (version.items.aggregate(top=Max("position"))["top"] or 0) + 1


def _locked_draft(actor: User | None, version: ListVersion) -> ListVersion:
    require(actor, "catalog.edit_list", version.list)
    # The row lock serialises edits of one draft, so positions and codes stay unique.
    version = ListVersion.objects.select_for_update().select_related("list").get(pk=version.pk)
    _require_draft(version)
    return version


@transaction.atomic
def item_add(
    *,
    actor: User | None,
    version: ListVersion,
    values: dict[str, Any],
    reason: str,
    parent: Item | None = None,
) -> Item:
    """Add an item (or, under `parent`, a sub-item 子项/孙项) to a draft."""
    version = _locked_draft(actor, version)
    reason = _require_reason(reason)
    values = _clean(values)
    _check_item(version, values)
    if parent is not None and parent.version_id != version.pk:
        raise InvalidInput(_("上级事项不在本版本中。"))
    item = Item.objects.create(
        version=version,
        parent_key=parent.key if parent else None,
        position=_next_position(version),
        **values,
    )
    _record(actor=actor, version=version, change_type=ChangeType.ADD, item=item, reason=reason)
    return item


@transaction.atomic
def item_edit(*, actor: User | None, item: Item, values: dict[str, Any], reason: str) -> Item:
    """Change an item's fields in a draft; the change records each field before and after."""
    version = _locked_draft(actor, item.version)
    reason = _require_reason(reason)
    values = _clean(values)
    merged = item.editable_values() | values
    _check_item(version, merged, exclude=item.pk)
    changed = {
        name: {"before": getattr(item, name), "after": value}
        for name, value in values.items()
        if getattr(item, name) != value
    }
    if not changed:
        return item
    for name, value in values.items():
        setattr(item, name, value)
    item.save(update_fields=list(values))
    _record(
        actor=actor,
        version=version,
        change_type=ChangeType.EDIT,
        item=item,
        reason=reason,
        fields=changed,
    )
    return item


def _subtree(version: ListVersion, item: Item) -> list[Item]:
    """The item and all its sub-items (子项, 孙项 …), parents before children."""
    children: dict[Any, list[Item]] = {}
    for candidate in version.items.exclude(parent_key=None):
        children.setdefault(candidate.parent_key, []).append(candidate)
    ordered, queue = [], [item]
    while queue:
        current = queue.pop(0)
        ordered.append(current)
        queue.extend(children.get(current.key, []))
    return ordered


@transaction.atomic
def item_cancel(*, actor: User | None, item: Item, reason: str) -> int:
    """Cancel an item, and its sub-items with it, in a draft; returns how many were cancelled."""
    version = _locked_draft(actor, item.version)
    reason = _require_reason(reason)
    removed = _subtree(version, item)
    for each in removed:
        _record(
            actor=actor, version=version, change_type=ChangeType.CANCEL, item=each, reason=reason
        )
    Item.objects.filter(pk__in=[each.pk for each in removed]).delete()
    return len(removed)


@transaction.atomic
def item_split(
    *, actor: User | None, item: Item, parts: list[dict[str, Any]], reason: str
) -> list[Item]:
    """Replace one item by two or more, each remembering the item it was split from."""
    version = _locked_draft(actor, item.version)
    reason = _require_reason(reason)
    if len(parts) < 2:
        raise InvalidInput(_("拆分至少需要两个新事项。"))
    if version.items.filter(parent_key=item.key).exists():
        raise InvalidInput(_("请先处理该事项的子项，再拆分。"))
    original = item.editable_values()
    item_pk, item_key = item.pk, item.key
    Item.objects.filter(pk=item_pk).delete()
    created = []
    for offset, part in enumerate(parts):
        values = original | {"code": ""} | _clean(part)
        _check_item(version, values)
        new = Item.objects.create(
            version=version,
            parent_key=item.parent_key,
            position=item.position if offset == 0 else _next_position(version),
            **values,
        )
        _record(
            actor=actor,
            version=version,
            change_type=ChangeType.SPLIT,
            item=new,
            reason=reason,
            related_keys=[str(item_key)],
        )
        created.append(new)
    return created


@transaction.atomic
def item_merge(*, actor: User | None, target: Item, sources: list[Item], reason: str) -> Item:
    """Merge items into `target`, which stays; each source records what it was merged into."""
    version = _locked_draft(actor, target.version)
    reason = _require_reason(reason)
    sources = [s for s in sources if s.pk != target.pk]
    if not sources:
        raise InvalidInput(_("请至少选择一个要并入的事项。"))
    if any(s.version_id != version.pk for s in sources):
        raise InvalidInput(_("只能合并同一版本中的事项。"))
    for source in sources:
        # Sub-items of a merged item now belong to the item it was merged into.
        version.items.filter(parent_key=source.key).update(parent_key=target.key)
        _record(
            actor=actor,
            version=version,
            change_type=ChangeType.MERGE,
            item=source,
            reason=reason,
            related_keys=[str(target.key)],
        )
    Item.objects.filter(pk__in=[s.pk for s in sources]).delete()
    return target


@transaction.atomic
def item_move(*, actor: User | None, item: Item, to_list: CatalogList, reason: str) -> Item:
    """Move an item, with its key and sub-items, from one list's draft to another list's draft."""
    version = _locked_draft(actor, item.version)
    reason = _require_reason(reason)
    if to_list.pk == version.list_id:
        raise InvalidInput(_("目标清单与当前清单相同。"))
    target = to_list.versions.filter(status=VersionStatus.DRAFT).first()
    if target is None:
        raise Conflict(
            _("目标清单“%(name)s”没有草稿版本，请先在该清单新建版本。") % {"name": to_list.name},
            code="no_draft",
        )
    target = _locked_draft(actor, target)
    moving = _subtree(version, item)
    keys = [each.key for each in moving]
    if target.items.filter(key__in=keys).exists():
        raise Conflict(_("目标清单中已有该事项。"), code="already_there")
    for each in moving:
        _check_item(target, each.editable_values())
    position = _next_position(target)
    for each in moving:
        _record(
            actor=actor,
            version=version,
            change_type=ChangeType.MOVE_OUT,
            item=each,
            reason=reason,
            related_list=to_list,
        )
        _record(
            actor=actor,
            version=target,
            change_type=ChangeType.MOVE_IN,
            item=each,
            reason=reason,
            related_list=version.list,
        )
    Item.objects.filter(pk__in=[each.pk for each in moving]).delete()
    moved = [
        Item(
            version=target,
            key=each.key,
            # The moved item leaves its parent behind; its own sub-items stay under it.
            parent_key=None if offset == 0 else each.parent_key,
            position=position + offset,
            **each.editable_values(),
        )
        for offset, each in enumerate(moving)
    ]
    Item.objects.bulk_create(moved)
    return moved[0]
