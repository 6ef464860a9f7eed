"""Enums of the surveys app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TemplateKind(models.TextChoices):
    JOURNEY_STAGE = "journey_stage", _("Journey stage")
    COMPLAINT_RESOLUTION = "complaint_resolution", _("Complaint resolution")
    GENERAL = "general", pgettext_lazy("survey kind", "General")


class QuestionType(models.TextChoices):
    RATING = "rating_1_5", _("Rating 1–5")
    NPS = "nps_0_10", _("Likelihood to recommend 0–10")
    YES_NO = "yes_no", _("Yes / no")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    FREE_TEXT = "free_text", _("Free text")


class SurveyStatus(models.TextChoices):
    """Where an invitation stands; ``suppressed`` rows record why none was sent."""

    SCHEDULED = "scheduled", pgettext_lazy("survey", "Scheduled")
    SUPPRESSED = "suppressed", pgettext_lazy("survey", "Suppressed")
    INVITED = "invited", pgettext_lazy("survey", "Invited")
    OPENED = "opened", pgettext_lazy("survey", "Opened")
    COMPLETED = "completed", pgettext_lazy("survey", "Completed")
    EXPIRED = "expired", pgettext_lazy("survey", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("survey", "Cancelled")

    @classmethod
    def answerable(cls):
        return (cls.INVITED, cls.OPENED)

    @classmethod
    def pending(cls):
        """Not answered and not closed: a cancellation or expiry may still stop it."""
        return (cls.SCHEDULED, cls.INVITED, cls.OPENED)

    @classmethod
    def counted_for_frequency(cls):
        """Invitations that use up the patient's one survey per period."""
        return (cls.SCHEDULED, cls.INVITED, cls.OPENED, cls.COMPLETED, cls.EXPIRED)


class SuppressionReason(models.TextChoices):
    FREQUENCY_CAP = "frequency_cap", _("Already surveyed within the frequency period")
    SUPERSEDED = "superseded", _("Replaced by a higher-priority journey's survey")
    DECEASED = "deceased", _("Patient is deceased")
    MINOR = "minor", _("Patient is a minor without a guardian contact")
    OPTED_OUT = "opted_out", _("Patient opted out of every usable channel")
    NO_CONTACT = "no_contact", _("No usable contact")
    CANCELLED_ENCOUNTER = "cancelled_encounter", _("Encounter cancelled")
    EXCLUDED_DEPARTMENT = "excluded_department", _("Department excluded from surveys")
    INACTIVE_TEMPLATE = "inactive_template", _("Survey template is inactive")
    TOO_LATE = "too_late", _("The visit ended too long ago")


class NPSCategory(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")


# Journey priority for the frequency cap: the higher number wins (DOMAIN.md).
JOURNEY_PRIORITY = {"INPATIENT": 3, "EMS": 2, "OPD": 1}
