"""Admission pages: applications, the register, and the public verification of a number."""

from django.urls import path

from jianfu.admission import register_views, views

urlpatterns = [
    path("admission/", views.application_index, name="application_index"),
    path("admission/new/", views.application_new, name="application_new"),
    path("admission/<int:application_id>/", views.application_detail, name="application_detail"),
    path("admission/<int:application_id>/edit/", views.application_edit, name="application_edit"),
    path(
        "admission/<int:application_id>/documents/",
        views.document_upload,
        name="application_document_upload",
    ),
    path(
        "admission/<int:application_id>/documents/<int:document_id>/",
        views.document_download,
        name="application_document",
    ),
    path(
        "admission/<int:application_id>/documents/<int:document_id>/delete/",
        views.document_delete,
        name="application_document_delete",
    ),
    path(
        "admission/<int:application_id>/transition/",
        views.application_transition,
        name="application_transition",
    ),
    path("admission/<int:application_id>/opinion/", views.opinion_give, name="opinion_give"),
    path("admissions/settings/", register_views.settings_edit, name="admission_settings"),
    path("admissions/", register_views.admission_index, name="admission_index"),
    path("admissions/provisional/", register_views.provisional_new, name="admission_provisional"),
    path(
        "admissions/<int:admission_id>/", register_views.admission_detail, name="admission_detail"
    ),
    path(
        "admissions/<int:admission_id>/agreement.pdf",
        register_views.admission_agreement,
        name="admission_agreement",
    ),
    path(
        "admissions/<int:admission_id>/state/",
        register_views.admission_state,
        name="admission_state",
    ),
    path(
        "admissions/<int:admission_id>/renew/",
        register_views.admission_renew,
        name="admission_renew",
    ),
    path("notifications/", views.notification_index, name="notification_index"),
    path("manage/calendar/", register_views.calendar_edit, name="calendar_edit"),
    # Public, without login.
    path("verify/admission/", register_views.verify_admission, name="verify_admission_form"),
    path(
        "verify/admission/<path:number>", register_views.verify_admission, name="verify_admission"
    ),
    path("public/admissions/", register_views.public_register, name="public_admissions"),
]
