"""Daily jobs: the worker runs each once a day, soon after midnight, whichever worker is first.

A job is a function of no arguments that returns a short summary. A `DailyRun` row claims the
job for the day before it runs (a unique constraint lets only one worker claim it), and records
how it ended; a job that fails is logged and tried again the next day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from jianfu.core.audit import audit_context
from jianfu.core.models import DailyRun

logger = logging.getLogger(__name__)

# name → dotted path of a function () -> summary.
DAILY_JOBS = {
    "recheck_deliveries": "jianfu.dispatch.services.daily_recheck_deliveries",
    "funding_tripwire": "jianfu.funds.tripwire.daily_funding_tripwire",
    # Each district's burden snapshot on the 1st of the month (the index's history).
    "burden_monthly_snapshot": "jianfu.burden.services.burden_snapshot_monthly",
    # The dashboards', the portal's and the notice's figures (after the month's snapshot).
    "stats_refresh": "jianfu.reports.services.stats_refresh_nightly",
    # Next year's partitions of the large tables, where they are partitioned (PostgreSQL).
    "partitions_ensure": "jianfu.core.partitioning.partitions_ensure_daily",
}
# name → dotted path of a function of no arguments that runs at every poll, for work due at a
# given minute rather than a given day (a campaign's voting window ends at 18:00). Each must be
# safe to run in several workers at once.
POLL_JOBS = {
    "close_due_campaigns": "jianfu.evaluation.services.campaigns_close_due",
}
# How often a worker looks for a daily job that has not run today.
POLL_SECONDS = 60


def daily_jobs_run_due() -> list[str]:
    """Run each daily job that no worker has run today; return the names run here."""
    today = timezone.localdate()
    ran = []
    for name, path in DAILY_JOBS.items():
        try:
            with transaction.atomic():
                run = DailyRun.objects.create(name=name, day=today)
        except IntegrityError:
            continue  # another worker, or an earlier poll, has it
        job: Callable[[], str] = import_string(path)
        try:
            with audit_context(ip="", channel="worker"):
                summary = job()
        except Exception as error:
            logger.exception("daily job %s failed", name)
            run.succeeded, run.message = False, str(error)[:300]
        else:
            run.succeeded, run.message = True, str(summary)[:300]
        run.finished_at = timezone.now()
        run.save(update_fields=["succeeded", "message", "finished_at"])
        ran.append(name)
    return ran


def poll_jobs_run() -> None:
    """Run each poll job once; a failure is logged and the job tried again at the next poll."""
    for name, path in POLL_JOBS.items():
        job: Callable[[], object] = import_string(path)
        try:
            with audit_context(ip="", channel="worker"):
                job()
        except Exception:
            logger.exception("poll job %s failed", name)


def daily_jobs_start(stop: threading.Event) -> threading.Thread:
    """Poll for due daily jobs in a thread beside the worker until `stop` is set."""

    def loop() -> None:
        while not stop.is_set():
            try:
                daily_jobs_run_due()
                poll_jobs_run()
            except Exception:
                logger.exception("daily jobs poll failed")
            finally:
                close_old_connections()
            stop.wait(POLL_SECONDS)

    thread = threading.Thread(target=loop, name="daily-jobs", daemon=True)
    thread.start()
    return thread
