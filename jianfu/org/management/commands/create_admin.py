import getpass

from django.core.management.base import BaseCommand, CommandError

from jianfu.core.audit import audit_context
from jianfu.core.errors import DomainError
from jianfu.org.models import Unit, UnitType
from jianfu.org.roles import ADMIN_ROLES
from jianfu.org.services import account_create


class Command(BaseCommand):
    help = (
        "Create an administrator account (system_admin, security_admin or audit_admin). "
        "Administrator roles are granted only here, never in the web pages."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=sorted(ADMIN_ROLES))
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--unit", type=int, help="unit id; default: the platform unit (whole installation)"
        )
        parser.add_argument("--password", help="default: asked for on the terminal")

    def handle(self, *args, **options):
        if options["unit"]:
            unit = Unit.objects.filter(pk=options["unit"]).first()
        else:
            unit, _created = Unit.objects.get_or_create(
                type=UnitType.PLATFORM, region=None, defaults={"name": "平台运维中心"}
            )
        if unit is None:
            raise CommandError(f"unit {options['unit']} does not exist")
        password = options["password"] or getpass.getpass("Password: ")
        with audit_context(ip="", channel="cli"):
            try:
                account = account_create(
                    actor=None,
                    username=options["username"],
                    display_name=options["name"],
                    unit=unit,
                    roles=[options["role"]],
                    password=password,
                    granted_by_command=True,
                )
            except DomainError as exc:
                raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"{account.username}: {options['role']} @ {unit.name}")
