"""Item codes, item types and legal-basis text as offices write them, parsed and validated."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from jianfu.catalog.models import PowerType

# The implementation code of the national integrated government-service platform, e.g.
# 511A0138000000-511602000000-000-115113010833722043-1-00: the item's basic code, the 12-digit
# division code, 000, the implementing body's unified social credit code, the type digit and
# a two-digit handling suffix.
NATIONAL_CODE = re.compile(
    r"^(?P<basic>\d{3}[A-Z]\d{10})-(?P<division>\d{12})-000-"
    r"(?P<credit>[0-9A-HJ-NPQRTUWXY]{18})-(?P<type>\d)-(?P<suffix>\d{2})$"
)
# Without a list's own rule, a local code is letters, digits and the separators offices use.
DEFAULT_LOCAL_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_.]{0,79}$")

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_is_valid(code: str) -> bool:
    """GB 32100-2015: the 18th character of a unified social credit code is a check character."""
    if len(code) != 18 or any(ch not in CREDIT_CODE_CHARS for ch in code):
        return False
    total = sum(
        CREDIT_CODE_CHARS.index(ch) * w
        for ch, w in zip(code[:17], CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31] == code[17]


def code_problem(code: str, *, local_pattern: str = "") -> str | None:
    """Why `code` is not a valid item code for a list with this local rule (None when it is)."""
    if not code:
        return None
    if "-" in code and code.count("-") == 5 and code[:3].isdigit():
        match = NATIONAL_CODE.match(code)
        if match is None:
            return _(
                "事项编码 %(code)s 不符合国家实施编码格式"
                "（基本编码-12位区划代码-000-统一社会信用代码-类型-2位办理项）。"
            ) % {"code": code}
        if not credit_code_is_valid(match["credit"]):
            return _("事项编码 %(code)s 中的统一社会信用代码校验位不正确。") % {"code": code}
        return None
    if local_pattern:
        if re.fullmatch(local_pattern, code) is None:
            return _("事项编码 %(code)s 不符合本清单的编码规则 %(rule)s。") % {
                "code": code,
                "rule": local_pattern,
            }
        return None
    if DEFAULT_LOCAL_CODE.match(code) is None:
        return _("事项编码 %(code)s 只能由字母、数字和 - _ . 组成，且不超过 80 位。") % {
            "code": code
        }
    return None


def pattern_problem(pattern: str) -> str | None:
    if not pattern:
        return None
    try:
        re.compile(pattern)
    except re.error:
        return _("本地编码规则不是有效的正则表达式。")
    return None


_POWER_TYPE_WORDS = {
    **{t.value: t.value for t in PowerType},
    # Sichuan writes the codes without the leading zero.
    **{t.value.lstrip("0"): t.value for t in PowerType},
    "行政许可": "01",
    "行政处罚": "02",
    "行政强制": "03",
    "行政征收": "04",
    "行政给付": "05",
    "行政检查": "06",
    "行政确认": "07",
    "行政奖励": "08",
    "行政裁决": "09",
    "其他行政权力": "10",
    "其他权力": "10",
    "公共服务": "20",
}


def parse_power_type(text: str) -> str | None:
    """The two-digit type code for a code or name as written ("1", "01", "行政许可"); None if unknown."""
    return _POWER_TYPE_WORDS.get(text.strip())


@dataclass(frozen=True)
class LegalBasis:
    law: str
    article: str
    text: str


_LAW = re.compile(r"《[^》]{1,150}》")
_ARTICLE = re.compile(
    r"第[一二三四五六七八九十百零〇\d]+条(?:第[一二三四五六七八九十百零〇\d]+[款项])*"
)


def parse_legal_basis(text: str) -> LegalBasis:
    """Split "《城市居民委员会组织法》第三条：……" into the law, the article and the quoted text."""
    text = text.strip()
    law = _LAW.search(text)
    if law is None:
        return LegalBasis(law="", article="", text=text)
    # The article counts only where it follows the law's title directly.
    after = law.end()
    while after < len(text) and text[after].isspace():
        after += 1
    article = _ARTICLE.match(text, after)
    # What follows the citation is the quoted text of the provision, if the office gave it.
    rest = text[article.end() if article else law.end() :].strip().lstrip("：:，,").strip()
    return LegalBasis(
        law=law.group(0)[:200],
        article=article.group(0)[:100] if article else "",
        text=rest,
    )


def format_legal_basis(law: str, article: str, text: str) -> str:
    """The inverse of parse_legal_basis: one cell, as it is exported."""
    citation = law + article
    if citation and text:
        return f"{citation}：{text}"
    return citation or text
