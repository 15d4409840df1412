"""The public verification page of a certificate (no login): written by the verification work."""

from django.http import HttpRequest, HttpResponse


def certificate_verify_page(request: HttpRequest, serial: str) -> HttpResponse:
    raise NotImplementedError
