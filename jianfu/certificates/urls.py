from django.urls import path

from jianfu.certificates import verify_views

urlpatterns = [
    path(
        "verify/certificate/<str:serial>",
        verify_views.certificate_verify_page,
        name="certificate_verify",
    ),
]
