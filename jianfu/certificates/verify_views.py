"""The public verification page of a certificate (no login): a receiving body scans the QR code
(serial and code filled in) or types both, reads what it needs, and may check the resident's
full ID number against the certificate.

The page is the same for an unknown serial and a wrong code, and counts both against the
caller's address (jianfu.certificates.verification); past the limit it answers 429.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jianfu.certificates import verification
from jianfu.core.errors import InvalidInput, TooManyAttempts
from jianfu.core.requests import client_ip

# The serial of the empty form's address (/verify/certificate/ routes here with it).
NO_SERIAL = "-"


def _page(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    response = render(request, "certificates/verify.html", context, status=status)
    # The address holds the verification code, and the answer a resident's masked data: no
    # cache keeps it. (The site's "same-origin" referrer policy already keeps the address from
    # any other site; "no-referrer" would make the browser post forms with "Origin: null",
    # which the CSRF check refuses.)
    response["Cache-Control"] = "no-store"
    return response


def _typed(value: str | None) -> str:
    """What was typed into a field, without spaces (people copy serials with them)."""
    return "".join((value or "").split())


@require_http_methods(["GET", "POST"])
def certificate_verify_page(request: HttpRequest, serial: str) -> HttpResponse:
    """GET: the verification (the QR code's address) or the form; POST: the ID number check,
    posted so that the number never appears in an address or an access log."""
    serial = "" if serial == NO_SERIAL else _typed(serial)
    data = request.POST if request.method == "POST" else request.GET
    code = _typed(data.get("code"))[: verification.CODE_MAX]
    typed = request.GET.get("serial")
    moved = typed is not None and _typed(typed) != serial
    if request.method == "GET" and (moved or set(request.GET) - {"serial", "code"}):
        # The form on the page names the serial in a field, its address in the path. Anything
        # else in the address (an ID number someone put there) is dropped, never shown again.
        try:
            target = reverse(
                "certificate_verify", args=[(_typed(typed) if moved else serial) or NO_SERIAL]
            )
        except NoReverseMatch:
            return _page(request, {"serial": "", "code": code, "problem": _bad_code()})
        return redirect(f"{target}?{urlencode({'code': code})}" if code else target)
    context: dict[str, Any] = {"serial": serial, "code": code}
    if not serial or not code:
        if request.method == "POST" or "code" in request.GET:
            context["problem"] = _("请输入证明上的编号和核验码。")
        return _page(request, context)
    ip = client_ip(request)
    try:
        certificate = verification.certificate_verify_guarded(ip=ip, serial=serial, code=code)
    except TooManyAttempts as error:
        return _page(request, {**context, "problem": error.message, "locked": True}, status=429)
    except InvalidInput as error:
        return _page(request, {**context, "problem": error.message})
    context["verification"] = verification.verification_of(certificate)
    if request.method == "POST":
        try:
            context["id_match"] = verification.id_number_matches(
                ip=ip, certificate=certificate, id_number=request.POST.get("id_number", "")
            )
        except TooManyAttempts as error:
            return _page(request, {**context, "id_problem": error.message}, status=429)
        except InvalidInput as error:
            context["id_problem"] = error.message
    return _page(request, context)


def _bad_code() -> str:
    return _("证明编号或核验码不正确，请核对证明上的编号和核验码。")
