from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _guards_in_place(sender, using, **kwargs) -> None:
    """Make sure the database guards and the reference data the migrations load exist after
    every migrate and every flush (a test that commits ends with one)."""
    from django.apps import apps
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from jianfu.catalog import reference
    from jianfu.catalog.db_guards import frozen_guard_install, search_index_install
    from jianfu.certificates.db_guards import SEAL_TABLES, seal_guard_install
    from jianfu.core.db_guards import audit_guard_install
    from jianfu.evaluation.db_guards import BALLOT_TABLES, ballot_guard_install
    from jianfu.funds.db_guards import LEDGER_TABLES, ledger_guard_install

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if "core_auditrecord" in tables:
        audit_guard_install(connection)
    if "catalog_item" in tables and "catalog_listversion" in tables:
        search_index_install(connection)
        frozen_guard_install(connection)
        # A flush empties the tables but not the record of the migrations applied.
        loaded_by = ("catalog", "0002_guards_search_reference")
        if (
            loaded_by in MigrationRecorder(connection).applied_migrations()
            and not apps.get_model("catalog", "CatalogList")
            .objects.using(using)
            .filter(code=reference.BANNED_CERTIFICATES_CODE)
            .exists()
        ):
            reference.banned_certificates_load(apps, using)
    if tables.issuperset(LEDGER_TABLES):
        ledger_guard_install(connection)
    if tables.issuperset(BALLOT_TABLES):
        ballot_guard_install(connection)
    if tables.issuperset(SEAL_TABLES):
        seal_guard_install(connection)


class CoreConfig(AppConfig):
    name = "jianfu.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        # Importing the module registers its system checks.
        from jianfu.core import checks  # noqa: F401

        post_migrate.connect(_guards_in_place, sender=self, dispatch_uid="jianfu_guards")
