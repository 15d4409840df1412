"""The token sheet (评议码表): a community's one-time codes printed as cut-out cards, each with a
QR code that opens the voting page with the campaign and the code already filled in."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from jianfu.core.pdf import render_pdf
from jianfu.evaluation.models import Campaign, TokenSheet

# Two cards a row and five rows a page: ten cards per A4 sheet, each big enough to hold a QR
# code a phone reads at arm's length.
CARDS_PER_ROW = 2


def vote_url(*, site_url: str, campaign_id: int, code: str) -> str:
    """What a card's QR code opens: the code page with both the campaign and the code."""
    query = urlencode({"campaign": campaign_id, "code": code})
    return f"{site_url}{reverse('evaluation_vote_code')}?{query}"


def qr_data_uri(url: str) -> str:
    # Error correction M survives a fold or a smudge across the card; scale 3 keeps the SVG
    # small, its printed size is set by the template.
    return segno.make(url, error="m").svg_data_uri(scale=3)


def token_sheet_pdf(
    *, campaign: Campaign, sheet: TokenSheet, codes: list[tuple[int, str]], site_url: str = ""
) -> bytes:
    """The A4 PDF of a sheet's codes, `codes` being (serial number, formatted code) pairs.

    The QR codes carry the site's address: JIANFU_SITE_URL when the deployment sets it, else
    `site_url` (the address the sheet was requested at); with neither they hold only a path,
    which a phone's camera shows as text.
    """
    site_url = (settings.JIANFU_SITE_URL or site_url).rstrip("/")
    cards = [
        {
            "serial": serial,
            "code": code,
            "qr": qr_data_uri(vote_url(site_url=site_url, campaign_id=campaign.pk, code=code)),
        }
        for serial, code in codes
    ]
    rows = [cards[i : i + CARDS_PER_ROW] for i in range(0, len(cards), CARDS_PER_ROW)]
    # A Chinese document for residents in every interface language, as the other PDFs are.
    with translation.override("zh-hans"):
        return render_pdf(
            template="pdf/token_sheet.html",
            context={
                "campaign": campaign,
                "region": sheet.region,
                "group": sheet.group.get_kind_display(),
                "rows": rows,
                "first": codes[0][0] if codes else 0,
                "last": codes[-1][0] if codes else 0,
                "site_url": site_url,
                "vote_path": reverse("evaluation_vote_code"),
            },
        )
