from django.urls import path

from jianfu.reports import notice_views

# The annual notice: the district's notices and the form, one notice, its two documents.
urlpatterns = [
    path("reports/notices/", notice_views.notice_index, name="notice_index"),
    path("reports/notices/<int:notice_id>/", notice_views.notice_detail, name="notice_detail"),
    path(
        "reports/notices/<int:notice_id>/notice.<str:fmt>",
        notice_views.notice_download,
        name="notice_download",
    ),
]
