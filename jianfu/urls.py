from django.urls import include, path

from jianfu.api import views as api_views
from jianfu.api.api import api
from jianfu.catalog import views as catalog_views
from jianfu.core import views as core_views
from jianfu.org import views as org_views

urlpatterns = [
    # The API first: Django tries the addresses in order, and each app's list below is walked
    # through (and its misses collected) before a later one is tried.
    path("api/v1/", api.urls),
    path("", core_views.home, name="home"),
    path("login/", core_views.login_view, name="login"),
    path("logout/", core_views.logout_view, name="logout"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/password/", core_views.password_change, name="password_change"),
    path("account/tokens/", api_views.token_index, name="token_index"),
    path(
        "account/tokens/<int:token_id>/revoke/",
        api_views.token_revoke_view,
        name="token_revoke",
    ),
    path("jobs/<uuid:job_id>/", core_views.job_detail, name="job_detail"),
    path("audit/", core_views.audit_list, name="audit_list"),
    path("audit/verify/", core_views.audit_verify, name="audit_verify"),
    path("manage/regions/", org_views.region_index, name="region_index"),
    path("manage/regions/new/", org_views.region_create_top, name="region_create_top"),
    path("manage/regions/import/", org_views.region_import, name="region_import"),
    path("manage/regions/<str:code>/", org_views.region_detail, name="region_detail"),
    path("manage/units/", org_views.unit_index, name="unit_index"),
    path("manage/units/new/", org_views.unit_create, name="unit_create"),
    path("manage/units/import/", org_views.unit_import, name="unit_import"),
    path("manage/units/<int:unit_id>/", org_views.unit_edit, name="unit_edit"),
    path("manage/accounts/", org_views.account_index, name="account_index"),
    path("manage/accounts/new/", org_views.account_create, name="account_create"),
    path("manage/accounts/<int:account_id>/", org_views.account_edit, name="account_edit"),
    path("lists/", catalog_views.list_index, name="catalog_index"),
    path("lists/new/", catalog_views.list_new, name="catalog_new"),
    path("lists/search/", catalog_views.item_search, name="catalog_search"),
    path("lists/duplicates/", catalog_views.duplicates, name="catalog_duplicates"),
    path("lists/<int:list_id>/", catalog_views.list_detail, name="catalog_list"),
    path("lists/<int:list_id>/diff/", catalog_views.list_diff, name="catalog_diff"),
    path(
        "lists/<int:list_id>/versions/<int:version_id>/export.<str:fmt>",
        catalog_views.list_export,
        name="catalog_export",
    ),
    path(
        "lists/<int:list_id>/versions/new/", catalog_views.version_new, name="catalog_version_new"
    ),
    path("lists/<int:list_id>/draft/", catalog_views.draft_detail, name="catalog_draft"),
    path(
        "lists/<int:list_id>/draft/import/", catalog_views.draft_import, name="catalog_draft_import"
    ),
    path("lists/<int:list_id>/items/<uuid:key>/", catalog_views.item_detail, name="catalog_item"),
    path(
        "lists/<int:list_id>/items/<uuid:key>/change/",
        catalog_views.item_change,
        name="catalog_item_change",
    ),
    path(
        "imports/<uuid:job_id>/confirm/",
        catalog_views.import_confirm,
        name="catalog_import_confirm",
    ),
    path("imports/<uuid:job_id>/remap/", catalog_views.import_remap, name="catalog_import_remap"),
    # The public portal: published lists without login.
    path("public/lists/", catalog_views.list_index, {"public": True}, name="public_lists"),
    path(
        "public/lists/<int:list_id>/",
        catalog_views.list_detail,
        {"public": True},
        name="public_list",
    ),
    path(
        "public/lists/<int:list_id>/diff/",
        catalog_views.list_diff,
        {"public": True},
        name="public_list_diff",
    ),
    path(
        "public/lists/<int:list_id>/versions/<int:version_id>/export.<str:fmt>",
        catalog_views.list_export,
        {"public": True},
        name="public_list_export",
    ),
    path("", include("jianfu.admission.urls")),
    path("", include("jianfu.dispatch.urls")),
    path("", include("jianfu.funds.urls")),
    path("", include("jianfu.evaluation.urls")),
    path("", include("jianfu.certificates.urls")),
    path("", include("jianfu.burden.urls")),
    path("", include("jianfu.reports.urls")),
    path("", include("jianfu.reports.notice_urls")),
    path("", include("jianfu.portal.urls")),
]
