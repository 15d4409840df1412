"""The documents an admission produces: the assistance agreement (协助管理协议书) as PDF."""

from __future__ import annotations

from django.template.defaultfilters import date as format_date
from django.utils import translation
from django.utils.translation import gettext as _

from jianfu.admission.models import Admission
from jianfu.core.pdf import render_pdf

CHINESE_NUMERALS = "一二三四五六七八九十"


def agreement_sections(admission: Admission) -> list[tuple[str, str]]:
    """The agreement's numbered sections; a section with nothing to say is left out."""
    start = format_date(admission.valid_from, "Y年n月j日")
    end = format_date(admission.valid_until, "Y年n月j日")
    sections = [
        (_("协助事项"), f"{admission.title}（{admission.get_object_kind_display()}）"),
        (_("授权内容"), admission.content),
        (_("服务对象"), admission.service_objects),
        (_("配套权限"), admission.powers),
        (
            _("协议期限"),
            _(
                "自 %(start)s 起至 %(end)s 止。期满未续期的，本协议自行终止，乙方有权拒绝继续承担该事项。"
            )
            % {"start": start, "end": end},
        ),
        (_("经费保障（费随事转）"), "funding"),
        (_("准入条件"), admission.conditions),
        (
            _("双方责任"),
            _(
                "甲方负责业务指导、培训和考核评估，不得将未经准入的工作、台账、报表和考核评比交由乙方承担；"
                "乙方在授权范围内协助开展工作，对不符合准入规定的事项有权拒绝或不予受理。"
                "本事项接受街道和社区年度评议，群众满意率不过半数的，予以撤销。"
            ),
        ),
    ]
    kept = [(heading, body) for heading, body in sections if body]
    return [(f"{CHINESE_NUMERALS[i]}、{heading}", body) for i, (heading, body) in enumerate(kept)]


def agreement_pdf(admission: Admission) -> bytes:
    """The agreement between the department and the streets or communities it places work on.

    It is an official Chinese document, whatever language the person approving uses.
    """
    with translation.override("zh-hans"):
        return _agreement_pdf(admission)


def _agreement_pdf(admission: Admission) -> bytes:
    scope = list(admission.scope.select_related("region").order_by("region_id"))
    return render_pdf(
        template="admission/agreement.html",
        context={
            "admission": admission,
            "scope": scope,
            "total_fen": sum(row.funding_fen for row in scope),
            "sections": agreement_sections(admission),
        },
    )
