"""Every write in admission: applications, their transitions, opinions, and the admissions register."""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import logging
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jianfu.admission import burden
from jianfu.admission.models import (
    Admission,
    AdmissionCounter,
    AdmissionScope,
    AdmissionSettings,
    AdmissionState,
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationScope,
    ApplicationState,
    CommunityCapacity,
    Consultation,
    Decision,
    DecisionOutcome,
    DocumentKind,
    ObjectKind,
    Opinion,
    OpinionVerdict,
    ServicePurchase,
    TargetLevel,
)
from jianfu.admission.rules import party_allows
from jianfu.admission.workflow import ACTION_LABELS, EDITABLE_STATES, TRANSITIONS
from jianfu.catalog.models import CatalogList, ListKind, VersionStatus
from jianfu.core.audit import audit_record
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.notifications import notify
from jianfu.core.permissions import require
from jianfu.core.workdays import add_working_days
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.org.roles import Role

logger = logging.getLogger(__name__)

APPLICATION_FIELDS = (
    "title",
    "object_kind",
    "target_level",
    "list_kind",
    "content",
    "service_objects",
    "powers",
    "term_from",
    "term_until",
    "legal_law",
    "legal_article",
    "legal_text",
    "higher_document_number",
    "higher_document_title",
    "need_statement",
    "work_plan",
    "funding_source",
    "staffing_support",
    "training_support",
    "minutes_per_occurrence",
    "occurrences_per_year",
    "ledger_books",
    "report_forms",
    "catalog_list",
    "item_key",
    "proposed_item_name",
)
REQUIRED_TEXT = ("title", "content")
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
# Extension → what the file is served as, and the bytes it starts with (Office 2007+ and OFD
# files are zip archives).
DOCUMENT_TYPES = {
    "pdf": ("application/pdf", b"%PDF"),
    "ofd": ("application/ofd", b"PK\x03\x04"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    "doc": ("application/msword", b"\xd0\xcf\x11\xe0"),
    "xls": ("application/vnd.ms-excel", b"\xd0\xcf\x11\xe0"),
    "wps": ("application/vnd.ms-works", b"\xd0\xcf\x11\xe0"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG"),
}


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def document_content_type(name: str) -> str:
    """What a stored document is served as; an unknown kind is a plain download."""
    known = DOCUMENT_TYPES.get(_extension(name))
    return known[0] if known else "application/octet-stream"


CRITERIA = ("legal_basis", "higher_requirement", "real_need")
# Work can be admitted onto these lists; never onto a negative list or the banned certificates.
ADMISSIBLE_LIST_KINDS = frozenset(ListKind.values) - {
    ListKind.NEGATIVE,
    ListKind.CERTIFICATE_BANNED,
}
APPROVING = frozenset(
    {
        DecisionOutcome.APPROVE,
        DecisionOutcome.APPROVE_WITH_CONDITIONS,
        DecisionOutcome.APPROVE_PART,
    }
)


# ---------------------------------------------------------------------------------------------
# Settings


def settings_for(district: Region) -> AdmissionSettings:
    """The district's admission settings, created with the defaults on first use."""
    found = AdmissionSettings.objects.filter(district=district).first()
    if found is not None:
        return found
    # The number prefix defaults to the district's name without its suffix (市中区 → 市中), or
    # the whole name where another district (内江 and 乐山 both have a 市中区) already uses it.
    prefix = district.name[:-1] if district.name[-1:] in "区县市旗" else district.name
    taken = set(AdmissionSettings.objects.values_list("number_prefix", flat=True))
    for candidate in (prefix, district.name, f"{district.name}{district.code[:6]}"):
        if candidate not in taken:
            prefix = candidate
            break
    settings, _created = AdmissionSettings.objects.get_or_create(
        district=district, defaults={"number_prefix": prefix}
    )
    return settings


def _district_of(unit: Unit | None) -> Region:
    if unit is None or unit.region_id is None or not unit.district_code:
        raise InvalidInput(_("您的单位不属于任何区县，不能提出准入申请。"))
    return Region.objects.get(code=unit.district_code)


# ---------------------------------------------------------------------------------------------
# Applications


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(APPLICATION_FIELDS)
    if unknown:
        raise InvalidInput(_("未知字段：%(names)s") % {"names": "、".join(sorted(unknown))})
    cleaned = {}
    for name, value in values.items():
        cleaned[name] = value.strip() if isinstance(value, str) else value
    if "object_kind" in cleaned and cleaned["object_kind"] not in ObjectKind.values:
        raise InvalidInput(_("准入对象类别无效。"))
    if "target_level" in cleaned and cleaned["target_level"] not in TargetLevel.values:
        raise InvalidInput(_("承接层级无效。"))
    if "list_kind" in cleaned and cleaned["list_kind"] not in ADMISSIBLE_LIST_KINDS:
        raise InvalidInput(_("所属清单类别无效。"))
    for name in ("minutes_per_occurrence", "occurrences_per_year", "ledger_books"):
        if name in cleaned and (not isinstance(cleaned[name], int) or cleaned[name] < 0):
            raise InvalidInput(_("负担估算须填写不小于 0 的整数。"))
    forms = cleaned.get("report_forms")
    if forms is not None and not (
        isinstance(forms, list)
        and all(
            isinstance(f, dict)
            and str(f.get("name", "")).strip()
            and isinstance(f.get("fields"), int)
            and f["fields"] >= 0
            for f in forms
        )
    ):
        raise InvalidInput(_("报表须写明名称和字段数。"))
    start, end = cleaned.get("term_from"), cleaned.get("term_until")
    if start and end and end < start:
        raise InvalidInput(_("拟实施截止日不能早于起始日。"))
    return cleaned


def _check_scope(
    district: Region, target_level: str, scope: Sequence[tuple[str, int]]
) -> list[tuple[Region, int]]:
    """The regions picked, each a street or community of the district at the target level."""
    codes = [code for code, _funding in scope]
    if len(set(codes)) != len(codes):
        raise InvalidInput(_("实施范围中有重复的街道或社区。"))
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    level = RegionLevel.STREET if target_level == TargetLevel.STREET else RegionLevel.COMMUNITY
    picked = []
    for code, funding in scope:
        region = regions.get(code)
        if region is None or not district.contains(code) or region.level != level:
            raise InvalidInput(
                _("实施范围中的 %(code)s 不是本区县的%(level)s。")
                % {"code": code, "level": RegionLevel(level).label}
            )
        if not isinstance(funding, int) or funding < 0:
            raise InvalidInput(_("经费须为不小于 0 的整数（单位：分）。"))
        picked.append((region, funding))
    return picked


def _set_scope(application: Application, scope: Sequence[tuple[str, int]]) -> None:
    picked = _check_scope(application.district, application.target_level, scope)
    application.scope.all().delete()
    ApplicationScope.objects.bulk_create(
        ApplicationScope(application=application, region=region, funding_fen=funding)
        for region, funding in picked
    )


def _set_retires(application: Application, retires: Sequence[Admission]) -> None:
    """The admissions the application gives up if approved ("one in, one out")."""
    for admission in retires:
        if admission.department_id != application.department_id or (
            admission.state != AdmissionState.ACTIVE
        ):
            raise InvalidInput(
                _("只能退出本部门有效的准入事项：%(number)s") % {"number": admission.number}
            )
    application.retires.set(retires)


def _check_list_link(district: Region, values: dict[str, Any]) -> None:
    catalog_list = values.get("catalog_list")
    if catalog_list is None:
        if values.get("item_key"):
            raise InvalidInput(_("引用清单事项时须指明清单。"))
        return
    if catalog_list.region_id is not None and not district.contains(catalog_list.region_id):
        raise InvalidInput(_("所引用的清单不属于本区县。"))
    # The work is of the kind of the list it joins; a negative-list item is refused at review.
    if catalog_list.kind in ADMISSIBLE_LIST_KINDS:
        values["list_kind"] = catalog_list.kind


@transaction.atomic
def application_create(
    *,
    actor: User,
    values: dict[str, Any],
    scope: Sequence[tuple[str, int]] = (),
    retires: Sequence[Admission] = (),
) -> Application:
    """A new draft application of the actor's department."""
    require(actor, "admission.create_application")
    unit = actor.unit
    if unit is None or unit.type != UnitType.DEPARTMENT:
        raise Forbidden(_("只有职能部门可以提出准入申请。"))
    district = _district_of(unit)
    values = _clean_values(values)
    for name in (*REQUIRED_TEXT, "object_kind", "target_level"):
        if not values.get(name):
            raise InvalidInput(_("请填写事项名称、授权内容、准入对象类别和承接层级。"))
    _check_list_link(district, values)
    application = Application.objects.create(
        reference=_new_reference(district),
        district=district,
        department=unit,
        created_by=actor,
        **values,
    )
    _set_scope(application, scope)
    _set_retires(application, retires)
    _event(application, actor, "create", "", ApplicationState.DRAFT)
    audit_record(
        actor=actor,
        action="admission.application_create",
        target=application,
        changes={"title": application.title},
    )
    return application


def _new_reference(district: Region) -> str:
    # A reference for correspondence before any admission number exists; random, so two
    # departments drafting at once never collide in practice and the unique index decides.
    return f"SQ{district.code[:6]}-{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


@transaction.atomic
def application_update(
    *,
    actor: User,
    application: Application,
    values: dict[str, Any],
    scope: Sequence[tuple[str, int]] | None = None,
    retires: Sequence[Admission] | None = None,
) -> Application:
    """Change a draft or returned application."""
    application = _locked(application)
    require(actor, "admission.edit_application", application)
    if application.state not in EDITABLE_STATES:
        raise Conflict(_("只有草稿或退回补正的申请可以修改。"), code="not_editable")
    values = _clean_values(values)
    for name in REQUIRED_TEXT:
        if name in values and not values[name]:
            raise InvalidInput(_("事项名称和授权内容不能为空。"))
    linked = {**_list_link(application), **values}
    _check_list_link(application.district, linked)
    if "list_kind" in linked and linked["list_kind"] != application.list_kind:
        values["list_kind"] = linked["list_kind"]
    # A new target level must still fit the streets or communities already picked.
    level = values.get("target_level", application.target_level)
    if scope is None and level != application.target_level:
        scope = list(application.scope.values_list("region_id", "funding_fen"))
    before = {name: _plain(getattr(application, name)) for name in values}
    for name, value in values.items():
        setattr(application, name, value)
    application.save(update_fields=[*values, "updated_at"])
    if scope is not None:
        _set_scope(application, scope)
    if retires is not None:
        _set_retires(application, retires)
    changes = {
        name: {"before": before[name], "after": _plain(value)}
        for name, value in values.items()
        if before[name] != _plain(value)
    }
    if scope is not None:
        changes["scope"] = [code for code, _f in scope]
    if retires is not None:
        changes["retires"] = [admission.number for admission in retires]
    audit_record(
        actor=actor, action="admission.application_update", target=application, changes=changes
    )
    return application


def _list_link(application: Application) -> dict[str, Any]:
    return {"catalog_list": application.catalog_list, "item_key": application.item_key}


def _plain(value: Any) -> Any:
    if isinstance(value, CatalogList):
        return value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if isinstance(value, int | float | str | list | dict | None) else str(value)


@transaction.atomic
def application_attach(
    *,
    actor: User,
    application: Application,
    kind: str,
    name: str,
    content: bytes,
    content_type: str = "",
) -> ApplicationDocument:
    """Attach a document (PDF, OFD, Word, Excel, WPS or image, at most 20 MB), stored with its hash."""
    application = _locked(application)
    require(actor, "admission.edit_application", application)
    if application.state not in EDITABLE_STATES:
        raise Conflict(_("只有草稿或退回补正的申请可以上传材料。"), code="not_editable")
    if kind not in DocumentKind.values:
        raise InvalidInput(_("材料类别无效。"))
    # Control characters (a line break from a crafted upload) would break download headers.
    name = "".join(ch for ch in name if ch.isprintable()).strip()[-200:]
    extension = _extension(name)
    if extension not in DOCUMENT_TYPES:
        raise InvalidInput(
            _("只接受 %(types)s 格式的文件。") % {"types": "、".join(DOCUMENT_TYPES)}
        )
    if not content:
        raise InvalidInput(_("文件是空的。"))
    if len(content) > DOCUMENT_MAX_BYTES:
        raise InvalidInput(_("文件不能超过 20 MB。"))
    if not content.startswith(DOCUMENT_TYPES[extension][1]):
        raise InvalidInput(_("文件内容与扩展名 .%(ext)s 不符。") % {"ext": extension})
    document = ApplicationDocument.objects.create(
        application=application,
        kind=kind,
        name=name,
        content_type=content_type[:100] or "application/octet-stream",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=actor,
    )
    audit_record(
        actor=actor,
        action="admission.document_attach",
        target=application,
        changes={"name": name, "kind": kind, "size": len(content), "sha256": document.sha256},
    )
    return document


@transaction.atomic
def application_detach(*, actor: User, document: ApplicationDocument) -> None:
    """Remove a document from a draft or returned application."""
    application = _locked(document.application)
    require(actor, "admission.edit_application", application)
    if application.state not in EDITABLE_STATES:
        raise Conflict(_("只有草稿或退回补正的申请可以删除材料。"), code="not_editable")
    audit_record(
        actor=actor,
        action="admission.document_detach",
        target=application,
        changes={"name": document.name, "sha256": document.sha256},
    )
    document.delete()


def _locked(application: Application) -> Application:
    # The row lock serialises concurrent actions on one application: the second one sees the
    # state the first one left and is checked against it.
    # Only the application's own row: PostgreSQL cannot lock the nullable side of the outer join
    # that select_related("catalog_list") makes.
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("district", "department", "catalog_list")
        .get(pk=application.pk)
    )


def _event(
    application: Application,
    actor: User | None,
    action: str,
    from_state: str,
    to_state: str,
    comment: str = "",
    data: dict | None = None,
) -> ApplicationEvent:
    unit = getattr(actor, "unit", None)
    return ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_unit=getattr(unit, "name", ""),
        comment=comment,
        data=data or {},
    )


# ---------------------------------------------------------------------------------------------
# Checks the review and the decision apply


def completeness_problems(application: Application) -> list[str]:
    """What an application still lacks before it can pass preliminary review."""
    problems = []
    if not application.scope.exists():
        problems.append(_("未选择实施范围（街道或社区）。"))
    if not application.work_plan:
        problems.append(_("未填写工作方案。"))
    if not application.documents.exists():
        problems.append(_("未上传申请材料。"))
    if application.occurrences_per_year == 0 and application.object_kind == ObjectKind.TASK:
        problems.append(_("未填写负担估算（每年次数与每次耗时）。"))
    return problems


def criteria_evidence(application: Application) -> dict[str, bool]:
    """Which of the three criteria (seed 003) the application gives evidence for."""
    return {
        "legal_basis": bool(application.legal_law and application.legal_article),
        "higher_requirement": bool(application.higher_document_number),
        "real_need": bool(application.need_statement),
    }


def negative_list_match(application: Application) -> tuple[str, str] | None:
    """(list name, entry) of the negative-list entry the application's work falls under, if
    any (DESIGN invariant 2)."""
    from jianfu.catalog.selectors import current_version, negative_entries_matching

    if application.catalog_list_id and application.catalog_list.kind == ListKind.NEGATIVE:
        name = ""
        version = current_version(application.catalog_list)
        if version is not None and application.item_key:
            name = (
                version.items.filter(key=application.item_key)
                .values_list("name", flat=True)
                .first()
            ) or ""
        return application.catalog_list.name, name or application.title
    texts = (application.title, application.proposed_item_name, application.content)
    district = application.district_id
    for entry in negative_entries_matching(texts):
        if entry.applies_to(district):
            return entry.list_name, entry.name
    return None


def funding_gaps(application: Application, regions: Iterable[str] | None = None) -> list[str]:
    """Names of the streets or communities in scope that the application brings no money to."""
    rows = application.scope.select_related("region")
    if regions is not None:
        rows = rows.filter(region_id__in=list(regions))
    return [row.region.name for row in rows if row.funding_fen <= 0]


# ---------------------------------------------------------------------------------------------
# The transition service


DECIDED_STATE = {
    DecisionOutcome.APPROVE: ApplicationState.APPROVED,
    DecisionOutcome.APPROVE_WITH_CONDITIONS: ApplicationState.APPROVED,
    DecisionOutcome.APPROVE_PART: ApplicationState.APPROVED,
    # Purchased services never reach communities as their task, so nothing is admitted.
    DecisionOutcome.PURCHASE_SERVICES: ApplicationState.REJECTED,
    DecisionOutcome.REJECT: ApplicationState.REJECTED,
}


def may_act(user: User, application: Application, action: str) -> bool:
    """The user holds a role the table names for this action, on the right side of the procedure."""
    transition = TRANSITIONS.get((application.state, action))
    return (
        transition is not None
        and user.is_authenticated
        and user.has_role(*transition.roles)
        and party_allows(user, application, transition.party)
    )


@transaction.atomic
def application_transition(
    *,
    actor: User,
    application: Application,
    action: str,
    comment: str = "",
    **fields: Any,
) -> Application:
    """Apply one action of the workflow table; every other change of state goes through here."""
    application = _locked(application)
    transition = TRANSITIONS.get((application.state, action))
    if transition is None:
        if action not in ACTION_LABELS:
            raise InvalidInput(_("未知操作：%(action)s") % {"action": action})
        raise Conflict(
            _("申请当前为“%(state)s”，不能执行“%(action)s”。")
            % {
                "state": ApplicationState(application.state).label,
                "action": ACTION_LABELS[action],
            },
            code="wrong_state",
        )
    if not may_act(actor, application, action):
        raise Forbidden()
    comment = comment.strip()
    handler = _HANDLERS.get(action)
    # A field the action does not take is the caller's mistake (422), not a TypeError (500).
    taken = set(inspect.signature(handler).parameters) if handler else set()
    _no_fields(**{name: value for name, value in fields.items() if name not in taken})
    data = handler(actor, application, comment, **fields) if handler else {}
    source = application.state
    target = data.pop("_target", transition.target)
    application.state = target
    application.save(
        update_fields=[
            "state",
            "stage_due",
            "submitted_at",
            "decision_due",
            "criteria",
            "updated_at",
        ]
    )
    _event(application, actor, action, source, target, comment, data)
    audit_record(
        actor=actor,
        action=f"admission.{action}",
        target=application,
        changes={"state": {"before": source, "after": target}, "comment": comment, **data},
    )
    _notify_step(application, action)
    return application


def _no_fields(**fields: Any) -> dict:
    if fields:
        raise InvalidInput(_("该操作不接受这些字段：%(names)s") % {"names": "、".join(fields)})
    return {}


def _send_for_signoff(actor, application, comment) -> dict:
    if not application.scope.exists():
        raise InvalidInput(_("请先选择实施范围（街道或社区）。"))
    return {}


def _sign_off(actor, application, comment) -> dict:
    settings = settings_for(application.district)
    today = timezone.localdate()
    application.submitted_at = timezone.now()
    application.stage_due = add_working_days(today, settings.review_days)
    application.decision_due = add_working_days(today, settings.decision_days)
    return {}


def _send_back(actor, application, comment) -> dict:
    if not comment:
        raise InvalidInput(_("请写明退回的理由。"))
    return {}


def _return(actor, application, comment) -> dict:
    if not comment:
        raise InvalidInput(_("请写明需要补正的内容。"))
    # The department's turn now, with no deadline of the review office's to miss.
    application.stage_due = None
    return {}


def _accept(actor, application, comment, criteria: dict[str, bool] | None = None) -> dict:
    problems = completeness_problems(application)
    if problems:
        raise Conflict(
            _("申请材料不完整：%(problems)s") % {"problems": "".join(problems)},
            code="incomplete",
            details=problems,
        )
    match = negative_list_match(application)
    if match is not None:
        list_name, entry = match
        raise Conflict(
            _("该事项属于《%(list)s》中的“%(entry)s”，不得准入。")
            % {"list": list_name, "entry": entry},
            code="negative_list",
        )
    evidence = criteria_evidence(application)
    confirmed = {name: bool((criteria or {}).get(name)) for name in CRITERIA}
    unsupported = [name for name, ok in confirmed.items() if ok and not evidence[name]]
    if unsupported:
        raise InvalidInput(
            _("未提供依据的条件不能认定为符合：%(names)s")
            % {"names": "、".join(str(CRITERIA_LABELS[n]) for n in unsupported)}
        )
    if not any(confirmed.values()):
        raise Conflict(
            _(
                "不符合“有法律法规依据、有上级党委政府明文要求、有推动工作的实际需要”中任何一项，不能通过初审。"
            ),
            code="no_criterion",
        )
    application.criteria = confirmed
    application.stage_due = application.decision_due
    return {"criteria": confirmed}


CRITERIA_LABELS = {
    "legal_basis": _("有法律法规依据"),
    "higher_requirement": _("有上级党委政府明文要求"),
    "real_need": _("有推动工作的实际需要"),
}


def _open_consultation(actor, application, comment, deadline: dt.date | None = None) -> dict:
    settings = settings_for(application.district)
    today = timezone.localdate()
    earliest = add_working_days(today, settings.consultation_days)
    deadline = deadline or earliest
    if deadline < earliest:
        raise InvalidInput(
            _("征求意见至少留出 %(days)d 个工作日，截止日期不能早于 %(day)s。")
            % {"days": settings.consultation_days, "day": earliest.isoformat()}
        )
    consultation = Consultation.objects.create(
        application=application, opened_by=actor, deadline=deadline
    )
    invited = _consulted_regions(application)
    Opinion.objects.bulk_create(
        Opinion(consultation=consultation, region_id=code) for code in invited
    )
    application.stage_due = deadline
    return {"deadline": deadline.isoformat(), "invited": invited}


def _consulted_regions(application: Application) -> list[str]:
    """The streets and communities in scope, and the street of every community in scope."""
    codes = set(application.scope.values_list("region_id", flat=True))
    if application.target_level == TargetLevel.COMMUNITY:
        codes |= {code[:9] + "000" for code in codes}
    return sorted(codes)


def _close_consultation(actor, application, comment) -> dict:
    consultation = application.consultations.filter(closed_at__isnull=True).first()
    if consultation is None:
        raise Conflict(_("没有正在进行的征求意见。"), code="no_consultation")
    unanswered = consultation.opinions.filter(answered_at__isnull=True).count()
    if unanswered and timezone.localdate() < consultation.deadline:
        raise Conflict(
            _("还有 %(count)d 个单位未回复，截止日期 %(deadline)s 前不能结束征求意见。")
            % {"count": unanswered, "deadline": consultation.deadline.isoformat()},
            code="consultation_open",
        )
    consultation.closed_at = timezone.now()
    consultation.save(update_fields=["closed_at"])
    application.stage_due = application.decision_due
    return {"unanswered": unanswered}


def _decide(
    actor,
    application,
    comment,
    outcome: str = "",
    meeting_date: dt.date | None = None,
    attendees: str = "",
    minutes: str = "",
    conditions: str = "",
    responses: dict[int, str] | None = None,
    part_regions: Sequence[str] | None = None,
    purchase: dict[str, Any] | None = None,
) -> dict:
    if outcome not in DecisionOutcome.values:
        raise InvalidInput(_("请选择联席会议的决定。"))
    attendees, minutes, conditions = attendees.strip(), minutes.strip(), conditions.strip()
    if meeting_date is None or not attendees or not minutes:
        raise InvalidInput(_("请填写会议日期、参会人员和会议纪要。"))
    if meeting_date > timezone.localdate():
        raise InvalidInput(_("会议日期不能晚于今天。"))
    if application.submitted_at and meeting_date < timezone.localdate(application.submitted_at):
        raise InvalidInput(_("会议日期不能早于申请报送日期。"))
    closed = [c.closed_at for c in application.consultations.all() if c.closed_at]
    if outcome in APPROVING and not closed:
        raise Conflict(_("准入前须征求街道和社区的意见。"), code="consultation_required")
    if outcome in APPROVING and meeting_date < timezone.localdate(max(closed)):
        raise InvalidInput(_("准入的会议日期不能早于征求意见结束的日期。"))
    responses = {int(k): v.strip() for k, v in (responses or {}).items() if v and v.strip()}
    disagreeing = Opinion.objects.filter(
        consultation__application=application, verdict=OpinionVerdict.DISAGREE
    ).select_related("region")
    unanswered = [o.region.name for o in disagreeing if o.pk not in responses and not o.response]
    if unanswered:
        raise Conflict(
            _("决定须逐一答复不同意的意见：%(names)s") % {"names": "、".join(unanswered)},
            code="opinions_unanswered",
            details=unanswered,
        )
    for opinion in disagreeing:
        if opinion.pk in responses:
            opinion.response = responses[opinion.pk]
            opinion.save(update_fields=["response"])
    if outcome == DecisionOutcome.APPROVE_WITH_CONDITIONS and not conditions:
        raise InvalidInput(_("附条件准入须写明条件。"))
    scope_codes = list(application.scope.values_list("region_id", flat=True))
    approved_codes = scope_codes
    if outcome == DecisionOutcome.APPROVE_PART:
        chosen = set(part_regions or ())
        approved_codes = [code for code in scope_codes if code in chosen]
        if (
            chosen - set(scope_codes)
            or not approved_codes
            or len(approved_codes) == len(scope_codes)
        ):
            raise InvalidInput(_("部分范围准入须选择申请范围中的一部分街道或社区。"))
    if outcome in APPROVING:
        _check_approvable(application, approved_codes)
        match = negative_list_match(application)
        if match is not None:
            raise Conflict(
                _("该事项属于《%(list)s》中的“%(entry)s”，不得准入。")
                % {"list": match[0], "entry": match[1]},
                code="negative_list",
            )
    decision = Decision.objects.create(
        application=application,
        outcome=outcome,
        meeting_date=meeting_date,
        attendees=attendees,
        minutes=minutes,
        conditions=conditions,
        decided_by=actor,
    )
    data: dict[str, Any] = {"outcome": outcome, "_target": DECIDED_STATE[outcome]}
    if outcome == DecisionOutcome.PURCHASE_SERVICES:
        _record_purchase(decision, purchase or {})
    if outcome in APPROVING:
        admission = admission_issue(
            actor=actor, application=application, decision=decision, regions=approved_codes
        )
        data["admission"] = admission.number
    application.stage_due = None
    return data


def _check_approvable(application: Application, codes: list[str]) -> None:
    # 费随事转: work placed on a street or community brings money for each of them; only a
    # community's own statutory duties (the duty list) need none.
    if application.list_kind != ListKind.DUTY:
        gaps = funding_gaps(application, codes)
        if gaps:
            raise Conflict(
                _("准入事项须为每个街道或社区落实经费（费随事转），以下未安排经费：%(names)s")
                % {"names": "、".join(gaps)},
                code="unfunded",
                details=gaps,
            )
    settings = settings_for(application.district)
    if settings.capacity_blocks:
        over = [
            row["name"]
            for row in burden.application_burden(application, codes)
            if row["over"] and not row["offset"]
        ]
        if over:
            raise Conflict(
                _(
                    "以下社区超出年度负担预算，须同时退出不少于同等工作量的已准入事项（一进一出）：%(names)s"
                )
                % {"names": "、".join(over)},
                code="over_capacity",
                details=over,
            )


def _record_purchase(decision: Decision, purchase: dict[str, Any]) -> ServicePurchase:
    provider = str(purchase.get("provider", "")).strip()
    deliverables = str(purchase.get("deliverables", "")).strip()
    value = purchase.get("value_fen")
    start, end = purchase.get("term_from"), purchase.get("term_until")
    if not provider or not deliverables or not isinstance(value, int) or value <= 0:
        raise InvalidInput(_("政府购买服务须写明承接主体、合同金额和服务内容。"))
    if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
        raise InvalidInput(_("请填写服务期限，截止日不能早于起始日。"))
    return ServicePurchase.objects.create(
        decision=decision,
        provider=provider[:200],
        value_fen=value,
        term_from=start,
        term_until=end,
        deliverables=deliverables,
    )


def _withdraw(actor, application, comment) -> dict:
    application.stage_due = None
    return {}


_HANDLERS = {
    "send_for_signoff": _send_for_signoff,
    "sign_off": _sign_off,
    "send_back": _send_back,
    "return": _return,
    "accept": _accept,
    "open_consultation": _open_consultation,
    "close_consultation": _close_consultation,
    "decide": _decide,
    "withdraw": _withdraw,
}


@transaction.atomic
def opinion_give(
    *, actor: User, application: Application, region: Region, verdict: str, text: str = ""
) -> Opinion:
    """A street's or community's answer to an open consultation."""
    require(actor, "admission.give_opinion", region)
    application = _locked(application)
    if application.state != ApplicationState.IN_CONSULTATION:
        raise Conflict(_("该申请当前不在征求意见阶段。"), code="wrong_state")
    opinion = (
        Opinion.objects.select_for_update()
        .filter(consultation__application=application, consultation__closed_at__isnull=True)
        .filter(region=region)
        .first()
    )
    if opinion is None:
        raise Forbidden(_("本单位不在此次征求意见的范围内。"))
    if opinion.answered_at is not None:
        raise Conflict(_("本单位已回复过意见。"), code="already_answered")
    if verdict not in OpinionVerdict.values:
        raise InvalidInput(_("请选择同意、附条件同意或不同意。"))
    text = text.strip()
    if verdict != OpinionVerdict.AGREE and not text:
        raise InvalidInput(_("附条件同意或不同意时须写明意见内容。"))
    opinion.verdict, opinion.text = verdict, text
    opinion.author, opinion.answered_at = actor, timezone.now()
    opinion.save(update_fields=["verdict", "text", "author", "answered_at"])
    _event(
        application,
        actor,
        "opinion",
        application.state,
        application.state,
        text,
        {"region": region.code, "verdict": verdict},
    )
    audit_record(
        actor=actor,
        action="admission.opinion",
        target=application,
        changes={"region": region.code, "verdict": verdict},
    )
    notify(
        recipients=_users(Role.GROUP_SECRETARY, district=application.district_id),
        message=_("%(region)s 已回复对“%(title)s”的意见：%(verdict)s")
        % {
            "region": region.name,
            "title": application.title,
            "verdict": OpinionVerdict(verdict).label,
        },
        url=_application_url(application),
    )
    return opinion


# ---------------------------------------------------------------------------------------------
# Admissions


def _next_number(district: Region, year: int) -> tuple[int, str]:
    """The next number of the district's year, gapless: the counter row is locked until commit."""
    AdmissionCounter.objects.bulk_create(
        [AdmissionCounter(district=district, year=year)], ignore_conflicts=True
    )
    counter = AdmissionCounter.objects.select_for_update().get(district=district, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = settings_for(district).number_prefix
    return counter.last, f"{prefix}准〔{year}〕{counter.last}号"


def _year_end(day: dt.date) -> dt.date:
    return dt.date(day.year, 12, 31)


# What an admission takes over from the application it approves, or the admission it renews.
COPIED_FIELDS = (
    "district",
    "department",
    "title",
    "object_kind",
    "target_level",
    "list_kind",
    "content",
    "service_objects",
    "powers",
    "funding_source",
    "hours_per_community",
    "catalog_list",
    "item_key",
)


def _new_admission(
    *,
    actor: User | None,
    source: Application | Admission,
    valid_from: dt.date,
    valid_until: dt.date,
    **fields: Any,
) -> Admission:
    sequence, number = _next_number(source.district, valid_from.year)
    return Admission.objects.create(
        number=number,
        year=valid_from.year,
        sequence=sequence,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_by=actor,
        **{name: getattr(source, name) for name in COPIED_FIELDS},
        **fields,
    )


def admission_issue(
    *,
    actor: User | None,
    application: Application,
    decision: Decision,
    regions: Sequence[str],
) -> Admission:
    """The admission an approval issues: number, scope, term, funding, and the agreement PDF."""
    valid_from = max(application.term_from or decision.meeting_date, decision.meeting_date)
    valid_until = application.term_until or _year_end(valid_from)
    if valid_until < valid_from:
        valid_until = _year_end(valid_from)
    previous = application.regularises if application.regularises_id else None
    admission = _new_admission(
        actor=actor,
        source=application,
        valid_from=valid_from,
        valid_until=valid_until,
        application=application,
        conditions=decision.conditions,
        previous=previous,
    )
    number = admission.number
    funding = dict(application.scope.values_list("region_id", "funding_fen"))
    AdmissionScope.objects.bulk_create(
        AdmissionScope(admission=admission, region_id=code, funding_fen=funding[code])
        for code in regions
    )
    reason = _("由准入 %(number)s 替代（一进一出）") % {"number": number}
    for retired in application.retires.filter(state=AdmissionState.ACTIVE):
        _admission_set_state(actor, retired, AdmissionState.REVOKED, reason, number)
    if previous is not None and previous.state == AdmissionState.ACTIVE:
        # The regular admission takes over from the provisional one it files properly.
        _admission_set_state(
            actor,
            previous,
            AdmissionState.EXPIRED,
            _("已由正式准入 %(number)s 替代") % {"number": number},
            number,
        )
    _join_list(actor, application, admission)
    _agreement_after_commit(admission)
    audit_record(
        actor=actor,
        action="admission.issue",
        target=admission,
        changes={"number": number, "regions": list(regions), "valid_until": str(valid_until)},
    )
    return admission


def _join_list(actor: User | None, application: Application, admission: Admission) -> None:
    """A proposed new item joins its list's next version, with the admission number as reason."""
    catalog_list = application.catalog_list
    name = application.proposed_item_name
    if catalog_list is None or application.item_key or not name:
        return
    # The list's version names and change reasons are records in Chinese, like the list itself.
    with translation.override("zh-hans"):
        _add_to_next_version(actor, application, admission, catalog_list, name)


def _add_to_next_version(
    actor: User | None,
    application: Application,
    admission: Admission,
    catalog_list: CatalogList,
    name: str,
) -> None:
    from jianfu.catalog import services as catalog_services

    draft = catalog_list.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is None:
        label = _("%(year)d年准入调整") % {"year": admission.year}
        taken = set(catalog_list.versions.values_list("label", flat=True))
        suffix = 1
        while label in taken:
            suffix += 1
            label = _("%(year)d年准入调整（%(n)d）") % {"year": admission.year, "n": suffix}
        draft = catalog_services.version_start(actor=None, catalog_list=catalog_list, label=label)
    item = catalog_services.item_add(
        actor=None,
        version=draft,
        values={
            "name": name,
            "legal_law": application.legal_law,
            "legal_article": application.legal_article,
            "legal_text": application.legal_text,
            "department": application.department.name,
        },
        reason=_("准入 %(number)s") % {"number": admission.number},
    )
    admission.item_key = item.key
    admission.save(update_fields=["item_key"])


def agreement_attach(*, admission: Admission) -> None:
    """Render the assistance agreement (协助管理协议书) and keep it, with its hash, on the admission.

    A server that cannot typeset Chinese yet (no CJK font, no Pango) still issues the admission;
    the agreement is rendered when it is first asked for (`agreement_bytes`).
    """
    from jianfu.admission.documents import agreement_pdf
    from jianfu.core.pdf import PdfFontsMissing

    try:
        pdf = agreement_pdf(admission)
    except (PdfFontsMissing, OSError):
        logger.warning(
            "Agreement for %s not rendered: PDF typesetting unavailable", admission.number
        )
        return
    except Exception:
        # This runs after the approval committed, and the agreement is rendered again on first
        # download, so a typesetting bug must not turn the approval into an error page.
        logger.exception("Agreement for %s not rendered", admission.number)
        return
    admission.agreement_pdf = pdf
    admission.agreement_sha256 = hashlib.sha256(pdf).hexdigest()
    admission.save(update_fields=["agreement_pdf", "agreement_sha256"])


def _agreement_after_commit(admission: Admission) -> None:
    # Typesetting takes a fraction of a second; doing it after the commit keeps approvals in
    # one district from queueing behind each other's PDF while the number counter is locked.
    transaction.on_commit(lambda: agreement_attach(admission=admission))


def agreement_bytes(*, admission: Admission) -> bytes:
    """The stored agreement, rendered and stored now if issuing could not render it."""
    if not admission.agreement_pdf:
        from jianfu.admission.documents import agreement_pdf

        # Raises PdfFontsMissing (503, with the fix in its message) if fonts are still missing.
        pdf = agreement_pdf(admission)
        Admission.objects.filter(pk=admission.pk, agreement_sha256="").update(
            agreement_pdf=pdf, agreement_sha256=hashlib.sha256(pdf).hexdigest()
        )
        admission.agreement_pdf = pdf
    return bytes(admission.agreement_pdf)


def _admission_set_state(
    actor: User | None, admission: Admission, state: str, reason: str, reference: str
) -> Admission:
    before = admission.state
    admission.state, admission.state_reason, admission.state_reference = state, reason, reference
    admission.save(update_fields=["state", "state_reason", "state_reference"])
    if state == AdmissionState.REVOKED:
        # Its commitments stop on the day it is revoked, in every region not revoked before.
        admission.scope.filter(revoked_on__isnull=True).update(
            revoked_on=timezone.localdate(), revoked_reason=reason, revoked_reference=reference
        )
    audit_record(
        actor=actor,
        action=f"admission.{state}",
        target=admission,
        changes={"state": {"before": before, "after": state}, "reason": reason, "ref": reference},
    )
    notify(
        recipients=_department_users(admission.department_id),
        message=_("准入 %(number)s 状态变为：%(state)s")
        % {"number": admission.number, "state": AdmissionState(state).label},
        url=reverse("admission_detail", args=[admission.pk]),
    )
    # Tasks already sent under the admission are checked again: revoked or suspended, they
    # become refusable where they are still open; resumed, they are admitted again.
    from jianfu.dispatch.services import deliveries_recheck

    deliveries_recheck(admission=admission, actor=actor)
    return admission


@transaction.atomic
def admission_revoke_regions(
    *, actor: User | None, admission: Admission, regions: Iterable[str], reason: str, reference: str
) -> Admission:
    """Revoke an admission in some regions of its scope (its tasks there become refusable and
    its money for them stops); revoked in every region, the admission itself is revoked."""
    require(actor, "admission.manage_admissions", admission)
    admission = Admission.objects.select_for_update().get(pk=admission.pk)
    if admission.state not in ADMISSION_MOVES["revoke"][0]:
        raise Conflict(
            _("准入当前为“%(state)s”，不能执行此操作。")
            % {"state": AdmissionState(admission.state).label},
            code="wrong_state",
        )
    codes = set(regions)
    scope = {row.region_id: row for row in admission.scope.all()}
    if not codes or not codes <= scope.keys():
        raise InvalidInput(_("只能撤销准入范围内的街道或社区。"))
    if not reason.strip() or not reference.strip():
        raise InvalidInput(_("撤销准入须写明理由和决定文号。"))
    still = {code for code, row in scope.items() if row.revoked_on is None} - codes
    if not still:
        return _admission_set_state(actor, admission, AdmissionState.REVOKED, reason, reference)
    today = timezone.localdate()
    admission.scope.filter(region_id__in=codes, revoked_on__isnull=True).update(
        revoked_on=today, revoked_reason=reason, revoked_reference=reference
    )
    audit_record(
        actor=actor,
        action="admission.revoke_regions",
        target=admission,
        changes={"regions": sorted(codes), "reason": reason, "ref": reference},
    )
    notify(
        recipients=_department_users(admission.department_id),
        message=_("准入 %(number)s 在 %(count)s 个街道/社区被撤销")
        % {"number": admission.number, "count": len(codes)},
        url=reverse("admission_detail", args=[admission.pk]),
    )
    from jianfu.dispatch.services import deliveries_recheck

    deliveries_recheck(admission=admission, actor=actor)
    return admission


# Which changes of an admission's state the group secretary may make by hand.
ADMISSION_MOVES = {
    "revoke": ({AdmissionState.ACTIVE, AdmissionState.SUSPENDED}, AdmissionState.REVOKED),
    "suspend": ({AdmissionState.ACTIVE}, AdmissionState.SUSPENDED),
    "resume": ({AdmissionState.SUSPENDED}, AdmissionState.ACTIVE),
}


@transaction.atomic
def admission_change_state(
    *, actor: User, admission: Admission, move: str, reason: str, reference: str = ""
) -> Admission:
    """Revoke, suspend (e.g. money not delivered) or resume an admission, with reason and decision."""
    require(actor, "admission.manage_admissions", admission)
    if move not in ADMISSION_MOVES:
        raise InvalidInput(_("未知操作：%(action)s") % {"action": move})
    admission = Admission.objects.select_for_update().get(pk=admission.pk)
    sources, target = ADMISSION_MOVES[move]
    if admission.state not in sources:
        raise Conflict(
            _("准入当前为“%(state)s”，不能执行此操作。")
            % {"state": AdmissionState(admission.state).label},
            code="wrong_state",
        )
    reason, reference = reason.strip(), reference.strip()
    if not reason:
        raise InvalidInput(_("请写明理由。"))
    if move == "revoke" and not reference:
        raise InvalidInput(_("撤销准入须写明决定文号。"))
    return _admission_set_state(actor, admission, target, reason, reference)


@transaction.atomic
def admission_renew(
    *, actor: User, admission: Admission, valid_until: dt.date, reason: str
) -> Admission:
    """A new admission continuing this one for another term, linked to it."""
    require(actor, "admission.manage_admissions", admission)
    admission = Admission.objects.select_for_update().get(pk=admission.pk)
    # A suspended admission (e.g. its money never arrived) is resumed first, not renewed around.
    if admission.state != AdmissionState.ACTIVE or admission.renewals.exists():
        raise Conflict(_("只有有效或已到期、且尚未续期的准入可以续期。"), code="wrong_state")
    if admission.provisional:
        raise Conflict(_("临时准入不能续期，须按正常程序申请准入。"), code="provisional")
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("请写明续期理由。"))
    # A renewal admits the work again, so the gate's rules hold again.
    if admission.application_id and (match := negative_list_match(admission.application)):
        raise Conflict(
            _("该事项属于《%(list)s》中的“%(entry)s”，不得准入。")
            % {"list": match[0], "entry": match[1]},
            code="negative_list",
        )
    unfunded = admission.scope.filter(funding_fen__lte=0).select_related("region")
    if admission.list_kind != ListKind.DUTY and unfunded.exists():
        raise Conflict(
            _("准入事项须为每个街道或社区落实经费（费随事转），以下未安排经费：%(names)s")
            % {"names": "、".join(row.region.name for row in unfunded)},
            code="unfunded",
        )
    valid_from = max(admission.valid_until + dt.timedelta(days=1), timezone.localdate())
    if valid_until < valid_from:
        raise InvalidInput(_("续期后的有效期须晚于 %(day)s。") % {"day": valid_from.isoformat()})
    renewal = _new_admission(
        actor=actor,
        source=admission,
        valid_from=valid_from,
        valid_until=valid_until,
        application=admission.application,
        conditions=admission.conditions,
        previous=admission,
    )
    AdmissionScope.objects.bulk_create(
        AdmissionScope(admission=renewal, region_id=row.region_id, funding_fen=row.funding_fen)
        for row in admission.scope.all()
    )
    _agreement_after_commit(renewal)
    audit_record(
        actor=actor,
        action="admission.renew",
        target=renewal,
        changes={"previous": admission.number, "valid_until": str(valid_until), "reason": reason},
    )
    return renewal


@transaction.atomic
def admission_issue_provisional(
    *,
    actor: User,
    department: Unit,
    title: str,
    content: str,
    target_level: str,
    regions: Sequence[str],
    reason: str,
    days: int | None = None,
) -> Admission:
    """An emergency admission (突发、紧急事件, seed 000) that lapses unless filed properly in time."""
    district = _district_of(department)
    require(actor, "admission.manage_admissions", district)
    settings = settings_for(district)
    days = days or settings.provisional_days
    title, content, reason = title.strip(), content.strip(), reason.strip()
    if not title or not content or not reason:
        raise InvalidInput(_("请填写事项名称、工作内容和紧急事由。"))
    # An emergency admission is not renewed by issuing another: after one, the department
    # files a regular application (seed 000).
    since = timezone.localdate() - dt.timedelta(days=365)
    if Admission.objects.filter(
        provisional=True, department=department, title=title, valid_from__gte=since
    ).exists():
        raise Conflict(
            _("该部门的同一事项一年内已签发过临时准入，须按正常程序申请准入。"),
            code="provisional_repeated",
        )
    if not 1 <= days <= settings.provisional_days:
        raise InvalidInput(_("临时准入最长 %(days)d 天。") % {"days": settings.provisional_days})
    if department.type != UnitType.DEPARTMENT:
        raise InvalidInput(_("临时准入须指明实施的职能部门。"))
    picked = _check_scope(district, target_level, [(code, 0) for code in regions])
    if not picked:
        raise InvalidInput(_("请选择实施范围（街道或社区）。"))
    today = timezone.localdate()
    sequence, number = _next_number(district, today.year)
    admission = Admission.objects.create(
        number=number,
        district=district,
        year=today.year,
        sequence=sequence,
        department=department,
        title=title,
        object_kind=ObjectKind.TASK,
        target_level=target_level,
        list_kind=ListKind.ASSIST,
        content=content,
        valid_from=today,
        valid_until=today + dt.timedelta(days=days - 1),
        provisional=True,
        provisional_reason=reason,
        issued_by=actor,
    )
    AdmissionScope.objects.bulk_create(
        AdmissionScope(admission=admission, region=region) for region, _f in picked
    )
    _agreement_after_commit(admission)
    audit_record(
        actor=actor,
        action="admission.issue_provisional",
        target=admission,
        changes={"number": number, "reason": reason, "days": days},
    )
    notify(
        recipients=_department_users(department.pk),
        message=_("已签发临时准入 %(number)s，请在 %(day)s 前按正常程序申请准入。")
        % {"number": number, "day": admission.valid_until.isoformat()},
        url=reverse("admission_detail", args=[admission.pk]),
    )
    return admission


# ---------------------------------------------------------------------------------------------
# Notifications


def _users(role: str, *, district: str | None = None, region: str | None = None):
    users = User.objects.filter(is_active=True, roles__role=role)
    if district is not None:
        users = users.filter(unit__district_code=district)
    if region is not None:
        users = users.filter(unit__region_id=region)
    return users


def _department_users(department_id: int):
    return User.objects.filter(
        is_active=True,
        unit_id=department_id,
        roles__role__in=[Role.DEPT_CLERK, Role.DEPT_HEAD],
    )


def _application_url(application: Application) -> str:
    return reverse("application_detail", args=[application.pk])


def _notify_step(application: Application, action: str) -> None:
    state_label = ApplicationState(application.state).label
    message = _("准入申请“%(title)s”：%(state)s") % {
        "title": application.title,
        "state": state_label,
    }
    district = application.district_id
    if action == "send_for_signoff":
        recipients = _users(Role.DEPT_HEAD).filter(unit_id=application.department_id)
    elif action == "sign_off":
        recipients = _users(Role.REVIEW_OFFICER, district=district)
    elif action == "accept":
        recipients = _users(Role.GROUP_SECRETARY, district=district)
    elif action == "open_consultation":
        invited = _consulted_regions(application)
        recipients = User.objects.filter(
            is_active=True,
            unit__region_id__in=invited,
            roles__role__in=[Role.STREET_OFFICER, Role.COMMUNITY_OFFICER],
        )
        message = _("请在截止日期前回复对准入申请“%(title)s”的意见。") % {
            "title": application.title
        }
    else:
        recipients = _department_users(application.department_id)
    notify(recipients=recipients, message=message, url=_application_url(application))


# ---------------------------------------------------------------------------------------------
# Settings pages

SETTINGS_NUMBERS = (
    "review_days",
    "consultation_days",
    "decision_days",
    "provisional_days",
    "hours_per_worker",
    "funding_grace_days",
)
SETTINGS_FIELDS = ("number_prefix", *SETTINGS_NUMBERS, "capacity_blocks", "refusal_basis")
PREFIX_MAX = 10
REFUSAL_BASIS_MAX = 2000
# A PositiveSmallIntegerField holds at most 32767; no deadline needs more than a year's days.
DAYS_MAX = 366


def _positive(value: Any, label: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidInput(
            _("“%(label)s”须为 1 至 %(max)d 之间的整数。") % {"label": label, "max": maximum}
        )
    return value


@transaction.atomic
def admission_settings_update(
    *, actor: User, district: Region, values: dict[str, Any]
) -> AdmissionSettings:
    """Change a district's numbering, stage deadlines, emergency term and burden budget rules."""
    require(actor, "admission.manage_admissions", district)
    if district.level != RegionLevel.DISTRICT:
        raise InvalidInput(_("准入设置只能按区县设置。"))
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidInput(_("未知字段：%(names)s") % {"names": "、".join(sorted(unknown))})
    settings = settings_for(district)
    settings = AdmissionSettings.objects.select_for_update().get(pk=settings.pk)
    cleaned: dict[str, Any] = {}
    if "number_prefix" in values:
        prefix = str(values["number_prefix"] or "").strip()
        if not 1 <= len(prefix) <= PREFIX_MAX or any(c.isspace() for c in prefix):
            raise InvalidInput(
                _("准入编号简称须为 1 至 %(n)d 个字，不含空格。") % {"n": PREFIX_MAX}
            )
        # Two districts with one prefix would issue the same number twice (e.g. two 市中区).
        taken = (
            AdmissionSettings.objects.filter(number_prefix=prefix)
            .exclude(district=district)
            .select_related("district")
            .first()
        )
        if taken is not None:
            raise InvalidInput(
                _("简称“%(prefix)s”已由%(district)s使用，请换一个。")
                % {"prefix": prefix, "district": taken.district.name}
            )
        cleaned["number_prefix"] = prefix
    for name in SETTINGS_NUMBERS:
        if name in values:
            label = str(AdmissionSettings._meta.get_field(name).verbose_name)
            maximum = 8760 if name == "hours_per_worker" else DAYS_MAX
            cleaned[name] = _positive(values[name], label, maximum)
    if "capacity_blocks" in values:
        cleaned["capacity_blocks"] = bool(values["capacity_blocks"])
    if "refusal_basis" in values:
        basis = str(values["refusal_basis"] or "").strip()
        if len(basis) > REFUSAL_BASIS_MAX:
            raise InvalidInput(_("拒绝受理依据不能超过 %(n)d 个字。") % {"n": REFUSAL_BASIS_MAX})
        # Left empty, the refusal notice cites the default wording (seed 000) again.
        cleaned["refusal_basis"] = (
            basis or AdmissionSettings._meta.get_field("refusal_basis").get_default()
        )
    changes = {
        name: {"before": getattr(settings, name), "after": value}
        for name, value in cleaned.items()
        if getattr(settings, name) != value
    }
    if not changes:
        return settings
    for name, value in cleaned.items():
        setattr(settings, name, value)
    settings.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action="admission.settings_update",
        target=settings,
        object_id=district.code,
        changes=changes,
    )
    return settings


@transaction.atomic
def community_capacity_update(*, actor: User, rows: Sequence[dict[str, Any]]) -> list:
    """Set communities' worker counts and, where given, their yearly hours instead of the default.

    Each row is {"community": code, "workers": int, "hours_per_year": int or None}; rows that
    change nothing are skipped, and one audit record lists what changed.
    """
    codes = [str(row.get("community", "")) for row in rows]
    if len(set(codes)) != len(codes):
        raise InvalidInput(_("同一社区出现了两次。"))
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    districts = {
        r.code: r for r in Region.objects.filter(code__in={c[:6] + "000000" for c in regions})
    }
    for code in codes:
        region = regions.get(code)
        if region is None or region.level != RegionLevel.COMMUNITY:
            raise InvalidInput(_("%(code)s 不是社区（村）。") % {"code": code})
        district = districts.get(region.district_code or "")
        if district is None:
            raise InvalidInput(_("%(code)s 不属于任何区县。") % {"code": code})
        require(actor, "admission.manage_admissions", district)
    existing = {
        c.community_id: c
        for c in CommunityCapacity.objects.select_for_update().filter(community_id__in=codes)
    }
    changed, changes = [], {}
    for row in rows:
        code = str(row["community"])
        workers, hours = row.get("workers"), row.get("hours_per_year")
        if isinstance(workers, bool) or not isinstance(workers, int) or not 0 <= workers <= 9999:
            raise InvalidInput(
                _("%(name)s 的社区工作者人数须为 0 至 9999 的整数。") % {"name": regions[code].name}
            )
        if hours is not None and (
            isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 10**7
        ):
            raise InvalidInput(
                _("%(name)s 的年度负担预算须为正整数（小时），或留空按人数计算。")
                % {"name": regions[code].name}
            )
        capacity = existing.get(code) or CommunityCapacity(community_id=code)
        before = {"workers": capacity.workers, "hours_per_year": capacity.hours_per_year}
        after = {"workers": workers, "hours_per_year": hours}
        # A missing row already means "no workers recorded": writing one would change nothing.
        unchanged = (
            before == after if code in existing else after == {"workers": 0, "hours_per_year": None}
        )
        if unchanged:
            continue
        capacity.workers, capacity.hours_per_year = workers, hours
        if code in existing:
            capacity.save(update_fields=["workers", "hours_per_year"])
        else:
            capacity.save(force_insert=True)
        changed.append(capacity)
        changes[code] = {"before": before if code in existing else None, "after": after}
    if changes:
        audit_record(
            actor=actor,
            action="admission.capacity_update",
            object_type="admission.communitycapacity",
            # The district, so the record is found with the district's other settings changes.
            object_id=",".join(sorted({code[:6] + "000000" for code in changes}))[:64],
            changes=changes,
        )
    return changed
