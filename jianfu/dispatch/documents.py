"""The refusal notice (不予受理告知书) a street or community sends the department, as PDF."""

from __future__ import annotations

from django.utils import timezone, translation

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
