"""Every write of the burden app: a district's caps, inventory entries and their clean-up, and
burden snapshots (computed, or entered from a survey as a baseline)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.admission.models import Admission
from jianfu.admission.selectors import admission_number_cleaned
from jianfu.burden.index import FIGURE_FIELDS, burden_figures
from jianfu.burden.models import (
    BurdenSettings,
    BurdenSnapshot,
    EntryKind,
    EntryStatus,
    InventoryEntry,
    LedgerMedium,
    SnapshotSource,
)
from jianfu.catalog.models import Item, ListKind, VersionStatus
from jianfu.core.audit import audit_record
from jianfu.core.errors import Conflict, InvalidInput
from jianfu.core.permissions import require
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User

# The lists whose items may allow an entry: the signboards a community may hang, its duties
# (a ledger a duty needs), and assisted work already on a list.
BASIS_KINDS = (ListKind.SIGNBOARD, ListKind.DUTY, ListKind.ASSIST)
NAME_MAX = 200
QUANTITY_MAX = 10000


def settings_for(district: Region) -> BurdenSettings:
    found, _created = BurdenSettings.objects.get_or_create(district=district)
    return found


@transaction.atomic
def burden_settings_update(
    *, actor: User | None, district: Region, signboard_cap: int, campaign_cap: int | None
) -> BurdenSettings:
    """Set the district's caps on signboards (and, optionally, campaigns) per community."""
    require(actor, "burden.manage", district)
    if district.level != RegionLevel.DISTRICT:
        raise InvalidInput(_("上限按区（县）设置。"), code="not_a_district")
    for value in (signboard_cap, campaign_cap):
        if value is not None and not 0 <= int(value) <= 100:
            raise InvalidInput(_("上限应在 0 到 100 之间。"), code="bad_cap")
    settings = BurdenSettings.objects.select_for_update().filter(district=district).first()
    settings = settings or BurdenSettings(district=district)
    before = {"signboard_cap": settings.signboard_cap, "campaign_cap": settings.campaign_cap}
    settings.signboard_cap = int(signboard_cap)
    settings.campaign_cap = None if campaign_cap is None else int(campaign_cap)
    settings.save()
    audit_record(
        actor=actor,
        action="burden.settings_update",
        target=settings,
        changes={
            "before": before,
            "after": {
                "signboard_cap": settings.signboard_cap,
                "campaign_cap": settings.campaign_cap,
            },
        },
    )
    return settings


def _community(region: Region) -> Region:
    if region.level != RegionLevel.COMMUNITY:
        raise InvalidInput(_("负担台账按社区（村）登记。"), code="not_a_community")
    return region


def admission_for(community: Region, number: str) -> Admission:
    """The admission of that number that covers the community, or InvalidInput."""
    admission = (
        Admission.objects.filter(number=admission_number_cleaned(number), scope__region=community)
        .defer("agreement_pdf")
        .first()
    )
    if admission is None:
        raise InvalidInput(
            _("准入编号“%(number)s”不存在，或不覆盖%(community)s。")
            % {"number": number, "community": community.name},
            code="bad_admission",
        )
    return admission


def basis_item_for(community: Region, key: uuid.UUID | str) -> Item:
    """A published item of a signboard, duty or assistance list in force for the community."""
    from jianfu.org.selectors import ancestor_codes

    district = community.district_code or ""
    try:
        key = uuid.UUID(str(key))
    except ValueError:
        key = None
    item = (
        Item.objects.filter(
            key=key,
            version__status=VersionStatus.PUBLISHED,
            version__list__kind__in=BASIS_KINDS,
        )
        .filter(version__list__region_id__in=[district, *ancestor_codes(district)])
        .select_related("version__list")
        .first()
        if key
        else None
    )
    if item is None:
        raise InvalidInput(
            _("依据事项不在本区现行的挂牌、职责或协助清单中。"), code="bad_basis_item"
        )
    return item


def department_for(community: Region, name: str) -> Unit | None:
    """The district department of that name, if there is one (surveys name departments)."""
    if not name:
        return None
    return Unit.objects.filter(
        name=name, district_code=community.district_code or "", type=UnitType.DEPARTMENT
    ).first()


def _clean(
    community: Region, kind: str, values: dict[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Validated field values for an entry of `kind`; every problem is reported at once."""
    errors: list[str] = []
    cleaned: dict[str, Any] = {}
    if "name" in values or not partial:
        name = (values.get("name") or "").strip()
        if not name or len(name) > NAME_MAX:
            errors.append(_("名称不能为空，且不超过 %(n)s 个字。") % {"n": NAME_MAX})
        cleaned["name"] = name
    if "department_name" in values:
        department_name = (values.get("department_name") or "").strip()[:100]
        cleaned["department_name"] = department_name
        cleaned["department"] = department_for(community, department_name)
    if "admission_number" in values:
        number = (values.get("admission_number") or "").strip()
        cleaned["admission"] = None
        if number:
            try:
                cleaned["admission"] = admission_for(community, number)
            except InvalidInput as error:
                errors.append(str(error.message))
    if "basis_item_key" in values:
        key = values.get("basis_item_key")
        cleaned["basis_list"], cleaned["basis_item_key"], cleaned["basis_item_name"] = (
            None,
            None,
            "",
        )
        if key:
            try:
                item = basis_item_for(community, key)
                cleaned["basis_list"] = item.version.list
                cleaned["basis_item_key"] = item.key
                cleaned["basis_item_name"] = item.name
            except InvalidInput as error:
                errors.append(str(error.message))
    if "quantity" in values:
        raw = values.get("quantity")
        try:
            # Left empty it is one; a typed 0 is an error, not one.
            quantity = 1 if raw in (None, "") else int(raw)
        except (TypeError, ValueError):
            quantity = 0
        if not 1 <= quantity <= QUANTITY_MAX or (kind != EntryKind.LEDGER and quantity != 1):
            errors.append(
                _("数量应在 1 到 %(n)s 之间（只有台账按本数登记）。") % {"n": QUANTITY_MAX}
            )
        cleaned["quantity"] = quantity
    if kind == EntryKind.LEDGER:
        if "medium" in values or not partial:
            medium = values.get("medium") or ""
            if medium not in LedgerMedium.values:
                errors.append(_("台账形式应为纸质或电子。"))
            cleaned["medium"] = medium
        if "year" in values:
            year = values.get("year")
            if year in (None, ""):
                cleaned["year"] = None
            else:
                try:
                    cleaned["year"] = int(year)
                    if not 1990 <= cleaned["year"] <= 2100:
                        raise ValueError
                except (TypeError, ValueError):
                    errors.append(_("台账年度应为四位年份。"))
    elif values.get("medium") or values.get("year"):
        errors.append(_("只有台账填写形式和年度。"))
    if "one_vote_veto" in values:
        veto = bool(values.get("one_vote_veto"))
        if veto and kind != EntryKind.CAMPAIGN:
            errors.append(_("只有创建评比项目可标记“一票否决”。"))
        cleaned["one_vote_veto"] = veto
    if "since" in values or not partial:
        since = values.get("since")
        if not isinstance(since, dt.date):
            errors.append(_("请填写设立日期。"))
        elif since > timezone.localdate():
            errors.append(_("设立日期不能晚于今天。"))
        cleaned["since"] = since
    if "notes" in values:
        cleaned["notes"] = (values.get("notes") or "").strip()[:2000]
    if errors:
        raise InvalidInput("；".join(errors), code="bad_entry", details=errors)
    return cleaned


ENTRY_FIELDS = (
    "name",
    "department_name",
    "admission_number",
    "basis_item_key",
    "quantity",
    "medium",
    "year",
    "one_vote_veto",
    "since",
    "notes",
)


def _entry_audit(entry: InventoryEntry) -> dict[str, Any]:
    return {
        "community": entry.community_id,
        "kind": entry.kind,
        "name": entry.name,
        "department": entry.department_name,
        "admission": entry.admission.number if entry.admission_id else "",
        "basis_item": entry.basis_item_name,
        "quantity": entry.quantity,
        "medium": entry.medium,
        "year": entry.year,
        "one_vote_veto": entry.one_vote_veto,
        "since": entry.since.isoformat() if entry.since else None,
        "status": entry.status,
    }


def entry_build(*, community: Region, kind: str, values: dict[str, Any]) -> InventoryEntry:
    """A validated, unsaved entry (shared by the form, the API and the survey import)."""
    if kind not in EntryKind.values:
        raise InvalidInput(_("未知的台账类别。"), code="bad_kind")
    unknown = set(values) - set(ENTRY_FIELDS)
    if unknown:
        raise InvalidInput(_("不能设置这些字段：%s") % "、".join(sorted(unknown)))
    cleaned = _clean(community, kind, values)
    return InventoryEntry(community=community, kind=kind, **cleaned)


@transaction.atomic
def inventory_entry_create(
    *, actor: User | None, community: Region, kind: str, **values: Any
) -> InventoryEntry:
    """Record one signboard, ledger, campaign or system the community carries."""
    require(actor, "burden.edit", _community(community))
    entry = entry_build(community=community, kind=kind, values=values)
    entry.created_by = actor
    entry.save()
    audit_record(
        actor=actor, action="burden.entry_create", target=entry, changes=_entry_audit(entry)
    )
    return entry


@transaction.atomic
def inventory_entry_update(
    *, actor: User | None, entry: InventoryEntry, **values: Any
) -> InventoryEntry:
    """Correct an entry that is still in use."""
    entry = InventoryEntry.objects.select_for_update().get(pk=entry.pk)
    require(actor, "burden.edit", entry.community)
    if entry.status != EntryStatus.ACTIVE:
        raise Conflict(_("已清理的条目不能修改。"), code="entry_ended")
    unknown = set(values) - set(ENTRY_FIELDS)
    if unknown:
        raise InvalidInput(_("不能修改这些字段：%s") % "、".join(sorted(unknown)))
    before = _entry_audit(entry)
    cleaned = _clean(entry.community, entry.kind, values, partial=True)
    for name, value in cleaned.items():
        setattr(entry, name, value)
    entry.save()
    after = _entry_audit(entry)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        audit_record(actor=actor, action="burden.entry_update", target=entry, changes=changes)
    return entry


@transaction.atomic
def inventory_entry_end(
    *,
    actor: User | None,
    entry: InventoryEntry,
    status: str,
    ended_on: dt.date,
    reason: str = "",
    successor: InventoryEntry | None = None,
) -> InventoryEntry:
    """Clean an entry up: removed, merged (into `successor`), retired, or a paper ledger
    digitised (into `successor`, an electronic ledger)."""
    entry = InventoryEntry.objects.select_for_update().get(pk=entry.pk)
    require(actor, "burden.edit", entry.community)
    if entry.status != EntryStatus.ACTIVE:
        raise Conflict(_("该条目已清理。"), code="entry_ended")
    if status not in EntryStatus.values or status == EntryStatus.ACTIVE:
        raise InvalidInput(_("请选择清理方式。"), code="bad_status")
    if not isinstance(ended_on, dt.date) or ended_on < entry.since:
        raise InvalidInput(_("清理日期不能早于设立日期。"), code="bad_date")
    if ended_on > timezone.localdate():
        raise InvalidInput(_("清理日期不能晚于今天。"), code="bad_date")
    if status == EntryStatus.DIGITISED and not (
        entry.kind == EntryKind.LEDGER and entry.medium == LedgerMedium.PAPER
    ):
        raise InvalidInput(_("只有纸质台账可以转为电子台账。"), code="not_paper")
    needs_successor = status in (EntryStatus.MERGED, EntryStatus.DIGITISED)
    if successor is not None:
        # Checked as stored now, and locked: it may have been ended since the caller read it.
        successor = InventoryEntry.objects.select_for_update().filter(pk=successor.pk).first()
    if needs_successor:
        if (
            successor is None
            or successor.pk == entry.pk
            or successor.community_id != entry.community_id
            or successor.kind != entry.kind
            or successor.status != EntryStatus.ACTIVE
        ):
            raise InvalidInput(
                _("请选择本社区同类、在用的条目作为合并（转入）对象。"), code="bad_successor"
            )
        if status == EntryStatus.DIGITISED and successor.medium != LedgerMedium.ELECTRONIC:
            raise InvalidInput(_("转入对象须是电子台账。"), code="bad_successor")
    elif successor is not None:
        raise InvalidInput(_("只有合并或转为电子台账时填写转入对象。"), code="bad_successor")
    entry.status, entry.ended_on = status, ended_on
    entry.end_reason = (reason or "").strip()[:2000]
    entry.successor = successor
    entry.save(update_fields=["status", "ended_on", "end_reason", "successor"])
    audit_record(
        actor=actor,
        action="burden.entry_end",
        target=entry,
        changes={
            "status": status,
            "ended_on": ended_on.isoformat(),
            "reason": entry.end_reason,
            "successor": successor.pk if successor else None,
        },
    )
    return entry


def _snapshot_regions(region: Region) -> list[Region]:
    if region.level == RegionLevel.COMMUNITY:
        return [region]
    return list(
        Region.objects.filter(code__startswith=region.prefix, level=RegionLevel.COMMUNITY)
        .filter(valid_until__isnull=True)
        .order_by("code")
    )


@transaction.atomic
def burden_snapshot_take(
    *,
    actor: User | None,
    region: Region,
    label: str,
    baseline: bool = False,
    on: dt.date | None = None,
) -> list[BurdenSnapshot]:
    """Freeze the figures of every community in `region` (a district, street or community) on
    a day; as the baseline, it replaces each community's previous baseline."""
    require(actor, "burden.manage", region)
    on = on or timezone.localdate()
    label = (label or "").strip()[:100]
    if not label:
        raise InvalidInput(_("请填写快照名称。"), code="label_missing")
    communities = _snapshot_regions(region)
    figures = burden_figures(communities, on=on)
    codes = [c.code for c in communities]
    # A second snapshot of the same day replaces the first.
    BurdenSnapshot.objects.filter(community_id__in=codes, taken_on=on, is_baseline=False).delete()
    if baseline:
        BurdenSnapshot.objects.filter(community_id__in=codes, is_baseline=True).update(
            is_baseline=False
        )
    snapshots = BurdenSnapshot.objects.bulk_create(
        BurdenSnapshot(
            community_id=code,
            taken_on=on,
            label=label,
            is_baseline=baseline,
            source=SnapshotSource.COMPUTED,
            taken_by=actor,
            **figures[code].as_dict(),
        )
        for code in codes
    )
    audit_record(
        actor=actor,
        action="burden.snapshot_take",
        target=region,
        changes={
            "on": on.isoformat(),
            "label": label,
            "baseline": baseline,
            "communities": len(codes),
        },
    )
    return snapshots


@transaction.atomic
def burden_baseline_record(
    *,
    actor: User | None,
    community: Region,
    taken_on: dt.date,
    label: str,
    figures: dict[str, int],
) -> BurdenSnapshot:
    """Enter a community's baseline from a survey made before it used Jianfu (seed 002: 圆梦
    社区 46 signboards, 151 ledger books, 242 tasks)."""
    require(actor, "burden.manage", _community(community))
    unknown = set(figures) - set(FIGURE_FIELDS)
    if unknown:
        raise InvalidInput(_("未知的指标：%s") % "、".join(sorted(unknown)), code="bad_figure")
    cleaned: dict[str, int] = {}
    for name, value in figures.items():
        try:
            cleaned[name] = int(value)
        except (TypeError, ValueError):
            cleaned[name] = -1
        if cleaned[name] < 0:
            raise InvalidInput(_("指标应为不小于 0 的整数。"), code="bad_figure")
    if not isinstance(taken_on, dt.date) or taken_on > timezone.localdate():
        raise InvalidInput(_("统计日期不能晚于今天。"), code="bad_date")
    label = (label or "").strip()[:100] or _("基线")
    BurdenSnapshot.objects.filter(community=community, is_baseline=True).update(is_baseline=False)
    snapshot = BurdenSnapshot.objects.create(
        community=community,
        taken_on=taken_on,
        label=label,
        is_baseline=True,
        source=SnapshotSource.SURVEY,
        taken_by=actor,
        **cleaned,
    )
    audit_record(
        actor=actor,
        action="burden.baseline_record",
        target=snapshot,
        changes={"community": community.code, "taken_on": taken_on.isoformat(), **cleaned},
    )
    return snapshot


def entries_create_many(
    *, actor: User | None, entries: Sequence[InventoryEntry], source: str
) -> list[InventoryEntry]:
    """Save validated entries in one go (the survey import), one audit record for all."""
    for entry in entries:
        require(actor, "burden.edit", entry.community)
        entry.created_by = actor
    created = InventoryEntry.objects.bulk_create(entries)
    audit_record(
        actor=actor,
        action="burden.entries_import",
        object_type="burden.inventoryentry",
        changes={"source": source, "count": len(created)},
    )
    return created


@transaction.atomic
def ledger_digitise(
    *,
    actor: User | None,
    entry: InventoryEntry,
    ended_on: dt.date,
    name: str = "",
    reason: str = "",
) -> InventoryEntry:
    """Turn a paper ledger into a new electronic one in one step: the electronic ledger is
    recorded from the day of the change, with the paper ledger's department, basis and year,
    and the paper ledger ends as digitised into it. Returns the electronic ledger."""
    if not (entry.kind == EntryKind.LEDGER and entry.medium == LedgerMedium.PAPER):
        raise InvalidInput(_("只有纸质台账可以转为电子台账。"), code="not_paper")
    electronic = inventory_entry_create(
        actor=actor,
        community=entry.community,
        kind=EntryKind.LEDGER,
        name=(name or "").strip() or entry.name,
        department_name=entry.department_name,
        admission_number=entry.admission.number if entry.admission_id else "",
        basis_item_key=entry.basis_item_key,
        medium=LedgerMedium.ELECTRONIC,
        year=entry.year,
        since=ended_on,
        notes=_("由纸质台账“%(name)s”转入") % {"name": entry.name},
    )
    inventory_entry_end(
        actor=actor,
        entry=entry,
        status=EntryStatus.DIGITISED,
        ended_on=ended_on,
        reason=reason,
        successor=electronic,
    )
    return electronic


def month_label(day: dt.date) -> str:
    """A monthly snapshot's name, "2026年11月", in the installation's language: it is data,
    kept as written whatever language the worker happens to run in."""
    from django.conf import settings as django_settings
    from django.utils import translation

    with translation.override(django_settings.LANGUAGE_CODE):
        return _("%(year)s年%(month)s月") % {"year": day.year, "month": day.month}


def burden_snapshot_monthly(*, on: dt.date | None = None) -> str:
    """The daily job's monthly step: each district with communities gets its month's computed
    snapshot ("2026年11月") on the 1st. A district without a computed snapshot this month (the
    worker was down on the 1st) gets it on the first day the job runs, and one that has one
    already (the office took it) is left alone, so running the job again changes nothing."""
    on = on or timezone.localdate()
    label = month_label(on)
    community_codes = Region.objects.filter(
        level=RegionLevel.COMMUNITY, valid_until__isnull=True
    ).values_list("code", flat=True)
    district_codes = {code[:6] + "000000" for code in community_codes}
    taken = 0
    for district in Region.objects.filter(code__in=district_codes, level=RegionLevel.DISTRICT):
        done = BurdenSnapshot.objects.filter(
            community__code__startswith=district.prefix,
            taken_on__gte=on.replace(day=1),
            taken_on__lte=on,
            source=SnapshotSource.COMPUTED,
        ).exists()
        if not done:
            burden_snapshot_take(actor=None, region=district, label=label, on=on)
            taken += 1
    return f"{label}: {taken}"
