"""Writing many new rows at once: COPY on PostgreSQL, batched INSERTs elsewhere.

Imports of 100,000 rows spend most of their database time here, and on PostgreSQL `COPY` is
several times faster than multi-row INSERT. Rows are given as dicts of field attribute names
(`version_id`, not `version`), so no model instance has to be built for them on PostgreSQL.
Primary keys are not returned: callers that need them should use `bulk_create`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router
from django.utils import timezone

BATCH = 2000


def insert_rows(model: type[models.Model], rows: Sequence[dict]) -> None:
    """Insert `rows` into `model`'s table; fields a row leaves out take their defaults."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        model._default_manager.using(connection.alias).bulk_create(objects, batch_size=BATCH)
        return
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    now = timezone.now()
    defaults = {
        f.attname: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields
    }
    # Each field prepares its value exactly as an INSERT would (JSON, UUID, time zone).
    prepare = [(f.attname, f.get_db_prep_save) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.wrap_database_errors,
        connection.cursor() as wrapper,
        wrapper.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            complete = {**defaults, **row}
            copy.write_row([prep(complete[name], connection) for name, prep in prepare])
