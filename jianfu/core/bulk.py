"""Writing many new rows at once: COPY on PostgreSQL, one executemany'd INSERT elsewhere.

Imports of 100,000 rows spend most of their database time here, and on PostgreSQL `COPY` is
several times faster than multi-row INSERT. Rows are given as dicts of field attribute names
(`version_id`, not `version`), so no model instance has to be built for them on PostgreSQL.
Primary keys are not returned: callers that need them should use `bulk_create`. Either way
the rows go to the database in one statement, so callers' query counts do not grow with the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router, transaction
from django.utils import timezone

# Exact classes only: a subclass (an encrypted text field, say) may prepare its values itself.
_PLAIN = {
    models.AutoField: int,
    models.BigAutoField: int,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
}


def _column_field(field: models.Field) -> models.Field:
    """The field whose column a foreign key's value goes into: its target's."""
    while type(field) is models.ForeignKey:
        field = field.target_field
    return field


def insert_rows(model: type[models.Model], rows: Sequence[dict], *, with_pk: bool = False) -> None:
    """Insert `rows` into `model`'s table; fields a row leaves out take their defaults.

    With `with_pk` the rows carry their own automatic primary keys (the data generator assigns
    them so that other rows can point at them); the caller then resets the sequence."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    auto = None if with_pk else model._meta.auto_field
    fields = [f for f in model._meta.concrete_fields if f is not auto]
    now = timezone.now()
    defaults = {
        f.attname: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields
    }
    # Each field prepares its value exactly as an INSERT would (JSON, UUID, time zone). The
    # defaults are the same for every row, so they are prepared once into a template row, and
    # a row's own values replace them; a value of the very type a plain column stores (an int
    # for an integer column, a str for text, a bool for a flag, also behind a foreign key)
    # needs no preparing.
    template = [f.get_db_prep_save(defaults[f.attname], connection) for f in fields]
    position = {
        f.attname: (index, f.get_db_prep_save, _PLAIN.get(type(_column_field(f))))
        for index, f in enumerate(fields)
    }
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    # Rows usually all name the same fields: the plan for a set of names is worked out once.
    plans: dict[tuple, list] = {}
    # One object given for many rows (the same list of reasons, say) is prepared once; the
    # rows keep it alive, so its id is not reused during the call.
    memo: dict[tuple[int, int], object] = {}

    def prepared():
        for row in rows:
            names = tuple(row)
            plan = plans.get(names)
            if plan is None:
                plan = plans[names] = [(name, *position[name]) for name in names]
            values = template.copy()
            for name, index, prep, plain in plan:
                raw = row[name]
                if type(raw) is plain:
                    values[index] = raw
                    continue
                key = (index, id(raw))
                if key not in memo:
                    memo[key] = prep(raw, connection)
                values[index] = memo[key]
            yield values

    # One transaction even when called outside one (an on-commit hook): SQLite in autocommit
    # mode would otherwise commit after every row of the executemany.
    with (
        transaction.atomic(using=connection.alias, savepoint=False),
        connection.wrap_database_errors,
        connection.cursor() as wrapper,
    ):
        if connection.vendor != "postgresql":
            # Table and column names come from the model, quoted; values are parameters.
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            wrapper.executemany(sql, prepared())
            return
        with wrapper.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for values in prepared():
                copy.write_row(values)
