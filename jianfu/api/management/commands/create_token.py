from django.core.management.base import BaseCommand, CommandError

from jianfu.api.services import token_create
from jianfu.core.audit import audit_context
from jianfu.org.models import User


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, user: str, name: str, **options):
        account = User.objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"no active user {user!r}")
        with audit_context(ip="", channel="cli"):
            issued = token_create(actor=account, name=name)
        self.stdout.write(issued.secret)
