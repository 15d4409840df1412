"""Database triggers that make the audit table append-only (DESIGN.md invariant 8)."""

from django.db.backends.base.base import BaseDatabaseWrapper

SQLITE_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS core_auditrecord_no_update BEFORE UPDATE ON core_auditrecord
       BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS core_auditrecord_no_delete BEFORE DELETE ON core_auditrecord
       BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditrecord_no_update",
    "DROP TRIGGER IF EXISTS core_auditrecord_no_delete",
]
POSTGRESQL_INSTALL = [
    """CREATE OR REPLACE FUNCTION core_auditrecord_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit records are append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS core_auditrecord_append_only ON core_auditrecord",
    """CREATE TRIGGER core_auditrecord_append_only BEFORE UPDATE OR DELETE ON core_auditrecord
       FOR EACH ROW EXECUTE FUNCTION core_auditrecord_append_only()""",
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditrecord_append_only ON core_auditrecord",
    "DROP FUNCTION IF EXISTS core_auditrecord_append_only()",
]


def _execute(connection: BaseDatabaseWrapper, statements: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for statement in statements.get(connection.vendor, []):
            cursor.execute(statement)


def audit_guard_install(connection: BaseDatabaseWrapper) -> None:
    _execute(connection, {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRESQL_INSTALL})


def audit_guard_remove(connection: BaseDatabaseWrapper) -> None:
    _execute(connection, {"sqlite": SQLITE_REMOVE, "postgresql": POSTGRESQL_REMOVE})


def _append_only_sqlite(table: str, message: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{event.lower()} BEFORE {event} ON {table}
            BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        for event in ("UPDATE", "DELETE")
    ]


def _append_only_postgresql(table: str, message: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
    ]


def append_only_install(
    connection: BaseDatabaseWrapper, tables: tuple[str, ...], message: str
) -> None:
    """Triggers that refuse every UPDATE and DELETE on the tables (the ledger, the ballots)."""
    install = {"sqlite": _append_only_sqlite, "postgresql": _append_only_postgresql}.get(
        connection.vendor
    )
    if install is None:
        return
    with connection.cursor() as cursor:
        for table in tables:
            for statement in install(table, message):
                cursor.execute(statement)


def append_only_remove(connection: BaseDatabaseWrapper, tables: tuple[str, ...]) -> None:
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "sqlite":
                statements = [
                    f"DROP TRIGGER IF EXISTS {table}_no_update",
                    f"DROP TRIGGER IF EXISTS {table}_no_delete",
                ]
            else:
                statements = [
                    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                    f"DROP FUNCTION IF EXISTS {table}_append_only()",
                ]
            for statement in statements:
                cursor.execute(statement)
