from django.urls import path

from jianfu.evaluation import assessment_views as views

# The assessment of dispatched agencies (派驻机构双向评估, 三方会考), under /evaluation/.
urlpatterns = [
    path("evaluation/assessments/", views.assessment_index, name="assessment_index"),
    path("evaluation/assessments/new/", views.assessment_new, name="assessment_new"),
    path(
        "evaluation/assessments/<int:pk>/roster/",
        views.assessment_roster,
        name="assessment_roster",
    ),
    path(
        "evaluation/assessments/<int:pk>/score/<str:kind>/",
        views.assessment_score,
        name="assessment_score",
    ),
    path(
        "evaluation/assessments/<int:pk>/results/",
        views.assessment_results,
        name="assessment_results",
    ),
    path(
        "evaluation/assessments/<int:pk>/results/export/",
        views.assessment_results_export,
        name="assessment_results_export",
    ),
    path("evaluation/assessments/<int:pk>/close/", views.assessment_close, name="assessment_close"),
]
