"""Rows read by fixed SQL, turned into what the ORM would have returned.

The busiest reads (a bearer token with its user, the current items of a list) are written once
as SQL instead of being built and compiled by the ORM on every request, which cost more than
reading the rows. These helpers give their rows the Python types the ORM gives: SQLite returns
text for UUIDs, dates and times and integers for booleans, which the ORM converts with the
database's and the field's converters; PostgreSQL's driver returns them converted already.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from django.db import connection, models


def select_list(model: type[models.Model], alias: str) -> str:
    """The columns of every concrete field of `model` in the table named `alias`, in field order,
    as `instance` takes them."""
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


@functools.cache
def _converters(
    model: type[models.Model], names: tuple[str, ...], vendor: str
) -> tuple[tuple[int, models.Field, tuple[Callable, ...]], ...]:
    """For each of the fields `names` that this database returns unconverted: its position, its
    column expression and the functions that convert it (worked out once per process)."""
    found = []
    for index, name in enumerate(names):
        column = model._meta.get_field(name).get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            found.append((index, column, tuple(functions)))
    return tuple(found)


def converted(model: type[models.Model], names: Sequence[str], values: Sequence) -> list:
    """`values`, read for the fields `names` of `model`, as the ORM converts them."""
    values = list(values)
    for index, column, functions in _converters(model, tuple(names), connection.vendor):
        value = values[index]
        for function in functions:
            value = function(value, column, connection)
        values[index] = value
    return values


def as_dicts(model: type[models.Model], names: Sequence[str], rows: Sequence) -> list[dict]:
    """Rows read for the fields `names` of `model` as dicts, converted as the ORM converts them."""
    names = tuple(names)
    if not _converters(model, names, connection.vendor):
        return [dict(zip(names, row, strict=True)) for row in rows]
    return [dict(zip(names, converted(model, names, row), strict=True)) for row in rows]


def instance(model: type[models.Model], values: Sequence) -> models.Model | None:
    """A model built from the values of its concrete fields read in `select_list` order, as the
    ORM would build it (None if the row was not there: all values None from an outer join)."""
    names = tuple(field.attname for field in model._meta.concrete_fields)
    if values[names.index(model._meta.pk.attname)] is None:
        return None
    return model.from_db(connection.alias, names, converted(model, names, values))
