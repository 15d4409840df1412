from django.conf import settings
from django.core.management.base import BaseCommand

from jianfu.admission.demo import admission_demo_load
from jianfu.burden.demo import burden_demo_load
from jianfu.catalog.demo import catalog_demo_load
from jianfu.certificates.demo import certificates_demo_load
from jianfu.core.audit import audit_context
from jianfu.dispatch.demo import dispatch_demo_load
from jianfu.evaluation.demo import evaluation_demo_load
from jianfu.funds.demo import funds_demo_load
from jianfu.org.demo import database_has_data, demo_load, new_demo_password
from jianfu.reports.demo import reports_demo_load

LOGINS_FILE = "demo-logins.txt"


class Command(BaseCommand):
    help = "Load the demo regions, units, accounts, lists, admissions, tasks, money, evaluations, certificates and burden inventories into an empty database and print the logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", help="password for every demo account (default: generated)"
        )

    def handle(self, *args, password: str | None, **options):
        logins = settings.DATA_DIR / LOGINS_FILE
        if database_has_data():
            self.stdout.write(
                "数据库中已有数据，未加载演示数据。 · The database has data; demo not loaded."
            )
            if logins.exists():
                self.stdout.write(logins.read_text())
            return
        password = password or new_demo_password()
        with audit_context(ip="", channel="cli"):
            rows = demo_load(password=password)
            catalog_demo_load()
            rows += admission_demo_load(password=password)
            rows += dispatch_demo_load(password=password)
            rows += funds_demo_load(password=password)
            evaluation_demo_load()
            rows += certificates_demo_load(password=password)
            rows += burden_demo_load(password=password)
            reports_demo_load()
        width = max(len(username) for username, *_rest in rows)
        lines = [
            "演示账号 · Demo logins  (http://127.0.0.1:8000/login/)",
            f"密码 · Password: {password}",
            "",
            *(f"  {username:<{width}}  {role} · {unit}" for username, role, unit in rows),
        ]
        text = "\n".join(lines) + "\n"
        # Kept (readable by the owner only) so `make run` can show the logins again next time.
        logins.write_text(text)
        logins.chmod(0o600)
        self.stdout.write(text)
