"""Background jobs of the journeys app: thin wrappers that fetch a job by id and call a service.

Only ids go on the queue (django-q2's admin shows task arguments), never file
contents or patient data. Each service claims its job with a conditional
update, so a retried task does nothing twice.
"""

from . import services
from .models import ImportJob
from .services import import_job_check, import_job_run


def import_check(job_id: str) -> str:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    return import_job_check(job=job).status


def import_run(job_id: str) -> str:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    return import_job_run(job=job).status


def journeys_for_import(job_id: str) -> dict:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return {}
    return services.journeys_for_import(job=job)
