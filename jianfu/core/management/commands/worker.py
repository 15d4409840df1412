import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand

from jianfu.core.daily import daily_jobs_start


class Command(BaseCommand):
    help = "Run the background worker (imports, verification, reports) and the daily jobs."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args, interval: float, **options):
        stop = threading.Event()
        daily_jobs_start(stop)
        try:
            call_command("db_worker", interval=interval)
        finally:
            stop.set()
