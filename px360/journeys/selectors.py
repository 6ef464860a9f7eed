"""Reads of the journeys app, always through the access policy."""

from px360.core.access import restrict

from .models import Encounter, ImportJob


def encounter_list(*, user):
    return restrict(Encounter.objects.select_related("hospital", "patient", "department", "attending_physician"), user)


def import_job_list(*, user):
    return restrict(ImportJob.objects.select_related("user", "hospital"), user)
