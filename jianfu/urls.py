from django.urls import include, path

from jianfu.api import views as api_views
from jianfu.api.api import api
from jianfu.core import views as core_views
from jianfu.org import views as org_views

urlpatterns = [
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
    path("api/v1/", api.urls),
]
