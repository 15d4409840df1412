"""The portal's world: the whole demo (`jianfu demo`: two pilot districts, lists, admissions,
dispatches, money, a published and an open evaluation campaign, inventories and the computed
figures), loaded once per test module in a transaction rolled back at its end."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

DEMO_PASSWORD = "Demo-Pass-2026x"
FAST = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
}


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The demo, as `jianfu demo` leaves it."""
    with (
        tempfile.TemporaryDirectory() as data_dir,
        django_db_blocker.unblock(),
        override_settings(DATA_DIR=Path(data_dir), **FAST),
        transaction.atomic(),
    ):
        call_command("demo", password=DEMO_PASSWORD, stdout=io.StringIO())
        yield
        transaction.set_rollback(True)
