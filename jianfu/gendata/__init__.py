"""The data generator (`jianfu gen-data`): a realistic district, city or province, written in bulk.

Each step is a module with `generate(ctx)`; they run in the order of `STEPS`, each reading what
the earlier ones recorded in the shared `Context` (context.py)."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

from django.db import connection, transaction

from jianfu.gendata.context import Context, Scale

# (name, module): the order matters, a step points at rows the earlier steps made.
STEPS: list[tuple[str, str]] = [
    ("org", "jianfu.gendata.org"),
    ("catalog", "jianfu.gendata.catalog"),
    ("admission", "jianfu.gendata.admission"),
    ("dispatch", "jianfu.gendata.dispatch"),
    ("evaluation", "jianfu.gendata.evaluation"),
    ("funds", "jianfu.gendata.funds"),
]


def generate(
    *,
    scale: Scale,
    seed: int,
    today: dt.date,
    progress: Callable[[str, int, int], None] | None = None,
    password_hash: str = "",
    steps: list[str] | None = None,
    on_step: Callable[[str, float], None] | None = None,
) -> Context:
    """Fill an empty, migrated database with `scale`'s data, the same rows for the same seed
    and day; returns the context with the rows written per table.

    All steps run in one transaction: a failure leaves the database as empty as it was, so the
    command can simply be run again. `steps` (names of `STEPS`) runs only those, for tests of a
    single step; `on_step` is told each step's name and seconds when it ends.
    """
    import time

    from django.contrib.auth.hashers import make_password

    from jianfu.core.audit import audit_record

    ctx = Context(
        scale=scale,
        seed=seed,
        today=today,
        password_hash=password_hash or make_password(None),
    )
    if progress is not None:
        ctx.progress = progress
    with transaction.atomic():
        for name, module in STEPS:
            if steps is not None and name not in steps:
                continue
            step = importlib.import_module(module)
            started = time.perf_counter()
            step.generate(ctx)
            # The indexes and foreign keys dropped for the step's loads, back and checked.
            ctx.loaded()
            if on_step is not None:
                on_step(name, time.perf_counter() - started)
        ctx.sequences_reset()
        audit_record(
            action="gendata.load",
            changes={"scale": scale.name, "seed": seed, "today": today.isoformat(), **ctx.counts},
        )
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses at tables that went from empty to millions.
        with connection.cursor() as cursor:
            for table in sorted(ctx.counts):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return ctx
