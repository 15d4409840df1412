"""The printed papers of the certificate app: the certificate itself (证明), with its serial,
verification code and a QR code that opens the public verification page, and the notice a
resident is handed when a certificate is refused (不予出具证明告知单)."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from jianfu.certificates.models import Certificate, CertificateRequest
from jianfu.core.pdf import render_pdf


def verify_url(*, site_url: str, serial: str, code: str) -> str:
    """What the certificate's QR code opens: the public verification page, code filled in."""
    path = reverse("certificate_verify", args=[serial])
    return f"{site_url}{path}?{urlencode({'code': code})}"


def _site_url(site_url: str) -> str:
    return (settings.JIANFU_SITE_URL or site_url).rstrip("/")


def certificate_pdf(*, certificate: Certificate, code: str, site_url: str = "") -> bytes:
    """The A4 certificate. It shows the resident's ID number masked: the receiving body checks
    the full number against the resident's card, or on the verification page."""
    site = _site_url(site_url)
    url = verify_url(site_url=site, serial=certificate.serial, code=code)
    # A Chinese document in every interface language, as the other PDFs are.
    with translation.override("zh-hans"):
        return render_pdf(
            template="pdf/certificate.html",
            context={
                "certificate": certificate,
                "request": certificate.request,
                "community": certificate.community,
                "code": code,
                "qr": segno.make(url, error="m").svg_data_uri(scale=3),
                "verify_url": url,
                "verify_address": f"{site}{reverse('certificate_verify', args=[certificate.serial])}",
            },
        )


def refusal_notice_pdf(*, request: CertificateRequest) -> bytes:
    """The notice handed to a resident whose request was refused, with the explanation."""
    with translation.override("zh-hans"):
        return render_pdf(
            template="pdf/certificate_refusal.html",
            context={"request": request, "community": request.community},
        )
