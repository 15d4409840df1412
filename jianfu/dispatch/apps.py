from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "jianfu.dispatch"
    label = "dispatch"
    verbose_name = _("任务派发")
