import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jianfu.catalog.exports import export_to_file
from jianfu.catalog.models import ListVersion, VersionStatus


class Command(BaseCommand):
    help = (
        "Write every published (and superseded) version of every list as JSON and CSV into DIR, "
        "with an index.json: the daily public dump."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory: str, **options):
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        versions = (
            ListVersion.objects.filter(
                status__in=[VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED]
            )
            .select_related("list")
            .order_by("list__code", "valid_from")
        )
        index = []
        for version in versions:
            stem = f"{version.list.code}-{version.pk}"
            for fmt in ("json", "csv"):
                export_to_file(version, fmt, target / f"{stem}.{fmt}")
            index.append(
                {
                    "list": version.list.code,
                    "name": version.list.name,
                    "kind": version.list.kind,
                    "region": version.list.region_id,
                    "version": version.label,
                    "status": version.status,
                    "document_number": version.document_number,
                    "valid_from": version.valid_from.isoformat(),
                    "valid_until": version.valid_until.isoformat() if version.valid_until else None,
                    "files": [f"{stem}.json", f"{stem}.csv"],
                }
            )
        (target / "index.json").write_text(
            json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        self.stdout.write(_("已写出 %(n)d 个版本至 %(dir)s") % {"n": len(index), "dir": directory})
