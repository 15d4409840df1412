"""Certificates over the REST API (DESIGN.md §3.7): requests taken, issued and refused,
certificates read, downloaded and revoked, the seal-use log, revealing an ID number for a
reason, and the public verification a receiving body uses without an account.

Every answer shows the resident's ID number masked; only `reveal-id` returns it in clear, to a
holder of certificates.unmask_id, and the service audits it. What a caller may not see is
`404`; what they see but may not do is `403`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from jianfu.api.pagination import DEFAULT_LIMIT, PageMeta, cursor_page
from jianfu.certificates import selectors, services, verification
from jianfu.certificates.documents import verify_url
from jianfu.certificates.models import (
    Certificate,
    CertificateRequest,
    RefusalGround,
    RequestState,
    SealUse,
    SealUseKind,
)
from jianfu.core.audit import audit_record
from jianfu.core.errors import InvalidInput, NotFound
from jianfu.core.http import content_disposition
from jianfu.core.requests import client_ip
from jianfu.org.models import Region, RegionLevel, User

router = Router(tags=["certificates"])

MASKED = "公民身份号码只以脱敏形式返回（前 6 位和后 4 位）· the ID number, masked"


def _no_store(response: HttpResponse) -> None:
    # Answers naming residents (and a revealed ID number) stay out of every cache.
    response["Cache-Control"] = "private, no-store"


# ---------------------------------------------------------------------------------------------
# Output


class RegionBrief(Schema):
    code: str
    name: str


class CertificateBrief(Schema):
    serial: str
    issued_at: dt.datetime
    valid_until: dt.date
    revoked_at: dt.datetime | None
    status: str = Field(description="valid 有效 · revoked 已撤销 · expired 已过期")

    @staticmethod
    def resolve_status(obj) -> str:
        return verification.status_of(obj)


def _certificate_of(request: CertificateRequest) -> Certificate | None:
    try:
        return request.certificate
    except Certificate.DoesNotExist:
        return None


class RequestOut(Schema):
    id: int
    community: RegionBrief
    state: RequestState
    state_label: str
    type_name: str = Field(description="证明事项 · the certificate asked for")
    item_key: uuid.UUID | None = Field(description="所在清单事项的 key；不在任何清单上为 null")
    legal_basis: str = Field(description="出具依据（清单事项的法律依据）")
    resident_name: str
    id_masked: str = Field(description=MASKED)
    resident_phone: str
    asking_body: str = Field(description="索要证明单位")
    asking_clause: str = Field(description="索要单位援引的依据条款")
    asking_clause_text: str = Field(description="条款内容")
    purpose: str
    materials_checked: list[str]
    pledged: bool = Field(description="申请人已承诺所提供信息属实")
    refusal_ground: RefusalGround | None = Field(description="不予出具理由（不予出具时）")
    refusal_ground_label: str | None
    refusal_explanation: str = Field(description="交给申请人的告知说明 · the explanation given")
    received_by: str | None
    received_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    certificate: CertificateBrief | None = Field(description="已出具的证明 · once issued")

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(RequestState(obj.state).label)

    @staticmethod
    def resolve_refusal_ground(obj) -> str | None:
        return obj.refusal_ground or None

    @staticmethod
    def resolve_refusal_ground_label(obj) -> str | None:
        return str(RefusalGround(obj.refusal_ground).label) if obj.refusal_ground else None

    @staticmethod
    def resolve_received_by(obj) -> str | None:
        return obj.received_by.username if obj.received_by_id else None

    @staticmethod
    def resolve_decided_by(obj) -> str | None:
        return obj.decided_by.username if obj.decided_by_id else None

    @staticmethod
    def resolve_certificate(obj) -> Certificate | None:
        return _certificate_of(obj)


class RequestPage(PageMeta):
    items: list[RequestOut]


class CertificateOut(Schema):
    serial: str
    request: int
    community: RegionBrief
    year: int
    sequence: int
    type_name: str
    resident_name: str
    id_masked: str = Field(description=MASKED)
    asking_body: str
    purpose: str
    statement: str = Field(description="证明内容")
    issued_at: dt.datetime
    issued_by: str
    approved_by: str = Field(description="用印审批人 · who approved the seal")
    valid_until: dt.date
    status: str = Field(description="valid 有效 · revoked 已撤销 · expired 已过期")
    status_label: str
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revoked_reason: str
    pdf_sha256: str
    pdf_url: str
    verify_url: str = Field(description="公开核验页（不含核验码）· the public page, without code")

    @staticmethod
    def resolve_request(obj) -> int:
        return obj.request_id

    @staticmethod
    def resolve_type_name(obj) -> str:
        return obj.request.type_name

    @staticmethod
    def resolve_resident_name(obj) -> str:
        return obj.request.resident_name

    @staticmethod
    def resolve_id_masked(obj) -> str:
        return obj.request.id_masked

    @staticmethod
    def resolve_asking_body(obj) -> str:
        return obj.request.asking_body

    @staticmethod
    def resolve_purpose(obj) -> str:
        return obj.request.purpose

    @staticmethod
    def resolve_issued_by(obj) -> str:
        return obj.issued_by.username

    @staticmethod
    def resolve_approved_by(obj) -> str:
        return obj.approved_by.username

    @staticmethod
    def resolve_status(obj) -> str:
        return verification.status_of(obj)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(verification.VerificationStatus(verification.status_of(obj)).label)

    @staticmethod
    def resolve_revoked_by(obj) -> str | None:
        return obj.revoked_by.username if obj.revoked_by_id else None

    @staticmethod
    def resolve_pdf_url(obj) -> str:
        return reverse("api:certificate_pdf", kwargs={"serial": obj.serial})

    @staticmethod
    def resolve_verify_url(obj) -> str:
        return reverse("certificate_verify", args=[obj.serial])


class IssuedOut(Schema):
    serial: str
    request: int
    issued_at: dt.datetime
    valid_until: dt.date
    verification_code: str = Field(
        description="核验码：只在这一次返回，系统只存其哈希 · returned this once, stored hashed"
    )
    pdf_url: str
    verify_url: str = Field(description="二维码打开的核验地址（含核验码）· with the code")


class RevealedOut(Schema):
    id_number: str = Field(description="完整公民身份号码 · the ID number in clear")


class SealUseOut(Schema):
    id: int
    community: RegionBrief
    used_at: dt.datetime
    kind: SealUseKind
    kind_label: str
    content: str
    copies: int
    approver_name: str
    handler_name: str
    requester_name: str
    requester_phone: str
    certificate: str | None = Field(description="出具证明用章时为证明编号 · the serial")

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(SealUseKind(obj.kind).label)

    @staticmethod
    def resolve_certificate(obj) -> str | None:
        return obj.certificate.serial if obj.certificate_id else None


class SealUsePage(PageMeta):
    items: list[SealUseOut]


class VerificationOut(Schema):
    status: str = Field(description="valid 有效 · revoked 已撤销 · expired 已过期")
    status_label: str
    serial: str
    type_name: str
    community: str = Field(description="出具社区 · the issuing community")
    street: str
    district: str
    issued_on: dt.date
    valid_until: dt.date
    asking_body: str
    resident_name: str = Field(description="姓名只显示第一个字 · the first character, then *")
    id_masked: str = Field(description=MASKED)
    revoked_on: dt.date | None
    revoked_reason: str


class IdCheckOut(Schema):
    match: bool = Field(description="是否与证明申请人的公民身份号码一致 · whether it matches")


# ---------------------------------------------------------------------------------------------
# Lookups


def _user(request: HttpRequest) -> User:
    return request.auth


def _requests(user: User) -> QuerySet[CertificateRequest]:
    """The requests the user reads, each with its certificate (less the PDF): one query."""
    return (
        selectors.requests_visible_to(user=user)
        .select_related("certificate")
        .defer("certificate__pdf")
    )


def _request_or_404(request: HttpRequest, request_id: int) -> CertificateRequest:
    found = _requests(_user(request)).filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("未找到该申请，或您无权查看。"))
    return found


def _certificate_or_404(request: HttpRequest, serial: str) -> Certificate:
    found = (
        selectors.certificates_visible_to(user=_user(request))
        .select_related("revoked_by")
        .filter(serial=serial.strip())
        .first()
    )
    if found is None:
        raise NotFound(_("未找到该证明，或您无权查看。"))
    return found


def _community(request: HttpRequest, code: str) -> Region:
    """A community in the caller's jurisdiction; anything else is 404."""
    found = (
        Region.objects.within(_user(request).jurisdiction_prefix)
        .filter(code=code.strip(), level=RegionLevel.COMMUNITY)
        .first()
    )
    if found is None:
        raise NotFound(_("未找到社区“%(code)s”，或它不在您的辖区内。") % {"code": code})
    return found


def _region_filter(code: str) -> Region:
    region = Region.objects.filter(code=code.strip()).first()
    if region is None:
        raise InvalidInput(_("区划代码“%(code)s”不存在。") % {"code": code}, code="bad_region")
    return region


def _approver(username: str) -> User:
    approver = User.objects.filter(username=username.strip(), is_active=True).first()
    if approver is None:
        # The service's own words: whether an account of that name exists elsewhere is not
        # the caller's business.
        raise InvalidInput(_("用印审批人须是本社区的另一名工作人员。"), code="bad_approver")
    return approver


def _site(request: HttpRequest) -> str:
    return (settings.JIANFU_SITE_URL or f"{request.scheme}://{request.get_host()}").rstrip("/")


# ---------------------------------------------------------------------------------------------
# Requests


class RequestIn(Schema):
    model_config = ConfigDict(str_max_length=5000)

    community: str = Field(description="社区区划代码 · the community's division code")
    item_key: uuid.UUID | None = Field(
        None, description="本社区可出具证明事项清单中的事项 key · an item of the allowed list"
    )
    type_name: str = Field(
        "", description="证明事项名称（无 item_key 时）· the type by name, without item_key"
    )
    resident_name: str = ""
    id_number: str = Field(
        "", description="公民身份号码（GB 11643 校验）；可出具的事项必填 · required when allowed"
    )
    resident_phone: str = ""
    asking_body: str = Field("", description="索要证明单位")
    asking_clause: str = Field("", description="索要单位援引的依据条款")
    asking_clause_text: str = Field("", description="条款内容")
    purpose: str = Field("", description="证明用途")
    materials_checked: list[str] = Field(default_factory=list, description="已核验材料")
    pledged: bool = Field(False, description="申请人已书面承诺所提供信息属实")


@router.post(
    "/certificates/requests",
    response={201: RequestOut},
    summary="受理开具证明申请 · Take a request; a banned or unlisted type is refused on the spot",
    description=(
        "社区工作人员登记居民的申请。禁止出具或不在清单内的事项也返回 201，`state` 为 `refused`，"
        "`refusal_explanation` 为交给居民的告知说明；这条被拒的申请会留存（区里据此看到哪些单位仍在"
        "索要不该开的证明）。公民身份号码有误为 422（`id_number_length`、`id_number_region`、"
        "`id_number_birth`、`id_number_check`），消息不含号码。\n\n"
        "A community officer records the request. A banned or unlisted type is still 201, with "
        '`state` "refused" and the explanation to hand the resident; the refused request is '
        "recorded. A bad ID number is 422 with a code naming what is wrong, never the number."
    ),
)
def request_create(request: HttpRequest, body: RequestIn, response: HttpResponse):
    created = services.certificate_request_create(
        actor=_user(request),
        community=_community(request, body.community),
        item_key=body.item_key,
        type_name=body.type_name,
        resident_name=body.resident_name,
        id_number=body.id_number,
        resident_phone=body.resident_phone,
        asking_body=body.asking_body,
        asking_clause=body.asking_clause,
        asking_clause_text=body.asking_clause_text,
        purpose=body.purpose,
        materials_checked=body.materials_checked,
        pledged=body.pledged,
    )
    _no_store(response)
    return Status(201, _request_or_404(request, created.pk))


class RequestFilters(Schema):
    community: str | None = Field(None, description="区划代码：该社区（或街道下各社区）的申请")
    state: RequestState | None = None
    year: int | None = Field(None, ge=2000, le=2100, description="受理年度 · year received")
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get(
    "/certificates/requests",
    response=RequestPage,
    summary="开具证明申请 · Requests of the communities you may read, newest first",
)
def request_list(
    request: HttpRequest, filters: Query[RequestFilters], response: HttpResponse
) -> dict:
    requests = _requests(_user(request))
    if filters.community:
        region = _region_filter(filters.community)
        requests = requests.filter(community__code__startswith=region.prefix)
    if filters.state:
        requests = requests.filter(state=filters.state)
    if filters.year is not None:
        requests = requests.filter(received_at__year=filters.year)
    _no_store(response)
    return cursor_page(
        requests, key="id", cursor=filters.cursor, limit=filters.limit, descending=True
    )


@router.get(
    "/certificates/requests/{request_id}",
    response=RequestOut,
    summary="开具证明申请 · One request, its decision and its certificate",
)
def request_detail(request: HttpRequest, request_id: int, response: HttpResponse):
    _no_store(response)
    return _request_or_404(request, request_id)


class RequestPatch(Schema):
    model_config = ConfigDict(str_max_length=5000)

    resident_name: str | None = None
    id_number: str | None = Field(None, description="更正的公民身份号码 · a corrected number")
    resident_phone: str | None = None
    asking_body: str | None = None
    asking_clause: str | None = None
    asking_clause_text: str | None = None
    purpose: str | None = None
    materials_checked: list[str] | None = None
    pledged: bool | None = None


@router.patch(
    "/certificates/requests/{request_id}",
    response=RequestOut,
    summary="补正申请 · Complete or correct a request still waiting (only the fields sent)",
)
def request_update(
    request: HttpRequest, request_id: int, body: RequestPatch, response: HttpResponse
):
    found = _request_or_404(request, request_id)
    values = body.model_dump(exclude_unset=True, exclude_none=True)
    id_number = values.pop("id_number", "")
    services.certificate_request_update(
        actor=_user(request), request=found, id_number=id_number, **values
    )
    _no_store(response)
    return _request_or_404(request, request_id)


class IssueIn(Schema):
    statement: str = Field(description="证明内容 · the certificate's text")
    approver: str = Field(description="用印审批人的账号（本社区另一名工作人员）· username")
    copies: int = Field(1, description="份数（1–20）· copies sealed")


@router.post(
    "/certificates/requests/{request_id}/issue",
    response={201: IssuedOut},
    url_name="certificate_issue",
    summary="出具证明 · Issue the certificate under the seal; the seal use is logged",
    description=(
        "材料不全为 422 `request_incomplete`（`details` 列出缺什么），事项已不在清单内为 409 "
        "`type_not_allowed`，已办结为 409 `request_decided`。核验码只在这次应答中返回。\n\n"
        "Missing materials: 422 `request_incomplete` (listed in `details`); a type no longer "
        "allowed: 409 `type_not_allowed`. The verification code is returned this once only."
    ),
)
def certificate_issue(request: HttpRequest, request_id: int, body: IssueIn, response: HttpResponse):
    found = _request_or_404(request, request_id)
    site = _site(request)
    certificate, code = services.certificate_issue(
        actor=_user(request),
        request=found,
        statement=body.statement,
        approver=_approver(body.approver),
        copies=body.copies,
        site_url=site,
    )
    _no_store(response)
    return Status(
        201,
        {
            "serial": certificate.serial,
            "request": found.pk,
            "issued_at": certificate.issued_at,
            "valid_until": certificate.valid_until,
            "verification_code": code,
            "pdf_url": reverse("api:certificate_pdf", kwargs={"serial": certificate.serial}),
            "verify_url": verify_url(site_url=site, serial=certificate.serial, code=code),
        },
    )


class RefuseIn(Schema):
    ground: RefusalGround = Field(
        description="no_legal_basis · askers_own_duty · cannot_verify · materials_missing · other"
    )
    note: str = Field("", description="说明（理由为 other 时必填）· required for other")


@router.post(
    "/certificates/requests/{request_id}/refuse",
    response=RequestOut,
    summary="不予出具 · Refuse a request that was taken, with the ground; the explanation is kept",
)
def certificate_refuse(
    request: HttpRequest, request_id: int, body: RefuseIn, response: HttpResponse
):
    found = _request_or_404(request, request_id)
    services.certificate_refuse(
        actor=_user(request), request=found, ground=body.ground, note=body.note
    )
    _no_store(response)
    return _request_or_404(request, request_id)


class RevealIn(Schema):
    reason: str = Field(description="查看理由（至少 4 个字，记入审计）· why, kept in the audit")


@router.post(
    "/certificates/requests/{request_id}/reveal-id",
    response=RevealedOut,
    summary="查看完整公民身份号码 · The resident's ID number in clear, for a stated reason",
    description=(
        "需要 certificates.unmask_id 权限（本社区工作人员、本区审计）；理由与查看记入审计。\n\n"
        "For holders of certificates.unmask_id (the community's officers, the district's "
        "auditors); the reason and the reveal are audited."
    ),
)
def id_number_reveal(
    request: HttpRequest, request_id: int, body: RevealIn, response: HttpResponse
) -> dict:
    found = _request_or_404(request, request_id)
    number = services.id_number_reveal(actor=_user(request), request=found, reason=body.reason)
    _no_store(response)
    return {"id_number": number}


# ---------------------------------------------------------------------------------------------
# The seal-use log (before /certificates/{serial}, which would take "seal-uses" for a serial)


class SealUseFilters(Schema):
    community: str | None = Field(None, description="区划代码：该社区（或街道下各社区）的用印")
    year: int | None = Field(None, ge=2000, le=2100, description="用印年度")
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _seal_uses(user: User) -> QuerySet[SealUse]:
    return selectors.seal_uses_visible_to(user=user).defer("certificate__pdf")


@router.get(
    "/certificates/seal-uses",
    response=SealUsePage,
    summary="印章使用登记 · The seal-use log of the communities you may read, newest first",
)
def seal_use_list(
    request: HttpRequest, filters: Query[SealUseFilters], response: HttpResponse
) -> dict:
    uses = _seal_uses(_user(request))
    if filters.community:
        region = _region_filter(filters.community)
        uses = uses.filter(community__code__startswith=region.prefix)
    if filters.year is not None:
        uses = uses.filter(used_at__year=filters.year)
    _no_store(response)
    return cursor_page(uses, key="id", cursor=filters.cursor, limit=filters.limit, descending=True)


class SealUseIn(Schema):
    community: str = Field(description="社区区划代码")
    content: str = Field(description="用印事由")
    approver: str = Field(description="用印审批人的账号（本社区工作人员）")
    requester_name: str = Field(description="申请人")
    requester_phone: str = ""
    copies: int = Field(1, description="份数（1–500）")


@router.post(
    "/certificates/seal-uses",
    response={201: SealUseOut},
    summary="登记工作用章 · Log a use of the seal for work (certificates log their own)",
)
def seal_use_create(request: HttpRequest, body: SealUseIn, response: HttpResponse):
    use = services.seal_use_record(
        actor=_user(request),
        community=_community(request, body.community),
        content=body.content,
        approver=_approver(body.approver),
        requester_name=body.requester_name,
        requester_phone=body.requester_phone,
        copies=body.copies,
    )
    _no_store(response)
    return Status(201, _seal_uses(_user(request)).get(pk=use.pk))


# ---------------------------------------------------------------------------------------------
# Certificates


@router.get(
    "/certificates/{serial}",
    response=CertificateOut,
    summary="证明 · An issued certificate you may read: its data, status and links",
)
def certificate_detail(request: HttpRequest, serial: str, response: HttpResponse):
    _no_store(response)
    return _certificate_or_404(request, serial)


@router.get(
    "/certificates/{serial}/pdf",
    url_name="certificate_pdf",
    summary="下载证明 PDF · Download the certificate as issued (the download is audited)",
    openapi_extra={"responses": {200: {"description": "application/pdf"}}},
)
def certificate_pdf(request: HttpRequest, serial: str) -> HttpResponse:
    certificate = _certificate_or_404(request, serial)
    pdf = selectors.certificate_pdf_bytes(certificate)
    # The PDF carries the verification code and the resident's name: who took a copy is kept.
    audit_record(
        actor=_user(request),
        action="certificates.pdf_download",
        target=certificate,
        changes={"serial": certificate.serial},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(
        f"证明-{certificate.serial}.pdf", fallback=f"certificate-{certificate.serial}.pdf"
    )
    _no_store(response)
    return response


class RevokeIn(Schema):
    reason: str = Field(description="撤销理由 · why it was wrongly issued")


@router.post(
    "/certificates/{serial}/revoke",
    response=CertificateOut,
    summary="撤销证明 · Revoke a wrongly issued certificate; verification says so from now on",
)
def certificate_revoke(request: HttpRequest, serial: str, body: RevokeIn, response: HttpResponse):
    certificate = _certificate_or_404(request, serial)
    services.certificate_revoke(actor=_user(request), certificate=certificate, reason=body.reason)
    _no_store(response)
    return _certificate_or_404(request, serial)


# ---------------------------------------------------------------------------------------------
# Public verification (no authentication)


def _verified(request: HttpRequest, serial: str, code: str) -> Certificate:
    if not (code or "").strip():
        raise InvalidInput(_("请输入证明上的核验码。"), code="code_missing")
    return verification.certificate_verify_guarded(ip=client_ip(request), serial=serial, code=code)


@router.get(
    "/verify/certificate/{serial}",
    response=VerificationOut,
    auth=None,
    summary="核验证明 · Verify a certificate by its serial and code (no authentication)",
    description=(
        "公开接口。编号不存在与核验码错误的应答相同：422 `bad_code`；同一地址 15 分钟内错误 10 次后为 "
        "429 `too_many_attempts`（即使核验码正确）。只返回收证单位需要的内容，姓名和公民身份号码脱敏。"
        "\n\nPublic. An unknown serial and a wrong code get the same answer, 422 `bad_code`; "
        "after 10 wrong codes from one address within 15 minutes, 429 `too_many_attempts`, "
        "even for a right code. Only what a receiving body needs, name and ID number masked."
    ),
)
def certificate_verify(
    request: HttpRequest,
    serial: str,
    response: HttpResponse,
    code: str = Query(..., description="证明上的核验码 · the code printed on it"),
):
    certificate = _verified(request, serial, code)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return verification.verification_of(certificate)


class IdCheckIn(Schema):
    code: str = Field(description="证明上的核验码")
    id_number: str = Field(description="申请人身份证上的 18 位号码 · from the resident's card")


@router.post(
    "/verify/certificate/{serial}/id-check",
    response=IdCheckOut,
    auth=None,
    summary="核对公民身份号码 · Whether an ID number is the certificate's (no authentication)",
    description=(
        "号码格式有误为 422（`id_number_*`），消息不含号码；不一致计入错误次数（按地址，也按证明），"
        "超过为 429。号码不保存、不记录。\n\n"
        "A malformed number is 422 with a code, never repeating it; a mismatch counts against "
        "the address and the certificate like a wrong code (429 past the limit). The number is "
        "neither stored nor logged."
    ),
)
def certificate_id_check(
    request: HttpRequest, serial: str, body: IdCheckIn, response: HttpResponse
) -> dict:
    certificate = _verified(request, serial, body.code)
    match = verification.id_number_matches(
        ip=client_ip(request), certificate=certificate, id_number=body.id_number
    )
    response["Cache-Control"] = "no-store"
    return {"match": match}
