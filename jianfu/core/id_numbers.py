"""Citizen ID numbers (公民身份号码, GB 11643-1999): validation, masking, sealing.

An ID number is personal information of the most sensitive kind. It is checked here, then
kept only sealed with SM4-GCM and as an HMAC-SM3 lookup index (jianfu.core.crypto); pages,
exports and logs show the masked form (first 6 and last 4 digits). Error messages never
repeat the number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianfu.core.crypto import blind_index, field_decrypt, field_encrypt
from jianfu.core.errors import InvalidInput

LENGTH = 18
# Weight of each of the first 17 digits: 2^(17 - i) mod 11.
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARACTERS = "10X98765432"
# Province-level codes of GB/T 2260, with the residence permits of Hong Kong, Macao and
# Taiwan residents (81, 82, 83), which follow GB 11643 as well.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip
EARLIEST_BIRTH = dt.date(1900, 1, 1)
MASK = "*" * 8
# The authenticated context of the sealed value and the key of the index: a value sealed for
# one purpose opens nowhere else.
SEAL_CONTEXT = "id_number"


def check_character(first17: str) -> str:
    """The 18th character GB 11643 computes from the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def id_number_clean(raw: str) -> str:
    """The ID number in canonical form (upper-case X), or InvalidInput saying what is wrong
    without repeating the number."""
    value = "".join(str(raw or "").split()).upper()
    if len(value) == 15 and value.isdigit():
        raise InvalidInput(
            _("请使用18位公民身份号码：15位的第一代身份证已于2013年停止使用。"),
            code="id_number_length",
        )
    if (
        len(value) != LENGTH
        or not value[:17].isdigit()
        or not (value[17].isdigit() or value[17] == "X")
    ):
        raise InvalidInput(
            _("公民身份号码应为18位：前17位是数字，最后一位是数字或 X。"),
            code="id_number_length",
        )
    if value[:2] not in PROVINCE_CODES:
        raise InvalidInput(
            _("公民身份号码的前两位不是已知的省级行政区划代码。"), code="id_number_region"
        )
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        birth = None
    if birth is None or not EARLIEST_BIRTH <= birth <= timezone.localdate():
        raise InvalidInput(
            _("公民身份号码中的出生日期（第7至14位）不是有效日期。"), code="id_number_birth"
        )
    if check_character(value[:17]) != value[17]:
        raise InvalidInput(
            _("公民身份号码的校验码（最后一位）不正确，请核对是否输错。"), code="id_number_check"
        )
    return value


def id_number_mask(value: str) -> str:
    """First 6 and last 4 characters, the 8 between hidden: 511002********123X."""
    return f"{value[:6]}{MASK}{value[-4:]}" if len(value) == LENGTH else MASK


@dataclass(frozen=True)
class SealedIdNumber:
    """What is stored of an ID number: the sealed value, the lookup index, the masked form."""

    sealed: bytes
    index: str
    masked: str


def id_number_seal(raw: str) -> SealedIdNumber:
    """Validate, then seal: the only form in which an ID number is kept."""
    value = id_number_clean(raw)
    return SealedIdNumber(
        sealed=field_encrypt(value, context=SEAL_CONTEXT),
        index=id_number_index(value),
        masked=id_number_mask(value),
    )


def id_number_index(value: str) -> str:
    """The lookup index of a (clean) ID number."""
    return blind_index(value, context=SEAL_CONTEXT)


def id_number_open(sealed: bytes) -> str:
    """The ID number in clear; callers check the permission and audit the reason first."""
    return field_decrypt(sealed, context=SEAL_CONTEXT)
