"""The background job of a large dispatch (more recipients than a request should wait for)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from jianfu.core.models import BackgroundJob
from jianfu.dispatch.models import Task, TaskStatus
from jianfu.dispatch.services import task_failed, task_fan_out, task_recipients


def run_task_fan_out(job: BackgroundJob, progress: Callable[[int, int], None]) -> tuple[bool, dict]:
    """The background job of a large dispatch."""
    task = Task.objects.select_related("department__region").get(pk=job.options["task"])
    if task.status != TaskStatus.DISPATCHING:
        return True, {"task": task.pk, "recipients": task.recipients_total}
    codes = task_recipients(task)
    # The deliveries are written in one transaction, all or none, so the progress the page
    # can see is the count before and after it.
    progress(0, len(codes))
    try:
        with transaction.atomic():
            # Locked and read again: a second run of the same job waits, then finds it done.
            task = Task.objects.select_for_update().get(pk=task.pk)
            if task.status == TaskStatus.DISPATCHING:
                task_fan_out(task=task, codes=codes)
    except Exception:
        failed = Task.objects.filter(pk=task.pk, status=TaskStatus.DISPATCHING).update(
            status=TaskStatus.FAILED
        )
        if failed:
            task_failed(task=task)
        raise
    progress(len(codes), len(codes))
    return True, {
        "task": task.pk,
        "recipients": task.recipients_total,
        "unadmitted": task.unadmitted_total,
    }
