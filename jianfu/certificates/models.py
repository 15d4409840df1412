"""Certificates a community issues under its seal, and the seal-use log (DESIGN.md §3.7).

A community may certify only what its district's published `certificate` list allows; types on
a `certificate_banned` list (the national first batch, 民发〔2020〕20号, and local additions) are
refused with the standard explanation, and so is anything on neither list. Every request is
kept, refused ones too: the district sees which bodies still ask for what they must not.

The resident's ID number is kept only sealed (SM4-GCM) with an HMAC-SM3 lookup index and its
masked form; see jianfu.core.id_numbers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jianfu.catalog.models import CatalogList
from jianfu.org.models import Region


class CertificateType(models.Model):
    """What a district adds to an item of its certificate list: use, materials, template.

    The item itself (name, legal basis) stays on the published list; this row is keyed by the
    item's stable key, so it survives new versions of the list."""

    district = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    item_key = models.UUIDField()
    name = models.CharField(_("证明名称"), max_length=300)
    use = models.TextField(_("证明用途"), blank=True)
    materials = models.JSONField(_("所需材料"), default=list, blank=True)
    # The body of the certificate with placeholders ({name}, {id_number}, {purpose}, {asking_body});
    # the officer completes it for each request.
    template = models.TextField(_("证明正文模板"), blank=True)
    valid_days = models.PositiveSmallIntegerField(_("有效期（天）"), default=90)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["district_id", "name"]
        verbose_name = _("证明事项设置")
        verbose_name_plural = _("证明事项设置")
        constraints = [
            models.UniqueConstraint(fields=["district", "item_key"], name="certificate_type_once"),
            models.CheckConstraint(condition=Q(valid_days__gte=1), name="certificate_type_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class RequestState(models.TextChoices):
    RECEIVED = "received", _("待出具")
    ISSUED = "issued", _("已出具")
    REFUSED = "refused", _("不予出具")


class RefusalGround(models.TextChoices):
    BANNED = "banned", _("属于不应由社区出具的证明事项")
    UNLISTED = "unlisted", _("不在社区可出具证明事项清单内")
    NO_LEGAL_BASIS = "no_legal_basis", _("索要单位未提供法律、法规、规章依据条款")
    ASKERS_OWN_DUTY = "askers_own_duty", _("属于索要单位自身职责范围")
    CANNOT_VERIFY = "cannot_verify", _("社区无法如实掌握相关情况")
    MATERIALS_MISSING = "materials_missing", _("申请人材料不全或未作承诺")
    OTHER = "other", _("其他")


class CertificateRequest(models.Model):
    """A resident's request for a certificate, from the moment it is received to its decision."""

    community = models.ForeignKey(
        Region, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=RequestState.choices, default=RequestState.RECEIVED
    )
    # The list item the type was found on (allowed or banned); empty for a type on no list.
    catalog_list = models.ForeignKey(
        CatalogList, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_key = models.UUIDField(null=True, blank=True)
    type_name = models.CharField(_("证明事项"), max_length=300)
    legal_basis = models.TextField(_("出具依据"), blank=True)
    resident_name = models.CharField(_("申请人姓名"), max_length=50, blank=True)
    id_sealed = models.BinaryField(null=True, blank=True, editable=False)
    id_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_masked = models.CharField(_("公民身份号码"), max_length=18, blank=True)
    resident_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    asking_body = models.CharField(_("索要证明单位"), max_length=200, blank=True)
    asking_clause = models.CharField(_("索要单位援引的依据条款"), max_length=300, blank=True)
    asking_clause_text = models.TextField(_("条款内容"), blank=True)
    purpose = models.TextField(_("证明用途"), blank=True)
    materials_checked = models.JSONField(_("已核验材料"), default=list, blank=True)
    pledged = models.BooleanField(_("申请人已承诺所提供信息属实"), default=False)
    refusal_ground = models.CharField(
        _("不予出具理由"), max_length=20, choices=RefusalGround.choices, blank=True
    )
    # The explanation handed to the resident, frozen as it was given.
    refusal_explanation = models.TextField(_("告知说明"), blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("受理时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("开具证明申请")
        verbose_name_plural = _("开具证明申请")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=RequestState.values), name="certificate_request_state"
            ),
            models.CheckConstraint(
                condition=~Q(state=RequestState.REFUSED) | ~Q(refusal_ground=""),
                name="certificate_refusal_has_ground",
            ),
            # Invariant 7: nothing is issued without a valid (hence sealed) ID number.
            models.CheckConstraint(
                condition=~Q(state=RequestState.ISSUED) | ~Q(id_index=""),
                name="certificate_issued_has_id",
            ),
        ]
        indexes = [models.Index(fields=["community", "state", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type_name} {self.resident_name}"


class Certificate(models.Model):
    """An issued certificate: serial per community and year, verification code, the PDF."""

    request = models.OneToOneField(
        CertificateRequest, on_delete=models.PROTECT, related_name="certificate"
    )
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    serial = models.CharField(_("证明编号"), max_length=40, unique=True)
    statement = models.TextField(_("证明内容"))
    # SM3 of serial and code: the code itself exists only on the printed certificate.
    code_hash = models.CharField(max_length=64)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("出具时间"))
    valid_until = models.DateField(_("有效期至"))
    pdf = models.BinaryField(editable=False)
    pdf_sha256 = models.CharField(max_length=64)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("证明")
        verbose_name_plural = _("证明")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "sequence"], name="certificate_serial_per_year"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="certificate_revocation_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class SealUseKind(models.TextChoices):
    CERTIFICATE = "certificate", _("出具证明用章")
    WORK = "work", _("工作用章")


class SealUse(models.Model):
    """One use of the community's seal. Append-only: the database refuses updates and deletes."""

    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    used_at = models.DateTimeField(_("用印时间"))
    kind = models.CharField(_("用印类别"), max_length=12, choices=SealUseKind.choices)
    content = models.TextField(_("用印事由"))
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approver_name = models.CharField(_("审批人"), max_length=150)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handler_name = models.CharField(_("经办人"), max_length=150)
    requester_name = models.CharField(_("申请人"), max_length=100)
    requester_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    certificate = models.ForeignKey(
        Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="seal_uses"
    )

    class Meta:
        ordering = ["-used_at", "-id"]
        verbose_name = _("印章使用登记")
        verbose_name_plural = _("印章使用登记")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SealUseKind.values), name="seal_use_kind_known"
            ),
            models.CheckConstraint(condition=Q(copies__gte=1), name="seal_use_copies_positive"),
            models.CheckConstraint(
                condition=~Q(kind=SealUseKind.CERTIFICATE) | Q(certificate__isnull=False),
                name="seal_use_certificate_named",
            ),
        ]
        indexes = [models.Index(fields=["community", "used_at"])]

    def __str__(self) -> str:
        return f"{self.community_id} {self.used_at:%Y-%m-%d} {self.content}"
