from django.urls import path

from jianfu.reports import views

urlpatterns = [
    path("stats/", views.stats_home, name="stats_home"),
    path("stats/departments/<int:unit_id>/", views.stats_department, name="stats_department"),
    path("stats/<str:code>/", views.stats_region, name="stats_region"),
    path("stats/<str:code>/refresh/", views.stats_refresh_start, name="stats_refresh"),
    # The public portal: the same pages without login, figures only.
    path("public/stats/", views.public_stats_index, name="public_stats"),
    path(
        "public/stats/<str:code>/",
        views.stats_region,
        {"public": True},
        name="public_stats_region",
    ),
    path(
        "public/scorecard/<int:unit_id>/",
        views.stats_department,
        {"public": True},
        name="public_scorecard_department",
    ),
]
