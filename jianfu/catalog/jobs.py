"""The list import as a background job, with the file kept after a dry run for the real run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from jianfu.catalog.imports import list_import
from jianfu.catalog.models import CatalogList
from jianfu.core.errors import DomainError, InvalidInput
from jianfu.core.jobs import KEPT_PAYLOAD_LIFETIME, job_start
from jianfu.core.models import BackgroundJob, JobStatus
from jianfu.core.permissions import require
from jianfu.org.models import User


def list_import_start(
    *,
    actor: User,
    catalog_list: CatalogList,
    data: bytes,
    filename: str,
    dry_run: bool = True,
    mapping: dict[str, str] | None = None,
) -> BackgroundJob:
    """Queue an import (a dry run by default) of a spreadsheet into the list's draft."""
    require(actor, "catalog.edit_list", catalog_list)
    if not data:
        raise InvalidInput(_("文件是空的。"))
    return job_start(
        owner=actor,
        kind="list_import",
        payload=data,
        payload_name=filename,
        options={
            "list_id": catalog_list.pk,
            "dry_run": dry_run,
            "mapping": mapping or {},
            # The previewed file is kept so "import it" does not ask for it again.
            "keep_payload": dry_run,
        },
    )


def _previewed(actor: User, preview: BackgroundJob) -> CatalogList:
    if (
        preview.owner_id != actor.pk
        or preview.kind != "list_import"
        or not preview.options.get("dry_run")
        or not preview.is_finished
        or not preview.payload
    ):
        raise InvalidInput(
            _("只能处理本人已预览的导入；预览的文件只保留 %(hours)d 小时，过期请重新上传。")
            % {"hours": KEPT_PAYLOAD_LIFETIME // timedelta(hours=1)}
        )
    return CatalogList.objects.get(pk=preview.options["list_id"])


def _rerun(
    *,
    actor: User,
    preview: BackgroundJob,
    catalog_list: CatalogList,
    dry_run: bool,
    mapping: dict[str, str] | None,
) -> BackgroundJob:
    """A new import of the file a preview kept; the preview gives its file up."""
    job = list_import_start(
        actor=actor,
        catalog_list=catalog_list,
        data=bytes(preview.payload),
        filename=preview.payload_name,
        dry_run=dry_run,
        mapping=mapping,
    )
    BackgroundJob.objects.filter(pk=preview.pk).update(payload=b"")
    return job


@transaction.atomic
def list_import_confirm(*, actor: User, preview: BackgroundJob) -> BackgroundJob:
    """Run for real the file a successful dry run previewed."""
    catalog_list = _previewed(actor, preview)
    if preview.status != JobStatus.SUCCEEDED:
        raise InvalidInput(_("预览发现问题，请修改文件后重新上传。"))
    return _rerun(
        actor=actor,
        preview=preview,
        catalog_list=catalog_list,
        dry_run=False,
        mapping=preview.options.get("mapping"),
    )


@transaction.atomic
def list_import_remap(
    *, actor: User, preview: BackgroundJob, mapping: dict[str, str]
) -> BackgroundJob:
    """Preview the same file again with the user's choice of which column holds which field."""
    return _rerun(
        actor=actor,
        preview=preview,
        catalog_list=_previewed(actor, preview),
        dry_run=True,
        mapping=mapping,
    )


def run_list_import(job: BackgroundJob, progress: Callable[[int, int], None]):
    catalog_list = CatalogList.objects.get(pk=job.options["list_id"])
    dry_run = bool(job.options.get("dry_run", True))
    try:
        report = list_import(
            actor=job.owner,
            catalog_list=catalog_list,
            data=bytes(job.payload),
            filename=job.payload_name,
            dry_run=dry_run,
            mapping=job.options.get("mapping") or {},
            progress=progress,
        )
    except DomainError as exc:
        # A file that cannot be read at all (wrong type, no name column, no draft) is reported
        # like a bad row, on its header, with the headers found for the mapping step.
        return False, {
            "dry_run": dry_run,
            "errors": [{"row": 1, "problems": [str(exc.message)]}],
            "missing_columns": (exc.details or {}).get("missing_columns", []),
            "file_headers": (exc.details or {}).get("headers", []),
        }
    return report.ok, report.as_dict()
