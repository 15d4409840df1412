from django_tasks import task

from jianfu.core.audit import audit_context
from jianfu.core.jobs import job_run


@task()
def run_job(job_id: str) -> None:
    with audit_context(ip="", channel="worker"):
        job_run(job_id)
