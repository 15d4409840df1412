from django.urls import path, re_path

from jianfu.burden import views

# The burden index of a district, street and community, the four inventories with their
# clean-up, the district's caps and the snapshots.
urlpatterns = [
    path("burden/", views.index, name="burden_index"),
    path("burden/settings/", views.settings_page, name="burden_settings"),
    path("burden/snapshots/", views.snapshots, name="burden_snapshots"),
    path("burden/snapshots/take/", views.snapshot_take, name="burden_snapshot_take"),
    path("burden/snapshots/baseline/", views.baseline_record, name="burden_baseline_record"),
    path("burden/communities/<str:code>/", views.community, name="burden_community"),
    # Only the four kinds, so other pages under a community's address stay free.
    re_path(
        r"^burden/communities/(?P<code>[0-9]{12})/(?P<kind>signboard|ledger|campaign|system)/$",
        views.inventory,
        name="burden_inventory",
    ),
    path("burden/entries/<int:pk>/edit/", views.entry_edit, name="burden_entry_edit"),
    path("burden/entries/<int:pk>/end/", views.entry_end, name="burden_entry_end"),
]
