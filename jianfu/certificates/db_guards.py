"""Database triggers that make the seal-use log append-only: an entry, once written, is never
updated or deleted (issue: certificates, requirement 4)."""

from django.db.backends.base.base import BaseDatabaseWrapper

from jianfu.core.db_guards import append_only_install, append_only_remove

SEAL_TABLES = ("certificates_sealuse",)


def seal_guard_install(connection: BaseDatabaseWrapper) -> None:
    append_only_install(connection, SEAL_TABLES, "the seal-use log is append-only")


def seal_guard_remove(connection: BaseDatabaseWrapper) -> None:
    """Lifted only to empty a test database (SQLite flushes with DELETE)."""
    append_only_remove(connection, SEAL_TABLES)
