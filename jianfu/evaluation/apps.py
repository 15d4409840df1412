from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "jianfu.evaluation"
    label = "evaluation"
    verbose_name = _("评议（一年一评议）")
