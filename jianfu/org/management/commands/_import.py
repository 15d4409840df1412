from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_context
from jianfu.core.console import ProgressBar, fail_with_row_errors
from jianfu.core.errors import InvalidInput


class ImportCommand(BaseCommand):
    """Shared body of `jianfu import-regions` and `jianfu import-units`."""

    importer = staticmethod(lambda **kwargs: None)
    label = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help="XLSX or CSV")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": file})
        with audit_context(ip="", channel="cli"):
            try:
                report = self.importer(
                    actor=None,
                    data=path.read_bytes(),
                    filename=path.name,
                    progress=ProgressBar(self.label),
                )
            except InvalidInput as exc:
                raise CommandError(str(exc.message)) from exc
        if not report.ok:
            fail_with_row_errors(report.errors, self.stderr)
        self.stdout.write(
            _("导入完成：新增 %(created)d 条，更新 %(updated)d 条。")
            % {"created": report.created, "updated": report.updated}
        )
