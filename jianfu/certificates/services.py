"""Every write of the certificate app: requests, issuance under the seal, refusal, revocation,
the seal-use log, the district's type settings, and revealing an ID number for a reason."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.certificates.documents import certificate_pdf
from jianfu.certificates.explanations import (
    banned_explanation,
    ground_explanation,
    unlisted_explanation,
)
from jianfu.certificates.models import (
    Certificate,
    CertificateRequest,
    CertificateType,
    RefusalGround,
    RequestState,
    SealUse,
    SealUseKind,
)
from jianfu.certificates.rules import is_community_officer_of
from jianfu.certificates.selectors import allowed_items, type_match, type_settings
from jianfu.core.audit import audit_record
from jianfu.core.crypto import constant_time_equal, sm3_hex
from jianfu.core.errors import Conflict, InvalidInput
from jianfu.core.id_numbers import id_number_clean, id_number_open, id_number_seal
from jianfu.core.permissions import require
from jianfu.org.models import Region, RegionLevel, User

# Verification codes: 10 characters without look-alikes (0/O, 1/I/L), 49 bits; guessing is
# also limited per address (jianfu.core.guessing).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
TEXT_MAX = 2000
# The grounds an officer may give after taking a request; BANNED and UNLISTED are decided by
# the lists when the request is taken.
DECIDED_GROUNDS = tuple(
    g for g in RefusalGround.values if g not in (RefusalGround.BANNED, RefusalGround.UNLISTED)
)


def _community(region: Region) -> Region:
    if region.level != RegionLevel.COMMUNITY:
        raise InvalidInput(_("证明只能由社区（村）出具。"), code="not_a_community")
    return region


def _text(value: str, field: str, *, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidInput(
            _("“%(field)s”不能超过 %(limit)s 个字。") % {"field": field, "limit": limit},
            code="too_long",
        )
    return value


def _phone(value: str) -> str:
    value = "".join((value or "").split())
    if value and (len(value) > 20 or not value.replace("-", "").replace("+", "").isdigit()):
        raise InvalidInput(_("联系电话只能包含数字、“-”和“+”。"), code="bad_phone")
    return value


@transaction.atomic
def certificate_request_create(
    *,
    actor: User | None,
    community: Region,
    item_key: uuid.UUID | str | None = None,
    type_name: str = "",
    resident_name: str = "",
    id_number: str = "",
    resident_phone: str = "",
    asking_body: str = "",
    asking_clause: str = "",
    asking_clause_text: str = "",
    purpose: str = "",
    materials_checked: Sequence[str] = (),
    pledged: bool = False,
) -> CertificateRequest:
    """Take a resident's request. A banned type, or one on no list, is refused on the spot with
    the standard explanation (the request is kept: the district sees who keeps asking)."""
    require(actor, "certificates.handle", _community(community))
    if not item_key and not (type_name or "").strip():
        raise InvalidInput(_("请选择或填写申请出具的证明事项。"), code="type_missing")
    match = type_match(community=community, item_key=item_key, type_name=type_name)
    if not (match.name or "").strip():
        # A key that is on no list, without a name: nothing says what was asked for.
        raise InvalidInput(_("请选择或填写申请出具的证明事项。"), code="type_missing")
    request = CertificateRequest(
        community=community,
        type_name=_text(match.name or type_name, _("证明事项"), limit=300),
        resident_name=_text(resident_name, _("申请人姓名"), limit=50),
        resident_phone=_phone(resident_phone),
        asking_body=_text(asking_body, _("索要证明单位"), limit=200),
        asking_clause=_text(asking_clause, _("依据条款"), limit=300),
        asking_clause_text=_text(asking_clause_text, _("条款内容")),
        purpose=_text(purpose, _("证明用途")),
        materials_checked=[_text(m, _("材料"), limit=100) for m in materials_checked if m.strip()],
        pledged=bool(pledged),
        received_by=actor,
        received_at=timezone.now(),
    )
    if match.item is not None:
        request.catalog_list = match.item.version.list
        request.item_key = match.item.key
        request.legal_basis = _legal_basis(match.item)
    if match.verdict == "allowed":
        if not request.resident_name:
            raise InvalidInput(_("请填写申请人姓名。"), code="resident_missing")
        _seal_id(request, id_number)
    else:
        # An ID number is not needed to say no; one given is still checked and kept sealed.
        if id_number.strip():
            _seal_id(request, id_number)
        request.state = RequestState.REFUSED
        request.decided_by = actor
        request.decided_at = request.received_at
        if match.verdict == "banned":
            request.refusal_ground = RefusalGround.BANNED
            request.refusal_explanation = banned_explanation(request.type_name, match.item)
        else:
            request.refusal_ground = RefusalGround.UNLISTED
            lists = sorted({item.version.list.name for item in allowed_items(community)})
            request.refusal_explanation = unlisted_explanation(request.type_name, lists)
    request.save()
    audit_record(
        actor=actor,
        action="certificates.request_create",
        target=request,
        changes={
            "community": community.code,
            "type": request.type_name,
            "state": request.state,
            "refusal_ground": request.refusal_ground,
            "asking_body": request.asking_body,
            "id_number": request.id_masked,
        },
    )
    return request


def _legal_basis(item) -> str:
    return "".join(part for part in (item.legal_law, item.legal_article) if part) or item.legal_text


def _seal_id(request: CertificateRequest, id_number: str) -> None:
    if not (id_number or "").strip():
        raise InvalidInput(_("请填写申请人的公民身份号码。"), code="id_number_missing")
    sealed = id_number_seal(id_number)
    request.id_sealed, request.id_index, request.id_masked = (
        sealed.sealed,
        sealed.index,
        sealed.masked,
    )


REQUEST_FIELDS = (
    "resident_name",
    "resident_phone",
    "asking_body",
    "asking_clause",
    "asking_clause_text",
    "purpose",
    "materials_checked",
    "pledged",
)


@transaction.atomic
def certificate_request_update(
    *, actor: User | None, request: CertificateRequest, id_number: str = "", **values
) -> CertificateRequest:
    """Complete or correct a request that is still waiting (what the resident brought later)."""
    request = CertificateRequest.objects.select_for_update().get(pk=request.pk)
    require(actor, "certificates.handle", request.community)
    if request.state != RequestState.RECEIVED:
        raise Conflict(_("该申请已办结，不能修改。"), code="request_decided")
    unknown = set(values) - set(REQUEST_FIELDS)
    if unknown:
        raise InvalidInput(_("不能修改这些字段：%s") % "、".join(sorted(unknown)))
    before = {name: getattr(request, name) for name in values}
    for name, value in values.items():
        if name == "materials_checked":
            value = [_text(m, _("材料"), limit=100) for m in value if m.strip()]
        elif name == "pledged":
            value = bool(value)
        elif name == "resident_phone":
            value = _phone(value)
        else:
            value = _text(value, request._meta.get_field(name).verbose_name)
        setattr(request, name, value)
    if not request.resident_name:
        raise InvalidInput(_("请填写申请人姓名。"), code="resident_missing")
    changes = {
        name: [before[name], getattr(request, name)]
        for name in values
        if before[name] != getattr(request, name)
    }
    fields = list(changes)
    if id_number.strip():
        old = request.id_masked
        _seal_id(request, id_number)
        fields += ["id_sealed", "id_index", "id_masked"]
        # Only the masked forms reach the audit trail.
        changes["id_number"] = [old, request.id_masked]
    if fields:
        request.save(update_fields=fields)
        audit_record(
            actor=actor, action="certificates.request_update", target=request, changes=changes
        )
    return request


def _missing_for_issue(request: CertificateRequest, required: list[str]) -> list[str]:
    missing = []
    if not request.resident_name:
        missing.append(_("申请人姓名"))
    if not request.id_index:
        missing.append(_("公民身份号码"))
    if not request.asking_body:
        missing.append(_("索要证明单位"))
    if not request.asking_clause:
        missing.append(_("索要单位援引的依据条款"))
    if not request.purpose:
        missing.append(_("证明用途"))
    if not request.pledged:
        missing.append(_("申请人承诺"))
    checked = set(request.materials_checked)
    missing += [_("材料：%s") % material for material in required if material not in checked]
    return missing


_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")


def _has_id_number(text: str) -> bool:
    """Whether `text` holds a valid ID number (anyone's), spaces inside it ignored."""
    for candidate in _ID_LIKE.findall("".join(text.split()).upper()):
        try:
            id_number_clean(candidate)
        except InvalidInput:
            continue
        return True
    return False


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_hash(serial: str, code: str) -> str:
    return sm3_hex(f"{serial}:{code.strip().upper()}")


def serial_for(community: Region, year: int, sequence: int) -> str:
    return f"{community.code}-{year}-{sequence:04d}"


@transaction.atomic
def certificate_issue(
    *,
    actor: User,
    request: CertificateRequest,
    statement: str,
    approver: User,
    copies: int = 1,
    site_url: str = "",
) -> tuple[Certificate, str]:
    """Issue the certificate under the community's seal and log the seal's use; returns the
    certificate and its verification code (printed on the PDF, stored only as a hash)."""
    # The community's row lock serialises issuance there, so serials never collide.
    community = Region.objects.select_for_update().get(pk=request.community_id)
    request = CertificateRequest.objects.select_for_update().get(pk=request.pk)
    require(actor, "certificates.handle", community)
    if request.state != RequestState.RECEIVED:
        raise Conflict(_("该申请已办结。"), code="request_decided")
    # Invariant 7, checked again now: the lists may have changed since the request was taken.
    match = type_match(community=community, item_key=request.item_key, type_name=request.type_name)
    if match.verdict != "allowed":
        raise Conflict(
            _("“%(name)s”已不在本社区可出具证明事项清单内，请改为不予出具。")
            % {"name": request.type_name},
            code="type_not_allowed",
        )
    settings = type_settings(community, match.item)
    missing = _missing_for_issue(request, list(settings.materials) if settings else [])
    if missing:
        raise InvalidInput(
            _("出具前还缺：%s。") % "、".join(missing), code="request_incomplete", details=missing
        )
    statement = _text(statement, _("证明内容"))
    if not statement:
        raise InvalidInput(_("请填写证明内容。"), code="statement_missing")
    if _has_id_number(statement):
        # The certificate prints the ID number masked; one typed into the text would be printed,
        # and kept, in clear.
        raise InvalidInput(
            _("证明内容中不能出现完整的公民身份号码：证明上已印有隐去中间8位的号码。"),
            code="statement_has_id_number",
        )
    if not 1 <= int(copies) <= 20:
        raise InvalidInput(_("份数应在 1 到 20 之间。"), code="bad_copies")
    if approver.pk == actor.pk or not is_community_officer_of(approver, community):
        raise InvalidInput(_("用印审批人须是本社区的另一名工作人员。"), code="bad_approver")
    now = timezone.now()
    year = timezone.localdate(now).year
    last = (
        Certificate.objects.filter(community=community, year=year)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    sequence = (last or 0) + 1
    serial = serial_for(community, year, sequence)
    code = _new_code()
    certificate = Certificate(
        request=request,
        community=community,
        year=year,
        sequence=sequence,
        serial=serial,
        statement=statement,
        code_hash=code_hash(serial, code),
        issued_by=actor,
        approved_by=approver,
        issued_at=now,
        valid_until=timezone.localdate(now)
        + dt.timedelta(days=settings.valid_days if settings else 90),
    )
    certificate.pdf = certificate_pdf(certificate=certificate, code=code, site_url=site_url)
    certificate.pdf_sha256 = hashlib.sha256(certificate.pdf).hexdigest()
    certificate.save()
    request.state, request.decided_by, request.decided_at = RequestState.ISSUED, actor, now
    request.save(update_fields=["state", "decided_by", "decided_at"])
    SealUse.objects.create(
        community=community,
        used_at=now,
        kind=SealUseKind.CERTIFICATE,
        content=_("出具《%(name)s》（%(serial)s）") % {"name": request.type_name, "serial": serial},
        copies=copies,
        approver=approver,
        approver_name=approver.display_name or approver.username,
        handler=actor,
        handler_name=actor.display_name or actor.username,
        requester_name=request.resident_name,
        requester_phone=request.resident_phone,
        certificate=certificate,
    )
    audit_record(
        actor=actor,
        action="certificates.issue",
        target=certificate,
        changes={
            "serial": serial,
            "request": request.pk,
            "type": request.type_name,
            "approver": approver.username,
            "copies": copies,
        },
    )
    return certificate, code


@transaction.atomic
def certificate_refuse(
    *, actor: User | None, request: CertificateRequest, ground: str, note: str = ""
) -> CertificateRequest:
    """Refuse a request that was taken, giving the ground; the explanation is kept as handed."""
    request = CertificateRequest.objects.select_for_update().get(pk=request.pk)
    require(actor, "certificates.handle", request.community)
    if request.state != RequestState.RECEIVED:
        raise Conflict(_("该申请已办结。"), code="request_decided")
    if ground not in DECIDED_GROUNDS:
        raise InvalidInput(_("请选择不予出具的理由。"), code="bad_ground")
    note = _text(note, _("说明"))
    if ground == RefusalGround.OTHER and not note:
        raise InvalidInput(_("选择“其他”时请写明理由。"), code="note_missing")
    request.state = RequestState.REFUSED
    request.refusal_ground = ground
    request.refusal_explanation = ground_explanation(ground, request.type_name, note)
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(
        update_fields=[
            "state",
            "refusal_ground",
            "refusal_explanation",
            "decided_by",
            "decided_at",
        ]
    )
    audit_record(
        actor=actor,
        action="certificates.refuse",
        target=request,
        changes={"ground": ground, "note": note},
    )
    return request


@transaction.atomic
def certificate_revoke(*, actor: User | None, certificate: Certificate, reason: str) -> Certificate:
    """Revoke a wrongly issued certificate: verification says so from now on."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    require(actor, "certificates.handle", certificate.community)
    if certificate.is_revoked:
        raise Conflict(_("该证明已撤销。"), code="already_revoked")
    reason = _text(reason, _("撤销理由"))
    if not reason:
        raise InvalidInput(_("请填写撤销理由。"), code="reason_missing")
    certificate.revoked_at, certificate.revoked_by = timezone.now(), actor
    certificate.revoked_reason = reason
    certificate.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    audit_record(
        actor=actor,
        action="certificates.revoke",
        target=certificate,
        changes={"serial": certificate.serial, "reason": reason},
    )
    return certificate


def certificate_verify(*, serial: str, code: str) -> Certificate:
    """The certificate with this serial if the code is its own; InvalidInput (bad_code)
    otherwise, the same answer for an unknown serial as for a wrong code."""
    from jianfu.certificates.selectors import certificate_by_serial

    certificate = certificate_by_serial(serial or "")
    candidate = code_hash((serial or "").strip(), code or "")
    if certificate is None or not constant_time_equal(certificate.code_hash, candidate):
        raise InvalidInput(
            _("证明编号或核验码不正确，请核对证明上的编号和核验码。"), code="bad_code"
        )
    return certificate


def id_number_reveal(*, actor: User, request: CertificateRequest, reason: str) -> str:
    """The resident's ID number in clear, for a stated reason that the audit trail keeps."""
    require(actor, "certificates.unmask_id", request.community)
    # Read again: a copy the caller kept from before an update would hold the old number.
    request = CertificateRequest.objects.get(pk=request.pk)
    reason = _text(reason, _("查看理由"), limit=300)
    if len(reason) < 4:
        raise InvalidInput(_("请写明查看完整公民身份号码的理由。"), code="reason_missing")
    if not request.id_sealed:
        raise InvalidInput(_("该申请没有登记公民身份号码。"), code="no_id_number")
    audit_record(
        actor=actor,
        action="certificates.id_number_reveal",
        target=request,
        changes={"reason": reason, "id_number": request.id_masked},
    )
    return id_number_open(request.id_sealed)


@transaction.atomic
def seal_use_record(
    *,
    actor: User,
    community: Region,
    content: str,
    approver: User,
    requester_name: str,
    requester_phone: str = "",
    copies: int = 1,
) -> SealUse:
    """Log a use of the seal for work (工作用章); certificates log their own when issued."""
    require(actor, "certificates.handle", _community(community))
    content = _text(content, _("用印事由"), limit=500)
    requester_name = _text(requester_name, _("申请人"), limit=100)
    if not content or not requester_name:
        raise InvalidInput(_("请填写用印事由和申请人。"), code="seal_use_incomplete")
    if not 1 <= int(copies) <= 500:
        raise InvalidInput(_("份数应在 1 到 500 之间。"), code="bad_copies")
    if not is_community_officer_of(approver, community):
        raise InvalidInput(_("用印审批人须是本社区的工作人员。"), code="bad_approver")
    use = SealUse.objects.create(
        community=community,
        used_at=timezone.now(),
        kind=SealUseKind.WORK,
        content=content,
        copies=copies,
        approver=approver,
        approver_name=approver.display_name or approver.username,
        handler=actor,
        handler_name=actor.display_name or actor.username,
        requester_name=requester_name,
        requester_phone=_phone(requester_phone),
    )
    audit_record(
        actor=actor,
        action="certificates.seal_use",
        target=use,
        changes={"content": content, "copies": copies, "approver": approver.username},
    )
    return use


@transaction.atomic
def certificate_type_update(
    *,
    actor: User | None,
    district: Region,
    item_key: uuid.UUID | str,
    use: str,
    materials: Sequence[str],
    template: str,
    valid_days: int = 90,
) -> CertificateType:
    """Set a district's use, required materials, template and validity for a listed type."""
    require(actor, "certificates.manage_types", district)
    item = next((item for item in allowed_items(district) if str(item.key) == str(item_key)), None)
    if item is None:
        raise InvalidInput(_("该事项不在本区社区可出具证明事项清单内。"), code="not_listed")
    if not 1 <= int(valid_days) <= 3650:
        raise InvalidInput(_("有效期应在 1 到 3650 天之间。"), code="bad_valid_days")
    cleaned = [_text(m, _("材料"), limit=100) for m in materials if m.strip()]
    found = CertificateType.objects.filter(district=district, item_key=item.key).first()
    before = (
        {"use": found.use, "materials": found.materials, "template": found.template,
         "valid_days": found.valid_days}
        if found
        else {}
    )  # fmt: skip
    certificate_type = found or CertificateType(district=district, item_key=item.key)
    certificate_type.name = item.name
    certificate_type.use = _text(use, _("证明用途"))
    certificate_type.materials = cleaned
    certificate_type.template = _text(template, _("证明正文模板"), limit=5000)
    certificate_type.valid_days = int(valid_days)
    certificate_type.updated_by = actor
    certificate_type.save()
    audit_record(
        actor=actor,
        action="certificates.type_update",
        target=certificate_type,
        changes={
            "before": before,
            "after": {
                "use": certificate_type.use,
                "materials": cleaned,
                "template": certificate_type.template,
                "valid_days": certificate_type.valid_days,
            },
        },
    )
    return certificate_type
