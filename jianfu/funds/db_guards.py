"""Database triggers that make the ledger append-only: no posting, transaction or voucher is
ever updated or deleted (issue: fees follow tasks, requirement 2)."""

from django.db.backends.base.base import BaseDatabaseWrapper

LEDGER_TABLES = ("funds_posting", "funds_ledgertransaction", "funds_voucher")
MESSAGE = "the ledger is append-only"


def _sqlite_install(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{event.lower()} BEFORE {event} ON {table}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
        for event in ("UPDATE", "DELETE")
    ]


def _postgresql_install(table: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
    ]


def _remove(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
        ]
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_append_only()",
    ]


def ledger_guard_install(connection: BaseDatabaseWrapper) -> None:
    install = {"sqlite": _sqlite_install, "postgresql": _postgresql_install}.get(connection.vendor)
    if install is None:
        return
    with connection.cursor() as cursor:
        for table in LEDGER_TABLES:
            for statement in install(table):
                cursor.execute(statement)


def ledger_guard_remove(connection: BaseDatabaseWrapper) -> None:
    """Lifted only to empty a test database (SQLite flushes with DELETE)."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    with connection.cursor() as cursor:
        for table in LEDGER_TABLES:
            for statement in _remove(connection.vendor, table):
                cursor.execute(statement)
