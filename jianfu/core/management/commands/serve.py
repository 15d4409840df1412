import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from jianfu.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve Jianfu with gunicorn and whitenoise, with a background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the background worker (when it runs elsewhere)",
        )

    def handle(self, *args, host: str, port: int, workers: int, no_worker: bool, **options):
        worker = None
        if not no_worker:
            # The worker is a separate process so a long import never blocks a web request.
            worker = subprocess.Popen([sys.executable, "-m", "jianfu", "worker"])
        self.stdout.write(f"Jianfu: http://{host}:{port}/  (data: {settings.DATA_DIR})")
        try:
            _Gunicorn(
                {
                    "bind": f"{host}:{port}",
                    "workers": workers,
                    "accesslog": "-",
                    "timeout": 120,
                    "forwarded_allow_ips": "127.0.0.1",
                }
            ).run()
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
