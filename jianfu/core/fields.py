"""Model fields shared by several apps."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


def current_year() -> int:
    """This year in the site's time zone (a callable default, so migrations do not freeze it)."""
    return timezone.localdate().year


class YearOfField(models.PositiveSmallIntegerField):
    """A copy of the `year` of the row a foreign key points at, filled in on insert.

    The large append-only tables carry the year of their parent row (a delivery its task's, a
    ballot its campaign's, a posting its transaction's) so that PostgreSQL can partition them
    by year (docs/partitioning.md). Callers need not set it: on every ORM insert, `bulk_create`
    included, it is taken from the parent object, which is usually already loaded; only a row
    built from a bare id costs one query. Writers that bypass the ORM (COPY, raw SQL) must give
    it themselves; on a partitioned database a row without it is refused.
    """

    def __init__(self, *args, of: str = "", **kwargs) -> None:
        self.of = of
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["of"] = self.of
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool):
        value = getattr(model_instance, self.attname)
        if value is None and self.of:
            value = getattr(model_instance, self.of).year
            setattr(model_instance, self.attname, value)
        return value
