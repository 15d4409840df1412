"""Writing many new rows at once: COPY on PostgreSQL, one executemany'd INSERT elsewhere.

Imports of 100,000 rows spend most of their database time here, and on PostgreSQL `COPY` is
several times faster than multi-row INSERT. Rows are given as dicts of field attribute names
(`version_id`, not `version`), so no model instance has to be built for them on PostgreSQL;
`insert_tuples` takes them as tuples of a few named fields plus values every row shares, for
writes such as a fan-out where the rows differ in one or two columns. Primary keys are not
returned: callers that need them should use `bulk_create`. Either way the rows go to the
database in one statement, so callers' query counts do not grow with the rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import chain
from typing import Any

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


def _preparer(field: models.Field, connection) -> Callable[[Any], Any]:
    """How the field's values are prepared for this write, exactly as an INSERT would (JSON,
    UUID, time zone)."""
    prep = partial(field.get_db_prep_save, connection=connection)
    if connection.vendor != "postgresql":
        return prep
    from psycopg.types.json import Json, Jsonb

    def for_copy(value):
        value = prep(value)
        # psycopg would serialise a JSON value again for every row it is written in; as text,
        # which COPY reads into a json column, a value shared by many rows is serialised once.
        if isinstance(value, Json | Jsonb):
            value = (value.dumps or json.dumps)(value.obj)
        return value

    return for_copy


class _Prepared:
    """Values prepared for the database, each object once: one object given for many rows
    (the same list of reasons, say) is prepared the first time it is seen. The rows keep it
    alive, so its id is not reused during the write."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.memo: dict[tuple[int, int], Any] = {}

    def plan(self, fields: Sequence[models.Field]) -> list[tuple[Callable, type | None]]:
        """Per field: its preparer, and the type of a value that needs none (an int for an
        integer column, a str for text, a bool for a flag, also behind a foreign key)."""
        return [(_preparer(f, self.connection), _PLAIN.get(type(_column_field(f)))) for f in fields]

    def value(self, index: int, prep: Callable, raw: Any) -> Any:
        key = (index, id(raw))
        if key not in self.memo:
            self.memo[key] = prep(raw)
        return self.memo[key]


def _fields(model: type[models.Model], *, with_pk: bool) -> list[models.Field]:
    auto = None if with_pk else model._meta.auto_field
    return [f for f in model._meta.concrete_fields if f is not auto]


def _defaults(fields: Iterable[models.Field]) -> dict[str, Any]:
    now = timezone.now()
    return {
        f.attname: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields
    }


def insert_rows(model: type[models.Model], rows: Sequence[dict], *, with_pk: bool = False) -> None:
    """Insert `rows` into `model`'s table; fields a row leaves out take their defaults.

    With `with_pk` the rows carry their own automatic primary keys (the data generator assigns
    them so that other rows can point at them); the caller then resets the sequence."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = _fields(model, with_pk=with_pk)
    defaults = _defaults(fields)
    prepared = _Prepared(connection)
    plan = prepared.plan(fields)
    # The defaults are the same for every row, so they are prepared once into a template row,
    # and a row's own values replace them.
    template = [prep(defaults[f.attname]) for f, (prep, _plain) in zip(fields, plan, strict=True)]
    position = {f.attname: (index, *plan[index]) for index, f in enumerate(fields)}
    # Rows usually all name the same fields: the plan for a set of names is worked out once.
    plans: dict[tuple, list] = {}

    def values() -> Iterator[list]:
        for row in rows:
            names = tuple(row)
            row_plan = plans.get(names)
            if row_plan is None:
                row_plan = plans[names] = [(name, *position[name]) for name in names]
            values = template.copy()
            for name, index, prep, plain in row_plan:
                raw = row[name]
                values[index] = raw if type(raw) is plain else prepared.value(index, prep, raw)
            yield values

    _write(connection, model, fields, values())


def insert_tuples(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence],
    *,
    same: Mapping[str, Any] | None = None,
) -> None:
    """Insert `rows`, each the values of the fields `names` (attribute names) in that order,
    into `model`'s table; `same` gives values every row shares, and the other fields take their
    defaults. The automatic primary key is left to the database unless `names` has it.

    The form for many rows that differ in a few columns (the deliveries of a fan-out): what
    they share is prepared once, and a row costs little more than its own values."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    connection = connections[router.db_for_write(model)]
    named = {f.attname: f for f in model._meta.concrete_fields}
    own = [named[name] for name in names]
    auto = model._meta.auto_field
    # The rows' own fields come first in the column list, what they share after.
    rest = [f for f in _fields(model, with_pk=False) if f not in own and f is not auto]
    defaults = {**_defaults(rest), **(same or {})}
    prepared = _Prepared(connection)
    tail = [
        prep(defaults[f.attname])
        for f, (prep, _plain) in zip(rest, prepared.plan(rest), strict=True)
    ]
    plan = [(index, *steps) for index, steps in enumerate(prepared.plan(own))]

    def values() -> Iterator[list]:
        for row in chain([first], rows):
            own_values = [
                raw if type(raw) is plain else prepared.value(index, prep, raw)
                for (index, prep, plain), raw in zip(plan, row, strict=True)
            ]
            yield own_values + tail

    _write(connection, model, [*own, *rest], values())


def _write(connection, model: type[models.Model], fields: Sequence[models.Field], rows) -> None:
    """One statement: COPY on PostgreSQL, an executemany'd INSERT elsewhere."""
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
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
            wrapper.executemany(sql, rows)
            return
        with wrapper.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)
