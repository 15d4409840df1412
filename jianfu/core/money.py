"""Money is kept in integer fen (分); people read and type yuan (元)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from jianfu.core.errors import InvalidInput

YUAN = re.compile(r"^\s*(\d{1,13})(?:\.(\d{1,2}))?\s*$")


def format_fen(fen: int) -> str:
    """12345678 → "123,456.78"."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan:,}.{cents:02d}"


def format_wan(fen: int) -> str:
    """Fen as 万元 (ten thousand yuan) to two places, rounded half up: 9150000 → "9.15"."""
    sign = "-" if fen < 0 else ""
    # One hundredth of 万元 is 100 yuan, 10,000 fen.
    hundredths = (abs(int(fen)) * 2 + 10_000) // 20_000
    wan, rest = divmod(hundredths, 100)
    return f"{sign}{wan:,}.{rest:02d}" if hundredths else "0.00"


def parse_yuan(text: str) -> int:
    """ "1,234.5" → 123450 fen; anything else is refused with a message in the user's language."""
    match = YUAN.match(str(text).replace(",", "").replace("，", ""))
    if match is None:
        raise InvalidInput(_("金额“%(value)s”无效：请填写元，最多两位小数。") % {"value": text})
    yuan, cents = match.groups()
    return int(yuan) * 100 + int((cents or "0").ljust(2, "0"))
