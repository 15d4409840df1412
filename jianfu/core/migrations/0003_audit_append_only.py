"""The database refuses to change or remove audit records (DESIGN.md invariant 8)."""

from django.db import migrations

from jianfu.core.db_guards import audit_guard_install, audit_guard_remove


def install(apps, schema_editor):
    audit_guard_install(schema_editor.connection)


def remove(apps, schema_editor):
    audit_guard_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [migrations.RunPython(install, remove)]
