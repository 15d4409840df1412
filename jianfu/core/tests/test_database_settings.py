"""The database settings a deployment gets: on PostgreSQL, statements bound on the server and
prepared once a connection has run them five times, except behind PgBouncer's transaction
pooling, where a prepared statement would outlive the transaction that made it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

POSTGRES_URL = "postgres://jianfu@127.0.0.1:5432/jianfu"

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements of PostgreSQL"
)


def _database_options(**environment: str) -> dict:
    """The OPTIONS of the default database that jianfu.settings gives in this environment
    (read in a fresh process: the settings are read from the environment once)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jianfu.settings"}
    env.pop("JIANFU_PGBOUNCER", None)
    env.update(environment)
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS'], default=str))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_postgresql_prepares_a_statement_after_five_runs_unless_behind_pgbouncer():
    direct = _database_options(DATABASE_URL=POSTGRES_URL)
    assert direct["server_side_binding"] is True
    assert direct["prepare_threshold"] == 5

    pooled = _database_options(DATABASE_URL=POSTGRES_URL, JIANFU_PGBOUNCER="true")
    assert pooled["server_side_binding"] is True
    assert pooled["prepare_threshold"] is None


@postgresql_only
@pytest.mark.django_db
def test_a_statement_is_prepared_at_its_sixth_run_on_one_connection():
    statement = "SELECT code FROM org_region WHERE code = %s"

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                ["SELECT code FROM org_region WHERE code = $1%"],
            )
            return [text for (text,) in cursor.fetchall()]

    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute(statement, ["510104000000"])
    assert prepared() == []

    with connection.cursor() as cursor:
        cursor.execute(statement, ["510104000000"])
    assert prepared() == ["SELECT code FROM org_region WHERE code = $1"]
