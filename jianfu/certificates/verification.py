"""Public verification of a certificate: what a receiving body learns with the serial and the
code printed on it, and a yes-or-no check of the resident's full ID number against the one the
certificate was issued for. The page and the API share it.

Only what the receiving body needs is shown: status, type, serial, the issuing community, the
dates, the asking body, and the resident's name and ID number masked — never the purpose, the
phone or the statement. Wrong codes, and ID numbers that do not match, are counted against the
caller's address (jianfu.core.guessing); ID numbers that do not match are counted against the
certificate too, since its masked number leaves only the birth date to guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jianfu.certificates.models import Certificate
from jianfu.certificates.services import certificate_verify
from jianfu.core import guessing
from jianfu.core.crypto import constant_time_equal
from jianfu.core.errors import TooManyAttempts
from jianfu.core.id_numbers import id_number_clean, id_number_index

SCOPE = "certificate"
# ID numbers that did not match, per certificate (whatever the address).
ID_SCOPE = "certificate-id"
CODE_REJECTED = "certificates.code_rejected"
ID_MISMATCH = "certificates.id_check_mismatch"
SERIAL_MAX = Certificate._meta.get_field("serial").max_length
CODE_MAX = 40


class VerificationStatus(models.TextChoices):
    VALID = "valid", gettext_lazy("有效")
    REVOKED = "revoked", gettext_lazy("已撤销")
    EXPIRED = "expired", gettext_lazy("已过期")


@dataclass(frozen=True)
class Verification:
    """What a receiving body reads of a certificate whose code it holds."""

    status: str
    status_label: str
    serial: str
    type_name: str
    community: str
    street: str
    district: str
    issued_on: dt.date
    valid_until: dt.date
    asking_body: str
    resident_name: str
    id_masked: str
    revoked_on: dt.date | None
    revoked_reason: str


def name_mask(name: str) -> str:
    """The first character of a name, the rest as *: 张三丰 → 张**."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1)


def status_of(certificate: Certificate, *, today: dt.date | None = None) -> str:
    """Revoked wins over expired: a receiving body must learn that it was withdrawn."""
    today = today or timezone.localdate()
    if certificate.is_revoked:
        return VerificationStatus.REVOKED
    if certificate.valid_until < today:
        return VerificationStatus.EXPIRED
    return VerificationStatus.VALID


def verification_of(certificate: Certificate, *, today: dt.date | None = None) -> Verification:
    """The receiving body's view of a verified certificate."""
    status = status_of(certificate, today=today)
    community = certificate.community
    street = community.parent
    district = street.parent if street is not None else None
    request = certificate.request
    return Verification(
        status=status,
        status_label=str(VerificationStatus(status).label),
        serial=certificate.serial,
        type_name=request.type_name,
        community=community.name,
        street=street.name if street else "",
        district=district.name if district else "",
        issued_on=timezone.localdate(certificate.issued_at),
        valid_until=certificate.valid_until,
        asking_body=request.asking_body,
        resident_name=name_mask(request.resident_name),
        id_masked=request.id_masked,
        revoked_on=timezone.localdate(certificate.revoked_at) if certificate.revoked_at else None,
        revoked_reason=certificate.revoked_reason,
    )


def _refusal() -> str:
    return _("核验码或公民身份号码输入错误次数过多，请 15 分钟后再试。")


def certificate_verify_guarded(*, ip: str, serial: str, code: str) -> Certificate:
    """The certificate if the code is its own, for an address not past the limit; a wrong code
    or an unknown serial (the same answer) is counted against the address."""
    serial = (serial or "").strip()
    return guessing.guarded(
        scope=SCOPE,
        key=ip,
        call=lambda: certificate_verify(serial=serial, code=(code or "")[:CODE_MAX]),
        refusal=_refusal(),
        action=CODE_REJECTED,
        # The serial as typed (cut to a serial's length): enough to see what was tried.
        changes={"serial": serial[:SERIAL_MAX]},
    )


def id_number_matches(*, ip: str, certificate: Certificate, id_number: str) -> bool:
    """Whether the ID number typed from the resident's card is the one the certificate was
    issued for. A malformed number is InvalidInput with the validation message (which never
    repeats it); a number that does not match counts against the address and the certificate."""
    if guessing.attempts_refused(scope=SCOPE, key=ip) or guessing.attempts_refused(
        scope=ID_SCOPE, key=certificate.serial
    ):
        raise TooManyAttempts(_refusal())
    clean = id_number_clean(id_number)
    if constant_time_equal(id_number_index(clean), certificate.request.id_index):
        return True
    guessing.failure_record(scope=SCOPE, key=ip, action=ID_MISMATCH, target=certificate)
    # Counted once more against the certificate, without a second audit record.
    guessing.failure_count(scope=ID_SCOPE, key=certificate.serial)
    return False
