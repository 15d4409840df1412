"""Cursor pagination: stable under inserts, and as fast on page 1,000 as on page 1."""

import base64
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Schema

from jianfu.core.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise InvalidInput(_("分页游标无效。"), code="invalid_cursor") from exc


def _limit_checked(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            _("每页条数应在 1 到 %(max)d 之间。") % {"max": MAX_LIMIT}, code="invalid_limit"
        )


def _cursor_value(cursor: str) -> str | int:
    after = _decode(cursor)
    # A cursor is a value of the key; anything else (a list, or text for a number) is refused
    # like any malformed cursor rather than failing inside the query.
    if isinstance(after, bool) or not isinstance(after, (str, int)):
        raise InvalidInput(_("分页游标无效。"), code="invalid_cursor")
    return after


def cursor_page(
    queryset: QuerySet, *, key: str, cursor: str | None, limit: int, descending: bool = False
) -> dict:
    """One page of `queryset` ordered by the unique field `key` (newest first if `descending`),
    after the row the cursor names; its rows are models, or dicts for a `values()` queryset."""
    _limit_checked(limit)
    queryset = queryset.order_by(f"-{key}" if descending else key)
    if cursor:
        after = _cursor_value(cursor)
        lookup = f"{key}__lt" if descending else f"{key}__gt"
        try:
            queryset = queryset.filter(**{lookup: after})
        except (ValueError, TypeError, ValidationError) as exc:
            raise InvalidInput(_("分页游标无效。"), code="invalid_cursor") from exc
    return page_of(list(queryset[: limit + 1]), key=key, limit=limit)


def integer_cursor_after(cursor: str | None, *, limit: int) -> int | None:
    """The integer key a cursor names (None for the first page), for a page read in fixed SQL;
    a bad limit or cursor is refused as cursor_page refuses it."""
    _limit_checked(limit)
    if not cursor:
        return None
    try:
        # As an integer field reads a lookup's value: "12" is 12, "abc" is refused.
        return int(_cursor_value(cursor))
    except ValueError as exc:
        raise InvalidInput(_("分页游标无效。"), code="invalid_cursor") from exc


def page_of(rows: list, *, key: str, limit: int) -> dict:
    """The page of up to `limit` rows read as `limit + 1` rows (the extra one says there is more)."""
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = _encode(last[key] if isinstance(last, dict) else getattr(last, key))
    return {"items": rows, "next_cursor": next_cursor}


class PageMeta(Schema):
    next_cursor: str | None
