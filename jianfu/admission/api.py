"""Admission over the REST API: applications and their workflow, and the public register."""

import datetime as dt
import uuid
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from jianfu.admission import selectors, services
from jianfu.admission.models import (
    FINAL_STATES,
    Admission,
    AdmissionState,
    Application,
    ApplicationDocument,
    ApplicationState,
    Consultation,
    DecisionOutcome,
    DocumentKind,
    ObjectKind,
    Opinion,
    OpinionVerdict,
    TargetLevel,
)
from jianfu.admission.workflow import ACTION_LABELS, EDITABLE_STATES, actions_from
from jianfu.api.pagination import DEFAULT_LIMIT, PageMeta, cursor_page
from jianfu.catalog.models import ListKind
from jianfu.catalog.selectors import list_visible_to
from jianfu.core.errors import Forbidden, InvalidInput, NotFound
from jianfu.org.models import User

router = Router(tags=["admission"])


# ---------------------------------------------------------------------------------------------
# Applications: input


class ScopeIn(Schema):
    region: str = Field(description="街道或社区的区划代码 · street or community code")
    funding_fen: int = Field(0, description="每年经费（分）· yearly funding in fen")


class ReportFormIn(Schema):
    name: str
    fields: int


class ApplicationFieldsIn(Schema):
    """Every field is optional here: a PATCH changes only the fields it names."""

    model_config = ConfigDict(use_enum_values=True)

    title: str = ""
    object_kind: ObjectKind = ObjectKind.TASK
    target_level: TargetLevel = TargetLevel.COMMUNITY
    list_kind: ListKind = ListKind.ASSIST
    content: str = ""
    service_objects: str = ""
    powers: str = ""
    term_from: dt.date | None = None
    term_until: dt.date | None = None
    legal_law: str = ""
    legal_article: str = ""
    legal_text: str = ""
    higher_document_number: str = ""
    higher_document_title: str = ""
    need_statement: str = ""
    work_plan: str = ""
    funding_source: str = ""
    staffing_support: str = ""
    training_support: str = ""
    minutes_per_occurrence: int = 0
    occurrences_per_year: int = 0
    ledger_books: int = 0
    report_forms: list[ReportFormIn] = []
    catalog_list: int | None = Field(None, description="清单 id · id of the list concerned")
    item_key: uuid.UUID | None = None
    proposed_item_name: str = ""
    scope: list[ScopeIn] | None = Field(
        None, description="实施范围；PATCH 时给出即整体替换 · replaces the whole scope when given"
    )


class ApplicationCreateIn(ApplicationFieldsIn):
    title: str
    object_kind: ObjectKind
    target_level: TargetLevel
    content: str
    scope: list[ScopeIn] = []


def _values(request: HttpRequest, body: ApplicationFieldsIn) -> tuple[dict, list | None]:
    """The service's values and scope from the fields the caller sent (a PATCH sends some)."""
    values = body.model_dump(exclude_unset=True)
    scope = values.pop("scope", None)
    if values.get("catalog_list") is not None:
        found = list_visible_to(user=request.auth, ref=values["catalog_list"])
        if found is None:
            raise InvalidInput(_("该清单不存在，或您无权查看。"), details={"field": "catalog_list"})
        values["catalog_list"] = found
    pairs = None if scope is None else [(row["region"], row["funding_fen"]) for row in scope]
    return values, pairs


# ---------------------------------------------------------------------------------------------
# Applications: output


class ScopeOut(Schema):
    region: str
    name: str
    funding_fen: int

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region_id

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.region.name


class DocumentOut(Schema):
    id: int
    kind: DocumentKind
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class EventOut(Schema):
    action: str
    from_state: str
    to_state: str
    actor: str
    actor_unit: str
    comment: str
    data: dict[str, Any]
    created_at: dt.datetime

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor.display_name if obj.actor_id else ""


class OpinionOut(Schema):
    id: int
    region: str
    region_name: str
    verdict: OpinionVerdict | None
    text: str
    answered_at: dt.datetime | None
    response: str

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region_id

    @staticmethod
    def resolve_region_name(obj) -> str:
        return obj.region.name

    @staticmethod
    def resolve_verdict(obj) -> str | None:
        return obj.verdict or None


class ConsultationOut(Schema):
    id: int
    opened_at: dt.datetime
    deadline: dt.date
    closed_at: dt.datetime | None
    opinions: list[OpinionOut]

    @staticmethod
    def resolve_opinions(obj) -> list:
        return list(obj.opinions.all())


class PurchaseOut(Schema):
    provider: str
    value_fen: int
    term_from: dt.date
    term_until: dt.date
    deliverables: str


class DecisionOut(Schema):
    outcome: DecisionOutcome
    meeting_date: dt.date
    attendees: str
    minutes: str
    conditions: str
    decided_at: dt.datetime
    purchase: PurchaseOut | None

    @staticmethod
    def resolve_purchase(obj):
        return getattr(obj, "purchase", None)


class ActionOut(Schema):
    action: str
    label: str


class AdmissionBrief(Schema):
    number: str
    status: AdmissionState
    valid_from: dt.date
    valid_until: dt.date

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.status_on(timezone.localdate())


class DepartmentOut(Schema):
    id: int
    name: str


def _allowed_actions(user: User, application: Application) -> list[dict]:
    return [
        {"action": action, "label": str(ACTION_LABELS[action])}
        for action in actions_from(application.state)
        if services.may_act(user, application, action)
    ]


class ApplicationOut(Schema):
    id: int
    reference: str
    title: str
    state: ApplicationState
    state_label: str
    department: DepartmentOut
    district: str
    object_kind: ObjectKind
    target_level: TargetLevel
    list_kind: str
    submitted_at: dt.datetime | None
    stage_due: dt.date | None
    decision_due: dt.date | None
    overdue: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(ApplicationState(obj.state).label)

    @staticmethod
    def resolve_district(obj) -> str:
        return obj.district_id

    @staticmethod
    def resolve_overdue(obj) -> bool:
        due = obj.stage_due
        return bool(due and obj.state not in FINAL_STATES and due < timezone.localdate())


class ApplicationDetailOut(ApplicationOut):
    content: str
    service_objects: str
    powers: str
    term_from: dt.date | None
    term_until: dt.date | None
    legal_law: str
    legal_article: str
    legal_text: str
    higher_document_number: str
    higher_document_title: str
    need_statement: str
    work_plan: str
    funding_source: str
    staffing_support: str
    training_support: str
    minutes_per_occurrence: int
    occurrences_per_year: int
    ledger_books: int
    report_forms: list[dict[str, Any]]
    catalog_list: int | None
    item_key: uuid.UUID | None
    proposed_item_name: str
    criteria: dict[str, bool]
    scope: list[ScopeOut]
    documents: list[DocumentOut]
    events: list[EventOut]
    consultations: list[ConsultationOut]
    decision: DecisionOut | None
    admissions: list[AdmissionBrief]
    allowed_actions: list[ActionOut]
    may_edit: bool
    may_give_opinion: bool

    @staticmethod
    def resolve_catalog_list(obj) -> int | None:
        return obj.catalog_list_id

    @staticmethod
    def resolve_scope(obj) -> list:
        return list(obj.scope.all())

    @staticmethod
    def resolve_documents(obj) -> list:
        return list(obj.documents.all())

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.all())

    @staticmethod
    def resolve_consultations(obj) -> list:
        return list(obj.consultations.all())

    @staticmethod
    def resolve_decision(obj):
        return getattr(obj, "decision", None)

    @staticmethod
    def resolve_admissions(obj) -> list:
        return list(obj.admissions.all())

    @staticmethod
    def resolve_allowed_actions(obj, context) -> list[dict]:
        return _allowed_actions(context["request"].auth, obj)

    @staticmethod
    def resolve_may_edit(obj, context) -> bool:
        user = context["request"].auth
        return obj.state in EDITABLE_STATES and user.has_perm("admission.edit_application", obj)

    @staticmethod
    def resolve_may_give_opinion(obj, context) -> bool:
        return obj.state == ApplicationState.IN_CONSULTATION and selectors.awaits_opinion_from(
            user=context["request"].auth, consultations=obj.consultations.all()
        )


class ApplicationPage(PageMeta):
    items: list[ApplicationOut]


class ApplicationFilters(Schema):
    state: ApplicationState | None = None
    department: int | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _application_or_404(request: HttpRequest, application_id: int) -> Application:
    found = selectors.application_visible_to(user=request.auth, application_id=application_id)
    if found is None:
        raise NotFound()
    return found


def _detail(request: HttpRequest, application_id: int) -> Application:
    """The application with everything its detail shows, in a fixed number of queries."""
    opinions = Opinion.objects.select_related("region")
    found = (
        selectors.applications_visible_to(user=request.auth)
        .filter(pk=application_id)
        .select_related("decision__purchase")
        .prefetch_related(
            "scope__region",
            "events__actor",
            Prefetch(
                "consultations",
                queryset=Consultation.objects.order_by("id").prefetch_related(
                    Prefetch("opinions", queryset=opinions)
                ),
            ),
            Prefetch("documents", queryset=ApplicationDocument.objects.defer("content")),
            "admissions",
        )
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@router.get(
    "/applications", response=ApplicationPage, summary="准入申请 · Applications you may see"
)
def application_list(request: HttpRequest, filters: Query[ApplicationFilters]) -> dict:
    applications = selectors.applications_visible_to(user=request.auth)
    if filters.state:
        applications = applications.filter(state=filters.state)
    if filters.department:
        applications = applications.filter(department_id=filters.department)
    return cursor_page(applications, key="id", cursor=filters.cursor, limit=filters.limit)


@router.get(
    "/applications/{application_id}",
    response=ApplicationDetailOut,
    summary="准入申请 · One application, with its scope, documents, timeline and decision",
)
def application_detail(request: HttpRequest, application_id: int):
    return _detail(request, application_id)


@router.post(
    "/applications",
    response={201: ApplicationDetailOut},
    summary="新建准入申请 · Draft an application (department clerks)",
)
def application_create(request: HttpRequest, body: ApplicationCreateIn):
    values, scope = _values(request, body)
    created = services.application_create(actor=request.auth, values=values, scope=scope or ())
    return Status(201, _detail(request, created.pk))


@router.patch(
    "/applications/{application_id}",
    response=ApplicationDetailOut,
    summary="修改准入申请 · Change a draft or returned application (only the fields sent)",
)
def application_update(request: HttpRequest, application_id: int, body: ApplicationFieldsIn):
    application = _application_or_404(request, application_id)
    values, scope = _values(request, body)
    services.application_update(
        actor=request.auth, application=application, values=values, scope=scope
    )
    return _detail(request, application_id)


class CriteriaIn(Schema):
    legal_basis: bool = False
    higher_requirement: bool = False
    real_need: bool = False


class PurchaseIn(Schema):
    provider: str
    value_fen: int
    term_from: dt.date
    term_until: dt.date
    deliverables: str


class TransitionIn(Schema):
    model_config = ConfigDict(use_enum_values=True)

    action: str = Field(description="、".join(sorted(ACTION_LABELS)))
    comment: str = ""
    criteria: CriteriaIn | None = Field(None, description="accept")
    deadline: dt.date | None = Field(None, description="open_consultation")
    outcome: DecisionOutcome | None = Field(None, description="decide")
    meeting_date: dt.date | None = Field(None, description="decide")
    attendees: str | None = Field(None, description="decide")
    minutes: str | None = Field(None, description="decide")
    conditions: str | None = Field(None, description="decide")
    responses: dict[int, str] | None = Field(
        None, description="decide: 对不同意意见的答复 · answers to disagreeing opinions by id"
    )
    part_regions: list[str] | None = Field(None, description="decide (approve_part)")
    purchase: PurchaseIn | None = Field(None, description="decide (purchase_services)")


@router.post(
    "/applications/{application_id}/transitions",
    response=ApplicationDetailOut,
    summary="办理 · Take a workflow action (see allowed_actions)",
)
def application_transition(request: HttpRequest, application_id: int, body: TransitionIn):
    application = _application_or_404(request, application_id)
    fields = {
        name: value
        for name, value in body.model_dump(exclude_unset=True).items()
        if value is not None and name not in ("action", "comment")
    }
    services.application_transition(
        actor=request.auth,
        application=application,
        action=body.action,
        comment=body.comment,
        **fields,
    )
    return _detail(request, application_id)


@router.post(
    "/applications/{application_id}/documents",
    response={201: DocumentOut},
    summary="上传申请材料 · Attach a document (multipart: file, kind)",
)
def application_document(
    request: HttpRequest,
    application_id: int,
    file: File[UploadedFile],
    kind: Form[DocumentKind],
):
    application = _application_or_404(request, application_id)
    document = services.application_attach(
        actor=request.auth,
        application=application,
        kind=str(kind.value),
        name=file.name or "",
        # One byte more than allowed is enough for the service to refuse an oversized file.
        content=file.read(services.DOCUMENT_MAX_BYTES + 1),
        content_type=file.content_type or "",
    )
    return Status(201, document)


class OpinionIn(Schema):
    verdict: OpinionVerdict
    text: str = ""


@router.post(
    "/applications/{application_id}/opinions",
    response={201: OpinionOut},
    summary="回复征求意见 · Give your street's or community's opinion",
)
def opinion_give(request: HttpRequest, application_id: int, body: OpinionIn):
    application = _application_or_404(request, application_id)
    unit = request.auth.unit
    if unit is None or not unit.region_id:
        raise Forbidden(_("本单位不在此次征求意见的范围内。"))
    opinion = services.opinion_give(
        actor=request.auth,
        application=application,
        region=unit.region,
        verdict=str(body.verdict.value),
        text=body.text,
    )
    return Status(201, opinion)


# ---------------------------------------------------------------------------------------------
# The public register: no login, no money, no internal text.


class RegionBrief(Schema):
    code: str
    name: str


class PublicAdmissionOut(Schema):
    number: str
    title: str
    status: AdmissionState
    status_label: str
    department: str
    department_id: int
    district: RegionBrief
    object_kind: ObjectKind
    target_level: TargetLevel
    scope: list[RegionBrief]
    valid_from: dt.date
    valid_until: dt.date
    provisional: bool
    previous_number: str | None
    renewal_numbers: list[str]
    revocation_reason: str | None = Field(None, description="撤销理由（仅已撤销）")
    revocation_reference: str | None = Field(None, description="撤销决定文号（仅已撤销）")

    @staticmethod
    def resolve_revocation_reason(obj) -> str | None:
        # A revocation is a public decision, as on the verification page; other reasons are not.
        return obj.state_reason if obj.state == AdmissionState.REVOKED else None

    @staticmethod
    def resolve_revocation_reference(obj) -> str | None:
        return obj.state_reference if obj.state == AdmissionState.REVOKED else None

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.status_on(timezone.localdate())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(AdmissionState(obj.status_on(timezone.localdate())).label)

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name

    @staticmethod
    def resolve_scope(obj) -> list[Any]:
        return [row.region for row in obj.scope.all()]

    @staticmethod
    def resolve_previous_number(obj) -> str | None:
        return obj.previous.number if obj.previous_id else None

    @staticmethod
    def resolve_renewal_numbers(obj) -> list[str]:
        return [renewal.number for renewal in obj.renewals.all()]


class PublicAdmissionPage(PageMeta):
    items: list[PublicAdmissionOut]


class AdmissionFilters(Schema):
    status: AdmissionState | None = Field(None, description="今天所见的状态 · status as of today")
    department: int | None = None
    region: str = ""
    year: int | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _public(admissions):
    # The agreement PDFs stay in the database: the list has no use for their bytes.
    return (
        admissions.select_related("department", "district", "previous")
        .prefetch_related(
            "scope__region",
            Prefetch("renewals", queryset=Admission.objects.only("number", "previous")),
        )
        .defer("agreement_pdf", "previous__agreement_pdf")
    )


@router.get(
    "/admissions",
    response=PublicAdmissionPage,
    auth=None,
    summary="准入事项公示 · The public admissions register (no login)",
)
def admission_list(request: HttpRequest, filters: Query[AdmissionFilters]) -> dict:
    admissions = selectors.admissions_filtered(
        selectors.admissions_visible_to(user=None),
        status=filters.status or "",
        department=filters.department,
        region=filters.region,
        year=filters.year,
    )
    return cursor_page(_public(admissions), key="id", cursor=filters.cursor, limit=filters.limit)


@router.get(
    "/admissions/{number}",
    response=PublicAdmissionOut,
    auth=None,
    summary="核验准入编号 · Verify an admission number (no login; percent-encode 〔〕)",
)
def admission_verify(request: HttpRequest, number: str):
    found = selectors.admission_by_number(number)
    if found is None:
        raise NotFound(_("没有这个准入编号。"), code="not_found")
    return found
