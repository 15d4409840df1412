"""The background job that makes an annual notice: freeze the figures, typeset the PDF, write
the workbook, each step reported to the page's progress bar."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.utils import timezone, translation

from jianfu.core.audit import audit_record
from jianfu.core.db_router import replica_reads
from jianfu.core.models import BackgroundJob
from jianfu.reports.models import Notice
from jianfu.reports.notice_documents import notice_pdf, notice_xlsx
from jianfu.reports.notice_services import notice_figures

STEPS = 4


def run_notice_generate(
    job: BackgroundJob, progress: Callable[[int, int], None]
) -> tuple[bool, dict]:
    """Make the notice the job was started for: (succeeded, {notice, sizes, sha256})."""
    notice = Notice.objects.select_related("district").get(pk=job.options["notice"])
    # The notice is a Chinese official document whatever language the worker runs in.
    with translation.override("zh-hans"):
        progress(0, STEPS)
        # The figures only read: from the replica, once it has replayed everything committed
        # before the job started (a refresh just before the notice must be in it).
        with replica_reads(caught_up=True):
            notice.figures = notice_figures(district=notice.district, year=notice.year)
        notice.save(update_fields=["figures"])
        progress(1, STEPS)
        # The date printed under the signature is the day the notice is made.
        notice.finished_at = timezone.now()
        pdf = notice_pdf(notice)
        progress(2, STEPS)
        xlsx = notice_xlsx(notice)
        progress(3, STEPS)
        notice.pdf, notice.xlsx = pdf, xlsx
        notice.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        notice.save(update_fields=["pdf", "xlsx", "pdf_sha256", "finished_at"])
        progress(4, STEPS)
    audit_record(
        actor=job.owner,
        action="notice.generate",
        target=notice,
        changes={"year": notice.year, "number": notice.number, "pdf_sha256": notice.pdf_sha256},
    )
    return True, {
        "notice": notice.pk,
        "pdf_bytes": len(pdf),
        "xlsx_bytes": len(xlsx),
        "pdf_sha256": notice.pdf_sha256,
    }
