"""Yearly partitions of the four large tables on PostgreSQL (docs/partitioning.md).

`partition_plan` reads an unpartitioned database's catalog and writes the SQL that turns each
table into a table partitioned by year, keeping its columns, defaults, checks, indexes,
constraints and triggers; `partitions_convert` runs it in one transaction (PostgreSQL's DDL is
transactional, so a failure leaves the database as it was). `partitions_ensure` creates the
coming years' partitions; the daily jobs call it. On SQLite, and on a PostgreSQL database that
was never converted, everything here is a no-op or a clear refusal.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone


@dataclass(frozen=True)
class PartitionedTable:
    table: str
    # The partition key: a smallint year, or a timestamp cut at each new year in the site's
    # time zone.
    key: str
    key_is_timestamp: bool = False
    # (column, parent table): the parent's `year` must equal this row's; enforced by a
    # composite foreign key (column, year) → parent (id, year), which also makes a unique
    # constraint that gained the year exactly as strict as it was without it.
    year_parents: tuple[tuple[str, str], ...] = ()


TABLES = (
    PartitionedTable("dispatch_delivery", "year", year_parents=(("task_id", "dispatch_task"),)),
    PartitionedTable(
        "evaluation_ballot", "year", year_parents=(("campaign_id", "evaluation_campaign"),)
    ),
    PartitionedTable(
        "funds_posting", "year", year_parents=(("transaction_id", "funds_ledgertransaction"),)
    ),
    PartitionedTable("core_auditrecord", "created_at", key_is_timestamp=True),
)
# Build-time name of the new parent, before it takes over the table's name.
_BUILDING = "{table}__partitioned"


class PartitioningError(Exception):
    """The database cannot be partitioned (not PostgreSQL, or an unexpected schema)."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def partition_name(table: str, year: int) -> str:
    return f"{table}_y{year}"


def _bounds(spec: PartitionedTable, year: int) -> str:
    if not spec.key_is_timestamp:
        return f"FROM ({year}) TO ({year + 1})"
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime(year, 1, 1, tzinfo=zone).isoformat(sep=" ")
    end = dt.datetime(year + 1, 1, 1, tzinfo=zone).isoformat(sep=" ")
    return f"FROM ('{start}') TO ('{end}')"


def _partition_sql(spec: PartitionedTable, year: int, parent: str | None = None) -> str:
    return (
        f"CREATE TABLE {_q(partition_name(spec.table, year))} PARTITION OF "
        f"{_q(parent or spec.table)} FOR VALUES {_bounds(spec, year)}"
    )


def _year_sql(spec: PartitionedTable) -> str:
    if not spec.key_is_timestamp:
        return _q(spec.key)
    zone = settings.TIME_ZONE.replace("'", "")
    return f"EXTRACT(YEAR FROM {_q(spec.key)} AT TIME ZONE '{zone}')::int"


def _require_postgresql(connection) -> None:
    if connection.vendor != "postgresql":
        from django.utils.translation import gettext as _

        raise PartitioningError(
            _("分区表仅适用于 PostgreSQL 数据库；当前数据库为 %(vendor)s，未作任何修改。")
            % {"vendor": connection.vendor}
        )


def is_partitioned(cursor, table: str) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return row is not None and row[0] == "p"


def _rows(cursor, sql: str, params=()) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def _with_key(columns_sql: str, key: str, what: str) -> str:
    """`UNIQUE (a, b)` → `UNIQUE (a, b, key)`; anything fancier is refused, not guessed at."""
    match = re.fullmatch(r"(.*\()([^()]*)(\).*)", columns_sql, flags=re.S)
    if match is None or " WHERE " in columns_sql.upper():
        raise PartitioningError(f"unexpected unique definition on {what}: {columns_sql}")
    head, columns, tail = match.groups()
    names = [c.strip() for c in columns.split(",")]
    if key not in names and _q(key) not in names:
        columns = f"{columns}, {key}"
    return f"{head}{columns}{tail}"


def _table_plan(cursor, spec: PartitionedTable, years: list[int]) -> list[str]:
    table, key = spec.table, spec.key
    building = _BUILDING.format(table=table)
    oid_sql = "to_regclass(%s)"
    constraints = _rows(
        cursor,
        f"SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "  # noqa: S608
        f"WHERE conrelid = {oid_sql} AND contype IN ('p', 'u', 'f') ORDER BY conname",
        [table],
    )
    # Indexes not behind a constraint (a constraint's index comes back with it).
    indexes = _rows(
        cursor,
        f"SELECT i.relname, pg_get_indexdef(i.oid), x.indisunique FROM pg_index x "  # noqa: S608
        f"JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = {oid_sql} AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
        " AND c.conrelid = x.indrelid) ORDER BY i.relname",
        [table],
    )
    triggers = _rows(
        cursor,
        f"SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "  # noqa: S608
        f"WHERE tgrelid = {oid_sql} AND NOT tgisinternal ORDER BY tgname",
        [table],
    )
    referencing = _rows(
        cursor,
        f"SELECT c.conrelid::regclass::text, c.conname, a.attname, c.condeferrable "  # noqa: S608
        f"FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
        f"AND a.attnum = c.conkey[1] WHERE c.confrelid = {oid_sql} AND c.contype = 'f' "
        "ORDER BY 1, 2",
        [table],
    )
    (sequence,) = _rows(cursor, "SELECT pg_get_serial_sequence(%s, 'id')", [table])[0]
    if sequence is None:
        raise PartitioningError(f"{table}.id has no sequence")
    last_value, is_called = _rows(cursor, f"SELECT last_value, is_called FROM {sequence}")[0]  # noqa: S608
    # The new table must belong to whom the old one did and grant what it granted: a hardened
    # site gives the application's role INSERT and SELECT only (docs/deployment.md).
    (owner,) = _rows(
        cursor,
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(%s)",
        [table],
    )[0]
    grants = _rows(
        cursor,
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) "
        "END, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = to_regclass(%s) AND a.grantee <> c.relowner ORDER BY 1, 2",
        [table],
    )

    statements = [
        f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE",
        # LIKE copies the columns, their defaults and NOT NULLs and the CHECK constraints by
        # name; the identity of `id` is left behind (a partitioned table cannot have one
        # before PostgreSQL 17) and replaced by a sequence below.
        f"CREATE TABLE {_q(building)} (LIKE {_q(table)} INCLUDING DEFAULTS "
        f"INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) "
        f"PARTITION BY RANGE ({_q(key)})",
        *(_partition_sql(spec, year, parent=building) for year in years),
        f"INSERT INTO {_q(building)} SELECT * FROM {_q(table)}",  # noqa: S608
    ]
    for referrer, name, _column, _deferrable in referencing:
        statements.append(f"ALTER TABLE {_q(referrer)} DROP CONSTRAINT {_q(name)}")
    statements += [
        f"DROP TABLE {_q(table)}",
        f"ALTER TABLE {_q(building)} RENAME TO {_q(table)}",
        f"CREATE SEQUENCE {sequence} AS bigint",
        f"SELECT setval('{sequence}', {int(last_value)}, {'true' if is_called else 'false'})",
        f"ALTER TABLE {_q(table)} ALTER COLUMN id SET DEFAULT nextval('{sequence}')",
        f"ALTER SEQUENCE {sequence} OWNED BY {_q(table)}.id",
        f"ALTER TABLE {_q(table)} OWNER TO {_q(owner)}",
        f"ALTER SEQUENCE {sequence} OWNER TO {_q(owner)}",
        *(f"ALTER TABLE {_q(partition_name(table, year))} OWNER TO {_q(owner)}" for year in years),
        *(f"GRANT {privilege} ON {_q(table)} TO {grantee}" for grantee, privilege in grants),
        # Whoever may insert rows must be able to draw their ids.
        *(
            f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {grantee}"
            for grantee in sorted({g for g, privilege in grants if privilege == "INSERT"})
        ),
    ]
    # Keys and unique rules gain the partition key (PostgreSQL requires it in each);
    # foreign keys come back unchanged.
    for name, kind, definition in constraints:
        if kind in ("p", "u"):
            definition = _with_key(definition, key, f"{table}.{name}")
        statements.append(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    for name, definition, unique in indexes:
        if unique:
            definition = _with_key(definition, key, f"{table}.{name}")
        statements.append(definition)
    for column, parent in spec.year_parents:
        parent_key = f"{parent}_id_year_key"
        statements += [
            f"ALTER TABLE {_q(parent)} DROP CONSTRAINT IF EXISTS {_q(parent_key)}",
            f"ALTER TABLE {_q(parent)} ADD CONSTRAINT {_q(parent_key)} UNIQUE (id, year)",
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(f'{table}_{column}_year_fk')} "
            f"FOREIGN KEY ({_q(column)}, {_q(key)}) REFERENCES {_q(parent)} (id, year) "
            "DEFERRABLE INITIALLY DEFERRED",
        ]
    statements += [definition for _name, definition in triggers]
    for referrer, _name, column, _deferrable in referencing:
        statements += _trigger_foreign_key(referrer, column, table)
    statements.append(f"ANALYZE {_q(table)}")
    return statements


def _trigger_foreign_key(referrer: str, column: str, table: str) -> list[str]:
    """A foreign key kept by triggers: a plain one would have to name the partition key too.

    Like PostgreSQL's own, the check takes a KEY SHARE lock on the referenced row, so a
    concurrent delete waits for the inserting transaction and then sees its row.
    """
    check = f"{referrer}_{column}_exists"
    guard = f"{table}_referenced_by_{referrer}"
    message = f"{referrer}.{column} points to a missing {table} row"
    return [
        f"""CREATE OR REPLACE FUNCTION {_q(check)}() RETURNS trigger AS $$
            BEGIN
              IF NEW.{_q(column)} IS NOT NULL THEN
                PERFORM 1 FROM {_q(table)} WHERE id = NEW.{_q(column)} FOR KEY SHARE;
                IF NOT FOUND THEN
                  RAISE EXCEPTION '{message}' USING ERRCODE = 'foreign_key_violation';
                END IF;
              END IF;
              RETURN NULL;
            END; $$ LANGUAGE plpgsql""",
        f"""CREATE CONSTRAINT TRIGGER {_q(check)} AFTER INSERT OR UPDATE OF {_q(column)}
            ON {_q(referrer)} DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION {_q(check)}()""",
        f"""CREATE OR REPLACE FUNCTION {_q(guard)}() RETURNS trigger AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM {_q(referrer)} WHERE {_q(column)} = OLD.id) THEN
                RAISE EXCEPTION '{table} row % is referenced by {referrer}', OLD.id
                  USING ERRCODE = 'foreign_key_violation';
              END IF;
              RETURN NULL;
            END; $$ LANGUAGE plpgsql""",  # noqa: S608
        f"""CREATE CONSTRAINT TRIGGER {_q(guard)} AFTER DELETE OR UPDATE OF id
            ON {_q(table)} DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION {_q(guard)}()""",
    ]


@dataclass
class Plan:
    # table → its statements; tables already partitioned are left out.
    statements: dict[str, list[str]]
    already: list[str]
    years: dict[str, list[int]]


def partition_plan(
    *,
    using: str = DEFAULT_DB_ALIAS,
    years: tuple[int, int] | None = None,
    ahead: int = 1,
    today: dt.date | None = None,
) -> Plan:
    """The SQL that partitions each table not yet partitioned: one partition per year from the
    oldest row's (or `years`' first) to this year plus `ahead` (or `years`' last)."""
    connection = connections[using]
    _require_postgresql(connection)
    today = today or timezone.localdate()
    plan = Plan({}, [], {})
    with connection.cursor() as cursor:
        for spec in TABLES:
            if is_partitioned(cursor, spec.table):
                plan.already.append(spec.table)
                continue
            found = _rows(
                cursor,
                f"SELECT MIN({_year_sql(spec)}), MAX({_year_sql(spec)}) FROM {_q(spec.table)}",  # noqa: S608
            )[0]
            first = min(y for y in (found[0], years and years[0], today.year) if y)
            last = max(y for y in (found[1], years and years[1], today.year + ahead) if y)
            span = list(range(first, last + 1))
            plan.years[spec.table] = span
            plan.statements[spec.table] = _table_plan(cursor, spec, span)
    return plan


def partitions_convert(
    *,
    using: str = DEFAULT_DB_ALIAS,
    years: tuple[int, int] | None = None,
    ahead: int = 1,
    today: dt.date | None = None,
) -> Plan:
    """Partition every large table not yet partitioned, all in one transaction."""
    connection = connections[using]
    _require_postgresql(connection)
    with transaction.atomic(using=using):
        plan = partition_plan(using=using, years=years, ahead=ahead, today=today)
        with connection.cursor() as cursor:
            # Rows the transaction wrote before (a test's) leave deferred foreign-key checks
            # pending, and PostgreSQL alters no table with checks pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for statements in plan.statements.values():
                for statement in statements:
                    cursor.execute(statement)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return plan


def partitions_ensure(
    today: dt.date, *, ahead: int = 1, using: str = DEFAULT_DB_ALIAS
) -> list[str]:
    """Create the partitions for this year and the next `ahead` years where missing; return
    their names. Nothing happens on SQLite or on tables that are not partitioned."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    created = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for spec in TABLES:
            if not is_partitioned(cursor, spec.table):
                continue
            for year in range(today.year, today.year + ahead + 1):
                name = partition_name(spec.table, year)
                cursor.execute("SELECT to_regclass(%s)", [name])
                if cursor.fetchone()[0] is None:
                    cursor.execute(_partition_sql(spec, year))
                    created.append(name)
    return created


def partitions_ensure_daily() -> str:
    """The daily job: next year's partitions exist long before the first row needs them."""
    created = partitions_ensure(timezone.localdate())
    return "created " + ", ".join(created) if created else "nothing to create"


def partitions_list(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """Each partitioned table's partitions, oldest first."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return {}
    listed = {}
    with connection.cursor() as cursor:
        for spec in TABLES:
            if is_partitioned(cursor, spec.table):
                listed[spec.table] = [
                    name
                    for (name,) in _rows(
                        cursor,
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c "
                        "ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s) "
                        "ORDER BY c.relname",
                        [spec.table],
                    )
                ]
    return listed
