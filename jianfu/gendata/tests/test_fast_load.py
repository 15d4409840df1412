"""The generator's fast load on PostgreSQL (`Context.load`): an empty table's foreign keys and
secondary indexes are dropped for its load and put back exactly, the guards stay, and the
constraints put back still refuse what they refused before."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jianfu.admission.models import AdmissionScope
from jianfu.gendata import generate
from jianfu.gendata.context import Context, table_schema

from .test_gen_data import TINY

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast load is PostgreSQL's"),
]


def schemas() -> dict[str, tuple]:
    with connection.cursor() as cursor:
        return {
            model._meta.db_table: table_schema(cursor, model._meta.db_table)
            for model in apps.get_models()
            if model._meta.managed and not model._meta.proxy
        }


def test_a_generated_database_has_exactly_the_migrated_schema():
    before = schemas()
    ctx = generate(
        scale=TINY,
        seed=3,
        today=timezone.localdate(),
        password_hash=make_password("Generated-Pass-2026"),
    )
    assert ctx.counts["evaluation_ballot"] == TINY.ballots
    assert schemas() == before


def test_load_drops_foreign_keys_and_indexes_keeps_the_rest_and_puts_them_back():
    table = AdmissionScope._meta.db_table
    with connection.cursor() as cursor:
        before = table_schema(cursor, table)
    ctx = Context(scale=TINY, seed=1, today=timezone.localdate())
    ctx.load(AdmissionScope)
    with connection.cursor() as cursor:
        during = table_schema(cursor, table)
    kinds = {(row[0], row[2]) for row in during}
    # The primary key (and its index) and the check constraints stay; the foreign keys, the
    # unique constraint and the plain index are gone until `loaded`.
    assert ("constraint", "p") in kinds
    assert ("constraint", "f") not in kinds
    assert ("constraint", "u") not in kinds
    assert [row for row in during if row[0] == "index"] == [
        row for row in before if row[0] == "index" and row[2] == "truetrue"
    ]
    assert ("constraint", "f") in {(row[0], row[2]) for row in before}
    ctx.loaded()
    with connection.cursor() as cursor:
        assert table_schema(cursor, table) == before


def test_a_table_with_rows_is_loaded_with_its_schema_as_it_is():
    from jianfu.org.models import Region

    Region.objects.create(code="510000000000", name="四川省", level="province")
    table = Region._meta.db_table
    with connection.cursor() as cursor:
        before = table_schema(cursor, table)
    ctx = Context(scale=TINY, seed=1, today=timezone.localdate())
    ctx.load(Region)
    with connection.cursor() as cursor:
        assert table_schema(cursor, table) == before
    assert ctx._loads == {}


def test_the_constraints_put_back_refuse_bad_rows():
    generate(
        scale=TINY,
        seed=3,
        today=timezone.localdate(),
        password_hash=make_password("Generated-Pass-2026"),
        steps=["org", "catalog", "admission"],
    )
    row = AdmissionScope.objects.order_by("pk").first()
    missing = 10**9
    for values in (
        {"admission_id": missing, "region_id": row.region_id},  # no such admission
        {"admission_id": row.admission_id, "region_id": row.region_id},  # twice
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            AdmissionScope.objects.create(**values)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_guard_triggers_of_append_only_tables_stay_and_fire_on_change_only():
    """The triggers the generator keeps are the apps' guards: none fires on INSERT, so a
    load pays nothing for them."""
    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname, tgtype FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY(%s)",
            [tables],
        )
        triggers = cursor.fetchall()
    guards = [t for t in triggers if t[1].endswith("_append_only")]
    assert {"evaluation_ballot", "funds_posting", "funds_ledgertransaction"} <= {
        table for table, _name, _kind in guards
    }, "the append-only tables the generator loads have their guard triggers"
    insert_bit = 1 << 2  # TRIGGER_TYPE_INSERT
    for table, name, kind in guards:
        assert not kind & insert_bit, f"{table}.{name} fires on INSERT"
