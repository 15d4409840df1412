from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "jianfu.funds"
    label = "funds"
    verbose_name = _("经费（费随事转）")
