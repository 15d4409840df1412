"""Background jobs: long work (imports, verification) runs in the worker and reports progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from jianfu.core.models import BackgroundJob, JobStatus

# kind → dotted path of a function (job, progress) -> (succeeded, result dict).
JOB_RUNNERS = {
    "regions_import": "jianfu.org.jobs.run_regions_import",
    "units_import": "jianfu.org.jobs.run_units_import",
    "audit_verify": "jianfu.core.jobs.run_audit_verify",
    "list_import": "jianfu.catalog.jobs.run_list_import",
    "task_fan_out": "jianfu.dispatch.jobs.run_task_fan_out",
    "burden_import": "jianfu.burden.imports.run_survey_import",
    "stats_refresh": "jianfu.reports.jobs.run_stats_refresh",
    "notice_generate": "jianfu.reports.notice_jobs.run_notice_generate",
}
# A preview keeps its uploaded file so the user can import it without uploading again; a file
# nobody came back for is dropped after this long.
KEPT_PAYLOAD_LIFETIME = timedelta(hours=24)


def job_start(
    *,
    owner: Any,
    kind: str,
    payload: bytes = b"",
    payload_name: str = "",
    options: dict | None = None,
) -> BackgroundJob:
    """Record a job and hand it to the worker once the surrounding transaction commits."""
    from jianfu.core.tasks import run_job

    if kind not in JOB_RUNNERS:
        raise ValueError(kind)
    jobs_drop_stale_payloads()
    job = BackgroundJob.objects.create(
        owner=owner, kind=kind, payload=payload, payload_name=payload_name, options=options or {}
    )
    transaction.on_commit(lambda: run_job.enqueue(str(job.pk)))
    return job


def jobs_drop_stale_payloads() -> int:
    """Forget the files of previews finished more than KEPT_PAYLOAD_LIFETIME ago."""
    stale = BackgroundJob.objects.filter(
        finished_at__lt=timezone.now() - KEPT_PAYLOAD_LIFETIME, payload_name__gt=""
    ).exclude(payload=b"")
    return stale.update(payload=b"")


def job_run(job_id: str) -> None:
    """Run one queued job to its end, recording progress and the outcome on the job row."""
    job = BackgroundJob.objects.select_related("owner").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return
    job.status, job.started_at = JobStatus.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])

    def progress(done: int, total: int) -> None:
        BackgroundJob.objects.filter(pk=job.pk).update(done=done, total=total)

    runner: Callable[..., tuple[bool, dict]] = import_string(JOB_RUNNERS[job.kind])
    try:
        succeeded, result = runner(job, progress)
    except Exception as exc:
        # The job's owner sees that it failed; the details go to the worker's log.
        BackgroundJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), message=str(exc)[:300]
        )
        raise
    done = {"status": JobStatus.SUCCEEDED if succeeded else JobStatus.FAILED}
    # The uploaded file is no longer needed once the job has run, unless the job is a
    # preview whose file the user may go on to import or to map again.
    if not job.options.get("keep_payload"):
        done["payload"] = b""
    BackgroundJob.objects.filter(pk=job.pk).update(
        finished_at=timezone.now(), result=result, **done
    )


def run_audit_verify(job: BackgroundJob, progress: Callable[[int, int], None]) -> tuple[bool, dict]:
    from jianfu.core.audit import audit_chain_verify, audit_record
    from jianfu.core.models import AuditRecord

    total = AuditRecord.objects.count()

    def on_record(checked: int) -> None:
        if checked % 1000 == 0:
            progress(checked, total)

    verdict = audit_chain_verify(progress=on_record)
    progress(verdict.checked, total)
    audit_record(
        actor=job.owner,
        action="audit.verify",
        changes={"ok": verdict.ok, "checked": verdict.checked, "broken_at": verdict.broken_at},
    )
    return True, {
        "ok": verdict.ok,
        "checked": verdict.checked,
        "broken_at": verdict.broken_at,
        "reason": verdict.reason,
    }
