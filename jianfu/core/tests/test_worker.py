"""`jianfu worker` runs the background jobs with either task backend: the database (the
default) or Redis through RQ (`JIANFU_TASKS_BACKEND=django_tasks_rq.RQBackend`).

The Redis test needs a Redis database it may empty: JIANFU_TEST_REDIS_URL (e.g.
redis://127.0.0.1:6379/5); it is skipped without one, or when that Redis does not answer.
"""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import call_command
from django.db import transaction

from jianfu.core.jobs import job_start
from jianfu.core.models import BackgroundJob, JobStatus

REDIS_URL = os.environ.get("JIANFU_TEST_REDIS_URL", "")


def audit_verify_started_by(user) -> BackgroundJob:
    """An audit-chain verification, queued as a signed-in user would start it."""
    with transaction.atomic():
        job = job_start(owner=user, kind="audit_verify")
    return job


@pytest.fixture
def redis_queue(settings, live_db):
    """The RQ backend on the test Redis, its queue empty."""
    if not REDIS_URL:
        pytest.skip("set JIANFU_TEST_REDIS_URL to a Redis database the tests may empty")
    redis = pytest.importorskip("redis")
    django_rq = pytest.importorskip("django_rq")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"Redis at {REDIS_URL} does not answer: {error}")
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq", "django_tasks_rq"]
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    settings.TASKS = {"default": {"BACKEND": settings.RQ_BACKEND}}
    queue = django_rq.get_queue("default")
    queue.empty()
    yield queue
    queue.empty()


def test_a_job_queued_on_redis_is_run_by_the_rq_worker(redis_queue, personas):
    job = audit_verify_started_by(personas.audit_admin)
    # Queued in Redis, not run yet: nothing runs it but a worker.
    assert redis_queue.count == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED

    call_command("worker", burst=True, verbosity=0, stdout=io.StringIO())

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["ok"] is True and job.result["checked"] >= 1
    assert redis_queue.count == 0


def test_a_job_queued_in_the_database_is_run_by_the_database_worker(settings, live_db, personas):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = audit_verify_started_by(personas.audit_admin)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED

    call_command("worker", burst=True, interval=0, stdout=io.StringIO())

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["ok"] is True
