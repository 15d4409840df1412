from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "jianfu.admission"
    label = "admission"
    verbose_name = _("准入管理")
