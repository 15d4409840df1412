"""Database triggers that make ballots immutable: once cast, a ballot is never updated or
deleted (issue: annual evaluation, requirement 2)."""

from django.db.backends.base.base import BaseDatabaseWrapper

from jianfu.core.db_guards import append_only_install, append_only_remove

BALLOT_TABLES = ("evaluation_ballot",)


def ballot_guard_install(connection: BaseDatabaseWrapper) -> None:
    append_only_install(connection, BALLOT_TABLES, "ballots are immutable")


def ballot_guard_remove(connection: BaseDatabaseWrapper) -> None:
    """Lifted only to empty a test database (SQLite flushes with DELETE)."""
    append_only_remove(connection, BALLOT_TABLES)
