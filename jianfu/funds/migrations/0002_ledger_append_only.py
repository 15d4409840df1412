"""The database refuses to change or remove ledger rows (issue: fees follow tasks, requirement 2)."""

from django.db import migrations

from jianfu.funds.db_guards import ledger_guard_install, ledger_guard_remove


def install(apps, schema_editor):
    ledger_guard_install(schema_editor.connection)


def remove(apps, schema_editor):
    ledger_guard_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
