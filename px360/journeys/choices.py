"""Enums of the journeys app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EncounterType(models.TextChoices):
    EMS = "EMS", _("Emergency")
    INPATIENT = "INPATIENT", _("Inpatient")
    OPD = "OPD", _("Outpatient")


class EncounterStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("encounter", "Active")
    DISCHARGED = "discharged", pgettext_lazy("encounter", "Discharged")
    CANCELLED = "cancelled", pgettext_lazy("encounter", "Cancelled")


class EncounterSource(models.TextChoices):
    IMPORT = "import", _("File import")
    API = "api", _("API")
    HL7 = "hl7", _("HL7 v2")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("All or nothing: save nothing when any row is bad")
    VALID_ROWS = "valid", _("Valid rows only: save the good rows, download the rejected ones")


class JobStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("job", "Waiting")
    VALIDATING = "validating", pgettext_lazy("job", "Checking the file")
    VALIDATED = "validated", pgettext_lazy("job", "Checked, waiting for confirmation")
    RUNNING = "running", pgettext_lazy("job", "Saving")
    DONE = "done", pgettext_lazy("job", "Done")
    FAILED = "failed", pgettext_lazy("job", "Failed")

    @classmethod
    def active(cls):
        return (cls.PENDING, cls.VALIDATING, cls.RUNNING)
