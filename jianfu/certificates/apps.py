from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "jianfu.certificates"
    label = "certificates"
    verbose_name = _("证明与印章")

    def ready(self) -> None:
        # Importing the module registers the permission predicates.
        from jianfu.certificates import rules  # noqa: F401
