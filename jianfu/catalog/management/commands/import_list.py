from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from jianfu.catalog import services
from jianfu.catalog.imports import list_import
from jianfu.catalog.models import CatalogList, ListKind, ListLevel
from jianfu.core.audit import audit_context
from jianfu.core.console import ProgressBar, fail_with_row_errors
from jianfu.core.errors import DomainError
from jianfu.org.models import Region


def find_list(ref: str) -> CatalogList:
    found = (
        CatalogList.objects.filter(pk=int(ref)).first()
        if ref.isdigit()
        else CatalogList.objects.filter(code=ref).first()
    )
    if found is None:
        raise CommandError(_("清单不存在：%(ref)s") % {"ref": ref})
    return found


class Command(BaseCommand):
    help = (
        "Import a list from an XLSX/CSV file into its draft version (all rows or none); "
        "with --new, create the list first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="XLSX or CSV")
        parser.add_argument("--list", help="the list's id or code")
        parser.add_argument("--dry-run", action="store_true", help="check and preview only")
        parser.add_argument("--new", action="store_true", help="create a new list")
        parser.add_argument("--kind", choices=ListKind.values)
        parser.add_argument("--level", choices=ListLevel.values, default=ListLevel.COMMUNITY)
        parser.add_argument("--region", help="12-digit code of the owning region")
        parser.add_argument("--name", help="the new list's name")
        parser.add_argument("--code", default="", help="the new list's code (default: generated)")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": file})
        with audit_context(ip="", channel="cli"):
            try:
                report = self._import(path, options)
            except DomainError as exc:
                raise CommandError(str(exc.message)) from exc
        if not report.ok:
            fail_with_row_errors(report.errors, self.stderr)
        summary = _("新增 %(c)d 项，修改 %(u)d 项，取消 %(r)d 项，未变 %(s)d 项。") % {
            "c": report.created,
            "u": report.updated,
            "r": report.removed,
            "s": report.unchanged,
        }
        prefix = _("预览（未写入）：") if report.dry_run else _("导入完成：")
        self.stdout.write(prefix + summary)

    @transaction.atomic
    def _import(self, path: Path, options: dict):
        if options["new"]:
            missing = [f"--{n}" for n in ("kind", "region", "name") if not options[n]]
            if missing:
                raise CommandError(_("--new 需要 %(args)s。") % {"args": " ".join(missing)})
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(_("区划不存在：%(code)s") % {"code": options["region"]})
            catalog_list = services.list_create(
                actor=None,
                name=options["name"],
                kind=options["kind"],
                level=options["level"],
                region=region,
                code=options["code"],
            )
        elif options["list"]:
            catalog_list = find_list(options["list"])
        else:
            raise CommandError(_("请用 --list 指定清单，或用 --new 新建清单。"))
        report = list_import(
            actor=None,
            catalog_list=catalog_list,
            data=path.read_bytes(),
            filename=path.name,
            dry_run=options["dry_run"],
            progress=ProgressBar(catalog_list.code),
        )
        if not report.ok or report.dry_run:
            # A new list is kept only when its file imported.
            transaction.set_rollback(True)
        elif options["new"]:
            self.stdout.write(_("已新建清单 %(code)s。") % {"code": catalog_list.code})
        return report
