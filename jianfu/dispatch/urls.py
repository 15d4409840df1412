from django.urls import path

from jianfu.dispatch import views
from jianfu.reports import views as reports_views

urlpatterns = [
    path("tasks/", views.task_index, name="task_index"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/violations/", views.violations, name="violations"),
    path("tasks/refusals/", views.refusal_reviews, name="refusal_reviews"),
    path("tasks/<int:task_id>/", views.task_detail, name="task_detail"),
    path("tasks/<int:task_id>/cancel/", views.task_cancel, name="task_cancel"),
    path("inbox/", views.inbox, name="inbox"),
    path("deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:delivery_id>/notice.pdf", views.refusal_notice, name="refusal_notice"),
    path(
        "deliveries/<int:delivery_id>/<str:action>/",
        views.delivery_action,
        name="delivery_action",
    ),
    # The departments' public scorecard reads the precomputed figures (jianfu.reports).
    path("public/scorecard/", reports_views.public_scorecard, name="public_scorecard"),
]
