"""The database refuses to change or remove a seal-use entry (issue: certificates, requirement 4)."""

from django.db import migrations

from jianfu.certificates.db_guards import seal_guard_install, seal_guard_remove


def install(apps, schema_editor):
    seal_guard_install(schema_editor.connection)


def remove(apps, schema_editor):
    seal_guard_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
