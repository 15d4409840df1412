"""Ballots carry their campaign's year: the partition key on PostgreSQL
(docs/partitioning.md)."""

from django.db import migrations

import jianfu.core.fields
from jianfu.evaluation.db_guards import ballot_guard_install, ballot_guard_remove


def fill_years(apps, schema_editor):
    connection = schema_editor.connection
    # Ballots are immutable; the guard is lifted only for this one derived column.
    ballot_guard_remove(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE evaluation_ballot SET year = (SELECT c.year FROM evaluation_campaign c"
            " WHERE c.id = evaluation_ballot.campaign_id)"
        )
    ballot_guard_install(connection)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_ballots_immutable")]

    operations = [
        migrations.AddField(
            model_name="ballot",
            name="year",
            field=jianfu.core.fields.YearOfField(null=True, of="campaign"),
        ),
        migrations.RunPython(fill_years, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ballot",
            name="year",
            field=jianfu.core.fields.YearOfField(of="campaign"),
        ),
    ]
