from django.urls import path

from jianfu.burden import import_views

# The survey import: upload and preview, the checked preview, its confirmation, the template.
urlpatterns = [
    path("burden/import/", import_views.import_index, name="burden_import"),
    path(
        "burden/import/template.xlsx",
        import_views.import_template,
        name="burden_import_template",
    ),
    path("burden/import/<uuid:job_id>/", import_views.import_job, name="burden_import_job"),
    path(
        "burden/import/<uuid:job_id>/confirm/",
        import_views.import_confirm,
        name="burden_import_confirm",
    ),
]
