"""What every step of the data generator shares: the scale, seeded randomness, id allocation,
bulk writing, and the rows earlier steps made that later steps point at."""

from __future__ import annotations

import datetime as dt
import json
import random
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import connection, models
from django.utils import timezone

from jianfu.core.bulk import _PLAIN as _PLAIN_TYPES
from jianfu.core.bulk import _column_field, insert_rows

TEXT_OID = 25  # PostgreSQL's `text`

# Rows go to the database in chunks of this many: COPY / executemany per chunk keeps memory flat
# at ten million ballots.
CHUNK = 100_000


@dataclass(frozen=True)
class Scale:
    """How much to make. A province is the issue's figure; a city and a district are cut down in
    proportion, so every scale exercises the same paths."""

    name: str
    districts: int
    streets: int
    communities: int
    departments: int
    list_items: int
    admissions: int
    deliveries: int
    ballots: int
    postings: int


SCALES: dict[str, Scale] = {
    "district": Scale(
        "district",
        districts=1,
        streets=14,
        communities=330,
        departments=30,
        list_items=1_000,
        admissions=550,
        deliveries=33_000,
        ballots=110_000,
        postings=11_000,
    ),
    "city": Scale(
        "city",
        districts=10,
        streets=145,
        communities=3_300,
        departments=120,
        list_items=5_000,
        admissions=5_500,
        deliveries=330_000,
        ballots=1_100_000,
        postings=110_000,
    ),
    "province": Scale(
        "province",
        districts=90,
        streets=1_300,
        communities=30_000,
        departments=500,
        list_items=20_000,
        admissions=50_000,
        deliveries=3_000_000,
        ballots=10_000_000,
        postings=1_000_000,
    ),
}


@dataclass(frozen=True)
class RegionRow:
    code: str  # 12 digits
    name: str
    parent_code: str | None
    district_code: str  # the district it lies in (itself for a district)


@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    type: str  # org.UnitType value
    region_code: str
    district_code: str


@dataclass(frozen=True)
class AdmissionRow:
    id: int
    department_id: int  # org.Unit id of the department holding it
    district_code: str
    valid_from: dt.date
    valid_until: dt.date | None
    yearly_fen: int  # money each community in scope gets a year (fees follow tasks)
    community_codes: tuple[str, ...]  # the communities its scope covers
    number: str = ""  # as the register shows it, e.g. 市中准〔2026〕12号
    state: str = "active"  # admission.AdmissionState value


@dataclass
class Context:
    """Shared by the steps. A step reads what earlier steps recorded here and records what it
    made for the later ones; the database is written only through `insert`."""

    scale: Scale
    seed: int
    today: dt.date
    progress: Callable[[str, int, int], None] = lambda label, done, total: None
    password_hash: str = ""  # every generated user's password, hashed once
    province_code: str = ""
    cities: list[RegionRow] = field(default_factory=list)
    districts: list[RegionRow] = field(default_factory=list)
    streets: list[RegionRow] = field(default_factory=list)
    communities: list[RegionRow] = field(default_factory=list)
    # Units by kind: the committee of each community, the street office of each street, the
    # district offices (government office, leadership-group office), and the departments.
    committees: dict[str, UnitRow] = field(default_factory=dict)  # community code -> unit
    street_offices: dict[str, UnitRow] = field(default_factory=dict)  # street code -> unit
    district_offices: dict[str, list[UnitRow]] = field(default_factory=dict)
    departments: list[UnitRow] = field(default_factory=list)
    admissions: list[AdmissionRow] = field(default_factory=list)
    # The user who answers for each street or community (its officer), by region code.
    officers: dict[str, int] = field(default_factory=dict)
    # Per district code, the published community lists a task or an admission can cite:
    # kind ("duty", "assist") -> (list id, [(item key, item name), ...]).
    published_items: dict[str, dict[str, tuple[int, list]]] = field(default_factory=dict)
    # Generated users a step may name as actor, by role (org.Role value) -> user ids.
    users: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows written
    # Tables being loaded with their foreign keys and secondary indexes dropped (PostgreSQL),
    # with what to put back; and every table the run has written (checked once each).
    _loads: dict[str, TableSchema] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    _next_id: dict[type[models.Model], int] = field(default_factory=dict)
    _moments: dict[tuple[dt.date, int], dt.datetime] = field(default_factory=dict)
    _zone: dt.tzinfo | None = None  # the installation's time zone, looked up once

    @property
    def year(self) -> int:
        return self.today.year

    def at(self, day: dt.date, minutes: int = 540) -> dt.datetime:
        """A moment of `day` (`minutes` after midnight, 9:00 by default) in the installation's
        time zone: generated rows carry times derived from `today`, never the clock, so the same
        seed gives the same rows."""
        day, minutes = day + dt.timedelta(days=minutes // 1440), minutes % 1440
        # The same moment is the same object: bulk writing prepares each object once.
        moment = self._moments.get((day, minutes))
        if moment is None:
            if self._zone is None:
                self._zone = timezone.get_current_timezone()
            moment = dt.datetime.combine(
                day, dt.time(minutes // 60, minutes % 60), tzinfo=self._zone
            )
            self._moments[(day, minutes)] = moment
        return moment

    def rng(self, step: str) -> random.Random:
        """A generator of its own for each step, so a step's data depends only on the seed and
        not on how much randomness other steps drew."""
        return random.Random(self.seed * 1_000_003 + zlib.crc32(step.encode()))  # noqa: S311

    def ids(self, model: type[models.Model], n: int) -> range:
        """`n` new primary keys for `model`, after any already in the table."""
        start = self._next_id.get(model)
        if start is None:
            top = model.objects.aggregate(top=models.Max("pk"))["top"] or 0
            start = top + 1
        self._next_id[model] = start + n
        return range(start, start + n)

    def insert(
        self, model: type[models.Model], rows: Iterable[dict], *, label: str = "", total: int = 0
    ) -> int:
        """Write `rows` (dicts of attribute names, `id` included when the step assigned it) in
        chunks; returns how many. `label` shows the step's progress while it writes, out of
        `total` rows when the step knows how many it will write."""
        iterator: Iterator[dict] = iter(rows)
        written = 0
        self.load(model)
        while chunk := list(islice(iterator, CHUNK)):
            insert_rows(model, chunk, with_pk="id" in chunk[0])
            written += len(chunk)
            if label:
                self.progress(label, written, total)
        table = model._meta.db_table
        self.counts[table] = self.counts.get(table, 0) + written
        return written

    def copy(
        self,
        model: type[models.Model],
        columns: tuple[str, ...],
        rows: Iterable[tuple],
        *,
        label: str = "",
        total: int = 0,
    ) -> int:
        """The fast path of `insert` for the largest tables: `rows` are tuples with a value for
        every one of `columns` (attribute names, `id` included), no dicts and no defaults.

        Each value is prepared by its field exactly as an INSERT would (`get_db_prep_save`),
        once per distinct value for the whole call (a moment, a status, a list of reasons
        shared by many rows), so the per-row cost is one tuple. COPY on PostgreSQL,
        executemany elsewhere, a chunk at a time."""
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        fields = [by_attname[name] for name in columns]
        # Only the columns whose values the database driver does not take as they are get
        # prepared: the caller gives plain columns (numbers, text, flags) plain values.
        postgres = connection.vendor == "postgresql"
        # On PostgreSQL a JSON value goes to COPY as the text its field's encoder makes (what
        # psycopg's Jsonb dumper would send), once per object.
        json_text = {
            index for index, f in enumerate(fields) if postgres and isinstance(f, models.JSONField)
        }
        needs = [
            (
                index,
                _cached_prep(
                    f,
                    {},
                    _PLAIN_TYPES.get(type(_column_field(f))),
                    _json_dumps(f) if index in json_text else None,
                ),
            )
            for index, f in enumerate(fields)
            if not _native(f)
        ]
        quoted = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(meta.db_table)
        iterator = iter(rows)
        written = 0
        types = None
        self.load(model)
        while chunk := list(islice(iterator, CHUNK)):
            prepared = chunk
            if needs:
                prepared = []
                for row in chunk:
                    values = list(row)
                    for index, prep in needs:
                        values[index] = prep(values[index])
                    prepared.append(values)
                for _index, prep in needs:
                    prep.forget()
            with connection.cursor() as wrapper:
                if connection.vendor == "postgresql":
                    if types is None:
                        types = _column_types(wrapper, meta.db_table, [f.column for f in fields])
                        for index in json_text:
                            types[index] = TEXT_OID
                    with wrapper.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as out:
                        # Each column's dumper chosen once, not per value.
                        out.set_types(types)
                        write = out.write_row
                        for values in prepared:
                            write(values)
                else:
                    marks = ", ".join(["%s"] * len(fields))
                    wrapper.executemany(
                        f"INSERT INTO {table} ({quoted}) VALUES ({marks})",  # noqa: S608
                        prepared,
                    )
            written += len(chunk)
            if label:
                self.progress(label, written, total)
        self.counts[meta.db_table] = self.counts.get(meta.db_table, 0) + written
        return written

    def load(self, model: type[models.Model]) -> None:
        """Before the first rows of `model` this run: on PostgreSQL, if its table is empty and
        not partitioned, drop its foreign keys and secondary indexes (the primary key stays)
        until `loaded`, which puts them back exactly. Rebuilding an index in one pass and
        checking a foreign key in one join is far cheaper than an index insertion and a queued
        deferred check per row. Triggers are left alone. `insert` and `copy` call this
        themselves; a step writing a table by other means calls it first."""
        table = model._meta.db_table
        if connection.vendor != "postgresql" or table in self._seen:
            return
        self._seen.add(table)
        with connection.cursor() as cursor:
            saved = load_begin(cursor, table)
        if saved is not None:
            self._loads[table] = saved

    def loaded(self) -> None:
        """Put back every dropped index and constraint (indexes first, then the foreign keys,
        each checked in one pass over its table) and check each table's schema is again
        exactly what it was. The generator calls this after each step."""
        if not self._loads:
            return
        with connection.cursor() as cursor:
            load_end(cursor, self._loads)
        self._loads.clear()

    def writer(
        self,
        model: type[models.Model],
        *,
        label: str = "",
        total: int = 0,
        columns: tuple[str, ...] | None = None,
    ) -> Writer:
        """A buffer for a step that makes rows in a loop: every `CHUNK` rows go to the
        database, so memory stays flat however many rows the step makes. Close it at the end.
        Rows are dicts for `insert`, or with `columns` tuples for `copy`."""
        return Writer(self, model, label, total, columns)

    def sequences_reset(self) -> None:
        """After rows were written with their own ids, PostgreSQL's sequences must move past
        them (SQLite's AUTOINCREMENT follows the largest id by itself)."""
        if connection.vendor != "postgresql" or not self._next_id:
            return
        from django.core.management.color import no_style

        statements = connection.ops.sequence_reset_sql(no_style(), list(self._next_id))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _column_types(cursor, table: str, columns: list[str]) -> list[int]:
    """The type oids of a PostgreSQL table's `columns`, in their order."""
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
        [table],
    )
    oids = dict(cursor.fetchall())
    return [oids[column] for column in columns]


@dataclass(frozen=True)
class TableSchema:
    """What a fast load drops from a table and puts back, and the whole schema to compare."""

    table: str
    constraints: tuple[tuple[str, str], ...]  # (name, definition): foreign keys, unique, …
    indexes: tuple[tuple[str, str], ...]  # (name, CREATE INDEX …) not backing a constraint
    whole: tuple[tuple, ...]  # every constraint, index and trigger, as pg_catalog prints them


def table_schema(cursor, table: str) -> tuple[tuple, ...]:
    """A PostgreSQL table's constraints, indexes and triggers with their definitions as
    pg_catalog prints them (`pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_triggerdef`)
    and their deferrability and validity, sorted: equal tuples, identical schemas."""
    cursor.execute(
        "SELECT 'constraint', conname, contype::text, pg_get_constraintdef(oid), "
        "condeferrable::text || condeferred::text || convalidated::text "
        "FROM pg_constraint WHERE conrelid = %s::regclass "
        "UNION ALL SELECT 'index', i.relname, x.indisunique::text || x.indisprimary::text, "
        "pg_get_indexdef(x.indexrelid), x.indisvalid::text "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
        "UNION ALL SELECT 'trigger', tgname, tgenabled::text, pg_get_triggerdef(oid), '' "
        "FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
        "ORDER BY 1, 2",
        [table, table, table],
    )
    return tuple(tuple(row) for row in cursor.fetchall())


def load_begin(cursor, table: str) -> TableSchema | None:
    """Drop an empty, unpartitioned table's foreign keys, unique constraints and plain
    indexes; returns what was dropped, or None (and changes nothing) for a table with rows or
    partitions. The primary key stays, and so does what other tables' foreign keys rely on;
    partial and expression indexes stay too (they are few and small, and PostgreSQL does not
    always print their expressions back as it parsed them, so a rebuilt one could differ)."""
    quoted = connection.ops.quote_name(table)
    cursor.execute(
        f"SELECT c.relkind, EXISTS (SELECT 1 FROM {quoted}) "  # noqa: S608
        "FROM pg_class c WHERE c.oid = %s::regclass",
        [table],
    )
    kind, has_rows = cursor.fetchone()
    if kind != "r" or has_rows:
        return None
    # An index a foreign key of any table points at (a referenced unique key) must stay.
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
        "AND f.conindid = c.conindid AND c.contype <> 'f') ORDER BY conname",
        [table],
    )
    constraints = tuple(tuple(row) for row in cursor.fetchall())
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
        "AND x.indpred IS NULL AND x.indexprs IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
        "AND (c.conrelid = x.indrelid OR c.contype = 'f')) ORDER BY i.relname",
        [table],
    )
    indexes = tuple(tuple(row) for row in cursor.fetchall())
    if not constraints and not indexes:
        return None
    saved = TableSchema(table, constraints, indexes, table_schema(cursor, table))
    # A table with queued deferred checks cannot be altered: run the checks of the rows
    # written so far now (the foreign keys stay deferred for later rows, as Django makes them).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    for name, _definition in constraints:
        cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return saved


def load_end(cursor, loads: dict[str, TableSchema]) -> None:
    """Put back what `load_begin` dropped from each table, exactly, and check it is so: the
    indexes and unique constraints of every table first, then the foreign keys (checked now,
    each in one pass over its table)."""
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    for saved in loads.values():
        for _name, definition in saved.indexes:
            cursor.execute(definition)
    for foreign in (False, True):
        for saved in loads.values():
            quoted = connection.ops.quote_name(saved.table)
            for name, definition in saved.constraints:
                if definition.startswith("FOREIGN KEY") == foreign:
                    cursor.execute(
                        f"ALTER TABLE {quoted} ADD CONSTRAINT "
                        f"{connection.ops.quote_name(name)} {definition}"
                    )
    for saved in loads.values():
        if table_schema(cursor, saved.table) != saved.whole:
            raise RuntimeError(f"the schema of {saved.table} changed during the load")


def _native(field: models.Field) -> bool:
    """Whether the driver stores this field's values exactly as the ORM would, unprepared:
    plain numbers, text and flags everywhere; on PostgreSQL also moments, days and UUIDs,
    which Django hands to psycopg as they are."""
    column = _column_field(field)
    if type(column) in _PLAIN_TYPES:
        return True
    return connection.vendor == "postgresql" and isinstance(
        column, models.DateTimeField | models.DateField | models.UUIDField
    )


def _json_dumps(field: models.JSONField) -> Callable:
    def dumps(value, connection):
        return json.dumps(value, cls=field.encoder)

    return dumps


def _cached_prep(
    field: models.Field, cache: dict, plain: type | None, prep_save: Callable | None = None
) -> Callable:
    """`field.get_db_prep_save` (or `prep_save`) remembered per value (per object for
    unhashable ones, which the caller keeps alive while it writes them); values of the
    column's plain type pass."""
    prep_save = prep_save or field.get_db_prep_save

    def prep(value):
        if value is None or type(value) is plain:
            return value
        try:
            return cache[value]
        except KeyError:
            done = cache[value] = prep_save(value, connection)
            return done
        except TypeError:
            key = ("id", id(value))
            if key not in cache:
                cache[key] = prep_save(value, connection)
            return cache[key]

    def forget() -> None:
        """Drop what was remembered per object: the caller's objects may go, their ids be
        reused."""
        for key in [key for key in cache if type(key) is tuple and key[:1] == ("id",)]:
            del cache[key]

    prep.forget = forget

    return prep


class Writer:
    """Rows of one model collected in a loop and written a chunk at a time (`Context.writer`)."""

    def __init__(
        self,
        ctx: Context,
        model: type[models.Model],
        label: str,
        total: int,
        columns: tuple[str, ...] | None = None,
    ) -> None:
        self.ctx, self.model, self.label, self.total = ctx, model, label, total
        self.columns = columns
        self.rows: list = []
        self.written = 0

    def add(self, row: dict | tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            if self.columns is None:
                self.written += self.ctx.insert(self.model, self.rows)
            else:
                self.written += self.ctx.copy(self.model, self.columns, self.rows)
            self.rows = []
            if self.label:
                self.ctx.progress(self.label, self.written, self.total)

    def close(self) -> int:
        self.flush()
        return self.written


def analyze_admissions() -> None:
    """Statistics for the admissions the earlier steps just wrote (in this transaction, so
    autovacuum has not seen them): without them PostgreSQL plans the scope's join for empty
    tables."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE admission_admission, admission_admissionscope, org_region")


def apportion(total: int, n: int, rng: random.Random, spread: float = 0.3) -> list[int]:
    """`total` split into `n` parts of roughly equal size (each within about `spread` of the
    mean), summing exactly to `total`: the largest-remainder method over random weights."""
    if n <= 0:
        return []
    weights = [1 + rng.uniform(-spread, spread) for _ in range(n)]
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    parts = [int(s) for s in shares]
    order = sorted(range(n), key=lambda i: parts[i] - shares[i])
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts
