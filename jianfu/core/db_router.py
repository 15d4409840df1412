"""Read-only work reads from the streaming replica; everything else uses the primary.

With `DATABASE_REPLICA_URL` set (docs/deployment.md) the settings add a `replica` database
alias. Reads go to it only inside a read-only scope (`replica_reads()`, or a view decorated with
`@reads_from_replica`): the public portal, the dashboards and scorecards, the statistics API
and the annual notice's figures. Everything else, and within a scope:

- every write (and every `select_for_update`, `get_or_create` …, which Django routes as writes);
- every read after the scope's first write, so a request reads back what it has just written;
- every read inside a transaction (`transaction.atomic`), which belongs with the transaction's
  writes and locks;
- sessions, login lockouts and the task queue, which must be current to the second,

goes to the primary (`default`). Without a replica alias the router decides nothing and every
query goes to `default`, as before.

Streaming replication lags the primary by well under a second on a healthy network; pages that
read from the replica show figures refreshed nightly, published lists and the register, where
that lag is invisible. Verification pages (a certificate issued a second ago must verify) and
every signed-in workflow read from the primary.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.db import connections

DEFAULT = "default"
REPLICA = "replica"
# Apps whose rows must be read where they were just written: a session saved by the login a
# moment ago, a lockout counted on the previous attempt, a task the worker must find.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "django_tasks_database"})
# How long a scope that asks for a caught-up replica waits for it before reading the primary.
CATCH_UP_SECONDS = 5.0


@dataclass
class _Scope:
    # Set by the scope's first write; from then on the scope reads from the primary.
    wrote: bool = False


_scope: ContextVar[_Scope | None] = ContextVar("jianfu_replica_scope", default=None)


def replica_configured() -> bool:
    """Whether the settings name a replica database."""
    return REPLICA in connections.settings


@contextmanager
def replica_reads(*, caught_up: bool = False) -> Iterator[None]:
    """Within the block, reads go to the replica (when there is one) until the first write.

    With `caught_up`, the block first waits (up to CATCH_UP_SECONDS) until the replica has
    replayed everything committed on the primary so far, and reads from the primary if it
    has not: for work that must see what was committed just before it started.
    """
    if _scope.get() is not None:
        # Nested scopes share the outer one, so a write anywhere sends later reads to the primary.
        yield
        return
    scope = _Scope()
    if caught_up and replica_configured() and not replica_wait_for_primary():
        scope.wrote = True
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


def reads_from_replica(
    view: Callable[..., Any] | None = None, *, only_public: bool = False
) -> Callable[..., Any]:
    """Decorate a view (or any function) so its reads go to the replica: see `replica_reads`.

    With `only_public`, only calls with `public=True` (the same view serving a page under
    /public/) read from the replica; the signed-in staff page keeps reading the primary.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if only_public and not kwargs.get("public"):
                return view(*args, **kwargs)
            with replica_reads():
                return view(*args, **kwargs)

        # django-ninja reads an endpoint's parameter types from its signature and resolves
        # string annotations (`from __future__ import annotations`) in the module of the
        # function it is given: resolve them here, in the view's own module.
        # (An annotation importable only for type checkers stays a string: no framework
        # reads those.)
        with suppress(NameError):
            wrapped.__signature__ = inspect.signature(view, eval_str=True)
        return wrapped

    return decorate(view) if view is not None else decorate


def replica_wait_for_primary(*, timeout: float = CATCH_UP_SECONDS) -> bool:
    """Wait until the replica has replayed the primary's WAL as of now; False on timeout.

    A replica alias that is not a standby (a test mirror of the primary) is always caught up.
    """
    primary, replica = connections[DEFAULT], connections[REPLICA]
    if primary.vendor != "postgresql" or replica.vendor != "postgresql":
        return True
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        if not cursor.fetchone()[0]:
            return True
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    with replica.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


def _on_replica(hints: dict) -> bool:
    instance = hints.get("instance")
    return instance is not None and instance._state.db == REPLICA


class PrimaryReplicaRouter:
    """Sends reads inside a read-only scope to the replica and everything else to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        scope = _scope.get()
        if (
            scope is None
            or scope.wrote
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or not replica_configured()
        ):
            # An object read from the replica inside a scope is read again, or followed to
            # its relations, on the primary once the scope is over.
            return DEFAULT if _on_replica(hints) else None
        if connections[DEFAULT].in_atomic_block:
            # The read belongs to a transaction on the primary: it must see that
            # transaction's writes and hold its locks.
            return DEFAULT
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True
        # An object read from the replica is saved to the primary; the replica takes no writes.
        return DEFAULT if _on_replica(hints) else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows, so objects from either may be related.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A streaming replica is read-only: it gets its schema from the primary's WAL.
        if db == REPLICA:
            return False
        return None
