"""The database refuses to change or remove a ballot (issue: annual evaluation, requirement 2)."""

from django.db import migrations

from jianfu.evaluation.db_guards import ballot_guard_install, ballot_guard_remove


def install(apps, schema_editor):
    ballot_guard_install(schema_editor.connection)


def remove(apps, schema_editor):
    ballot_guard_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
