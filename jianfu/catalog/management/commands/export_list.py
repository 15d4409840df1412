from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jianfu.catalog import selectors
from jianfu.catalog.exports import FORMATS, export_to_file
from jianfu.catalog.management.commands.import_list import find_list


class Command(BaseCommand):
    help = "Export one version of a list (the current one by default) as XLSX, CSV or JSON."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # `--version` names the list version here, not Django's own version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("list", help="the list's id or code")
        parser.add_argument(
            "--version",
            dest="list_version",
            default="current",
            help="version id or label, 'current' or 'draft'",
        )
        parser.add_argument("--format", choices=sorted(FORMATS), default="xlsx")
        parser.add_argument("-o", "--output", required=True, help="file to write")

    def handle(self, *args, list: str, list_version: str, format: str, output: str, **options):
        catalog_list = find_list(list)
        # The server's command line reads every version, drafts included.
        version = (
            catalog_list.versions.filter(status=list_version).first()
            if list_version == "draft"
            else selectors.version_visible_to(
                user=None, catalog_list=catalog_list, ref=list_version
            )
        )
        if version is None:
            raise CommandError(_("版本不存在：%(ref)s") % {"ref": list_version})
        export_to_file(version, format, Path(output))
        self.stdout.write(
            _("已导出 %(list)s %(version)s 至 %(path)s")
            % {"list": catalog_list.name, "version": version.label, "path": output}
        )
