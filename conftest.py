"""Shared fixtures: the personas (one account per role, in two streets and two communities)."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client

from jianfu.catalog.db_guards import frozen_guard_remove
from jianfu.certificates.db_guards import seal_guard_remove
from jianfu.core.db_guards import audit_guard_remove
from jianfu.evaluation.db_guards import ballot_guard_remove
from jianfu.funds.db_guards import ledger_guard_remove
from jianfu.org.demo import ACCOUNTS, demo_load
from jianfu.org.models import User

PASSWORD = "Persona-Pass-2026"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """With JIANFU_TEST_PARTITIONED=1 on PostgreSQL, the test database's large tables are
    partitioned by year after migrating, so every test also runs on that layout."""
    import os

    if os.environ.get("JIANFU_TEST_PARTITIONED") == "1" and connection.vendor == "postgresql":
        from jianfu.core.partitioning import partitions_convert

        with django_db_blocker.unblock():
            # Tests move the clock between these years.
            partitions_convert(years=(2015, 2035))


@pytest.fixture(autouse=True)
def _fast_and_inline(settings):
    # Argon2 is deliberately slow; tests that check hashing itself opt back in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background jobs run inside the request that starts them.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Each test starts with an empty cache of its own (counts of wrong codes live there).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def personas(db):
    """Every demo account by username: dept_clerk, street_officer(2), community_officer(2) …

    community_officer sits in 钟鼓楼社区 (城东街道), community_officer2 in 西林社区 (城西街道).
    """
    demo_load(password=PASSWORD)
    users = {u.username: u for u in User.objects.select_related("unit", "unit__region")}
    return SimpleNamespace(**{username: users[username] for username, *_rest in ACCOUNTS})


@pytest.fixture
def login():
    """A logged-in test client for a persona."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def live_db(transactional_db):
    """A database a live server can see; at the end it is emptied, audit records included.

    SQLite empties tables with DELETE, which the append-only and frozen-version guards refuse,
    so they are lifted for that flush (PostgreSQL uses TRUNCATE, which they allow). The flush
    ends with the post-migrate signal, which puts the guards back.
    """
    yield
    audit_guard_remove(connection)
    frozen_guard_remove(connection)
    ledger_guard_remove(connection)
    ballot_guard_remove(connection)
    seal_guard_remove(connection)
    from jianfu.core.models import AuditRecord

    AuditRecord.objects.all().delete()
