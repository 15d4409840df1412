"""Keyset pagination for the HTML list pages: as fast on the last page of three million rows as
on the first, and stable while rows are added.

A page is the rows that follow (or, going back, precede) one boundary row in a fixed ordering of
one or more columns that ends in a unique one: `("-created_at", "-id")`, `("sort_key", "id")`,
`("code",)`. The cursor in the link names that boundary row by its values in those columns; it is
signed, so a cursor that was cut short, edited or made for another list is recognised and the
reader gets the first page with a short notice instead of an error. No OFFSET is ever used.

The total ("共 N 项") is counted only where a page asks for it, and never past `COUNT_CAP` rows:
counting three million deliveries for a line of text would cost more than the page itself, so
past the cap the page says "超过 10000 条". That is one bounded query.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, Field, Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

CURSOR_PARAM = "cursor"
SIZE_PARAM = "size"
# The page number of the old paginator; dropped from links so an old bookmark cannot linger.
LEGACY_PARAMS = ("page",)
DEFAULT_SIZE = 50
MAX_SIZE = 200
COUNT_CAP = 10_000
FORWARD, BACKWARD = "n", "p"


class InvalidCursor(ValueError):
    """The cursor was not made by this list, or its values no longer parse."""


@dataclass
class KeysetPage:
    """One page of a list, with the links to the pages next to it."""

    object_list: list
    size: int
    has_next: bool
    has_previous: bool
    next_url: str | None = None
    previous_url: str | None = None
    first_url: str = "?"
    # None when the page did not ask for a total.
    total: int | None = None
    total_capped: bool = False
    cap: int = COUNT_CAP
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return bool(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


@dataclass(frozen=True)
class _Column:
    name: str
    descending: bool
    field: Field
    nullable: bool


def page_size(request: HttpRequest, *, default: int = DEFAULT_SIZE, maximum: int = MAX_SIZE) -> int:
    """The page size asked for in `?size=`, kept between 1 and `maximum`."""
    raw = request.GET.get(SIZE_PARAM, "")
    try:
        size = int(raw)
    except ValueError:
        return default
    return max(1, min(size, maximum))


def keyset_page(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    ordering: Sequence[str],
    size: int = DEFAULT_SIZE,
    max_size: int = MAX_SIZE,
    count: bool = False,
    count_from: QuerySet | None = None,
) -> KeysetPage:
    """The page of `queryset` in `ordering` that the request's cursor names (the first page
    without one); `?size=` overrides `size` up to `max_size`.

    `count_from` is counted instead of `queryset` when the page's rows carry columns (values()
    of joined tables) that a count has no need to read; it must hold the same rows.
    """
    columns = _columns(queryset, ordering)
    size = page_size(request, default=min(size, max_size), maximum=max_size)
    salt = _salt(queryset, columns)
    direction, boundary = FORWARD, None
    token = request.GET.get(CURSOR_PARAM, "")
    if token:
        try:
            direction, boundary = _decode(token, salt, columns)
        except InvalidCursor:
            messages.warning(request, _("分页链接已失效，已回到第一页。"), fail_silently=True)
    backward = direction == BACKWARD
    ordered = queryset.order_by(*_order_expressions(columns, backward=backward))
    if boundary is not None:
        ordered = ordered.filter(_beyond(columns, boundary, backward=backward))
    rows = list(ordered[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
        has_previous, has_next = more, True
    else:
        has_previous, has_next = boundary is not None, more
    page = KeysetPage(
        object_list=rows, size=size, has_next=has_next and bool(rows), has_previous=has_previous
    )
    query = request.GET.copy()
    for name in (CURSOR_PARAM, *LEGACY_PARAMS):
        query.pop(name, None)
    page.first_url = _url(query)
    if rows and page.has_next:
        page.next_url = _url(query, _encode(FORWARD, _values(rows[-1], columns), salt))
    if rows and page.has_previous:
        page.previous_url = _url(query, _encode(BACKWARD, _values(rows[0], columns), salt))
    elif page.has_previous:
        page.previous_url = page.first_url
    if count:
        counted = queryset if count_from is None else count_from
        page.total = counted.order_by()[: COUNT_CAP + 1].count()
        page.total_capped = page.total > COUNT_CAP
        page.total = min(page.total, COUNT_CAP)
    return page


# Columns and their order --------------------------------------------------------------------------


def _columns(queryset: QuerySet, ordering: Sequence[str]) -> list[_Column]:
    if not ordering:
        raise ValueError("A keyset needs at least one column.")
    columns = []
    for item in ordering:
        name = item.lstrip("-")
        found = _field(queryset, name)
        columns.append(
            _Column(
                name=name,
                descending=item.startswith("-"),
                field=found,
                nullable=bool(getattr(found, "null", False)),
            )
        )
    return columns


def _field(queryset: QuerySet, name: str) -> Field:
    """The model field (or annotation's output field) a column of the ordering names."""
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        return annotation.output_field
    model = queryset.model
    parts = name.split("__")
    for i, part in enumerate(parts):
        try:
            found = model._meta.get_field(part)
        except FieldDoesNotExist as exc:
            raise ValueError(f"{name!r} is not a column of {model.__name__}") from exc
        if i < len(parts) - 1:
            model = found.related_model
    if found.is_relation:
        # Ordering by a foreign key orders by the key's value, which the target field parses.
        return found.target_field
    return found


def _order_expressions(columns: list[_Column], *, backward: bool) -> list:
    """The ordering, reversed when going back. NULLs sort after every value going forward, on
    every database, so the keyset comparisons below can rely on where they are."""
    expressions = []
    for column in columns:
        descending = column.descending != backward
        nulls = {}
        if column.nullable:
            nulls = {"nulls_first": True} if backward else {"nulls_last": True}
        expression = F(column.name)
        expressions.append(expression.desc(**nulls) if descending else expression.asc(**nulls))
    return expressions


def _beyond(columns: list[_Column], boundary: list, *, backward: bool) -> Q:
    """The rows after `boundary` in the ordering (before it when going back): for columns
    (a, b, id), a beyond A, or a equal A and b beyond B, or a, b equal and id beyond ID."""
    condition = Q(pk__in=[])
    equal_so_far = Q()
    for column, value in zip(columns, boundary, strict=True):
        condition |= equal_so_far & _strictly_beyond(column, value, backward=backward)
        equal_so_far &= (
            Q(**{f"{column.name}__isnull": True}) if value is None else Q(**{column.name: value})
        )
    first, value = columns[0], boundary[0]
    if value is not None and not first.nullable:
        # The same condition again in a form an index range scan can start from.
        lookup = "lte" if first.descending != backward else "gte"
        condition &= Q(**{f"{first.name}__{lookup}": value})
    return condition


def _strictly_beyond(column: _Column, value: Any, *, backward: bool) -> Q:
    """The rows whose value in this column comes after `value` (before it going back), where
    NULLs come after every value going forward."""
    if value is None:
        # Nothing comes after NULL going forward; every value comes before it going back.
        return Q(**{f"{column.name}__isnull": False}) if backward else Q(pk__in=[])
    lookup = "lt" if column.descending != backward else "gt"
    beyond = Q(**{f"{column.name}__{lookup}": value})
    if column.nullable and not backward:
        beyond |= Q(**{f"{column.name}__isnull": True})
    return beyond


# The cursor ---------------------------------------------------------------------------------------


def _salt(queryset: QuerySet, columns: list[_Column]) -> str:
    """A cursor works only for the list (model and ordering) that made it."""
    order = ",".join(("-" if c.descending else "") + c.name for c in columns)
    return f"jianfu.paging:{queryset.model._meta.label_lower}:{order}"


def _values(row: Any, columns: list[_Column]) -> list:
    values = []
    for column in columns:
        if isinstance(row, dict):
            value = row[column.name]
        else:
            value = row
            for part in column.name.split("__"):
                value = getattr(value, part)
        values.append(value)
    return values


def _to_json(value: Any) -> Any:
    # Datetimes keep their microseconds: a keyset that lost them would skip or repeat rows.
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


def _encode(direction: str, values: list, salt: str) -> str:
    return signing.dumps([direction, [_to_json(v) for v in values]], salt=salt, compress=True)


def _decode(token: str, salt: str, columns: list[_Column]) -> tuple[str, list]:
    try:
        direction, raw = signing.loads(token, salt=salt)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidCursor(token) from exc
    if direction not in (FORWARD, BACKWARD) or not isinstance(raw, list):
        raise InvalidCursor(token)
    if len(raw) != len(columns):
        raise InvalidCursor(token)
    values = []
    for column, value in zip(columns, raw, strict=True):
        if value is None:
            if not column.nullable:
                raise InvalidCursor(token)
            values.append(None)
            continue
        try:
            values.append(column.field.to_python(value))
        except (ValidationError, ValueError, TypeError) as exc:
            raise InvalidCursor(token) from exc
    return direction, values


def _url(query: QueryDict, cursor: str | None = None) -> str:
    query = query.copy()
    if cursor is not None:
        query[CURSOR_PARAM] = cursor
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
