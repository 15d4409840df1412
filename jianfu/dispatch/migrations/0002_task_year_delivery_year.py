"""Tasks and deliveries carry a year: the partition key of the deliveries on PostgreSQL
(docs/partitioning.md)."""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone

import jianfu.core.fields


def fill_years(apps, schema_editor):
    Task = apps.get_model("dispatch", "Task")
    first = Task.objects.order_by("created_at").values_list("created_at", flat=True).first()
    last = Task.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    if first is not None:
        zone = timezone.get_current_timezone()
        # A task's year is the year it was created, in the site's time zone.
        for year in range(timezone.localtime(first).year, timezone.localtime(last).year + 1):
            Task.objects.filter(
                created_at__gte=dt.datetime(year, 1, 1, tzinfo=zone),
                created_at__lt=dt.datetime(year + 1, 1, 1, tzinfo=zone),
            ).update(year=year)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dispatch_delivery SET year ="
            " (SELECT t.year FROM dispatch_task t WHERE t.id = dispatch_delivery.task_id)"
        )


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="task",
            name="year",
            field=models.PositiveSmallIntegerField(
                default=jianfu.core.fields.current_year, editable=False, verbose_name="年度"
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="year",
            field=jianfu.core.fields.YearOfField(null=True, of="task"),
        ),
        migrations.RunPython(fill_years, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="delivery",
            name="year",
            field=jianfu.core.fields.YearOfField(of="task"),
        ),
    ]
