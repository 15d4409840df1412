"""Frozen published versions, the Chinese search index, and the national banned-certificate list."""

from django.db import migrations

from jianfu.catalog import reference
from jianfu.catalog.db_guards import (
    frozen_guard_install,
    frozen_guard_remove,
    search_index_install,
    search_index_remove,
)


def install(apps, schema_editor):
    search_index_install(schema_editor.connection)
    frozen_guard_install(schema_editor.connection)


def remove(apps, schema_editor):
    frozen_guard_remove(schema_editor.connection)
    search_index_remove(schema_editor.connection)


def load_banned_certificates(apps, schema_editor):
    reference.banned_certificates_load(apps, schema_editor.connection.alias)


def unload_banned_certificates(apps, schema_editor):
    frozen_guard_remove(schema_editor.connection)
    CatalogList = apps.get_model("catalog", "CatalogList")
    for catalog_list in CatalogList.objects.filter(code=reference.BANNED_CERTIFICATES_CODE):
        for version in catalog_list.versions.all():
            version.items.all().delete()
            version.delete()
        catalog_list.delete()
    frozen_guard_install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.RunPython(install, remove),
        migrations.RunPython(load_banned_certificates, unload_banned_certificates),
    ]
