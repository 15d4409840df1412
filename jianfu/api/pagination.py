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


def cursor_page(
    queryset: QuerySet, *, key: str, cursor: str | None, limit: int, descending: bool = False
) -> dict:
    """One page of `queryset` ordered by the unique field `key` (newest first if `descending`),
    after the row the cursor names; its rows are models, or dicts for a `values()` queryset."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            _("每页条数应在 1 到 %(max)d 之间。") % {"max": MAX_LIMIT}, code="invalid_limit"
        )
    queryset = queryset.order_by(f"-{key}" if descending else key)
    if cursor:
        after = _decode(cursor)
        lookup = f"{key}__lt" if descending else f"{key}__gt"
        # A cursor is a value of the key; anything else (a list, or text for a number) is
        # refused like any malformed cursor rather than failing inside the query.
        try:
            if isinstance(after, bool) or not isinstance(after, (str, int)):
                raise ValueError(after)
            queryset = queryset.filter(**{lookup: after})
        except (ValueError, TypeError, ValidationError) as exc:
            raise InvalidInput(_("分页游标无效。"), code="invalid_cursor") from exc
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = _encode(last[key] if isinstance(last, dict) else getattr(last, key))
    return {"items": rows, "next_cursor": next_cursor}


class PageMeta(Schema):
    next_cursor: str | None
