from django.urls import path

from jianfu.portal import views

# The public portal (no login): the front page, evaluation results, the daily data dump and the
# language links. The lists, the admissions register, verification, statistics and scorecards
# live with their apps under the same /public/ and /verify/ prefixes.
urlpatterns = [
    path("public/", views.index, name="portal_index"),
    path("public/evaluation/", views.evaluation_index, name="portal_evaluation"),
    path(
        "public/evaluation/<int:campaign_id>/",
        views.evaluation_detail,
        name="portal_evaluation_detail",
    ),
    path("public/dump/", views.dump_page, name="portal_dump"),
    path("public/dump/latest.json", views.dump_latest_json, name="portal_dump_json"),
    path("public/dump/latest.csv", views.dump_latest_csv, name="portal_dump_csv"),
    path("public/lang/<str:code>/", views.language, name="portal_language"),
]
