"""Postings carry their transaction's budget year: the partition key on PostgreSQL
(docs/partitioning.md)."""

from django.db import migrations

import jianfu.core.fields
from jianfu.funds.db_guards import ledger_guard_install, ledger_guard_remove


def fill_years(apps, schema_editor):
    connection = schema_editor.connection
    # The ledger is append-only; the guard is lifted only for this one derived column.
    ledger_guard_remove(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE funds_posting SET year = (SELECT t.year FROM funds_ledgertransaction t"
            " WHERE t.id = funds_posting.transaction_id)"
        )
    ledger_guard_install(connection)


class Migration(migrations.Migration):
    dependencies = [("funds", "0003_fundingsuspension")]

    operations = [
        migrations.AddField(
            model_name="posting",
            name="year",
            field=jianfu.core.fields.YearOfField(null=True, of="transaction"),
        ),
        migrations.RunPython(fill_years, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="posting",
            name="year",
            field=jianfu.core.fields.YearOfField(of="transaction"),
        ),
    ]
