"""The refusal notice (不予受理告知书) a street or community sends the department, as PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jianfu.core.http import content_disposition
from jianfu.core.pdf import render_pdf
from jianfu.dispatch.models import Delivery, DeliveryStatus, RecipientLevel
from jianfu.dispatch.services import reason_texts, refusal_basis_for


def refusal_notice_number(delivery: Delivery) -> str:
    """E.g. 不予受理〔2026〕第 123 号: the year of the refusal (Beijing time) and the delivery's
    row number."""
    return f"不予受理〔{timezone.localtime(delivery.refused_at):%Y}〕第 {delivery.pk} 号"


def refusal_notice_pdf(delivery: Delivery) -> bytes:
    """The notice for a refused delivery; a Chinese official document in every interface language."""
    if delivery.status != DeliveryStatus.REFUSED:
        raise ValueError("only a refused delivery has a refusal notice")
    task = delivery.task
    with translation.override("zh-hans"):
        recipient = delivery.region.name + (
            "居民委员会" if task.recipient_level == RecipientLevel.COMMUNITY else "办事处"
        )
        return render_pdf(
            template="pdf/refusal_notice.html",
            context={
                "delivery": delivery,
                "task": task,
                "number": refusal_notice_number(delivery),
                "recipient": recipient,
                "reasons": reason_texts(task, delivery.reasons),
                "basis": delivery.refusal_basis or refusal_basis_for(delivery.region_id),
            },
        )


def refusal_notice_response(delivery: Delivery) -> HttpResponse:
    """The notice as an inline PDF, named after the task and the recipient, kept out of shared
    caches (it names residents' communities and departments' work)."""
    response = HttpResponse(refusal_notice_pdf(delivery), content_type="application/pdf")
    filename = _("不予受理告知书-%(reference)s-%(region)s.pdf") % {
        "reference": delivery.task.reference,
        "region": delivery.region.name,
    }
    fallback = f"refusal-notice-{delivery.task.reference}-{delivery.region_id}.pdf"
    response["Content-Disposition"] = content_disposition(filename, inline=True, fallback=fallback)
    response["Cache-Control"] = "private, no-store"
    return response
