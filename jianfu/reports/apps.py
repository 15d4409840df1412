from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "jianfu.reports"
    label = "reports"
    verbose_name = _("统计与通报")

    def ready(self) -> None:
        # Importing the module registers the permission predicates.
        from jianfu.reports import rules  # noqa: F401
