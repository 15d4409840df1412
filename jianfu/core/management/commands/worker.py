import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from jianfu.core.daily import daily_jobs_start


class Command(BaseCommand):
    help = "Run the background worker (imports, verification, reports) and the daily jobs."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--burst",
            action="store_true",
            help="run the jobs waiting now, then exit (without the daily jobs)",
        )

    def handle(self, *args, interval: float, burst: bool, **options):
        stop = threading.Event()
        if not burst:
            daily_jobs_start(stop)
        try:
            if settings.TASKS["default"]["BACKEND"] == settings.RQ_BACKEND:
                self._rq_worker(burst=burst, verbosity=options["verbosity"])
            else:
                call_command("db_worker", interval=interval, batch=burst)
        finally:
            stop.set()

    def _rq_worker(self, *, burst: bool, verbosity: int) -> None:
        # The worker runs the jobs in its own process, one at a time (SimpleWorker), as the
        # database worker does: RQ's default worker forks a child per job, and the child would
        # share the parent's database connections (and the connection pool) with the
        # daily-jobs thread. More throughput comes from more worker processes
        # (docs/deployment.md).
        call_command(
            "rqworker",
            *settings.RQ_QUEUES,
            job_class="django_tasks_rq.Job",
            worker_class="rq.SimpleWorker",
            burst=burst,
            verbosity=verbosity,
        )
