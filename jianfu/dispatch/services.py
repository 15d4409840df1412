"""Writes in dispatch: sending a task, its arrival check, the recipients' answers, re-checks.

Every task that reaches a street or community is checked against the admissions register on
arrival (DESIGN.md §3.4). The check is set-based: a dispatch to every community of a province
reads the admission's scope, the negative lists and the regions once each and writes all its
deliveries in one statement, so its query count does not grow with the recipients.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.admission.models import Admission, AdmissionScope, AdmissionSettings, AdmissionState
from jianfu.admission.selectors import admission_number_cleaned
from jianfu.catalog.models import CatalogList, Item, ListKind, VersionStatus
from jianfu.catalog.selectors import negative_entries_matching
from jianfu.core.audit import audit_record
from jianfu.core.bulk import insert_rows, insert_tuples
from jianfu.core.errors import Conflict, InvalidInput
from jianfu.core.models import Notification
from jianfu.core.notifications import notify, notify_each
from jianfu.core.permissions import require
from jianfu.dispatch.models import (
    OPEN_STATUSES,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    OutputKind,
    Reason,
    RecipientLevel,
    Task,
    TaskStatus,
)
from jianfu.funds.tripwire import suspended_regions
from jianfu.org.models import PREFIX_LENGTH, Region, RegionLevel, Unit, UnitType, User
from jianfu.org.roles import Role
from jianfu.org.selectors import ancestor_codes

# Dispatches to at most this many recipients fan out inside the request, so the clerk sees
# every recipient's check at once; larger ones run as a background job with progress.
INLINE_LIMIT = 2000
MAX_OUTPUTS = 50
TITLE_MAX = 200

# ---------------------------------------------------------------------------------------------
# Input


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    """Title, content, deadline and required outputs, checked; every problem at once."""
    problems = []
    title = str(values.get("title") or "").strip()
    content = str(values.get("content") or "").strip()
    deadline = values.get("deadline")
    if not title:
        problems.append(_("请填写任务名称。"))
    elif len(title) > TITLE_MAX:
        problems.append(_("任务名称不能超过 %(max)d 个字。") % {"max": TITLE_MAX})
    if not content:
        problems.append(_("请填写任务内容。"))
    if not isinstance(deadline, dt.date):
        problems.append(_("请填写完成时限。"))
    elif deadline < timezone.localdate():
        problems.append(_("完成时限不能早于今天。"))
    outputs = []
    raw_outputs = values.get("outputs") or []
    if not isinstance(raw_outputs, list) or len(raw_outputs) > MAX_OUTPUTS:
        problems.append(_("须报送材料最多 %(max)d 项。") % {"max": MAX_OUTPUTS})
        raw_outputs = []
    for output in raw_outputs:
        kind = output.get("kind") if isinstance(output, dict) else None
        name = str(output.get("name") or "").strip() if isinstance(output, dict) else ""
        if kind not in OutputKind.values or not name or len(name) > TITLE_MAX:
            problems.append(_("每项须报送材料须写明类别（报表、台账记录、工作报告）和名称。"))
            break
        outputs.append({"kind": kind, "name": name})
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems})
    return {"title": title, "content": content, "deadline": deadline, "outputs": outputs}


def _basis(unit: Unit, admission_number: str, duty_item: str) -> dict[str, Any]:
    """The cited basis as stored on the task; an admission number that does not exist is kept
    as typed, so the arrival check can say so."""
    admission_number, duty_item = admission_number.strip(), duty_item.strip()
    if admission_number and duty_item:
        raise InvalidInput(_("只能引用一个依据：准入编号或社区职责事项。"))
    if admission_number:
        number = admission_number_cleaned(admission_number)
        if len(number) > 40:
            raise InvalidInput(_("准入编号过长。"))
        return {
            "admission_number": number,
            "admission": Admission.objects.filter(number=number).first(),
        }
    if not duty_item:
        return {}
    item = _published_item(unit, duty_item)
    if item is None:
        raise InvalidInput(
            _("找不到职责事项“%(item)s”：请填写现行清单中事项的编码或标识。") % {"item": duty_item}
        )
    return {
        "duty_list": item.version.list,
        "duty_item_key": item.key,
        "duty_item_name": item.name,
    }


def _published_item(unit: Unit, reference: str) -> Item | None:
    """An item of a list in force, by its stable key, or by its code on a duty list of the
    department's region or a region above it (codes are unique only within one list)."""
    items = Item.objects.filter(version__status=VersionStatus.PUBLISHED).select_related(
        "version__list"
    )
    try:
        return items.filter(key=uuid.UUID(reference)).first()
    except ValueError:
        pass
    regions = [unit.region_id, *ancestor_codes(unit.region_id)]
    found = list(
        items.filter(code=reference, version__list__kind=ListKind.DUTY).filter(
            Q(version__list__region__isnull=True) | Q(version__list__region_id__in=regions)
        )[:2]
    )
    if len(found) > 1:
        raise InvalidInput(
            _("编码“%(code)s”在多份职责清单中都有，请改用事项标识。") % {"code": reference}
        )
    return found[0] if found else None


def _recipient_level(level: str) -> str:
    if level not in RecipientLevel.values:
        raise InvalidInput(_("接收层级须为街道或社区。"))
    return level


# ---------------------------------------------------------------------------------------------
# Recipients


def _common_prefix(codes: Sequence[str]) -> str:
    first, last = min(codes), max(codes)
    length = 0
    while length < len(first) and first[length] == last[length]:
        length += 1
    return first[:length]


def recipients_expand(*, prefix: str | None, codes: Sequence[str], level: str) -> list[str]:
    """The codes of the streets or communities (`level`) that the picked regions amount to: a community, a
    street's worth, a whole district or province. Every bad code is reported at once.

    One query, whatever the number of codes: the regions under the codes' common prefix are
    read once and matched here.
    """
    level = _recipient_level(level)
    codes = sorted({str(code).strip() for code in codes})
    if not codes:
        raise InvalidInput(_("请选择接收的街道或社区。"))
    malformed = [code for code in codes if len(code) != 12 or not code.isdigit()]
    if malformed:
        raise InvalidInput(
            _("区划代码须为 12 位数字：%(codes)s") % {"codes": "、".join(malformed[:20])}
        )
    outside = [code for code in codes if prefix is not None and not code.startswith(prefix)]
    if outside:
        raise InvalidInput(
            _("以下区划不在本单位管辖范围内：%(codes)s") % {"codes": "、".join(outside[:20])}
        )
    # A code without its trailing zeros starts every code beneath it.
    base = _common_prefix([code.rstrip("0") for code in codes])
    if prefix is not None and len(base) < len(prefix):
        base = prefix
    today = timezone.localdate()
    # Codes and levels only: a province has 30,000 communities, and a model instance for each
    # would cost more than the whole arrival check.
    regions = (
        Region.objects.filter(code__startswith=base)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .values_list("code", "level")
    )
    known: dict[str, str] = {}
    at_level = []
    for code, region_level in regions:
        known[code] = region_level
        if region_level == level:
            at_level.append(code)
    problems = [code for code in codes if code not in known]
    if problems:
        raise InvalidInput(
            _("以下区划代码不存在或已失效：%(codes)s") % {"codes": "、".join(problems[:20])}
        )
    depth = PREFIX_LENGTH[RegionLevel(level)]
    too_low = [code for code in codes if PREFIX_LENGTH[RegionLevel(known[code])] > depth]
    if too_low:
        raise InvalidInput(
            _("以下区划低于接收层级%(level)s：%(codes)s")
            % {"level": RecipientLevel(level).label, "codes": "、".join(too_low[:20])}
        )
    picked = tuple({code[: PREFIX_LENGTH[RegionLevel(known[code])]] for code in codes})
    chosen = [code for code in at_level if code.startswith(picked)]
    if not chosen:
        raise InvalidInput(_("所选范围内没有%(level)s。") % {"level": RecipientLevel(level).label})
    return chosen


# ---------------------------------------------------------------------------------------------
# The arrival check


@dataclass
class ArrivalCheck:
    """The reasons each recipient's copy of a task fails, and what the reasons refer to."""

    reasons: dict[str, list[str]]
    details: dict[str, Any]


def _admission_status_reason(admission: Admission, day: dt.date) -> str | None:
    if admission.state == AdmissionState.REVOKED:
        return Reason.ADMISSION_REVOKED
    if admission.state == AdmissionState.SUSPENDED:
        return Reason.ADMISSION_SUSPENDED
    if admission.status_on(day) == AdmissionState.EXPIRED:
        return Reason.ADMISSION_EXPIRED
    if day < admission.valid_from:
        return Reason.ADMISSION_NOT_YET_VALID
    return None


def arrival_check(*, task: Task, codes: Iterable[str], day: dt.date | None = None) -> ArrivalCheck:
    """Every reason each recipient's copy fails, not just the first (issue: the arrival check).

    A handful of queries whatever the number of recipients: the admission's scope, the
    negative lists in force and the cited duty item, each read once.
    """
    day = day or timezone.localdate()
    common: list[str] = []
    details: dict[str, Any] = {}
    admission = task.admission
    scope: set[str] = set()
    revoked_here: set[str] = set()
    unfunded: set[str] = set()
    if not task.admission_number and not task.duty_item_key:
        common.append(Reason.NO_BASIS)
    if task.admission_number and admission is None:
        common.append(Reason.NO_ADMISSION)
    if admission is not None:
        status_reason = _admission_status_reason(admission, day)
        if status_reason:
            common.append(status_reason)
        details["admission"] = {
            "number": admission.number,
            "state": admission.status_on(day),
            "valid_from": admission.valid_from.isoformat(),
            "valid_until": admission.valid_until.isoformat(),
            "department": admission.department.name,
        }
        if status_reason == Reason.ADMISSION_EXPIRED:
            # The department cited the old number of work that was renewed: say which is current.
            renewal = admission.renewals.values_list("number", flat=True).first()
            if renewal:
                details["admission"]["renewed_as"] = renewal
        if admission.department_id != task.department_id:
            common.append(Reason.OTHER_DEPARTMENT)
        regions = AdmissionScope.objects.filter(admission=admission)
        scope = set(regions.values_list("region_id", flat=True))
        # Only the few regions revoked or without money are read with their details.
        for code, funding, revoked_on in regions.filter(
            Q(funding_fen__lte=0) | Q(revoked_on__lte=day)
        ).values_list("region_id", "funding_fen", "revoked_on"):
            if funding <= 0:
                unfunded.add(code)
            # Revoked in this region alone (the admission itself is still in force elsewhere).
            if revoked_on is not None and revoked_on <= day:
                revoked_here.add(code)
    # Fees follow tasks: all but a community's own duties bring their money. An emergency
    # (provisional) admission is issued before the money is found, as the admission gate allows;
    # its regular application brings the money.
    needs_funding = (
        admission is not None and admission.list_kind != ListKind.DUTY and not admission.provisional
    )
    # ... and where that money is overdue, the admission is suspended for the community.
    overdue = suspended_regions(admission) if needs_funding else set()
    negative = negative_entries_matching(
        [task.title, task.content, admission.title if admission else "", task.duty_item_name],
        keys=[admission.item_key if admission else None, task.duty_item_key],
    )
    if negative:
        details["negative"] = [{"list": e.list_name, "entry": e.name} for e in negative]
    duty_prefix = _duty_prefix(task)
    # The regions each per-recipient rule applies to, as prefixes str.startswith takes at once.
    negative_prefixes = tuple(entry.prefix for entry in negative)
    check_duty = bool(task.duty_item_key)

    def reasons_of(code: str) -> list[str]:
        found = list(common)
        if admission is not None:
            if code not in scope:
                found.append(Reason.OUTSIDE_SCOPE)
            elif code in revoked_here and Reason.ADMISSION_REVOKED not in common:
                found.append(Reason.ADMISSION_REVOKED)
            elif needs_funding and code in unfunded:
                found.append(Reason.UNFUNDED)
            elif code in overdue:
                found.append(Reason.FUNDS_OVERDUE)
        if negative_prefixes and code.startswith(negative_prefixes):
            found.append(Reason.NEGATIVE_LIST)
        if check_duty and (duty_prefix is None or not code.startswith(duty_prefix)):
            found.append(Reason.DUTY_NOT_LISTED)
        return found

    # Every recipient gets the reasons common to all, but those a per-recipient rule singles
    # out, which are few in a large dispatch: only they are checked one by one. Recipients with
    # the same reasons share one list, which is then written as JSON once.
    reasons = dict.fromkeys(codes, common)
    singled_out = set(reasons).difference(scope) if admission is not None else set()
    singled_out |= revoked_here | overdue | (unfunded if needs_funding else set())
    if negative_prefixes:
        singled_out.update(code for code in reasons if code.startswith(negative_prefixes))
    if check_duty:
        singled_out.update(
            code for code in reasons if duty_prefix is None or not code.startswith(duty_prefix)
        )
    shared = {tuple(common): common}
    for code in singled_out.intersection(reasons):
        found = reasons_of(code)
        reasons[code] = shared.setdefault(tuple(found), found)
    return ArrivalCheck(reasons, details)


def _duty_prefix(task: Task) -> str | None:
    """The code prefix of the regions whose duty list holds the cited item; None if the item
    is on no duty list for the task's level, or no longer in force."""
    catalog_list: CatalogList | None = task.duty_list
    if (
        catalog_list is None
        or catalog_list.kind != ListKind.DUTY
        or catalog_list.level != task.recipient_level
        or not Item.objects.filter(
            version__list=catalog_list,
            version__status=VersionStatus.PUBLISHED,
            key=task.duty_item_key,
        ).exists()
    ):
        return None
    region = catalog_list.region
    return region.prefix if region is not None else ""


def reason_texts(task: Task, reasons: Iterable[str]) -> list[str]:
    """The reasons as a recipient reads them, with the numbers and names they concern."""
    return reason_texts_of(
        check_details=task.check_details, admission_number=task.admission_number, reasons=reasons
    )


def reason_texts_of(
    *, check_details: dict | None, admission_number: str, reasons: Iterable[str]
) -> list[str]:
    """reason_texts from the two columns of the task it reads, for pages that read only those."""
    details = check_details or {}
    admission = details.get("admission") or {}
    texts = []
    for code in reasons:
        if code == Reason.NO_ADMISSION:
            text = _("准入编号“%(number)s”在准入目录中不存在") % {"number": admission_number}
        elif code == Reason.ADMISSION_EXPIRED:
            text = _("准入 %(number)s 已于 %(day)s 到期") % {
                "number": admission.get("number", ""),
                "day": admission.get("valid_until", ""),
            }
            if admission.get("renewed_as"):
                text += _("（已续期为 %(number)s）") % {"number": admission["renewed_as"]}
        elif code == Reason.ADMISSION_NOT_YET_VALID:
            text = _("准入 %(number)s 自 %(day)s 起生效") % {
                "number": admission.get("number", ""),
                "day": admission.get("valid_from", ""),
            }
        elif code in (Reason.ADMISSION_REVOKED, Reason.ADMISSION_SUSPENDED):
            text = _("%(reason)s（%(number)s）") % {
                "reason": Reason(code).label,
                "number": admission.get("number", ""),
            }
        elif code == Reason.OTHER_DEPARTMENT:
            text = _("准入 %(number)s 属于%(department)s，不是派发部门的准入") % {
                "number": admission.get("number", ""),
                "department": admission.get("department", ""),
            }
        elif code == Reason.NEGATIVE_LIST:
            entries = details.get("negative") or []
            text = _("事项属于负面清单：%(entries)s") % {
                "entries": "、".join(f"《{e['list']}》“{e['entry']}”" for e in entries)
            }
        elif code in Reason.values:
            text = str(Reason(code).label)
        else:
            text = code
        texts.append(text)
    return texts


# ---------------------------------------------------------------------------------------------
# Dispatch


@transaction.atomic
def task_dispatch(
    *,
    actor: User,
    values: dict[str, Any],
    recipients: Sequence[str],
    level: str = RecipientLevel.COMMUNITY,
    admission_number: str = "",
    duty_item: str = "",
) -> Task:
    """Send a task to the picked streets or communities; each copy is checked on arrival."""
    require(actor, "dispatch.dispatch_task")
    cleaned = _clean_values(values)
    unit = actor.unit
    basis = _basis(unit, admission_number, duty_item)
    codes = recipients_expand(prefix=unit.region.prefix, codes=recipients, level=level)
    task = Task.objects.create(
        reference=uuid.uuid4().hex[:30],
        department=unit,
        district_code=unit.district_code,
        created_by=actor,
        recipient_level=level,
        recipient_codes=sorted({str(code).strip() for code in recipients}),
        **cleaned,
        **basis,
    )
    # The number reads RW2026-000123: the year, then the task's row number.
    task.reference = f"RW{task.created_at:%Y}-{task.pk:06d}"
    task.save(update_fields=["reference"])
    audit_record(
        actor=actor,
        action="task.dispatch",
        target=task,
        changes={
            "title": task.title,
            "admission_number": task.admission_number,
            "duty_item": task.duty_item_name,
            "recipients": task.recipient_codes,
            "level": level,
        },
    )
    if len(codes) <= INLINE_LIMIT:
        task_fan_out(task=task, codes=codes)
    else:
        from jianfu.core.jobs import job_start

        task.job = job_start(owner=actor, kind="task_fan_out", options={"task": task.pk})
        task.save(update_fields=["job"])
    return task


def task_recipients(task: Task) -> list[str]:
    """The codes of the recipients the task's picked regions amount to."""
    return recipients_expand(
        prefix=task.department.region.prefix,
        codes=task.recipient_codes,
        level=task.recipient_level,
    )


def task_fan_out(*, task: Task, codes: Sequence[str]) -> Task:
    """Write one checked delivery per recipient, in one statement, and tell the recipients.

    All or nothing: run it inside a transaction, so a task reaches every recipient or none.
    """
    total = len(codes)
    if task.admission_id:
        # The row lock orders the fan-out and a revocation of the admission: one waits for the
        # other, so the check sees the revocation or the revocation's re-check sees the copies.
        task.admission = Admission.objects.select_for_update().get(pk=task.admission_id)
    check = arrival_check(task=task, codes=codes)
    # Tuples of the columns that differ between recipients; what every delivery shares is
    # prepared once, and so is each shared list of reasons.
    insert_tuples(
        Delivery,
        ["region_id", "admitted_on_arrival", "admitted", "reasons"],
        [(code, not reasons, not reasons, reasons) for code, reasons in check.reasons.items()],
        same={"task_id": task.pk, "year": task.year},
    )
    unadmitted = sum(1 for reasons in check.reasons.values() if reasons)
    task.status, task.dispatched_at = TaskStatus.DISPATCHED, timezone.now()
    task.recipients_total, task.unadmitted_total = total, unadmitted
    task.check_details = check.details
    task.save(
        update_fields=[
            "status",
            "dispatched_at",
            "recipients_total",
            "unadmitted_total",
            "check_details",
        ]
    )
    _notify_arrival(task, check)
    return task


def _recipient_officers(level: str, codes: Iterable[str]) -> list[tuple[int, str]]:
    """(user id, region code) of the officers who answer for these streets or communities."""
    codes = set(codes)
    if not codes:
        return []
    role = Role.STREET_OFFICER if level == RecipientLevel.STREET else Role.COMMUNITY_OFFICER
    officers = User.objects.filter(
        is_active=True,
        unit__is_active=True,
        roles__role=role,
        unit__region__code__startswith=_common_prefix(sorted(codes)),
    ).values_list("pk", "unit__region_id")
    return [(pk, code) for pk, code in officers if code in codes]


def _inbox_url(task: Task) -> str:
    return f"{reverse('inbox')}?task={task.pk}"


def _notify_arrival(task: Task, check: ArrivalCheck) -> None:
    admitted_message = _("新任务：%(title)s（%(department)s），完成时限 %(deadline)s。") % {
        "title": task.title,
        "department": task.department.name,
        "deadline": task.deadline.isoformat(),
    }
    unadmitted_message = _("新任务“%(title)s”（%(department)s）未经准入，您可以拒绝。") % {
        "title": task.title,
        "department": task.department.name,
    }
    url = _inbox_url(task)
    notify_each(
        messages=(
            (pk, unadmitted_message if check.reasons[code] else admitted_message, url)
            for pk, code in _recipient_officers(task.recipient_level, check.reasons)
        )
    )


def task_failed(*, task: Task) -> None:
    """Record and tell the department that a large dispatch reached nobody (its job failed)."""
    audit_record(action="task.fan_out_failed", target=task, changes={"job": str(task.job_id)})
    # Outside the failed transaction, so written at once rather than on a commit.
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            message=_("任务“%(title)s”派发失败，没有任何接收单位收到，请撤回后重新派发。")
            % {"title": task.title},
            url=reverse("task_detail", args=[task.pk]),
        )
        for user in _department_officers(task)
    )


# ---------------------------------------------------------------------------------------------
# The recipient's answers and the street's review


# action → (statuses it applies to, the permission it needs)
DELIVERY_ACTIONS = {
    "accept": ({DeliveryStatus.RECEIVED}, "dispatch.answer_delivery"),
    "refuse": (
        {DeliveryStatus.RECEIVED, DeliveryStatus.ACCEPTED, DeliveryStatus.REFUSAL_REQUESTED},
        "dispatch.answer_delivery",
    ),
    "progress": ({DeliveryStatus.ACCEPTED}, "dispatch.answer_delivery"),
    "complete": ({DeliveryStatus.ACCEPTED}, "dispatch.answer_delivery"),
    "uphold_refusal": ({DeliveryStatus.REFUSAL_REQUESTED}, "dispatch.review_refusal"),
    "overrule_refusal": ({DeliveryStatus.REFUSAL_REQUESTED}, "dispatch.review_refusal"),
}


def actions_allowed(user: User, delivery: Delivery) -> list[str]:
    """The actions this user may take on the delivery now."""
    if delivery.task.status != TaskStatus.DISPATCHED:
        return []
    allowed = []
    for action, (statuses, permission) in DELIVERY_ACTIONS.items():
        if delivery.status not in statuses or not user.has_perm(permission, delivery):
            continue
        # A refusal already waiting for the street is refused again only if the work has
        # meanwhile lost its admission, which needs no review.
        if (
            action == "refuse"
            and delivery.status == DeliveryStatus.REFUSAL_REQUESTED
            and delivery.admitted
        ):
            continue
        allowed.append(action)
    return allowed


def actions_decider(user: User) -> Callable[..., list[str]]:
    """actions_allowed for the many rows of one page, decided once for each kind of row.

    The rules read nothing of a delivery but the columns of the key below (and the user), so
    every row of a kind gets the answer actions_allowed gives the first: the same outcome with a
    handful of permission checks a page instead of several a row.
    """
    decided: dict[tuple, list[str]] = {}

    def actions(
        *, task_status: str, recipient_level: str, region_id: str, status: str, admitted: bool
    ) -> list[str]:
        key = (task_status, recipient_level, region_id, status, admitted)
        found = decided.get(key)
        if found is None:
            # An unsaved stand-in carrying exactly the columns the rules read.
            task = Task(status=task_status, recipient_level=recipient_level)
            delivery = Delivery(task=task, region_id=region_id, status=status, admitted=admitted)
            found = decided[key] = actions_allowed(user, delivery)
        return found

    return actions


@transaction.atomic
def delivery_act(
    *,
    actor: User,
    delivery: Delivery,
    action: str,
    reason: str = "",
    note: str = "",
    percent: int | None = None,
) -> Delivery:
    """Accept, refuse, report progress on or complete a delivery; or, for the street, uphold or
    overrule a refusal of admitted work."""
    if action not in DELIVERY_ACTIONS:
        raise InvalidInput(_("未知操作：%(action)s") % {"action": action})
    _statuses, permission = DELIVERY_ACTIONS[action]
    require(actor, permission, delivery)
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("task__department", "region")
        .get(pk=delivery.pk)
    )
    if action not in actions_allowed(actor, delivery):
        raise Conflict(
            _("任务当前为“%(status)s”，不能执行此操作。")
            % {"status": DeliveryStatus(delivery.status).label},
            code="wrong_state",
        )
    reason, note = reason.strip(), note.strip()
    now = timezone.now()
    fields = HANDLERS[action](delivery, reason=reason, note=note, percent=percent, now=now)
    delivery.save(update_fields=[*fields, "updated_at"])
    DeliveryEvent.objects.create(
        delivery=delivery,
        action=action,
        actor=actor,
        status=delivery.status,
        admitted=delivery.admitted,
        note=reason or note,
    )
    audit_record(
        actor=actor,
        action=f"delivery.{action}",
        target=delivery,
        changes={"status": delivery.status, "admitted": delivery.admitted, "note": reason or note},
    )
    _notify_step(delivery, action)
    return delivery


def _accept(delivery: Delivery, *, now, **_ignored) -> list[str]:
    delivery.status, delivery.accepted_at = DeliveryStatus.ACCEPTED, now
    return ["status", "accepted_at"]


def _refuse(delivery: Delivery, *, reason, now, **_ignored) -> list[str]:
    if not delivery.admitted:
        # The right to refuse: unadmitted work is refused at once, with no reason needed. A
        # reason written earlier (for the street's review) is kept unless a new one is given.
        delivery.status, delivery.refused_at = DeliveryStatus.REFUSED, now
        delivery.refusal_reason = reason or delivery.refusal_reason
        delivery.refusal_basis = refusal_basis_for(delivery.region_id)
        return ["status", "refused_at", "refusal_reason", "refusal_basis"]
    if not reason:
        raise InvalidInput(_("该任务已经准入，拒绝须写明理由，并由街道审核。"))
    delivery.status_before_refusal = delivery.status
    delivery.status, delivery.refusal_reason = DeliveryStatus.REFUSAL_REQUESTED, reason
    return ["status", "status_before_refusal", "refusal_reason"]


def _progress(delivery: Delivery, *, note, percent, **_ignored) -> list[str]:
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise InvalidInput(_("进度须为 0 到 100 之间的整数。"))
    if not note:
        raise InvalidInput(_("请写明进展情况。"))
    delivery.progress_percent, delivery.progress_note = percent, note
    return ["progress_percent", "progress_note"]


def _complete(delivery: Delivery, *, note, now, **_ignored) -> list[str]:
    delivery.status, delivery.completed_at = DeliveryStatus.COMPLETED, now
    delivery.progress_percent = 100
    if note:
        delivery.progress_note = note
    delivery.completed_late = timezone.localdate(now) > delivery.task.deadline
    return ["status", "completed_at", "progress_percent", "progress_note", "completed_late"]


def _uphold(delivery: Delivery, *, now, **_ignored) -> list[str]:
    delivery.status, delivery.refused_at = DeliveryStatus.REFUSED, now
    delivery.refused_while_admitted = delivery.admitted
    delivery.refusal_basis = refusal_basis_for(delivery.region_id)
    return ["status", "refused_at", "refused_while_admitted", "refusal_basis"]


def _overrule(delivery: Delivery, *, note, **_ignored) -> list[str]:
    if not note:
        raise InvalidInput(_("不同意拒绝须写明理由。"))
    # The refused reason stays in the event log; the work goes on without it.
    delivery.status = delivery.status_before_refusal or DeliveryStatus.RECEIVED
    delivery.refusal_reason = ""
    return ["status", "refusal_reason"]


def refusal_basis_for(region_code: str) -> str:
    """The rule a refusal cites: the recipient's district's wording, kept with the refusal so
    the notice stays what it was when later settings change."""
    district = region_code[:6] + "000000"
    found = AdmissionSettings.objects.filter(district_id=district).first()
    if found is None:
        return AdmissionSettings._meta.get_field("refusal_basis").get_default()
    return found.refusal_basis


HANDLERS = {
    "accept": _accept,
    "refuse": _refuse,
    "progress": _progress,
    "complete": _complete,
    "uphold_refusal": _uphold,
    "overrule_refusal": _overrule,
}


def _department_officers(task: Task):
    return User.objects.filter(
        is_active=True,
        unit_id=task.department_id,
        roles__role__in=[Role.DEPT_CLERK, Role.DEPT_HEAD],
    )


def _notify_step(delivery: Delivery, action: str) -> None:
    task, region = delivery.task, delivery.region
    names = {"title": task.title, "recipient": region.name}
    task_url = reverse("task_detail", args=[task.pk])
    delivery_url = reverse("delivery_detail", args=[delivery.pk])
    recipients = User.objects.filter(
        pk__in=[pk for pk, _code in _recipient_officers(task.recipient_level, [region.code])]
    )
    if action == "refuse" and delivery.status == DeliveryStatus.REFUSED:
        notify(
            recipients=_department_officers(task),
            message=_("%(recipient)s拒绝了未经准入的任务“%(title)s”，请查看不予受理告知书。")
            % names,
            url=delivery_url,
        )
    elif action == "refuse":
        notify(
            recipients=_refusal_reviewers(delivery),
            message=_("%(recipient)s申请拒绝已准入的任务“%(title)s”，请审核。") % names,
            url=delivery_url,
        )
    elif action == "uphold_refusal":
        notify(
            recipients=[*_department_officers(task), *recipients],
            message=_("街道同意%(recipient)s拒绝任务“%(title)s”。") % names,
            url=delivery_url,
        )
    elif action == "overrule_refusal":
        notify(
            recipients=recipients,
            message=_("街道不同意拒绝任务“%(title)s”，请继续办理。") % names,
            url=delivery_url,
        )
    elif action == "complete":
        notify(
            recipients=_department_officers(task),
            message=_("%(recipient)s已完成任务“%(title)s”。") % names,
            url=task_url,
        )


def _refusal_reviewers(delivery: Delivery):
    if delivery.task.recipient_level == RecipientLevel.COMMUNITY:
        street = delivery.region_id[:9] + "000"
        return User.objects.filter(
            is_active=True, unit__region_id=street, roles__role=Role.STREET_OFFICER
        )
    return User.objects.filter(
        is_active=True,
        unit__district_code=delivery.region_id[:6] + "000000",
        unit__type=UnitType.GROUP_OFFICE,
        roles__role=Role.GROUP_SECRETARY,
    )


# ---------------------------------------------------------------------------------------------
# Withdrawal and re-checks


# A failed dispatch reached nobody; withdrawing it clears it from the department's list.
CANCELLABLE = frozenset({TaskStatus.DISPATCHED, TaskStatus.FAILED})


@transaction.atomic
def task_cancel(*, actor: User, task: Task, reason: str) -> Task:
    """Withdraw a task (its department) or terminate it (a district's group office, seed 004:
    一经发现，立即撤销、终止); its open deliveries end. A group office terminates a city or
    province department's task only where it reached the office's district."""
    require(actor, "dispatch.cancel_task", task)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status not in CANCELLABLE:
        raise Conflict(
            _("任务当前为“%(status)s”，不能撤回。") % {"status": TaskStatus(task.status).label},
            code="wrong_state",
        )
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("请写明撤回理由。"))
    whole = actor.unit_id == task.department_id or actor.unit.district_code == task.district_code
    open_deliveries = task.deliveries.filter(status__in=OPEN_STATUSES)
    if not whole:
        open_deliveries = open_deliveries.filter(region__code__startswith=actor.unit.region.prefix)
    # Locked, so a copy completed meanwhile is neither ended nor told it was.
    ended = list(
        open_deliveries.select_for_update(of=("self",)).values_list("pk", "region_id", "admitted")
    )
    Delivery.objects.filter(pk__in=[pk for pk, _code, _admitted in ended]).update(
        status=DeliveryStatus.CANCELLED, updated_at=timezone.now()
    )
    insert_rows(
        DeliveryEvent,
        [
            {
                "delivery_id": pk,
                "action": "cancel",
                "actor_id": actor.pk,
                "status": DeliveryStatus.CANCELLED,
                "admitted": admitted,
                "note": reason,
            }
            for pk, _code, admitted in ended
        ],
    )
    if whole:
        task.status, task.cancelled_at, task.cancel_reason = (
            TaskStatus.CANCELLED,
            timezone.now(),
            reason,
        )
        task.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    audit_record(
        actor=actor,
        action="task.cancel",
        target=task,
        changes={"reason": reason, "deliveries": len(ended), "whole_task": whole},
    )
    message = _("任务“%(title)s”已撤回：%(reason)s") % {"title": task.title, "reason": reason}
    url = _inbox_url(task)
    notify_each(
        messages=(
            (pk, message, url)
            for pk, _code in _recipient_officers(task.recipient_level, [c for _p, c, _a in ended])
        )
    )
    if actor.unit_id != task.department_id:
        notify(
            recipients=_department_officers(task),
            message=_("%(office)s终止了任务“%(title)s”：%(reason)s")
            % {"office": actor.unit.name, "title": task.title, "reason": reason},
            url=reverse("task_detail", args=[task.pk]),
        )
    return task


def deliveries_recheck_expired(*, day: dt.date | None = None) -> tuple[int, int]:
    """Re-check the open deliveries still admitted under admissions whose term ended before
    `day` (today): expiry is no state change, so nothing else re-checks them. Returns how many
    admissions were re-checked and how many deliveries became unadmitted."""
    day = day or timezone.localdate()
    expired = Admission.objects.filter(
        state=AdmissionState.ACTIVE,
        valid_until__lt=day,
        tasks__status=TaskStatus.DISPATCHED,
        tasks__deliveries__status__in=OPEN_STATUSES,
        tasks__deliveries__admitted=True,
    ).distinct()
    admissions = changed = 0
    for admission in expired.defer("agreement_pdf"):
        with transaction.atomic():
            changed += deliveries_recheck(admission=admission)
        admissions += 1
    return admissions, changed


def daily_recheck_deliveries() -> str:
    """The worker's daily run of `deliveries_recheck_expired` (jianfu.core.daily)."""
    admissions, changed = deliveries_recheck_expired()
    return f"admissions={admissions} changed={changed}"


def deliveries_recheck(*, admission: Admission, actor: User | None = None) -> int:
    """Check the open deliveries of tasks citing this admission again, after it was revoked,
    suspended or resumed; tell the recipients whose answer changed. Returns how many changed."""
    changed_total = 0
    tasks = Task.objects.filter(
        admission=admission,
        status=TaskStatus.DISPATCHED,
        deliveries__status__in=OPEN_STATUSES,
    ).distinct()
    for task in tasks.select_related("admission", "department", "duty_list"):
        changed_total += _recheck_task(task, actor)
    return changed_total


def _recheck_task(task: Task, actor: User | None) -> int:
    deliveries = list(task.deliveries.filter(status__in=OPEN_STATUSES))
    check = arrival_check(task=task, codes=[d.region_id for d in deliveries])
    changed = []
    for delivery in deliveries:
        reasons = check.reasons[delivery.region_id]
        if reasons != delivery.reasons:
            delivery.reasons, delivery.admitted = reasons, not reasons
            changed.append(delivery)
    Delivery.objects.bulk_update(changed, ["reasons", "admitted"], batch_size=1000)
    # `unadmitted_total` stays the count on arrival: the department's record of what it sent.
    task.check_details = check.details
    task.save(update_fields=["check_details"])
    if not changed:
        return 0
    insert_rows(
        DeliveryEvent,
        [
            {
                "delivery_id": d.pk,
                "action": "recheck",
                "actor_id": actor.pk if actor else None,
                "status": d.status,
                "admitted": d.admitted,
                "note": "；".join(reason_texts(task, d.reasons)),
            }
            for d in changed
        ],
    )
    audit_record(
        actor=actor,
        action="task.recheck",
        target=task,
        changes={"changed": len(changed), "admission": task.admission_number},
    )
    lost = _("任务“%(title)s”的准入已失效（%(reasons)s），您可以拒绝。")
    regained = _("任务“%(title)s”的准入已恢复，请继续办理。")
    by_region = {d.region_id: d for d in changed}
    url = _inbox_url(task)
    notify_each(
        messages=(
            (
                pk,
                regained % {"title": task.title}
                if by_region[code].admitted
                else lost
                % {
                    "title": task.title,
                    "reasons": "；".join(reason_texts(task, by_region[code].reasons)),
                },
                url,
            )
            for pk, code in _recipient_officers(task.recipient_level, by_region)
        )
    )
    return len(changed)
