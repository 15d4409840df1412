from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BurdenConfig(AppConfig):
    name = "jianfu.burden"
    label = "burden"
    verbose_name = _("负担台账与负担指数")

    def ready(self) -> None:
        # Importing the module registers the permission predicates.
        from jianfu.burden import rules  # noqa: F401
