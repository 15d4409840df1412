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
