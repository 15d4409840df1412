from django.urls import path

from jianfu.certificates import verify_views, views

urlpatterns = [
    # The public verification: the empty form (linked from the login page), and a certificate's
    # own address, which its QR code opens with the code filled in.
    path(
        "verify/certificate/",
        verify_views.certificate_verify_page,
        {"serial": verify_views.NO_SERIAL},
        name="certificate_verify_form",
    ),
    path(
        "verify/certificate/<str:serial>",
        verify_views.certificate_verify_page,
        name="certificate_verify",
    ),
    # The certificate pages: a community's requests and decisions, the seal-use log, the
    # district's types and banned list, and who keeps asking for what communities must not issue.
    path("certificates/", views.certificates_index, name="certificates_index"),
    path("certificates/find/", views.certificates_find, name="certificates_find"),
    path("certificates/export/", views.certificates_export, name="certificates_export"),
    path("certificates/new/", views.certificates_new, name="certificates_new"),
    path("certificates/check/", views.certificates_check, name="certificates_check"),
    path(
        "certificates/requests/<int:pk>/", views.certificates_request, name="certificates_request"
    ),
    path(
        "certificates/requests/<int:pk>/edit/",
        views.certificates_request_edit,
        name="certificates_request_edit",
    ),
    path(
        "certificates/requests/<int:pk>/issue/", views.certificates_issue, name="certificates_issue"
    ),
    path(
        "certificates/requests/<int:pk>/refuse/",
        views.certificates_refuse,
        name="certificates_refuse",
    ),
    path(
        "certificates/requests/<int:pk>/reveal/",
        views.certificates_reveal,
        name="certificates_reveal",
    ),
    path(
        "certificates/requests/<int:pk>/notice.pdf",
        views.certificates_notice_pdf,
        name="certificates_notice_pdf",
    ),
    path("certificates/issued/<int:pk>/pdf/", views.certificates_pdf, name="certificates_pdf"),
    path(
        "certificates/issued/<int:pk>/revoke/",
        views.certificates_revoke,
        name="certificates_revoke",
    ),
    path("certificates/seal/", views.certificates_seal, name="certificates_seal"),
    path(
        "certificates/seal/export/", views.certificates_seal_export, name="certificates_seal_export"
    ),
    path("certificates/types/", views.certificates_types, name="certificates_types"),
    path(
        "certificates/types/banned.pdf",
        views.certificates_banned_pdf,
        name="certificates_banned_pdf",
    ),
    path(
        "certificates/types/<uuid:key>/",
        views.certificates_type_edit,
        name="certificates_type_edit",
    ),
    path("certificates/refusals/", views.certificates_refusals, name="certificates_refusals"),
]
