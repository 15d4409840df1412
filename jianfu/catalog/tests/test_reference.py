"""The national banned-certificate list every installation carries: loaded by a migration, and
written back after a flush has emptied the tables, so no test that commits can take it from the
tests after it."""

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from jianfu.catalog import reference
from jianfu.catalog.db_guards import frozen_guard_remove
from jianfu.catalog.models import CatalogList, Item, VersionStatus

pytestmark = pytest.mark.django_db


def banned_items() -> list[str]:
    return list(
        Item.objects.filter(
            version__list__code=reference.BANNED_CERTIFICATES_CODE,
            version__status=VersionStatus.PUBLISHED,
        )
        .order_by("position")
        .values_list("name", flat=True)
    )


def test_a_migrated_database_holds_the_twenty_banned_certificates():
    assert banned_items() == [name for _seq, name in reference.banned_certificates()]
    assert len(banned_items()) == 20


def test_the_list_is_written_back_after_a_flush_empties_it():
    expected = banned_items()
    frozen_guard_remove(connection)
    banned = CatalogList.objects.get(code=reference.BANNED_CERTIFICATES_CODE)
    for version in banned.versions.all():
        version.items.all().delete()
        version.delete()
    banned.delete()
    assert banned_items() == []
    if connection.vendor == "postgresql":
        # As after a flush, which commits: no foreign-key check is left pending when the
        # handler builds its indexes (PostgreSQL refuses to while one is).
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # What `flush` sends when it has emptied the tables (and `migrate` when it has run).
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert banned_items() == expected
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert CatalogList.objects.filter(code=reference.BANNED_CERTIFICATES_CODE).count() == 1
