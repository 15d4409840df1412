"""Database triggers that make the ledger append-only: no posting, transaction or voucher is
ever updated or deleted (issue: fees follow tasks, requirement 2)."""

from django.db.backends.base.base import BaseDatabaseWrapper

from jianfu.core.db_guards import append_only_install, append_only_remove

LEDGER_TABLES = ("funds_posting", "funds_ledgertransaction", "funds_voucher")


def ledger_guard_install(connection: BaseDatabaseWrapper) -> None:
    append_only_install(connection, LEDGER_TABLES, "the ledger is append-only")


def ledger_guard_remove(connection: BaseDatabaseWrapper) -> None:
    """Lifted only to empty a test database (SQLite flushes with DELETE)."""
    append_only_remove(connection, LEDGER_TABLES)
