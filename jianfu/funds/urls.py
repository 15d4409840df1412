from django.urls import path

from jianfu.funds import report_views, views

urlpatterns: list = []

# The ledger's pages: accounts, transactions, vouchers and the forms that move money.
urlpatterns += [
    path("funds/accounts/", views.account_index, name="funds_accounts"),
    path("funds/accounts/<int:account_id>/", views.account_detail, name="funds_account"),
    path(
        "funds/transactions/<int:transaction_id>/",
        views.transaction_detail,
        name="funds_transaction",
    ),
    path(
        "funds/transactions/<int:transaction_id>/reverse/",
        views.transaction_reverse,
        name="funds_reverse",
    ),
    path("funds/vouchers/<int:voucher_id>/", views.voucher_download, name="funds_voucher"),
    path("funds/appropriate/", views.appropriate, name="funds_appropriate"),
    path("funds/transfer/", views.transfer, name="funds_transfer"),
    path("funds/base/", views.allocate_base, name="funds_base"),
    path("funds/spend/", views.spend, name="funds_spend"),
    path("funds/community/", views.community, name="funds_community"),
]

# The funding report (经费到位) and the exports.
urlpatterns += [
    path("funds/report/", report_views.funding_report, name="funds_report"),
    path(
        "funds/report/admissions/<int:admission_id>/",
        report_views.funding_report_admission,
        name="funds_report_admission",
    ),
    path(
        "funds/report/export.xlsx", report_views.funding_report_export, name="funds_report_export"
    ),
    path("funds/ledger/export.xlsx", report_views.ledger_export, name="funds_ledger_export"),
]
