from django.urls import path

from jianfu.evaluation import assessment_urls, views, vote_views

# The annual evaluation: campaigns, voting (accounts and one-time codes), evaluators, token
# sheets, paper ballots, results and the district's settings.
urlpatterns = [
    path("evaluation/", views.campaign_index, name="evaluation_index"),
    path("evaluation/new/", views.campaign_new, name="evaluation_campaign_new"),
    path("evaluation/settings/", views.settings_page, name="evaluation_settings"),
    path("evaluation/mine/", vote_views.my_ballots, name="evaluation_my_ballots"),
    path("evaluation/vote/", vote_views.vote_with_code, name="evaluation_vote_code"),
    path("evaluation/<int:pk>/", views.campaign_detail, name="evaluation_campaign"),
    path("evaluation/<int:pk>/edit/", views.campaign_edit, name="evaluation_campaign_edit"),
    path(
        "evaluation/<int:pk>/action/<str:action>/",
        views.campaign_action,
        name="evaluation_campaign_action",
    ),
    path("evaluation/<int:pk>/vote/", vote_views.vote, name="evaluation_vote"),
    path("evaluation/<int:pk>/evaluators/", views.evaluators, name="evaluation_evaluators"),
    path("evaluation/<int:pk>/sheets/", views.sheets, name="evaluation_sheets"),
    path("evaluation/sheets/<int:sheet_id>/pdf/", views.sheet_pdf, name="evaluation_sheet_pdf"),
    path("evaluation/<int:pk>/paper/", views.paper, name="evaluation_paper"),
    path(
        "evaluation/<int:pk>/paper/template/",
        views.paper_template_download,
        name="evaluation_paper_template",
    ),
    path("evaluation/paper/<int:batch_id>/", views.paper_batch, name="evaluation_paper_batch"),
    path("evaluation/<int:pk>/results/", views.results, name="evaluation_results"),
    path(
        "evaluation/<int:pk>/results/export/",
        views.results_export,
        name="evaluation_results_export",
    ),
    path(
        "evaluation/targets/<int:target_id>/confirm/",
        views.target_confirm,
        name="evaluation_target_confirm",
    ),
]
# Two-way / three-party assessment of dispatched agencies.
urlpatterns += assessment_urls.urlpatterns
