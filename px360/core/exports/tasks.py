"""Background jobs of list exports: thin wrappers that fetch a job by id and call the service.

Only ids go on the queue, never filters or rows. The service claims its job
with a conditional update, so a retried task does nothing twice.
"""

from px360.core.models import ExportJob

from .service import export_job_run, export_jobs_cleanup


def export_run(job_id: str) -> str:
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    return export_job_run(job=job).status


def export_cleanup() -> dict:
    """Scheduled: delete expired export files, fail exports that never finished."""
    return export_jobs_cleanup()
